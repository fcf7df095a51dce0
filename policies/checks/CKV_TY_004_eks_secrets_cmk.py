"""CKV_TY_004 — EKS encrypts Kubernetes secrets with a customer-managed KMS key (MOD-205 §1)."""
from _ty_common import blocks, is_customer_managed_key, many
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class EksSecretsCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="EKS secrets envelope encryption uses a customer-managed KMS key", id="CKV_TY_004",
                         categories=[CheckCategories.ENCRYPTION], supported_resources=["aws_eks_cluster"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["encryption_config"]
        for config in blocks(conf, "encryption_config"):
            if "secrets" not in [str(r) for r in many(config.get("resources"))]:
                continue
            if any(is_customer_managed_key(p.get("key_arn")) for p in blocks(config, "provider")):
                return CheckResult.PASSED
        return CheckResult.FAILED


check = EksSecretsCustomerManagedKey()
