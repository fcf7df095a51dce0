"""Cost labels: the environment's cost tags as Kubernetes labels, on every object trainyard creates.

Tag keys become `trainyard.io/cost-<lower-cased key>`; values are made valid label values
(≤63 chars of [A-Za-z0-9-_.], alphanumeric at both ends: `a@b.com` → `a_at_b.com`). The exact
tags also ride along as one annotation, since sanitising can merge distinct values.
"""
from __future__ import annotations

import json
import re

COST_LABEL_PREFIX = "trainyard.io/cost-"
COST_TAGS_ANNOTATION = "trainyard.io/cost-tags"
MANAGED_BY = {"app.kubernetes.io/managed-by": "trainyard"}
_LABEL_NAME_INVALID = re.compile(r"[^a-z0-9-_.]")
_LABEL_VALUE_INVALID = re.compile(r"[^A-Za-z0-9-_.]")


def label_value(value: str) -> str:
    text = _LABEL_VALUE_INVALID.sub("-", str(value).replace("@", "_at_"))[:63]
    return text.strip("-_.")


def cost_labels(cost_tags: dict[str, str]) -> dict[str, str]:
    out = dict(MANAGED_BY)
    for key, value in sorted(cost_tags.items()):
        name = _LABEL_NAME_INVALID.sub("-", key.lower()).strip("-_.")[:63 - len("cost-")]
        out[COST_LABEL_PREFIX + name] = label_value(value)
    return out


def cost_annotations(cost_tags: dict[str, str]) -> dict[str, str]:
    return {COST_TAGS_ANNOTATION: json.dumps(dict(sorted(cost_tags.items())), separators=(",", ":"))}
