"""GPU node groups as the stack declares them (shared by the GPU rules)."""
from __future__ import annotations

from collections.abc import Iterator

from policies.tfjson import Resource, Stack

ROLE_TAG, POOL_TAG, ZONE_TAG = "trainyard.io/role", "trainyard.io/pool", "trainyard.io/zone"


def gpu_node_groups(stack: Stack) -> Iterator[Resource]:
    for group in stack.of_type("aws_eks_node_group"):
        if stack.effective_tags(group).get(ROLE_TAG) == "gpu":
            yield group


def node_group_zones(stack: Stack, group: Resource) -> set[str]:
    """AZs of the subnets a node group launches into (its own tag as a fallback)."""
    zones = set()
    for subnet_ref in group.conf.get("subnet_ids") or []:
        ref = stack.resolve(subnet_ref)
        if ref and ref[0].type == "aws_subnet" and isinstance(ref[0].conf.get("availability_zone"), str):
            zones.add(ref[0].conf["availability_zone"])
    if not zones and group.tags.get(ZONE_TAG):
        zones.add(group.tags[ZONE_TAG])
    return zones
