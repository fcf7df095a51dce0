"""TY_STACK_004 — the EKS cluster's subnets span at least two AZs.

Emulated stacks: a local environment may legitimately run in one AZ (the spec allows
it when `emulated: true`), so fewer than two AZs there is SKIPPED with that reason;
two or more still PASS.
"""
from __future__ import annotations

from policies.stack_rules import RuleResult
from policies.tfjson import Stack, first_block

RULE_ID = "TY_STACK_004"
NAME = "EKS cluster spans at least two availability zones"
CONTROL = "MOD-205 §11 resilience"
MIN_AZS = 2


def evaluate(stack: Stack) -> list[RuleResult]:
    if stack.cloud == "gcp":  # GKE stacks are covered by TY_STACK_010
        return []
    clusters = list(stack.of_type("aws_eks_cluster"))
    if not clusters:
        return [RuleResult("stack", "FAILED", "no aws_eks_cluster in the stack")]
    results = []
    for cluster in clusters:
        zones = set()
        for ref in first_block(cluster.conf.get("vpc_config")).get("subnet_ids") or []:
            target = stack.resolve(ref)
            if target and target[0].type == "aws_subnet" and target[0].conf.get("availability_zone"):
                zones.add(str(target[0].conf["availability_zone"]))
        found = f"subnets in {len(zones)} AZ(s): {', '.join(sorted(zones)) or 'none resolvable'}"
        if len(zones) >= MIN_AZS:
            results.append(RuleResult(cluster.address, "PASSED", found))
        elif stack.emulated:
            results.append(RuleResult(cluster.address, "SKIPPED", f"emulated environment, {found}"))
        else:
            results.append(RuleResult(cluster.address, "FAILED", found))
    return results
