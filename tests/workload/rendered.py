"""Reading rendered workload objects in tests: RayJobs, their pod templates, the schemas they must meet."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[2] / "infra" / "workload" / "schemas"
# API groups kubernetes-validate has no schema for; those objects are checked against our own schemas.
CUSTOM_GROUPS = ("ray.io/", "monitoring.coreos.com/", "networking.gke.io/")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def k8s_version(spec) -> str:
    return f"{spec.cluster.kubernetes_version}.0"


def rayjobs(manifests: list[dict]) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == "RayJob"}


def pod_templates(rayjob: dict) -> Iterator[tuple[str, dict]]:
    cluster = rayjob["spec"]["rayClusterSpec"]
    yield "head", cluster["headGroupSpec"]["template"]
    for group in cluster["workerGroupSpecs"]:
        yield group["groupName"], group["template"]
    yield "submitter", rayjob["spec"]["submitterPodTemplate"]
