"""`trainyard policy [PATH...]` — run the MOD-205 gate over synthesized stacks.

Exit codes: 0 every check passed; 1 policy violations; 2 bad input (no stacks found, a
path that does not exist, a malformed suppression file); 3 the scan itself could not be
trusted and failed closed (unparseable/empty/zero-resource file, checkov missing or
crashing, resources checkov did not evaluate, an expired suppression).
"""
from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path

from policies import report, suppressions
from policies.gate import run_gate

DEFAULT_GLOB = "cdktf.out/stacks/*/cdk.tf.json"


def _stack_paths(args: argparse.Namespace) -> list[Path]:
    from infra.cli import UsageError

    if not args.paths:
        found = sorted(Path(p) for p in glob.glob(DEFAULT_GLOB))
        if not found:
            raise UsageError(f"no synthesized stacks match {DEFAULT_GLOB}; run `make synth` first or pass PATHs")
        return found
    paths: list[Path] = []
    for raw in args.paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(path.glob("**/*.tf.json"))
            if not inside:
                raise UsageError(f"{path}: directory holds no *.tf.json stack")
            paths.extend(inside)
        elif path.exists():
            paths.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return paths


def _run(args: argparse.Namespace) -> int:
    from infra.cli import UsageError

    paths = _stack_paths(args)
    try:
        sups = suppressions.load(Path(args.suppressions))
    except suppressions.SuppressionFileError as exc:
        raise UsageError(str(exc)) from None
    result = run_gate(paths, suppressions=sups)
    print(report.table(result, verbose=args.verbose))
    if args.sarif:
        report.write_json(Path(args.sarif), report.sarif(result))
    if args.junit:
        Path(args.junit).parent.mkdir(parents=True, exist_ok=True)
        Path(args.junit).write_text(report.junit(result))
    if args.json:
        report.write_json(Path(args.json), report.as_json(result))
    return result.exit_code


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "policy", help="MOD-205 policy gate over synthesized stacks (checkov + whole-stack rules, fail closed)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help=f"cdk.tf.json files or folders of them (default: {DEFAULT_GLOB})")
    parser.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 (GitHub code scanning)")
    parser.add_argument("--junit", metavar="FILE", help="also write JUnit XML")
    parser.add_argument("--json", metavar="FILE", help="also write a JSON summary (read by the PR comment)")
    parser.add_argument("--suppressions", metavar="FILE", default=str(suppressions.DEFAULT_PATH),
                        help="reviewed suppression file (default: policies/suppressions.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing checks too")
    parser.set_defaults(func=_run)


def main(argv: list[str] | None = None) -> int:  # `python -m policies.cli`
    from infra.cli import main as trainyard_main

    return trainyard_main(["policy", *(argv if argv is not None else sys.argv[1:])])


