"""GPU node pools on GKE: one per (pool, zone), like the AWS node groups, each with compact
placement where the machine type supports it, GPU driver installation by GKE, the GPU NICs the
machine type needs, and the same Kubernetes labels and taints as the AWS pools."""
from __future__ import annotations

from cdktf_cdktf_provider_google.container_node_pool import ContainerNodePool
from constructs import Construct

from infra.catalog_gcp import MachineType
from infra.constructs._policy import blocks
from infra.constructs.gcp.cluster import GkeCluster, node_security
from infra.constructs.gcp.network import GpuNicNetworks
from infra.spec import CapacityType, GpuPoolSpec

_TAINT_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
# A3 Mega/Ultra boot from Hyperdisk; the others from Persistent Disk.
_HYPERDISK_SERIES = ("a3-megagpu", "a3-ultragpu")


def gpu_node_labels(pool: GpuPoolSpec, mtype: MachineType, zone: str) -> dict[str, str]:
    """Kubernetes labels: the same keys the AWS pools carry (infra/constructs/gpu_node_pool.py), so the
    workload stack selects nodes the same way on both clouds."""
    return {**pool.labels, "trainyard.io/pool": pool.name, "trainyard.io/role": "gpu", "trainyard.io/zone": zone,
            "nvidia.com/gpu.present": "true", "trainyard.io/gpu-model": (mtype.gpu_model or "").lower(),
            "trainyard.io/efa": "false", "trainyard.io/gpudirect": mtype.gpudirect or "none"}


def _reservation_affinity(pool: GpuPoolSpec) -> dict:
    if pool.capacity.type is CapacityType.capacity_reservation:
        return {"consume_reservation_type": "SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name",
                "values": [pool.capacity.reservation_id]}
    # Spot VMs cannot consume reservations; on-demand nodes use any matching one (free capacity first).
    return {"consume_reservation_type": "NO_RESERVATION" if pool.capacity.type is CapacityType.spot
            else "ANY_RESERVATION"}


class GpuNodePool(Construct):
    """One node pool of a GPU pool in one zone.

    Props: name (≤40 chars: GKE's node pool name limit), pool, machine_type, zone, cluster (GkeCluster),
    gpu_nics (GpuNicNetworks or None for types without GPU NICs), labels (GCP resource labels).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, pool: GpuPoolSpec, machine_type: MachineType,
                 zone: str, cluster: GkeCluster, gpu_nics: GpuNicNetworks | None, labels: dict[str, str]):
        super().__init__(scope, id)
        if machine_type.gpu_nics and gpu_nics is None:
            raise ValueError(f"{machine_type.name} needs {machine_type.gpu_nics} GPU NIC networks; pass gpu_nics")
        self.compact_placement = pool.placement_group and machine_type.supports_compact_placement
        network_config: dict = {"enable_private_nodes": True}
        if machine_type.gpu_nics and gpu_nics is not None:
            network_config["additional_node_network_configs"] = blocks(gpu_nics.for_nics(machine_type.gpu_nics))
        extra: dict = {}
        if self.compact_placement:
            # Compact placement keeps the pool's VMs close on the data-centre network: lowest GPU NIC latency.
            extra["placement_policy"] = {"type": "COMPACT"}
        node_config = {
            **node_security(cluster.node_service_account_email),
            "machine_type": machine_type.name,
            "guest_accelerator": blocks([{"type": machine_type.accelerator, "count": machine_type.gpu_count,
                                          "gpu_driver_installation_config": {"gpu_driver_version": "LATEST"}}]),
            "gvnic": {"enabled": True},  # gVNIC is required for the GPU NICs and for full bandwidth
            "disk_size_gb": pool.root_volume_gib,
            "disk_type": "hyperdisk-balanced" if machine_type.name.startswith(_HYPERDISK_SERIES) else "pd-balanced",
            "boot_disk_kms_key": cluster.boot_disk_key_id,
            "spot": pool.capacity.type is CapacityType.spot,
            "reservation_affinity": _reservation_affinity(pool),
            "labels": gpu_node_labels(pool, machine_type, zone),
            "taint": blocks([{"key": t.key, "value": t.value, "effect": _TAINT_EFFECT[t.effect.value]}
                             for t in pool.taints]),
            "resource_labels": {**labels, "trainyard-pool": pool.name, "trainyard-zone": zone},
        }
        self.node_pool = ContainerNodePool(
            self, "nodes", name=name, project=cluster.project, cluster=cluster.id, location=cluster.region,
            node_locations=[zone], initial_node_count=pool.desired_size,
            autoscaling={"min_node_count": pool.min_size, "max_node_count": pool.max_size,
                         "location_policy": "ANY" if pool.capacity.type is CapacityType.spot else "BALANCED"},
            management={"auto_repair": True, "auto_upgrade": True},
            # Never surge GPU nodes: a surge node is another 8-GPU VM that may not exist in the zone.
            upgrade_settings={"max_surge": 0, "max_unavailable": 1},
            network_config=network_config, node_config=node_config,
            # The autoscaler and the budget action change the size; don't fight them.
            lifecycle={"ignore_changes": ["initial_node_count"]}, **extra)
