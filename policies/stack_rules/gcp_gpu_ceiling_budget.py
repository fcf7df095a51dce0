"""TY_STACK_009 — on GCP, the GPU node pools at their maximum size fit the monthly budget.

The GKE counterpart of TY_STACK_003: Σ over GPU node pools (`node_config.labels` trainyard.io/role=gpu)
of autoscaling max × node_locations × the machine type's on-demand price × 730 h, from the GCP catalog.
"""
from __future__ import annotations

from infra.catalog_gcp import gcp_catalog
from policies.stack_rules import RuleResult
from policies.stack_rules.gpu_ceiling_budget import _budget_usd
from policies.tfjson import Stack, first_block

RULE_ID = "TY_STACK_009"
NAME = "GKE GPU node pools at max size stay within the monthly budget"
CONTROL = "MOD-205 §9 cost guardrails"


def evaluate(stack: Stack) -> list[RuleResult]:
    if stack.cloud != "gcp":
        return []
    catalog = gcp_catalog()
    total, problems = 0.0, []
    for pool in stack.of_type("google_container_node_pool"):
        config = first_block(pool.conf.get("node_config"))
        if (config.get("labels") or {}).get("trainyard.io/role") != "gpu":
            continue
        mtype = config.get("machine_type")
        scaling = first_block(pool.conf.get("autoscaling"))
        max_nodes = scaling.get("max_node_count", scaling.get("total_max_node_count"))
        zones = len(pool.conf.get("node_locations") or []) or 1
        if mtype not in catalog or not isinstance(max_nodes, int):
            problems.append(RuleResult(pool.address, "FAILED", f"cannot price node pool (machine_type={mtype!r}, "
                                                               f"max={max_nodes!r})"))
            continue
        per_zone = "total_max_node_count" not in scaling
        total += max_nodes * (zones if per_zone else 1) * catalog.get(mtype).on_demand_usd_per_month
    if problems:
        return problems
    budget = _budget_usd(stack)
    if budget is None:
        return [RuleResult("stack", "FAILED", "no monthly budget found (//.trainyard.monthly_budget_usd)")]
    summary = f"GPU ceiling ${total:,.0f}/month vs budget ${budget:,.0f}"
    if total <= budget:
        return [RuleResult("stack", "PASSED", summary)]
    if stack.meta.get("accept_ceiling_over_budget") is True:
        return [RuleResult("stack", "PASSED", summary + " (over budget, accepted by the spec)")]
    return [RuleResult("stack", "FAILED", summary + "; lower max_size or raise budget.monthly_limit_usd")]
