"""CKV_TY_015 — no `iam:PassRole` on `*` (MOD-205 §8).

PassRole on every role lets the holder hand any role — including admin roles — to a
service it controls (EC2, Lambda, EKS): privilege escalation in one step. Wildcard
actions that include PassRole (`*`, `iam:*`, `iam:Pass*`) count as PassRole.
"""
from fnmatch import fnmatchcase

from _ty_common import IAM_POLICY_RESOURCES, allow_statements, as_list, iam_documents
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _grants_passrole(actions: list[str]) -> bool:
    return any(fnmatchcase("iam:passrole", a.strip().lower()) for a in actions)


def _any_role(resources: list[str]) -> bool:
    # "*" or a role ARN pattern that matches every role in every (or this) account
    return any(r.strip() == "*" or r.strip().endswith(":role/*") for r in resources)


def _passrole_everywhere(stmt) -> bool:
    if "NotAction" in stmt:
        passrole_allowed = not _grants_passrole(as_list(stmt.get("NotAction")))
        return passrole_allowed and _any_role(as_list(stmt.get("Resource", "*")))
    return _grants_passrole(as_list(stmt.get("Action"))) and _any_role(as_list(stmt.get("Resource")))


class IamNoPassRoleOnStar(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="No IAM statement allows iam:PassRole on '*'", id="CKV_TY_015",
                         categories=[CheckCategories.IAM], supported_resources=IAM_POLICY_RESOURCES)

    def scan_resource_conf(self, conf):
        docs = iam_documents(conf)
        if not docs:
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["policy", "inline_policy"]
        for doc in docs:
            if doc is None or any(_passrole_everywhere(s) for s in allow_statements(doc)):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = IamNoPassRoleOnStar()
