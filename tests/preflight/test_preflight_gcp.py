"""GCP preflight against RECORDED responses: the client libraries' own message types
(container_v1.ServerConfig, compute_v1.MachineType, compute_v1.Region), injected through GcpApi."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml
from google.cloud import compute_v1, container_v1

from infra.preflight.gcp import check_gcp
from infra.spec import load, parse

REPO = Path(__file__).resolve().parents[2]
GCP_PROD = REPO / "stacks" / "environments" / "gcp-prod.yaml"
Channel = container_v1.ReleaseChannel.Channel


class RecordedGcp:
    """Responses as recorded from the live API for acme-trainyard-prod / us-central1 (trimmed)."""

    def __init__(self, *, regular: list[str], offered: dict[str, set[str]], quotas: dict[str, float]):
        self.config = container_v1.ServerConfig(
            default_cluster_version=regular[-1],
            channels=[container_v1.ServerConfig.ReleaseChannelConfig(channel=Channel.REGULAR, valid_versions=regular,
                                                                     default_version=regular[-1]),
                      container_v1.ServerConfig.ReleaseChannelConfig(channel=Channel.RAPID,
                                                                     valid_versions=["1.34.1-gke.1000"])])
        self.offered = offered
        self.region_msg = compute_v1.Region(name="us-central1", quotas=[
            compute_v1.Quota(metric=metric, limit=limit, usage=0.0) for metric, limit in quotas.items()])
        self.calls: list[tuple] = []

    def server_config(self, project: str, region: str) -> container_v1.ServerConfig:
        self.calls.append(("server_config", project, region))
        return self.config

    def machine_type(self, project: str, zone: str, name: str) -> compute_v1.MachineType | None:
        if zone not in self.offered.get(name, set()):
            return None  # the live client raises NotFound; LiveGcpApi maps it to None
        return compute_v1.MachineType(name=name, zone=zone, guest_cpus=208, accelerators=[
            compute_v1.Accelerators(guest_accelerator_type="nvidia-h100-mega-80gb", guest_accelerator_count=8)])

    def region(self, project: str, region: str) -> compute_v1.Region:
        return self.region_msg


BOTH_ZONES = {"us-central1-a", "us-central1-c"}
GOOD = dict(regular=["1.30.12-gke.1086000", "1.31.8-gke.1045000", "1.32.4-gke.1106000"],
            offered={"a2-ultragpu-8g": BOTH_ZONES, "a3-megagpu-8g": BOTH_ZONES},
            quotas={"NVIDIA_A100_80GB_GPUS": 32, "NVIDIA_H100_MEGA_GPUS": 32, "CPUS": 2400})


def test_gcp_prod_passes_against_a_healthy_project() -> None:
    api = RecordedGcp(**GOOD)
    assert check_gcp(load(GCP_PROD), api) == []
    assert api.calls == [("server_config", "acme-trainyard-prod", "us-central1")]


def test_version_offering_and_quota_problems_are_reported_at_once() -> None:
    api = RecordedGcp(regular=["1.32.4-gke.1106000", "1.33.1-gke.1107000"],
                      offered={"a2-ultragpu-8g": BOTH_ZONES, "a3-megagpu-8g": {"us-central1-a"}},
                      quotas={"NVIDIA_A100_80GB_GPUS": 32, "NVIDIA_H100_MEGA_GPUS": 16})
    problems = {p.field: p for p in check_gcp(load(GCP_PROD), api)}
    assert set(problems) == {"cluster.kubernetes_version", "node_pools[1].zones", "node_pools"}
    assert "offers 1.32, 1.33, not 1.31" in problems["cluster.kubernetes_version"].message
    assert "not offered in us-central1-c" in problems["node_pools[1].zones"].message
    quota = problems["node_pools"]
    assert "NVIDIA_H100_MEGA_GPUS" in quota.message and "is 16 GPUs" in quota.message and "need 32" in quota.message
    assert "request 32" in quota.fix


def test_spot_pools_count_against_the_preemptible_quota() -> None:
    data = yaml.safe_load(GCP_PROD.read_text())
    data["node_pools"][1]["capacity"] = {"type": "spot"}
    problems = check_gcp(parse(copy.deepcopy(data)), RecordedGcp(**GOOD))
    assert [p.field for p in problems] == ["node_pools"]
    assert "PREEMPTIBLE_NVIDIA_H100_MEGA_GPUS" in problems[0].message


def test_an_api_error_is_a_problem_not_a_traceback() -> None:
    class Broken(RecordedGcp):
        def region(self, project: str, region: str) -> compute_v1.Region:
            from google.api_core.exceptions import PermissionDenied

            raise PermissionDenied("compute.regions.get denied")

    (problem,) = check_gcp(load(GCP_PROD), Broken(**GOOD))
    assert "could not read quotas" in problem.message and "PermissionDenied" in problem.message
