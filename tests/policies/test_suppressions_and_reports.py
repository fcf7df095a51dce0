"""Suppressions (reviewed, expiring) and the three report formats."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from policies import report, suppressions
from policies.gate import Finding, GateResult, StackReport, apply_suppressions, run_gate

TODAY = dt.date(2026, 1, 15)


def _report() -> StackReport:
    return StackReport(Path("cdktf.out/stacks/prod/cdk.tf.json"), "prod", 3, [
        Finding("CKV_TY_011", "open ingress", "aws_security_group.lb", "FAILED", line=7),
        Finding("CKV_TY_001", "fsx cmk", "aws_fsx_lustre_file_system.x", "FAILED"),
        Finding("CKV_TY_005", "sns cmk", "aws_sns_topic.a", "PASSED"),
    ])


def _sup(expires: dt.date, stack: str | None = None) -> suppressions.Suppression:
    return suppressions.Suppression("CKV_TY_011", "aws_security_group.lb", "ALB for the dashboard", expires, stack)


def test_valid_suppression_silences_only_its_check_and_address() -> None:
    rep = _report()
    apply_suppressions(rep, [_sup(dt.date(2026, 6, 30))], TODAY)
    assert {(f.check_id, f.status) for f in rep.findings} == {
        ("CKV_TY_011", "SUPPRESSED"), ("CKV_TY_001", "FAILED"), ("CKV_TY_005", "PASSED")}


def test_suppression_for_another_stack_does_not_apply() -> None:
    rep = _report()
    apply_suppressions(rep, [_sup(dt.date(2026, 6, 30), stack="dev")], TODAY)
    assert rep.findings[0].status == "FAILED"


def test_expired_suppression_fails_the_gate() -> None:
    rep = _report()
    apply_suppressions(rep, [_sup(dt.date(2026, 1, 1))], TODAY)
    assert rep.findings[0].status == "FAILED"
    result = run_gate([], suppressions=[_sup(dt.date(2026, 1, 1))], today=TODAY)
    assert result.exit_code == 3 and "expired on 2026-01-01" in result.errors[0]


def test_suppression_file_parsing(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("suppressions:\n  - {check_id: CKV_TY_011, resource: aws_security_group.lb, reason: r, "
                    "expires: 2026-06-30, stack: prod, approved_by: sec}\n")
    (sup,) = suppressions.load(good)
    assert sup.expires == dt.date(2026, 6, 30) and sup.stack == "prod"
    for body, message in [("suppressions:\n  - {check_id: X, resource: y, reason: z}\n", "missing expires"),
                          ("suppressions:\n  - {check_id: X, resource: y, reason: z, expires: soon}\n", "YYYY-MM-DD"),
                          ("suppressions:\n  - {check_id: X, resource: y, reason: z, expires: 2026-01-01, x: 1}\n",
                           "unknown field"),
                          ("nope: []\n", "suppressions:")]:
        (tmp_path / "bad.yaml").write_text(body)
        with pytest.raises(suppressions.SuppressionFileError, match=message):
            suppressions.load(tmp_path / "bad.yaml")


def test_repository_suppression_file_is_valid_and_current() -> None:
    for sup in suppressions.load():
        assert not sup.expired(dt.date.today()), f"{sup.check_id} on {sup.resource} expired"


def _result() -> GateResult:
    rep = _report()
    apply_suppressions(rep, [_sup(dt.date(2026, 6, 30))], TODAY)
    return GateResult([rep], errors=["checkov exited 2: boom"])


def test_sarif_is_2_1_0_with_rules_and_locations() -> None:
    doc = report.sarif(_result())
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {"CKV_TY_011", "CKV_TY_001", "TY_SCAN_ERROR"} <= rule_ids
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"CKV_TY_011", "CKV_TY_001", "TY_SCAN_ERROR"}
    loc = by_rule["CKV_TY_011"]["locations"][0]
    assert loc["physicalLocation"]["region"]["startLine"] == 7
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "aws_security_group.lb"
    assert by_rule["CKV_TY_011"]["suppressions"][0]["kind"] == "external"
    json.dumps(doc)


def test_junit_counts_failures_errors_and_skips() -> None:
    root = ET.fromstring(report.junit(_result()).split("\n", 1)[1])
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    prod = suites["policy.prod"]
    assert (prod.get("tests"), prod.get("failures"), prod.get("skipped")) == ("3", "1", "1")
    assert suites["policy.gate"].get("errors") == "1"
    failure = prod.find("testcase[@name='aws_fsx_lustre_file_system.x']/failure")
    assert failure is not None and failure.get("type") == "CKV_TY_001"


def test_table_names_check_and_address() -> None:
    text = report.table(_result())
    assert "CKV_TY_001" in text and "aws_fsx_lustre_file_system.x" in text and "SCAN ERROR" in text
