"""CKV_TY_012 — the FSx security group opens only TCP 988 and 1018-1023 (MOD-205 §6).

Lustre needs exactly those ports (LNet 988, and 1018-1023 for the client/server
reserved range); anything wider turns the file system's SG into a general door.
Applies to security groups tagged `trainyard.io/sg-role = fsx`.
"""
from _ty_common import TRAINYARD_SG_ROLE, blocks, one, port_range, tags
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

LUSTRE_PORT_RANGES = ((988, 988), (1018, 1023))


def _allowed(rule) -> bool:
    if str(one(rule.get("protocol"))).lower() not in ("tcp", "6"):
        return False
    ports = port_range(rule)
    return ports is not None and any(lo <= ports[0] <= ports[1] <= hi for lo, hi in LUSTRE_PORT_RANGES)


class FsxSecurityGroupPorts(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="FSx security group ingress is limited to TCP 988 and 1018-1023", id="CKV_TY_012",
                         categories=[CheckCategories.NETWORKING], supported_resources=["aws_security_group"])

    def scan_resource_conf(self, conf):
        if tags(conf).get(TRAINYARD_SG_ROLE) != "fsx":
            return CheckResult.UNKNOWN  # not an FSx SG: no result rather than a vacuous pass
        self.evaluated_keys = ["ingress"]
        rules = blocks(conf, "ingress")
        return CheckResult.PASSED if rules and all(_allowed(r) for r in rules) else CheckResult.FAILED


check = FsxSecurityGroupPorts()
