"""TY_STACK_001 — the environment has a budget with at least one notification that reaches someone."""
from __future__ import annotations

from policies.stack_rules import RuleResult
from policies.tfjson import Stack

RULE_ID = "TY_STACK_001"
NAME = "Environment has an AWS budget with at least one notification"
CONTROL = "MOD-205 §9 cost guardrails"


def _blocks(value) -> list[dict]:
    value = [value] if isinstance(value, dict) else value or []
    return [v for v in value if isinstance(v, dict)]


def evaluate(stack: Stack) -> list[RuleResult]:
    budgets = list(stack.of_type("aws_budgets_budget"))
    if not budgets:
        return [RuleResult("stack", "FAILED", "no aws_budgets_budget in the stack")]
    results = []
    for budget in budgets:
        heard = [n for n in _blocks(budget.conf.get("notification"))
                 if n.get("subscriber_email_addresses") or n.get("subscriber_sns_topic_arns")]
        results.append(RuleResult(budget.address, "PASSED", f"{len(heard)} notification(s)") if heard else
                       RuleResult(budget.address, "FAILED", "budget has no notification with a subscriber"))
    return results
