"""Plan summary and the PR comment, rendered from recorded `terraform show -json` plans."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scripts import plan_summary as ps
from scripts import pr_comment

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "tests" / "fixtures" / "plans"


def test_counts_by_action_and_type() -> None:
    s = ps.load(PLANS / "prod_scale_up.json")
    assert s.counts == {"create": 1, "update": 2, "replace": 1, "destroy": 0}
    assert s.by_type()["aws_eks_node_group"]["update"] == 2
    assert s.dangerous == []  # an in-place node group update is not a destroy


def test_stateful_destroys_and_replacements_are_called_out() -> None:
    s = ps.load(PLANS / "prod_destroy_stateful.json")
    assert {(c.address.split(".")[0], c.action) for c in s.dangerous} == {
        ("aws_fsx_lustre_file_system", "replace"), ("aws_s3_bucket", "destroy"), ("aws_kms_key", "destroy"),
        ("aws_eks_node_group", "replace")}
    md = ps.render_markdown(s, "prod")
    assert "[!CAUTION]" in md and "**REPLACE** `aws_fsx_lustre_file_system.storage_fsx_7A8B9C0D`" in md
    assert "!!! DESTROY of stateful aws_kms_key.platform_key_11223344" in ps.render_text(s)


def test_no_changes_and_bad_documents() -> None:
    assert ps.load(PLANS / "dev_no_changes.json").changes == []
    with pytest.raises(ps.PlanError, match="state document"):
        ps.load(PLANS / "state_not_plan.json")


def test_cli_exit_codes(tmp_path: Path) -> None:
    run = lambda *a: subprocess.run([str(REPO / ".venv" / "bin" / "trainyard"), "plan-summary", *a], cwd=REPO,
                                    capture_output=True, text=True, timeout=120)
    assert run(str(PLANS / "prod_destroy_stateful.json"), "--fail-on-stateful-destroy").returncode == 4
    assert run(str(PLANS / "prod_scale_up.json"), "--fail-on-stateful-destroy").returncode == 0
    (tmp_path / "x.json").write_text("{not json")
    bad = run(str(tmp_path / "x.json"))
    assert bad.returncode == 2 and "not JSON" in bad.stderr and "Traceback" not in bad.stderr
    doc = json.loads(run(str(PLANS / "prod_scale_up.json"), "--json").stdout)
    assert doc["counts"]["update"] == 2


def test_pr_comment_has_marker_plan_policy_and_cost() -> None:
    policy = {"exit_code": 1, "summary": "policy gate: FAIL", "errors": [], "stacks": [
        {"environment": "prod", "findings": [{"check_id": "CKV_TY_011", "address": "aws_security_group.lb",
                                              "status": "FAILED", "message": "", "check_name": "open ingress"}]}]}
    cost = {"prices": {"region": "us-east-1", "as_of": "2025-06-05"}, "budget": {"monthly_limit_usd": 250000},
            "ceiling": {"total_usd": 228933.12}, "desired": {"total_usd": 115408.16},
            "gate": {"status": "within_budget"},
            "diff": {"ceiling": {"delta_usd": 80358.4, "changed_items": [
                {"key": "nodes.h100", "base_usd": 160716.8, "head_usd": 241075.2, "delta_usd": 80358.4}]}}}
    text = pr_comment.render({"prod": ps.load(PLANS / "prod_destroy_stateful.json"),
                              "dev": ps.load(PLANS / "dev_no_changes.json")}, policy, {"prod": cost}, "https://x/run")
    assert text.startswith(pr_comment.MARKER + "\n")
    assert text.count(pr_comment.MARKER) == 1
    assert "`prod:aws_fsx_lustre_file_system.storage_fsx_7A8B9C0D` (replace)" in text
    assert "| prod | FAILED | `CKV_TY_011` | `aws_security_group.lb` |" in text
    assert "+80,358.40" in text and "#### dev: `+0 ~0 ±0 -0`" in text


def test_pr_comment_cli_rejects_bad_pairs() -> None:
    assert pr_comment.main(["--plan", "prod-no-equals"]) == 2
