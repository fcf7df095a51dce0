"""Each custom check and whole-stack rule: its pass fixture passes and its fail fixture fails on
exactly the expected resource addresses (sets compared, named by check id)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policies import stack_rules
from policies.gate import BUILTIN_CHECKS
from tests.policies.conftest import FIXTURES, REPO, expected_failures

CHECK_FILES = sorted((REPO / "policies" / "checks").glob("CKV_TY_*.py"))
CUSTOM_IDS = sorted(re.search(r'id="(CKV_TY_\d{3})"', p.read_text()).group(1) for p in CHECK_FILES)
RULE_IDS = sorted(rule.RULE_ID for rule in stack_rules.all_rules())
POLICY_IDS = [cid for cid in CUSTOM_IDS if cid != "CKV_TY_000"] + RULE_IDS
CASES = sorted(p for cid in POLICY_IDS for p in (FIXTURES / cid).glob("*.tf.json"))


def test_one_check_per_file_named_by_its_id() -> None:
    for path in CHECK_FILES:
        ids = re.findall(r'id="(CKV_TY_\d{3})"', path.read_text())
        assert ids == [path.name[:10]], f"{path.name} declares {ids}"


@pytest.mark.parametrize("check_id", POLICY_IDS)
def test_every_policy_has_pass_and_fail_fixture(check_id: str) -> None:
    assert (FIXTURES / check_id / "pass.tf.json").is_file()
    assert (FIXTURES / check_id / "fail.tf.json").is_file()
    assert expected_failures(FIXTURES / check_id / "fail.tf.json"), "a fail fixture must expect failures"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem.split('.')[0]}")
def test_fixture_fails_exactly_the_expected_addresses(path: Path, fixture_gate) -> None:
    check_id = path.parent.name
    report = fixture_gate[path]
    assert not report.with_status("ERROR"), report.with_status("ERROR")
    mine = [f for f in report.findings if f.check_id == check_id]
    failed = {f.address for f in mine if f.status == "FAILED"}
    assert failed == expected_failures(path), f"{check_id} on {path.name}"
    if path.stem.startswith("pass"):
        assert any(f.status == "PASSED" for f in mine), f"{check_id} never ran on its pass fixture"


def test_emulated_placement_groups_are_skipped_with_a_reason(fixture_gate) -> None:
    report = fixture_gate[FIXTURES / "TY_STACK_002" / "emulated.tf.json"]
    skipped = [f for f in report.findings if f.check_id == "TY_STACK_002"]
    assert skipped and all(f.status == "SKIPPED" and "emulat" in f.message for f in skipped)


def test_emulated_single_az_is_skipped_not_passed(fixture_gate) -> None:
    report = fixture_gate[FIXTURES / "TY_STACK_004" / "emulated.tf.json"]
    assert {f.status for f in report.findings if f.check_id == "TY_STACK_004"} == {"SKIPPED"}


def test_compliant_stack_passes_every_check(fixture_gate) -> None:
    report = fixture_gate[FIXTURES / "stack" / "compliant.tf.json"]
    assert report.with_status("FAILED", "ERROR") == []
    # GCP checks run on GCP resources only: the compliant GKE stack (gcp-prod as synthesized) covers them.
    gcp = fixture_gate[FIXTURES / "stack" / "compliant-gcp.tf.json"]
    assert gcp.with_status("FAILED", "ERROR") == []
    ran = {f.check_id for f in [*report.findings, *gcp.findings]}
    assert set(POLICY_IDS) <= ran, f"checks that never ran on the full stack: {set(POLICY_IDS) - ran}"
    assert {"CKV_AWS_58", "CKV_AWS_79", "CKV_AWS_7"} <= ran


def test_builtin_checks_are_named_with_their_control() -> None:
    assert all(re.fullmatch(r"CKV_AWS_\d+", cid) and "MOD-205" in why for cid, why in BUILTIN_CHECKS.items())


def test_every_check_is_documented() -> None:
    doc = (REPO / "docs" / "policy.md").read_text()
    missing = [cid for cid in [*CUSTOM_IDS, *RULE_IDS, *BUILTIN_CHECKS] if f"`{cid}`" not in doc and cid not in doc]
    assert not missing, f"docs/policy.md does not mention {missing}"


def test_emulated_budget_without_notifications_is_skipped_with_a_reason(fixture_gate) -> None:
    report = fixture_gate[FIXTURES / "TY_STACK_001" / "emulated.tf.json"]
    (finding,) = [f for f in report.findings if f.check_id == "TY_STACK_001"]
    assert finding.status == "SKIPPED" and "emulat" in finding.message
