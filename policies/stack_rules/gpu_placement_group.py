"""TY_STACK_002 — every GPU node group launches into a cluster placement group in its own AZ.

Followed through the JSON: node group → launch_template.id → aws_launch_template →
placement.group_name → aws_placement_group (strategy "cluster", tag trainyard.io/zone).
A placement group is zonal; one in another AZ would make the launch fail or, worse,
land nodes without the low-latency fabric the pool was sized for.

Emulated stacks: SKIPPED, with the reason — moto cannot create placement groups, so the
local target switches them off in its capability list (infra/targets.py), which the
JSON carries as `//.trainyard.disabled_capabilities`. A non-emulated stack that
switches placement groups off still FAILS: only the emulator is excused.
"""
from __future__ import annotations

from policies.stack_rules import RuleResult
from policies.stack_rules._gpu import ZONE_TAG, gpu_node_groups, node_group_zones
from policies.tfjson import Stack, first_block

RULE_ID = "TY_STACK_002"
NAME = "Every GPU node group has a cluster placement group in its own AZ"
CONTROL = "MOD-205 §10 GPU topology"


def _check(stack: Stack, group) -> RuleResult:
    lt_ref = stack.resolve(first_block(group.conf.get("launch_template")).get("id"))
    if not lt_ref or lt_ref[0].type != "aws_launch_template":
        return RuleResult(group.address, "FAILED", "GPU node group has no launch template in this stack")
    template = lt_ref[0]
    pg_ref = stack.resolve(first_block(template.conf.get("placement")).get("group_name"))
    if not pg_ref or pg_ref[0].type != "aws_placement_group":
        return RuleResult(group.address, "FAILED", f"{template.address} sets no placement group")
    pg = pg_ref[0]
    if pg.conf.get("strategy") != "cluster":
        return RuleResult(group.address, "FAILED", f"{pg.address} strategy is {pg.conf.get('strategy')!r}, "
                                                   "not 'cluster'")
    zones = node_group_zones(stack, group)
    pg_zone = pg.tags.get(ZONE_TAG)
    if len(zones) != 1:
        return RuleResult(group.address, "FAILED", f"node group spans {sorted(zones) or 'unknown'} AZs; a "
                                                   "placement group is zonal, use one node group per AZ")
    if pg_zone not in zones:
        return RuleResult(group.address, "FAILED", f"{pg.address} is tagged {ZONE_TAG}={pg_zone!r} but the node "
                                                   f"group is in {next(iter(zones))}")
    return RuleResult(group.address, "PASSED", f"{pg.address} in {pg_zone}")


def evaluate(stack: Stack) -> list[RuleResult]:
    groups = list(gpu_node_groups(stack))
    if stack.emulated and stack.capability_disabled("placement_groups"):
        return [RuleResult(g.address, "SKIPPED", "emulated environment: the emulator cannot create placement "
                                                 "groups (capability list, infra/targets.py)") for g in groups]
    return [_check(stack, g) for g in groups]
