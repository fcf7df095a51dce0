"""cdktf app entry: one PlatformStack per stacks/environments/*.yaml.

`make synth` runs this; cdktf.json points the cdktf CLI at it too. An invalid spec stops the synth
with the same messages as `trainyard validate` (exit 2), never a traceback.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

# Running as a script puts stacks/ first on sys.path; the repo root must win so `infra` resolves.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

from cdktf import App  # noqa: E402

from infra.spec import Cloud, SpecError, all_environment_files, load  # noqa: E402
from stacks.platform_stack import PlatformStack  # noqa: E402
from infra.workload.stack import WorkloadStack, has_workload  # noqa: E402


def build_app(outdir: str = "cdktf.out", environments: list[str] | None = None) -> App:
    specs, problems = [], []
    for path in all_environment_files():
        if environments and path.stem not in environments:
            continue
        try:
            specs.append(load(path))
        except SpecError as exc:
            problems.extend(f"{path.name}: {issue}" for issue in exc.issues)
    if problems:
        print("synth stopped: invalid environment spec(s)\n" + "\n".join(problems), file=sys.stderr)
        raise SystemExit(2)
    app = App(outdir=outdir)
    for spec in specs:
        if spec.cloud is Cloud.gcp:
            # Imported only when needed: the google bindings take ~10-20 s to load.
            from stacks.gcp_platform_stack import GcpPlatformStack

            GcpPlatformStack(app, spec.stack_name, spec=spec)
        else:
            PlatformStack(app, spec.stack_name, spec=spec)
    for spec in filter(has_workload, specs):  # `<env>-workload`: Helm releases + Kubernetes objects on the cluster
        WorkloadStack(app, f"{spec.stack_name}-workload", spec=spec, platform=app.node.try_find_child(spec.stack_name))
    return app


def main() -> None:
    envs = [e for e in os.environ.get("TRAINYARD_ENVS", "").split(",") if e]
    build_app(os.environ.get("CDKTF_OUTDIR", "cdktf.out"), envs or None).synth()


if __name__ == "__main__":
    main()
