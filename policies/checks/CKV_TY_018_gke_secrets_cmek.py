"""CKV_TY_018 — GKE application-layer secrets encryption uses a Cloud KMS key (MOD-205 §1).

The GCP counterpart of CKV_TY_004: `database_encryption` must be ENCRYPTED with a key_name, so
Kubernetes Secrets in etcd are envelope-encrypted with a key the platform controls.
"""
from _ty_common import blocks, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class GkeSecretsCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="GKE secrets are encrypted with a Cloud KMS key", id="CKV_TY_018",
                         categories=[CheckCategories.ENCRYPTION], supported_resources=["google_container_cluster"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["database_encryption"]
        for block in blocks(conf, "database_encryption"):
            key = one(block.get("key_name"))
            if one(block.get("state")) == "ENCRYPTED" and isinstance(key, str) and key.strip():
                return CheckResult.PASSED
        return CheckResult.FAILED


check = GkeSecretsCustomerManagedKey()
