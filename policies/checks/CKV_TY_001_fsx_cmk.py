"""CKV_TY_001 — FSx for Lustre is encrypted with a customer-managed KMS key (MOD-205 §1).

Without kms_key_id, FSx uses the AWS-managed aws/fsx key, whose policy the platform
team cannot restrict or audit per environment.
"""
from _ty_common import is_customer_managed_key
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class FsxCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="FSx for Lustre is encrypted with a customer-managed KMS key", id="CKV_TY_001",
                         categories=[CheckCategories.ENCRYPTION], supported_resources=["aws_fsx_lustre_file_system"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["kms_key_id"]
        return CheckResult.PASSED if is_customer_managed_key(conf.get("kms_key_id")) else CheckResult.FAILED


check = FsxCustomerManagedKey()
