"""`trainyard plan-summary PLAN.json` — what a `terraform show -json` plan will do, by action and type.

Exit codes: 0 summarized; 2 bad input (missing file, not JSON, not a plan document);
4 with --fail-on-stateful-destroy when the plan destroys or replaces a stateful resource.
"""
from __future__ import annotations

import argparse
import json

from scripts import plan_summary as ps

EXIT_STATEFUL_DESTROY = 4


def _run(args: argparse.Namespace) -> int:
    from infra.cli import UsageError

    try:
        summary = ps.load(args.plan)
    except ps.PlanError as exc:
        raise UsageError(str(exc)) from None
    title = args.title or "plan"
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    elif args.markdown:
        print(ps.render_markdown(summary, title))
    else:
        print(ps.render_text(summary, title))
    return EXIT_STATEFUL_DESTROY if args.fail_on_stateful_destroy and summary.dangerous else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan-summary", help="summarize `terraform show -json` output; stateful "
                                   "destroys called out", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", metavar="PLAN.json", help="output of `terraform show -json PLANFILE`")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="GitHub-flavoured markdown (for the PR comment)")
    fmt.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.add_argument("--title", help="heading, e.g. the environment name")
    parser.add_argument("--fail-on-stateful-destroy", action="store_true",
                        help=f"exit {EXIT_STATEFUL_DESTROY} if a stateful resource is destroyed or replaced")
    parser.set_defaults(func=_run)
