"""CKV_TY_016 — GCS buckets are encrypted with a customer-managed Cloud KMS key (MOD-205 §1).

The GCP counterpart of CKV_TY_002. Without `encryption.default_kms_key_name`, objects use
Google-managed keys, which the platform team cannot restrict, rotate or revoke per environment.
"""
from _ty_common import blocks, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class GcsCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="GCS bucket default encryption uses a Cloud KMS key", id="CKV_TY_016",
                         categories=[CheckCategories.ENCRYPTION], supported_resources=["google_storage_bucket"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["encryption/[0]/default_kms_key_name"]
        keys = [one(b.get("default_kms_key_name")) for b in blocks(conf, "encryption")]
        return CheckResult.PASSED if any(isinstance(k, str) and k.strip() for k in keys) else CheckResult.FAILED


check = GcsCustomerManagedKey()
