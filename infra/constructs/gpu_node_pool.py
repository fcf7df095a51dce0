"""GPU node pools: one managed node group per (pool, AZ), each in its own cluster placement group,
with every EFA interface the instance type supports."""
from __future__ import annotations

from cdktf import Token
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup
from cdktf_cdktf_provider_aws.placement_group import PlacementGroup
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from infra.catalog import InstanceType
from infra.constructs._policy import blocks
from infra.constructs.cluster import node_launch_template
from infra.spec import CapacityType, GpuPoolSpec

_NODE_GROUP_CAPACITY = {
    CapacityType.on_demand: "ON_DEMAND",
    CapacityType.spot: "SPOT",
    CapacityType.capacity_reservation: "ON_DEMAND",  # an ODCR is consumed by on-demand launches that target it
    CapacityType.capacity_block: "CAPACITY_BLOCK",
}


class EfaSecurityGroup(Construct):
    """EFA traffic (SRD over the EFA device) must be allowed to and from the group itself, and nothing else."""

    def __init__(self, scope: Construct, id: str, *, name: str, vpc_id: str):
        super().__init__(scope, id)
        self.group = SecurityGroup(
            self, "sg", name=name, vpc_id=vpc_id, description="EFA: all traffic within the group only",
            ingress=blocks([{"description": "EFA from members", "from_port": 0, "to_port": 0, "protocol": "-1",
                             "self_attribute": True}]),
            egress=blocks([{"description": "EFA to members", "from_port": 0, "to_port": 0, "protocol": "-1",
                            "self_attribute": True}]),
            tags={"Name": name, "trainyard.io/sg-role": "efa"})

    @property
    def id(self) -> str:  # noqa: A003 - mirrors the resource attribute
        return self.group.id


def efa_network_interfaces(interface_count: int, security_group_ids: list[str]) -> list[dict]:
    """One EFA interface per network card: card 0 is the primary (device index 0), the rest device index 1."""
    return blocks([{"network_card_index": card, "device_index": 0 if card == 0 else 1, "interface_type": "efa",
             "security_groups": security_group_ids, "delete_on_termination": "true"}
            for card in range(interface_count)])


def gpu_node_labels(pool: GpuPoolSpec, itype: InstanceType, zone: str) -> dict[str, str]:
    """Labels the workload stack selects on; taints come from the spec (default nvidia.com/gpu:NoSchedule)."""
    return {**pool.labels, "trainyard.io/pool": pool.name, "trainyard.io/role": "gpu", "trainyard.io/zone": zone,
            "nvidia.com/gpu.present": "true", "trainyard.io/gpu-model": (itype.gpu_model or "").lower(),
            "trainyard.io/efa": "true" if pool.use_efa else "false"}


class GpuNodePool(Construct):
    """One node group of a GPU pool in one AZ.

    Props:
      pool / instance_type / zone / subnet_id: what and where.
      node_role_arn, cluster_name, cluster_security_group_id, efa_security_group_id.
      ebs_key_arn: CMK for the root volume. imds_hop_limit: IMDSv2 hop limit.
      placement_groups / capacity_reservations: capabilities of the target (the emulator has neither).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, pool: GpuPoolSpec, instance_type: InstanceType,
                 zone: str, subnet_id: str, cluster_name: str, node_role_arn: str, cluster_security_group_id: str,
                 efa_security_group_id: str | None, ebs_key_arn: str, imds_hop_limit: int,
                 cost_tags: dict[str, str], placement_groups: bool = True, capacity_reservations: bool = True,
                 depends_on: list | None = None):
        super().__init__(scope, id)
        self.pool, self.zone, self.instance_type = pool, zone, instance_type
        ownership = {"trainyard.io/pool": pool.name, "trainyard.io/role": "gpu", "trainyard.io/zone": zone}

        self.placement_group: PlacementGroup | None = None
        if pool.placement_group and placement_groups and instance_type.supports_placement_group:
            # Cluster placement keeps the pool's nodes on one network spine: lowest EFA latency.
            self.placement_group = PlacementGroup(self, "placement", name=name, strategy="cluster",
                                                  tags={"Name": name, **ownership})

        extra: dict = {}
        if pool.use_efa and efa_security_group_id:
            extra["network_interfaces"] = efa_network_interfaces(
                instance_type.efa_interface_count, [efa_security_group_id, cluster_security_group_id])
        if self.placement_group is not None:
            extra["placement"] = {"group_name": self.placement_group.name}
        reservation = pool.capacity.reservation_id
        if reservation and capacity_reservations:
            extra["capacity_reservation_specification"] = {
                "capacity_reservation_target": {"capacity_reservation_id": reservation}}
            if pool.capacity.type is CapacityType.capacity_block:
                extra["instance_market_options"] = {"market_type": "capacity-block"}
        self.launch_template = node_launch_template(
            self, "lt", name=name, root_volume_gib=pool.root_volume_gib, kms_key_arn=ebs_key_arn,
            imds_hop_limit=imds_hop_limit, tags={**cost_tags, **ownership}, **extra)

        self.node_group = EksNodeGroup(
            self, "nodes", cluster_name=cluster_name, node_group_name=name, node_role_arn=node_role_arn,
            subnet_ids=[subnet_id], instance_types=[instance_type.name], ami_type="AL2023_x86_64_NVIDIA",
            capacity_type=_NODE_GROUP_CAPACITY[pool.capacity.type]
            if (capacity_reservations or not reservation) else "ON_DEMAND",
            scaling_config={"min_size": pool.min_size, "desired_size": pool.desired_size, "max_size": pool.max_size},
            update_config={"max_unavailable": 1},
            launch_template={"id": self.launch_template.id,
                             "version": Token.as_string(self.launch_template.latest_version)},
            labels=gpu_node_labels(pool, instance_type, zone),
            taint=blocks([{"key": t.key, "value": t.value or None, "effect": _taint_effect(t.effect.value)}
                          for t in pool.taints]),
            tags={**ownership, "trainyard.io/instance-type": instance_type.name},
            # The cluster autoscaler and the budget-breach action change desired size; don't fight them.
            lifecycle={"ignore_changes": ["scaling_config[0].desired_size"]},
            depends_on=depends_on,
        )


def _taint_effect(effect: str) -> str:
    return {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}[effect]
