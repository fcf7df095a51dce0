"""TY_STACK_007 — every S3 bucket has its encryption, versioning and public-access-block resources.

Since AWS provider v4 these are separate resources that point at the bucket; a bucket
whose companion is simply missing has no resource for a per-resource check to fail on.
The companions' own settings are checked by CKV_TY_002/006/007.
"""
from __future__ import annotations

from policies.stack_rules import RuleResult
from policies.tfjson import Stack

RULE_ID = "TY_STACK_007"
NAME = "Every S3 bucket has SSE-KMS, versioning and public access block resources"
CONTROL = "MOD-205 §1-2 storage"

COMPANIONS = {
    "aws_s3_bucket_server_side_encryption_configuration": "default encryption",
    "aws_s3_bucket_versioning": "versioning",
    "aws_s3_bucket_public_access_block": "public access block",
}


def evaluate(stack: Stack) -> list[RuleResult]:
    attached: dict[str, set[str]] = {}
    for companion in stack.of_type(*COMPANIONS):
        target = stack.resolve(companion.conf.get("bucket"))
        if target and target[0].type == "aws_s3_bucket":
            attached.setdefault(target[0].address, set()).add(companion.type)
    results = []
    for bucket in stack.of_type("aws_s3_bucket"):
        missing = [label for rtype, label in COMPANIONS.items() if rtype not in attached.get(bucket.address, set())]
        results.append(RuleResult(bucket.address, "FAILED", f"no {', '.join(missing)} resource for this bucket")
                       if missing else RuleResult(bucket.address, "PASSED"))
    return results
