"""`trainyard render-k8s --env ENV --out DIR`: every Kubernetes object of `<env>-workload`, as YAML.

One file per object (`NN-<kind>-<namespace>-<name>.yaml`, in apply order) plus `index.yaml`, which lists
the objects and the Helm releases the stack installs. The objects are the very dicts the workload stack
applies; values only Terraform knows (account id, FSx ids) are placeholders such as `FSX_FILE_SYSTEM_ID`.
Exit 2 on an unknown environment, an invalid spec or an unwritable DIR.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import asdict
from pathlib import Path

import yaml

from infra.cli import EXIT_OK, UsageError, env_spec_path
from infra.spec import load
from infra.workload import PlatformRefs, helm_releases, object_id, workload_manifests
from infra.workload.clouds import has_workload
from infra.workload.labels import cost_labels

INDEX_FILE = "index.yaml"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:  # reviewers read plain YAML, not anchors
        return True


def _cmd_render(args: argparse.Namespace) -> int:
    spec = load(env_spec_path(args.env))
    if not has_workload(spec):
        raise UsageError(f"--env {args.env}: environment {spec.name!r} has no workload stack (emulated or a cloud "
                         "without a workload profile)")
    if args.account_id is not None and not re.fullmatch(r"\d{12}", args.account_id):
        raise UsageError(f"--account-id {args.account_id!r} is not a 12-digit AWS account id")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("[0-9][0-9]-*.yaml"):  # a re-render must not leave objects that no longer exist
            stale.unlink()
        manifests = workload_manifests(spec, PlatformRefs.placeholders(spec, args.account_id))
        index = {"environment": spec.name, "stack": f"{spec.stack_name}-workload", "objects": [],
                 "helm_releases": [asdict(r) for r in helm_releases(spec, cost_labels(spec.cost_tags))]}
        for n, obj in enumerate(manifests):
            name = f"{n:02d}-{object_id(obj)}.yaml"
            (out / name).write_text(yaml.dump(obj, Dumper=_Dumper, sort_keys=False))
            meta = obj["metadata"]
            index["objects"].append({"file": name, "apiVersion": obj["apiVersion"], "kind": obj["kind"],
                                     "namespace": meta.get("namespace"), "name": meta["name"]})
        (out / INDEX_FILE).write_text(yaml.dump(index, Dumper=_Dumper, sort_keys=False))
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write: {exc.strerror}") from None
    print(f"{len(manifests)} objects and {len(index['helm_releases'])} Helm releases of {spec.name}-workload "
          f"written to {out}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    render = subparsers.add_parser("render-k8s", help="write the workload stack's Kubernetes objects as YAML")
    render.add_argument("--env", required=True, help="environment name (stacks/environments/ENV.yaml) or a YAML path")
    render.add_argument("--out", required=True, metavar="DIR", help="directory for one YAML file per object")
    render.add_argument("--account-id", default=None, help="AWS account id for the IRSA role ARN (default: ACCOUNT_ID)")
    render.set_defaults(func=_cmd_render)
