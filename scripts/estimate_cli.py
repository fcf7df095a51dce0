"""`trainyard estimate --env ENV` — monthly cost at the ceiling, at desired size, and against the budget.

Exit codes: 0 the ceiling fits the budget (or the spec accepts the overrun with
budget.accept_ceiling_over_budget); 2 bad input (unknown environment, invalid spec,
unreadable stack); 3 the ceiling exceeds the environment's monthly budget.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from policies.tfjson import StackError, load_stack
from scripts import cost_estimate as ce

EXIT_OVER_BUDGET = 3
DEFAULT_SYNTH_DIR = "cdktf.out"


def _stack_file(root: Path, env: str) -> Path | None:
    """Accept cdktf.out, its stacks/ folder, or a checkout holding cdktf.out."""
    for candidate in (root / "stacks" / env / "cdk.tf.json", root / env / "cdk.tf.json",
                      root / "cdktf.out" / "stacks" / env / "cdk.tf.json"):
        if candidate.is_file():
            return candidate
    return None


def _from_stack(path: Path) -> ce.Estimate:
    from infra.cli import UsageError

    try:
        return ce.estimate(ce.inputs_from_stack(load_stack(path)))
    except (StackError, ce.StackInputError, KeyError) as exc:
        raise UsageError(str(exc).strip('"')) from None


def _head(args: argparse.Namespace) -> ce.Estimate:
    from infra.cli import env_spec_path
    from infra.spec import load

    synthesized = _stack_file(Path(args.synth_dir), args.env) if args.synth_dir else None
    if synthesized and not args.from_spec:
        return _from_stack(synthesized)
    path = env_spec_path(args.env)
    return ce.estimate(ce.inputs_from_spec(load(path), source=f"spec:{path}"))  # SpecError → exit 2 in infra.cli


def _run(args: argparse.Namespace) -> int:
    from infra.cli import UsageError

    head = _head(args)
    change = None
    if args.against:
        base_root = Path(args.against)
        if not base_root.is_dir():
            raise UsageError(f"--against {base_root}: not a directory (expected the base branch's cdktf.out)")
        base_file = _stack_file(base_root, head.inputs.environment)
        change = ce.diff(_from_stack(base_file) if base_file else None, head)
    if args.json:
        doc = head.to_dict()
        if change is not None:
            doc["diff"] = change
        print(json.dumps(doc, indent=2))
    else:
        print(ce.render_text(head, change))
    return EXIT_OVER_BUDGET if head.gate_status == "over_budget" else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("estimate", help="monthly cost at the ceiling / desired size vs the budget "
                                   "(exit 3 when the ceiling breaks the budget)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, metavar="ENV", help="environment name (stacks/environments/ENV.yaml) "
                        "or a spec file path")
    parser.add_argument("--json", action="store_true", help="items and totals as JSON (totals = sum of items)")
    parser.add_argument("--against", metavar="BASE_DIR", help="diff against another synthesized tree (e.g. the base "
                        "branch's cdktf.out)")
    parser.add_argument("--synth-dir", default=DEFAULT_SYNTH_DIR, metavar="DIR",
                        help="read the synthesized stack from DIR when present (default: cdktf.out); otherwise the "
                        "spec file is estimated")
    parser.add_argument("--from-spec", action="store_true", help="estimate from the spec file even if a synth exists")
    parser.set_defaults(func=_run)
