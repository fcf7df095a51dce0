"""Small helpers for IAM policy documents (JSON strings; cdktf tokens resolve inside them)."""
from __future__ import annotations

import json
from typing import Any


def statement(sid: str, actions: list[str], resources: list[str], *, effect: str = "Allow",
              condition: dict[str, Any] | None = None, principal: dict[str, Any] | None = None) -> dict[str, Any]:
    if "*" in actions and "*" in resources:
        # MOD-205: never grant every action on every resource; fail at synth, not in review.
        raise ValueError(f"statement {sid!r} allows '*' on '*'; scope the actions or the resources")
    out: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}
    if principal is not None:
        out["Principal"] = principal
    if condition:
        out["Condition"] = condition
    return out


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str | None = None, *, federated: str | None = None,
                       condition: dict[str, Any] | None = None) -> str:
    if service:
        principal, action = {"Service": service}, "sts:AssumeRole"
    else:
        principal, action = {"Federated": federated}, "sts:AssumeRoleWithWebIdentity"
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


_VERBATIM_KEYS = frozenset({"tags", "labels", "variables"})


def blocks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested blocks for list-typed props: jsii converts dicts passed *inside lists* as raw maps, which only
    deserialize with camelCase keys. Convert snake_case keys (not user data such as tags) so constructs can
    be written in the provider's own snake_case field names."""
    return [_camel_keys(item) for item in items]


def _camel_keys(value: Any) -> Any:
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        head, *rest = key.split("_")
        out[head + "".join(part.title() for part in rest)] = item if key in _VERBATIM_KEYS else _camel_keys(item)
    return out
