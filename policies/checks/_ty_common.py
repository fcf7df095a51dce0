"""Helpers shared by the CKV_TY_* checks (checkov puts this folder on sys.path).

checkov's terraform_json parser wraps every scalar in a one-element list and every
nested block in a list of dicts ("hclify"); these helpers undo that so checks read
like the Terraform they describe.
"""
from __future__ import annotations

import json
from typing import Any

TRAINYARD_SG_ROLE = "trainyard.io/sg-role"
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def one(value: Any) -> Any:
    """The scalar or block behind checkov's list wrapping (None when absent)."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def many(value: Any) -> list[Any]:
    """A list attribute (list of blocks or list of scalars), unwrapped one level if doubly wrapped."""
    if value is None:
        return []
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    return list(value) if isinstance(value, list) else [value]


def blocks(conf: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [b for b in many(conf.get(key)) if isinstance(b, dict)]


def tags(conf: dict[str, Any]) -> dict[str, str]:
    value = one(conf.get("tags"))
    return {str(k): str(one(v)) for k, v in value.items()} if isinstance(value, dict) else {}


def truthy(value: Any) -> bool:
    value = one(value)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_customer_managed_key(value: Any) -> bool:
    """A KMS key reference that is not an AWS-managed key (alias/aws/*) nor empty."""
    value = one(value)
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    if "alias/aws/" in text:
        return False
    return text.startswith("${") or text.startswith("arn:aws") and (":key/" in text or ":alias/" in text)


def policy_document(value: Any) -> dict[str, Any] | None:
    """Parse an IAM policy (JSON string, possibly with ${...} inside values, or an object)."""
    value = one(value)
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    stmts = doc.get("Statement", [])
    stmts = [stmts] if isinstance(stmts, dict) else stmts
    return [s for s in stmts if isinstance(s, dict)] if isinstance(stmts, list) else []


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def port_range(rule: dict[str, Any]) -> tuple[int, int] | None:
    try:
        return int(one(rule.get("from_port"))), int(one(rule.get("to_port")))
    except (TypeError, ValueError):
        return None


IAM_POLICY_RESOURCES = ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy",
                        "aws_iam_role"]


def iam_documents(conf: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Every permission document a resource carries (None for one that cannot be read)."""
    docs: list[dict[str, Any] | None] = []
    if "policy" in conf:
        docs.append(policy_document(conf.get("policy")))
    for inline in blocks(conf, "inline_policy"):  # aws_iam_role inline policies
        if "policy" in inline:
            docs.append(policy_document(inline.get("policy")))
    return docs


def allow_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in statements(doc) if s.get("Effect") == "Allow"]


def wildcard_resource(resources: list[str]) -> bool:
    return any(r.strip() == "*" for r in resources)
