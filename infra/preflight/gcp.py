"""GCP preflight through google-cloud-container and google-cloud-compute: the spec's Kubernetes
version against the release channel's valid versions in the region, each GPU machine type in each
zone, and the region's GPU quota against the pools at max size.

`GcpApi` returns the client libraries' own message types (container_v1.ServerConfig,
compute_v1.MachineType, compute_v1.Region), so tests inject recorded responses of exactly the shape
the live API returns.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from google.cloud import compute_v1, container_v1

from infra.catalog_gcp import gcp_catalog
from infra.preflight.problems import Problem
from infra.spec import CapacityType, EnvironmentSpec


class GcpApi(Protocol):
    def server_config(self, project: str, region: str) -> container_v1.ServerConfig: ...
    def machine_type(self, project: str, zone: str, name: str) -> compute_v1.MachineType | None: ...
    def region(self, project: str, region: str) -> compute_v1.Region: ...


class LiveGcpApi:
    """Application Default Credentials; the clients are created on first use."""

    def server_config(self, project: str, region: str) -> container_v1.ServerConfig:
        return container_v1.ClusterManagerClient().get_server_config(name=f"projects/{project}/locations/{region}")

    def machine_type(self, project: str, zone: str, name: str) -> compute_v1.MachineType | None:
        from google.api_core.exceptions import NotFound

        try:
            return compute_v1.MachineTypesClient().get(project=project, zone=zone, machine_type=name)
        except NotFound:
            return None

    def region(self, project: str, region: str) -> compute_v1.Region:
        return compute_v1.RegionsClient().get(project=project, region=region)


def _unreadable(field: str, what: str, exc: Exception, fix: str) -> Problem:
    return Problem(field, f"could not read {what} ({type(exc).__name__}: {str(exc)[:160]})", fix)


def check_gcp(spec: EnvironmentSpec, api: GcpApi) -> list[Problem]:
    assert spec.gcp is not None
    return [*_version(spec, api), *_offerings(spec, api), *_quota(spec, api)]


def _version(spec: EnvironmentSpec, api: GcpApi) -> list[Problem]:
    gcp, version = spec.gcp, spec.cluster.kubernetes_version
    try:
        config = api.server_config(gcp.project, spec.region)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return [_unreadable("cluster.kubernetes_version", "the GKE server config", exc,
                            "enable container.googleapis.com and grant container.clusters.list")]
    wanted = container_v1.ReleaseChannel.Channel[gcp.release_channel.value]
    channel = next((c for c in config.channels if c.channel == wanted), None)
    if channel is None:
        return [Problem("gcp.release_channel", f"GKE in {spec.region} offers no {gcp.release_channel.value} channel",
                        "pick a channel the region offers")]
    minors = sorted({".".join(v.split(".")[:2]) for v in channel.valid_versions}, key=lambda m: tuple(map(int, m.split("."))))
    if version not in minors:
        return [Problem("cluster.kubernetes_version", f"GKE's {gcp.release_channel.value} channel in {spec.region} "
                        f"offers {', '.join(minors) or 'no versions'}, not {version}",
                        f"set kubernetes_version to one of {', '.join(minors)} or change gcp.release_channel")]
    return []


def _offerings(spec: EnvironmentSpec, api: GcpApi) -> list[Problem]:
    problems = []
    for i, pool in enumerate(spec.node_pools):
        missing = []
        for zone in pool.zones:
            try:
                found = api.machine_type(spec.gcp.project, zone, pool.instance_type)
            except Exception as exc:  # noqa: BLE001
                problems.append(_unreadable(f"node_pools[{i}].zones", f"{pool.instance_type} in {zone}", exc,
                                            "enable compute.googleapis.com and grant compute.machineTypes.get"))
                continue
            if found is None:
                missing.append(zone)
        if missing:
            problems.append(Problem(f"node_pools[{i}].zones", f"{pool.instance_type} is not offered in "
                                    f"{', '.join(missing)} (Compute API)",
                                    "move the pool to zones that offer it or pick another machine type"))
    return problems


def _quota(spec: EnvironmentSpec, api: GcpApi) -> list[Problem]:
    catalog = gcp_catalog()
    need: dict[str, int] = defaultdict(int)
    for pool in spec.node_pools:
        mtype = catalog.get(pool.instance_type)
        if mtype.quota_metric:
            # Spot VMs draw on the PREEMPTIBLE_ variant of the GPU quota.
            metric = ("PREEMPTIBLE_" if pool.capacity.type is CapacityType.spot else "") + mtype.quota_metric
            need[metric] += pool.max_size * len(pool.zones) * mtype.gpu_count
    if not need:
        return []
    try:
        region = api.region(spec.gcp.project, spec.region)
    except Exception as exc:  # noqa: BLE001
        return [_unreadable("node_pools", f"quotas of {spec.region}", exc, "grant compute.regions.get")]
    limits = {q.metric: q.limit for q in region.quotas}
    problems = []
    for metric, gpus in sorted(need.items()):
        limit = limits.get(metric, 0.0)
        if limit < gpus:
            problems.append(Problem("node_pools", f"quota {metric} in {spec.region} is {limit:.0f} GPUs but the pools "
                                    f"at max size need {gpus}", f"request {gpus} for {metric} in {spec.region} "
                                    "(IAM & Admin → Quotas), or lower max_size"))
    return problems
