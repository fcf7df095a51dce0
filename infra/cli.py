"""`trainyard` — the command line of the platform kit.

Subcommands register themselves from small modules so this file stays a router.
Exit codes: 0 ok, 1 unexpected failure, 2 bad input (spec, flag, file), others
documented per subcommand (e.g. `estimate` exits 3 when the ceiling breaks the budget).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from infra.spec import SpecError, environment_path, load

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default prints usage + exits 2; keep the code, add a hint
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    names = [*args.files, *args.envs]
    if not names:
        raise UsageError("name a spec: `trainyard validate --env prod` or `trainyard validate stacks/environments/prod.yaml`")
    for name in names:
        try:
            spec = load(env_spec_path(name))
        except SpecError as exc:
            failed += 1
            for issue in exc.issues:
                # A file-level problem (no field path) always names the file; field problems do when there are several.
                print(f"{name}: {issue}" if len(names) > 1 or not issue.path else f"{issue}", file=sys.stderr)
            continue
        if not args.quiet:
            pools = ", ".join(f"{p.name}({p.instance_type}×{p.max_size}/AZ in {len(p.zones)} AZ)" for p in spec.node_pools)
            print(f"{name}: ok — {spec.name} in {spec.region} over {len(spec.availability_zones)} AZs; "
                  f"GPU pools: {pools or 'none'}")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _cmd_train(args: argparse.Namespace) -> int:
    # The trainer imports torch/ray; infra must not, so hand over to its own entry point.
    os.execv(sys.executable, [sys.executable, "-m", "trainer", "train", *args.trainer_args])
    return EXIT_FAILURE  # pragma: no cover - execv does not return


def env_spec_path(env: str) -> Path:
    """A spec file path as given, or the file of a named environment (`prod` -> stacks/environments/prod.yaml)."""
    path = Path(env)
    return path if path.suffix in (".yaml", ".yml") or "/" in env or path.exists() else environment_path(env)


Registrar = Callable[[argparse._SubParsersAction], None]


def _optional_registrars() -> list[Registrar]:
    """Subcommands owned by other modules; each registers itself if its module is present."""
    registrars: list[Registrar] = []
    for module_name in ("infra.render_cli", "infra.preflight", "policies.cli", "scripts.estimate_cli",
                        "scripts.plan_summary_cli"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        registrars.append(module.register)
    return registrars


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trainyard", description="Platform kit for distributed GPU training.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = sub.add_parser("validate", help="validate environment spec files (exit 2 on any error)")
    validate.add_argument("files", nargs="*", metavar="FILE|ENV",
                          help="spec files, or environment names under stacks/environments/")
    validate.add_argument("--env", dest="envs", action="append", default=[], metavar="ENV",
                          help="an environment name (repeatable), e.g. --env prod")
    validate.add_argument("-q", "--quiet", action="store_true")
    validate.set_defaults(func=_cmd_validate)

    train = sub.add_parser("train", help="run the packaged trainer (same flags as `python -m trainer train`)",
                           add_help=False)
    train.add_argument("trainer_args", nargs=argparse.REMAINDER)
    train.set_defaults(func=_cmd_train)

    for register in _optional_registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:
        # Everything after `train` belongs to the trainer's own parser (argparse.REMAINDER would stop at
        # the first `--flag`), so hand over before parsing anything.
        return _cmd_train(argparse.Namespace(trainer_args=argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SpecError, UsageError) as exc:
        print(f"trainyard {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
