"""CKV_TY_003 — node root volumes are encrypted with a customer-managed KMS key (MOD-205 §1).

A launch template without block device mappings leaves the root volume to the AMI's
default, which is unencrypted unless the account opted in; so no mapping fails too.
"""
from _ty_common import blocks, is_customer_managed_key, truthy
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class EbsRootVolumeCustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Launch template EBS volumes are encrypted with a customer-managed KMS key",
                         id="CKV_TY_003", categories=[CheckCategories.ENCRYPTION],
                         supported_resources=["aws_launch_template"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["block_device_mappings"]
        mappings = blocks(conf, "block_device_mappings")
        if not mappings:
            return CheckResult.FAILED
        for mapping in mappings:
            for ebs in blocks(mapping, "ebs"):
                if not truthy(ebs.get("encrypted")) or not is_customer_managed_key(ebs.get("kms_key_id")):
                    return CheckResult.FAILED
        return CheckResult.PASSED


check = EbsRootVolumeCustomerManagedKey()
