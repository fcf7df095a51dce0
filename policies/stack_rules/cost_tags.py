"""TY_STACK_005 — every taggable resource carries the required cost tags.

Tags count whether they come from the AWS provider's default_tags (the provider the
resource uses, aliases included) or from the resource itself, which is why this is a
whole-stack rule: checkov sees one resource at a time and never the provider block.

Emulated stacks whose target lists `budget_tags` in `//.trainyard.disabled_capabilities`
(moto's Budgets API has no tagging) get SKIPPED, with that reason, for aws_budgets_budget.
"""
from __future__ import annotations

from infra.spec import REQUIRED_COST_TAGS
from policies.stack_rules import RuleResult
from policies.tfjson import Stack

RULE_ID = "TY_STACK_005"
NAME = "Taggable resources carry the required cost tags"
CONTROL = "MOD-205 §12 cost attribution"
STACK_KINDS = ("platform", "workload")

# Resources that accept `tags` even when the JSON omits the attribute.
TAGGABLE = frozenset({
    "aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_route_table",
    "aws_vpc_endpoint", "aws_security_group", "aws_eks_cluster", "aws_eks_node_group", "aws_eks_addon",
    "aws_launch_template", "aws_placement_group", "aws_fsx_lustre_file_system", "aws_s3_bucket", "aws_kms_key",
    "aws_sns_topic", "aws_iam_role", "aws_iam_policy", "aws_iam_openid_connect_provider", "aws_lambda_function",
    "aws_cloudwatch_metric_alarm", "aws_cloudwatch_log_group", "aws_budgets_budget",
})


def evaluate(stack: Stack) -> list[RuleResult]:
    results = []
    for res in stack.resources.values():
        if res.type not in TAGGABLE and "tags" not in res.conf:
            continue
        if res.type == "aws_budgets_budget" and stack.emulated and stack.capability_disabled("budget_tags"):
            results.append(RuleResult(res.address, "SKIPPED", "emulated environment: the emulator cannot tag "
                                                               "budgets (capability list, infra/targets.py)"))
            continue
        tags = stack.effective_tags(res)
        missing = [t for t in REQUIRED_COST_TAGS if not tags.get(t)]
        results.append(RuleResult(res.address, "FAILED", f"missing cost tag(s): {', '.join(missing)}") if missing
                       else RuleResult(res.address, "PASSED"))
    return results
