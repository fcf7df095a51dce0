"""Every environment's rendered objects validate: core objects against the Kubernetes API schemas of the
cluster's version (kubernetes-validate, offline), RayJobs against the KubeRay v1.2 schemas written from its API
reference (tests/workload/rendered.py names them)."""
from __future__ import annotations

import json

import jsonschema
import kubernetes_validate
import pytest

from infra.spec import load_environment
from infra.workload import PlatformRefs, workload_manifests
from tests.workload.rendered import CUSTOM_GROUPS, SCHEMAS, k8s_version, pod_templates, rayjobs

ENVIRONMENTS = ["prod", "gcp-prod"]  # one per cloud: EKS (EFA, FSx, IRSA) and GKE (GPUDirect, Filestore, WI)


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def rendered(request) -> tuple:
    spec = load_environment(request.param)
    return spec, workload_manifests(spec, PlatformRefs.placeholders(spec))


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"kuberay-v1.2-{name}.schema.json").read_text())


def test_core_objects_validate_against_kubernetes_schemas(rendered) -> None:
    spec, manifests = rendered
    core = [m for m in manifests if not m["apiVersion"].startswith(CUSTOM_GROUPS)]
    assert {m["kind"] for m in core} >= {"Namespace", "ServiceAccount", "PersistentVolume", "PersistentVolumeClaim",
                                        "PriorityClass", "PodDisruptionBudget", "ConfigMap"}
    for obj in core:
        kubernetes_validate.validate(obj, k8s_version(spec), strict=True)


def test_ray_pod_templates_validate_as_core_pod_templates(rendered) -> None:
    # On GKE this covers the native-sidecar initContainers (restartPolicy: Always), hostPath volumes and NCCL env.
    spec, manifests = rendered
    for job in rayjobs(manifests).values():
        for role, template in pod_templates(job):
            wrapper = {"apiVersion": "v1", "kind": "PodTemplate",
                       "metadata": {"name": f"{job['metadata']['name']}-{role}", "namespace": "training"},
                       "template": template}
            kubernetes_validate.validate(wrapper, k8s_version(spec), strict=True)


def test_rayjobs_validate_against_kuberay_schema(rendered) -> None:
    spec, manifests = rendered
    job_schema, cluster_schema = _schema("rayjob"), _schema("raycluster")
    assert "v1.2" in job_schema["description"] and "rayjob_types.go" in job_schema["description"]
    jobs = rayjobs(manifests)
    assert set(jobs) == {job.name for job in spec.jobs}
    for job in jobs.values():
        jsonschema.Draft202012Validator(job_schema).validate(job)
        as_cluster = {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": job["metadata"]["name"]},
                      "spec": job["spec"]["rayClusterSpec"]}
        jsonschema.Draft202012Validator(cluster_schema).validate(as_cluster)


def test_kuberay_schema_rejects_unknown_fields(rendered) -> None:
    _, manifests = rendered
    job = json.loads(json.dumps(next(iter(rayjobs(manifests).values()))))
    job["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["maxReplica"] = 3  # misspelt
    assert list(jsonschema.Draft202012Validator(_schema("rayjob")).iter_errors(job))
