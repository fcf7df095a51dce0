"""CKV_TY_017 — Filestore instances are encrypted with a customer-managed Cloud KMS key (MOD-205 §1).

The GCP counterpart of CKV_TY_001 (FSx). BASIC tiers cannot take a CMEK, so they fail here: use
ZONAL, REGIONAL or ENTERPRISE for shared datasets.
"""
from _ty_common import one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class FilestoreCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Filestore is encrypted with a Cloud KMS key", id="CKV_TY_017",
                         categories=[CheckCategories.ENCRYPTION], supported_resources=["google_filestore_instance"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["kms_key_name"]
        key = one(conf.get("kms_key_name"))
        return CheckResult.PASSED if isinstance(key, str) and key.strip() else CheckResult.FAILED


check = FilestoreCustomerManagedKey()
