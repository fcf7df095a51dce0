"""CKV_TY_006 — an S3 public access block turns on all four switches (MOD-205 §2)."""
from _ty_common import truthy
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

SWITCHES = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


class S3PublicAccessBlocked(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="S3 public access block enables all four settings", id="CKV_TY_006",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=["aws_s3_bucket_public_access_block"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = list(SWITCHES)
        return CheckResult.PASSED if all(truthy(conf.get(k)) for k in SWITCHES) else CheckResult.FAILED


check = S3PublicAccessBlocked()
