"""CKV_TY_011 — no security-group ingress from 0.0.0.0/0 or ::/0 (MOD-205 §5).

The one exception: a security group tagged `trainyard.io/sg-role = public-lb` may open
TCP 80/443 to the internet (that is what a public load balancer is for). Standalone
aws_security_group_rule resources carry no tags, so they get no exception.
"""
from _ty_common import OPEN_CIDRS, TRAINYARD_SG_ROLE, blocks, many, one, port_range, tags
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

PUBLIC_LB_ROLE = "public-lb"
PUBLIC_LB_PORTS = frozenset({80, 443})


def _open(rule) -> bool:
    cidrs = [str(c).strip() for key in ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6")
             for c in many(rule.get(key))]
    return any(c in OPEN_CIDRS for c in cidrs)


def _allowed_public_port(rule) -> bool:
    if str(one(rule.get("protocol") or rule.get("ip_protocol"))).lower() not in ("tcp", "6"):
        return False
    ports = port_range(rule)
    return ports is not None and ports[0] == ports[1] and ports[0] in PUBLIC_LB_PORTS


class NoOpenIngress(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="No security group ingress from 0.0.0.0/0 or ::/0 (public LBs: 80/443 only)",
                         id="CKV_TY_011", categories=[CheckCategories.NETWORKING],
                         supported_resources=["aws_security_group", "aws_security_group_rule",
                                              "aws_vpc_security_group_ingress_rule"])

    def scan_resource_conf(self, conf):
        public_lb = tags(conf).get(TRAINYARD_SG_ROLE) == PUBLIC_LB_ROLE
        if "ingress" in conf:  # aws_security_group with inline rules
            rules = blocks(conf, "ingress")
        elif "type" in conf:  # aws_security_group_rule
            rules = [conf] if one(conf.get("type")) == "ingress" else []
            public_lb = False
        else:  # aws_vpc_security_group_ingress_rule
            rules = [conf]
        self.evaluated_keys = ["ingress"]
        for rule in rules:
            if _open(rule) and not (public_lb and _allowed_public_port(rule)):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = NoOpenIngress()
