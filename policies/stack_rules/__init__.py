"""Whole-stack MOD-205 rules: properties of the stack as a whole that checkov's per-resource
checks cannot express (a budget exists, each GPU node group has a placement group in its AZ,
the GPU ceiling fits the budget, ...). One rule per module; each exposes RULE_ID, NAME,
CONTROL and `evaluate(stack) -> list[RuleResult]`, and may set STACK_KINDS (default ("platform",)):
the kinds of stack (`//.trainyard.stack`: platform, workload) the rule is about.

Emulated stacks (`//.trainyard.emulated: true`, the local environment on moto) are handled
explicitly by the rules that depend on cloud features the emulator lacks: they return a
SKIPPED result that says why, never a silent pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Literal

Status = Literal["PASSED", "FAILED", "SKIPPED"]


@dataclass(frozen=True)
class RuleResult:
    address: str  # resource address, or "stack" for a property of the whole stack
    status: Status
    message: str = ""


def all_rules() -> list[ModuleType]:
    from policies.stack_rules import (
        budget_notification,
        cluster_multi_az,
        cost_tags,
        gcp_billing_budget,
        gcp_gpu_ceiling_budget,
        gke_multi_zone,
        gpu_ceiling_budget,
        gpu_placement_group,
        imds_hop_limit,
        s3_bucket_controls,
    )

    return [budget_notification, gpu_placement_group, gpu_ceiling_budget, cluster_multi_az, cost_tags,
            imds_hop_limit, s3_bucket_controls, gcp_billing_budget, gcp_gpu_ceiling_budget, gke_multi_zone]
