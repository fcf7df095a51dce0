"""CKV_TY_005 — SNS topics are encrypted with a customer-managed KMS key (MOD-205 §1).

The budget/alarm topic carries spend figures; alias/aws/sns also cannot be used by
AWS Budgets or CloudWatch to publish, so a managed key would silently drop alerts.
"""
from _ty_common import is_customer_managed_key
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class SnsCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="SNS topic is encrypted with a customer-managed KMS key", id="CKV_TY_005",
                         categories=[CheckCategories.ENCRYPTION], supported_resources=["aws_sns_topic"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["kms_master_key_id"]
        return CheckResult.PASSED if is_customer_managed_key(conf.get("kms_master_key_id")) else CheckResult.FAILED


check = SnsCustomerManagedKey()
