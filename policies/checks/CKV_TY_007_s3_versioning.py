"""CKV_TY_007 — S3 versioning is enabled (MOD-205 §2): checkpoints survive an overwrite or delete.

Checked on aws_s3_bucket_versioning; that every bucket has one is TY_STACK_007's job.
"""
from _ty_common import blocks, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class S3Versioning(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="S3 bucket versioning is enabled", id="CKV_TY_007",
                         categories=[CheckCategories.BACKUP_AND_RECOVERY],
                         supported_resources=["aws_s3_bucket_versioning"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["versioning_configuration/[0]/status"]
        configs = blocks(conf, "versioning_configuration")
        ok = bool(configs) and all(one(c.get("status")) == "Enabled" for c in configs)
        return CheckResult.PASSED if ok else CheckResult.FAILED


check = S3Versioning()
