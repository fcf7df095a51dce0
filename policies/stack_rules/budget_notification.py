"""TY_STACK_001 — the environment has a budget with at least one notification that reaches someone.

Emulated stacks whose target lists `budget_notifications` in `//.trainyard.disabled_capabilities`
(the emulator's Budgets API keeps no notifications) still need the budget; its missing
notification is SKIPPED with that reason.
"""
from __future__ import annotations

from policies.stack_rules import RuleResult
from policies.tfjson import Stack, all_blocks

RULE_ID = "TY_STACK_001"
NAME = "Environment has an AWS budget with at least one notification"
CONTROL = "MOD-205 §9 cost guardrails"


def evaluate(stack: Stack) -> list[RuleResult]:
    if stack.cloud == "gcp":  # GKE stacks are covered by TY_STACK_008
        return []
    budgets = list(stack.of_type("aws_budgets_budget"))
    if not budgets:
        return [RuleResult("stack", "FAILED", "no aws_budgets_budget in the stack")]
    results = []
    excused = stack.emulated and stack.capability_disabled("budget_notifications")
    for budget in budgets:
        heard = [n for n in all_blocks(budget.conf.get("notification"))
                 if n.get("subscriber_email_addresses") or n.get("subscriber_sns_topic_arns")]
        if heard:
            results.append(RuleResult(budget.address, "PASSED", f"{len(heard)} notification(s)"))
        elif excused:
            results.append(RuleResult(budget.address, "SKIPPED", "emulated environment: the emulator keeps no budget "
                                                                 "notifications (capability list, infra/targets.py)"))
        else:
            results.append(RuleResult(budget.address, "FAILED", "budget has no notification with a subscriber"))
    return results
