"""TY_STACK_006 — node launch templates use the IMDS hop limit the environment spec sets.

The expected value is `//.trainyard.node_imds_hop_limit` in the JSON, else
`cluster.node_imds_hop_limit` from stacks/environments/<env>.yaml. When neither can be
read the rule fails (it cannot prove the limit), it does not pass.
"""
from __future__ import annotations

from infra.spec import SpecError, environment_path, load
from policies.stack_rules import RuleResult
from policies.tfjson import Stack, first_block

RULE_ID = "TY_STACK_006"
NAME = "Launch templates use the spec's IMDSv2 hop limit"
CONTROL = "MOD-205 §4 instance metadata"


def expected_hop_limit(stack: Stack) -> int | None:
    value = stack.meta.get("node_imds_hop_limit")
    if isinstance(value, int):
        return value
    path = environment_path(stack.environment)
    if not path.exists():
        return None
    try:
        return load(path).cluster.node_imds_hop_limit
    except SpecError:
        return None


def evaluate(stack: Stack) -> list[RuleResult]:
    templates = list(stack.of_type("aws_launch_template"))
    if not templates:
        return []
    expected = expected_hop_limit(stack)
    if expected is None:
        return [RuleResult(t.address, "FAILED", f"cannot determine the spec's hop limit for environment "
                                                f"{stack.environment!r}") for t in templates]
    results = []
    for template in templates:
        actual = first_block(template.conf.get("metadata_options")).get("http_put_response_hop_limit")
        results.append(RuleResult(template.address, "PASSED", f"hop limit {actual}") if actual == expected else
                       RuleResult(template.address, "FAILED", f"hop limit {actual!r}, spec sets {expected}"))
    return results
