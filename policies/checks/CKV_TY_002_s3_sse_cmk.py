"""CKV_TY_002 — S3 default encryption is SSE-KMS with a customer-managed key (MOD-205 §1).

SSE-S3 (AES256) and the aws/s3 managed key cannot be scoped to the environment's
roles; checkpoints and datasets must be readable only through the stack's key.
"""
from _ty_common import blocks, is_customer_managed_key, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


class S3CustomerManagedKey(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="S3 default encryption uses a customer-managed KMS key", id="CKV_TY_002",
                         categories=[CheckCategories.ENCRYPTION],
                         supported_resources=["aws_s3_bucket_server_side_encryption_configuration"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["rule"]
        rules = blocks(conf, "rule")
        if not rules:
            return CheckResult.FAILED
        for rule in rules:
            defaults = blocks(rule, "apply_server_side_encryption_by_default")
            if not defaults:
                return CheckResult.FAILED
            for default in defaults:
                if one(default.get("sse_algorithm")) not in KMS_ALGORITHMS:
                    return CheckResult.FAILED
                if not is_customer_managed_key(default.get("kms_master_key_id")):
                    return CheckResult.FAILED
        return CheckResult.PASSED


check = S3CustomerManagedKey()
