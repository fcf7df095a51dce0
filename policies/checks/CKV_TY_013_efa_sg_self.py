"""CKV_TY_013 — EFA security groups only reference themselves (MOD-205 §7).

EFA's OS-bypass traffic must be allowed to and from the group itself (AWS EFA guide),
and nothing else: any CIDR, prefix list or other group in the EFA SG widens the
training fabric. Applies to security groups tagged `trainyard.io/sg-role = efa`.
"""
from _ty_common import TRAINYARD_SG_ROLE, blocks, many, tags, truthy
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

_OTHER_SOURCES = ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups")


def _self_only(rule) -> bool:
    # cdktf writes unset list attributes as null, which checkov hands over as [None]: not a source.
    return truthy(rule.get("self")) and not any(
        v not in (None, "") for key in _OTHER_SOURCES for v in many(rule.get(key)))


class EfaSecurityGroupSelfOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="EFA security group rules reference only the group itself", id="CKV_TY_013",
                         categories=[CheckCategories.NETWORKING], supported_resources=["aws_security_group"])

    def scan_resource_conf(self, conf):
        if tags(conf).get(TRAINYARD_SG_ROLE) != "efa":
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["ingress", "egress"]
        ingress, egress = blocks(conf, "ingress"), blocks(conf, "egress")
        if not ingress or not egress:  # EFA needs both directions to itself
            return CheckResult.FAILED
        return CheckResult.PASSED if all(_self_only(r) for r in ingress + egress) else CheckResult.FAILED


check = EfaSecurityGroupSelfOnly()
