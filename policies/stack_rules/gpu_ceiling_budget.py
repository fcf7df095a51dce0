"""TY_STACK_003 — the GPU pools at their maximum size fit the environment's monthly budget.

Ceiling = Σ over GPU node groups of max_size × on-demand price × 730 h (one node group
per (pool, AZ), so every zone counts). A scale-to-zero pool still counts at max size:
the budget must survive the autoscaler doing what it is allowed to do. The spec can
accept a ceiling over budget explicitly (`budget.accept_ceiling_over_budget`), which
this rule reports as PASSED with the overrun in the message.
"""
from __future__ import annotations

from infra.catalog import aws_catalog
from policies.stack_rules import RuleResult
from policies.stack_rules._gpu import gpu_node_groups
from policies.tfjson import Stack, first_block

RULE_ID = "TY_STACK_003"
NAME = "GPU pools at max size stay within the monthly budget"
CONTROL = "MOD-205 §9 cost guardrails"


def _budget_usd(stack: Stack) -> float | None:
    if isinstance(stack.meta.get("monthly_budget_usd"), (int, float)):
        return float(stack.meta["monthly_budget_usd"])
    for budget in stack.of_type("aws_budgets_budget"):
        try:
            return float(budget.conf.get("limit_amount"))
        except (TypeError, ValueError):
            continue
    return None


def evaluate(stack: Stack) -> list[RuleResult]:
    if stack.cloud == "gcp":  # GKE stacks are covered by TY_STACK_009
        return []
    catalog = aws_catalog()
    total, problems = 0.0, []
    for group in gpu_node_groups(stack):
        types = group.conf.get("instance_types") or []
        max_size = first_block(group.conf.get("scaling_config")).get("max_size")
        if not types or types[0] not in catalog or not isinstance(max_size, int):
            problems.append(RuleResult(group.address, "FAILED", f"cannot price node group (instance_types={types}, "
                                                                f"max_size={max_size!r})"))
            continue
        total += max_size * catalog.get(types[0]).on_demand_usd_per_month
    if problems:
        return problems
    budget = _budget_usd(stack)
    if budget is None:
        return [RuleResult("stack", "FAILED", "no monthly budget found (//.trainyard.monthly_budget_usd or an "
                                              "aws_budgets_budget limit_amount)")]
    summary = f"GPU ceiling ${total:,.0f}/month vs budget ${budget:,.0f}"
    if total <= budget:
        return [RuleResult("stack", "PASSED", summary)]
    if stack.meta.get("accept_ceiling_over_budget") is True:
        return [RuleResult("stack", "PASSED", summary + " (over budget, accepted by the spec)")]
    return [RuleResult("stack", "FAILED", summary + "; lower max_size or raise budget.monthly_limit_usd "
                                                    "(or set budget.accept_ceiling_over_budget: true)")]
