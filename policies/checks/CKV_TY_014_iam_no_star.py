"""CKV_TY_014 — no IAM statement allows `*` actions on `*` resources (MOD-205 §8).

`NotAction` with Allow on `*` is the same grant written backwards and fails too. A
policy that cannot be read (a whole-document interpolation) fails: the gate cannot
prove it safe, and it fails closed.
"""

from _ty_common import IAM_POLICY_RESOURCES, allow_statements, as_list, iam_documents, wildcard_resource
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _admin(stmt) -> bool:
    if "NotAction" in stmt:
        return wildcard_resource(as_list(stmt.get("Resource", "*")))
    actions = as_list(stmt.get("Action"))
    return any(a.strip() == "*" for a in actions) and wildcard_resource(as_list(stmt.get("Resource")))


class IamNoStarOnStar(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="No IAM statement allows '*' actions on '*' resources", id="CKV_TY_014",
                         categories=[CheckCategories.IAM], supported_resources=IAM_POLICY_RESOURCES)

    def scan_resource_conf(self, conf):
        docs = iam_documents(conf)
        if not docs:
            return CheckResult.UNKNOWN  # e.g. an aws_iam_role with only a trust policy
        self.evaluated_keys = ["policy", "inline_policy"]
        for doc in docs:
            if doc is None or any(_admin(s) for s in allow_statements(doc)):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = IamNoStarOnStar()
