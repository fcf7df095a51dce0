"""Synth assertions for `<env>-workload` (no helm/kubernetes provider binaries here, so no `terraform validate`)."""
from __future__ import annotations

import pytest

from infra.spec import all_environment_files, load
from infra.workload import PlatformRefs, helm_releases, object_id, workload_manifests
from infra.workload.clouds import has_workload

SPECS = {p.stem: load(p) for p in all_environment_files()}
WORKLOAD_ENVS = sorted(name for name, spec in SPECS.items() if has_workload(spec))


def test_a_workload_stack_per_non_emulated_environment(stacks):
    assert {"dev", "prod"} <= set(WORKLOAD_ENVS)
    expected = {f"{name}-workload" for name in WORKLOAD_ENVS}
    assert expected <= set(stacks)
    assert not {f"{name}-workload" for name, spec in SPECS.items() if spec.emulated} & set(stacks)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_workload_stack_holds_releases_and_the_rendered_manifests(stacks, env):
    spec = SPECS[env]
    stack = stacks[f"{env}-workload"]
    releases = stack["resource"]["helm_release"]
    for release in helm_releases(spec, {}):
        tf = releases[f"helm-{release.name}"]
        assert (tf["chart"], tf["version"], tf["repository"], tf["namespace"]) == \
            (release.chart, release.version, release.repository, release.namespace)
    manifests = stack["resource"]["kubernetes_manifest"]
    rendered = workload_manifests(spec, PlatformRefs.placeholders(spec))
    assert set(manifests) == {object_id(m) for m in rendered}
    for m in rendered:
        tf = manifests[object_id(m)]["manifest"]
        assert (tf["kind"], tf["metadata"]["name"]) == (m["kind"], m["metadata"]["name"])
        if m["kind"] == "RayJob":  # same dict: only platform references differ
            assert tf["spec"]["entrypoint"] == m["spec"]["entrypoint"]
            assert tf["spec"]["rayClusterSpec"]["workerGroupSpecs"] == m["spec"]["rayClusterSpec"]["workerGroupSpecs"]
        if m["apiVersion"].startswith(("ray.io/", "monitoring.coreos.com/")):
            assert manifests[object_id(m)]["count"] == "${var.custom_resources ? 1 : 0}"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_providers_come_from_the_eks_cluster(stacks, env):
    stack = stacks[f"{env}-workload"]
    name = SPECS[env].resource_prefix
    assert stack["data"]["aws_eks_cluster"]["cluster"]["name"] == name
    assert stack["data"]["aws_eks_cluster_auth"]["cluster-auth"]["name"] == name
    for provider in ("kubernetes",):
        conf = stack["provider"][provider][0]
        assert "data.aws_eks_cluster.cluster.endpoint" in conf["host"]
        assert "data.aws_eks_cluster_auth.cluster-auth.token" in conf["token"]
    assert "data.aws_eks_cluster.cluster.endpoint" in stack["provider"]["helm"][0]["kubernetes"]["host"]
    required = stack["terraform"]["required_providers"]
    assert required["helm"]["version"].startswith(">=") and required["kubernetes"]["version"].startswith(">=")


def test_fsx_volume_references_the_platform_stack(stacks):
    pv = stacks["prod-workload"]["resource"]["kubernetes_manifest"][
        f"persistentvolume-cluster-{SPECS['prod'].resource_prefix}-fsx"]["manifest"]
    assert "terraform_remote_state" in pv["spec"]["csi"]["volumeHandle"]
    assert "mount_name" in pv["spec"]["csi"]["volumeAttributes"]["mountname"]
