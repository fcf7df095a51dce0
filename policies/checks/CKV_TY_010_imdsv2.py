"""CKV_TY_010 — nodes require IMDSv2 and set an explicit hop limit (MOD-205 §4).

The hop limit must be stated (1-3, the spec's range); that it equals the environment's
`cluster.node_imds_hop_limit` is a whole-stack rule (TY_STACK_006). Hop limit 1 keeps
pods from reaching the node's instance credentials.
"""
from _ty_common import blocks, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

MAX_HOP_LIMIT = 3


class Imdsv2Required(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Launch template requires IMDSv2 with an explicit hop limit (1-3)", id="CKV_TY_010",
                         categories=[CheckCategories.GENERAL_SECURITY], supported_resources=["aws_launch_template"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["metadata_options/[0]/http_tokens", "metadata_options/[0]/http_put_response_hop_limit"]
        options = blocks(conf, "metadata_options")
        if not options or one(options[0].get("http_tokens")) != "required":
            return CheckResult.FAILED
        if one(options[0].get("http_endpoint")) == "disabled":
            return CheckResult.PASSED
        try:
            hops = int(one(options[0].get("http_put_response_hop_limit")))
        except (TypeError, ValueError):
            return CheckResult.FAILED
        return CheckResult.PASSED if 1 <= hops <= MAX_HOP_LIMIT else CheckResult.FAILED


check = Imdsv2Required()
