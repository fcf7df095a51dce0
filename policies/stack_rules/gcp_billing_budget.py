"""TY_STACK_008 — a GCP environment has a Cloud Billing budget whose threshold rules reach someone.

The GKE counterpart of TY_STACK_001: at least one `google_billing_budget` with threshold rules and an
`all_updates_rule` that publishes to a Pub/Sub topic or notifies monitoring channels. AWS stacks are
TY_STACK_001's job (this rule returns nothing for them).
"""
from __future__ import annotations

from policies.stack_rules import RuleResult
from policies.tfjson import Stack, first_block

RULE_ID = "TY_STACK_008"
NAME = "GCP environment has a billing budget with threshold rules that notify"
CONTROL = "MOD-205 §9 cost guardrails"


def evaluate(stack: Stack) -> list[RuleResult]:
    if stack.cloud != "gcp":
        return []
    budgets = list(stack.of_type("google_billing_budget"))
    if not budgets:
        return [RuleResult("stack", "FAILED", "no google_billing_budget in the stack")]
    results = []
    for budget in budgets:
        rules = budget.conf.get("threshold_rules") or []
        rules = [rules] if isinstance(rules, dict) else rules
        updates = first_block(budget.conf.get("all_updates_rule"))
        heard = updates.get("pubsub_topic") or updates.get("monitoring_notification_channels")
        if not rules:
            results.append(RuleResult(budget.address, "FAILED", "budget has no threshold_rules"))
        elif not heard:
            results.append(RuleResult(budget.address, "FAILED", "all_updates_rule has no pubsub_topic and no "
                                                                "monitoring_notification_channels"))
        else:
            results.append(RuleResult(budget.address, "PASSED", f"{len(rules)} threshold rule(s)"))
    return results
