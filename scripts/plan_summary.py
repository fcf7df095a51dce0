"""Summarize `terraform show -json PLAN` for reviewers: counts by action and resource type, with
destroys and replacements of stateful resources called out loudly (data lives there)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTIONS = ("create", "update", "replace", "destroy")
# Destroying or replacing these loses data or takes training down; reviewers must see it first.
STATEFUL_TYPES: dict[str, str] = {
    "aws_fsx_lustre_file_system": "FSx file system — datasets and scratch on it are lost",
    "aws_s3_bucket": "S3 bucket — checkpoints/datasets",
    "aws_kms_key": "KMS key — everything encrypted with it becomes unreadable after the deletion window",
    "aws_eks_cluster": "EKS cluster — every workload on it stops",
    "aws_eks_node_group": "EKS node group — its nodes are drained and running jobs are interrupted",
    "aws_efs_file_system": "EFS file system",
    "aws_ebs_volume": "EBS volume",
    "aws_db_instance": "RDS instance",
    "aws_dynamodb_table": "DynamoDB table",
}


class PlanError(ValueError):
    """Not a `terraform show -json` plan document."""


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    action: str  # create | update | replace | destroy


@dataclass
class PlanSummary:
    terraform_version: str
    changes: list[Change] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(ch.action for ch in self.changes)
        return {a: c.get(a, 0) for a in ACTIONS}

    def by_type(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter] = {}
        for ch in self.changes:
            table.setdefault(ch.type, Counter())[ch.action] += 1
        return {t: {a: table[t].get(a, 0) for a in ACTIONS} for t in sorted(table)}

    @property
    def dangerous(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("destroy", "replace") and c.type in STATEFUL_TYPES]

    def to_dict(self) -> dict[str, Any]:
        return {"terraform_version": self.terraform_version, "counts": self.counts, "by_type": self.by_type(),
                "stateful_destroys": [{"address": c.address, "type": c.type, "action": c.action,
                                       "why": STATEFUL_TYPES[c.type]} for c in self.dangerous]}


def classify(actions: list[str]) -> str | None:
    """Terraform's action lists → one verb (None for no-op/read)."""
    acts = list(actions)
    if acts in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if acts == ["create"]:
        return "create"
    if acts == ["update"]:
        return "update"
    if acts == ["delete"]:
        return "destroy"
    if acts in (["no-op"], ["read"], ["forget"]):
        return None
    raise PlanError(f"unknown action list {acts!r}")


def summarize(doc: Any) -> PlanSummary:
    if not isinstance(doc, dict) or "format_version" not in doc:
        raise PlanError("not a `terraform show -json` document (no format_version)")
    if "planned_values" not in doc and "resource_changes" not in doc:
        raise PlanError("this is a state document, not a plan; run `terraform show -json PLANFILE`")
    changes = []
    for rc in doc.get("resource_changes") or []:
        if not isinstance(rc, dict) or not isinstance(rc.get("change"), dict):
            raise PlanError("resource_changes entries must be objects with a 'change'")
        if rc.get("mode", "managed") != "managed":
            continue
        action = classify(rc["change"].get("actions") or [])
        if action:
            changes.append(Change(str(rc.get("address")), str(rc.get("type")), action))
    return PlanSummary(str(doc.get("terraform_version", "?")), changes)


def load(path: str | Path) -> PlanSummary:
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path}: not JSON (line {exc.lineno}: {exc.msg}); pass `terraform show -json` output") from None
    try:
        return summarize(doc)
    except PlanError as exc:
        raise PlanError(f"{path}: {exc}") from None


def render_text(s: PlanSummary, title: str = "plan") -> str:
    c = s.counts
    lines = [f"{title}: {c['create']} to create, {c['update']} to update, {c['replace']} to replace, "
             f"{c['destroy']} to destroy"]
    for change in s.dangerous:
        lines.append(f"!!! {change.action.upper()} of stateful {change.address}: {STATEFUL_TYPES[change.type]}")
    for rtype, counts in s.by_type().items():
        lines.append(f"  {rtype}: " + ", ".join(f"{n} {a}" for a, n in counts.items() if n))
    return "\n".join(lines)


def render_markdown(s: PlanSummary, title: str = "plan") -> str:
    c = s.counts
    out = [f"#### {title}: `+{c['create']} ~{c['update']} ±{c['replace']} -{c['destroy']}`", ""]
    if s.dangerous:
        out += ["> [!CAUTION]", "> **This plan destroys or replaces stateful resources:**"]
        out += [f"> - **{ch.action.upper()}** `{ch.address}` — {STATEFUL_TYPES[ch.type]}" for ch in s.dangerous]
        out.append("")
    if not s.changes:
        return "\n".join(out + ["No changes."])
    out += ["| resource type | create | update | replace | destroy |", "|---|---:|---:|---:|---:|"]
    for rtype, counts in s.by_type().items():
        out.append(f"| `{rtype}` | " + " | ".join(str(counts[a] or "") for a in ACTIONS) + " |")
    return "\n".join(out)
