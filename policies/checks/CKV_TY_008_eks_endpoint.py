"""CKV_TY_008 — the EKS API endpoint is private, or public only to listed CIDRs (MOD-205 §3).

Terraform's defaults are public access from 0.0.0.0/0, so an omitted setting fails.
"""
from _ty_common import OPEN_CIDRS, blocks, many, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class EksEndpointRestricted(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="EKS API endpoint is private or CIDR-restricted", id="CKV_TY_008",
                         categories=[CheckCategories.NETWORKING], supported_resources=["aws_eks_cluster"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["vpc_config/[0]/endpoint_public_access", "vpc_config/[0]/public_access_cidrs"]
        vpc = blocks(conf, "vpc_config")
        if not vpc:
            return CheckResult.FAILED
        public = one(vpc[0].get("endpoint_public_access"))
        if public is False or (isinstance(public, str) and public.lower() == "false"):
            return CheckResult.PASSED
        cidrs = [str(c) for c in many(vpc[0].get("public_access_cidrs"))]
        if not cidrs or any(c.strip() in OPEN_CIDRS or c.strip().endswith("/0") for c in cidrs):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = EksEndpointRestricted()
