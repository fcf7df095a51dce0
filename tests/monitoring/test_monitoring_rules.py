"""Alert and recording rules: promtool validity, unit-test coverage, metadata, runbooks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

import infra.monitoring as mon

RULE_FILES = mon.rule_files()
TEST_FILES = sorted(mon.ALERT_TESTS_DIR.glob("*.test.yaml"))
GROUPS = mon.load_rule_groups()
ALERTS = mon.alert_rules(GROUPS)
ALERT_NAMES = sorted({a["alert"] for a in ALERTS})
RECORDS = sorted({r["record"] for g in GROUPS for r in g["rules"] if "record" in r})


def _tests() -> list[tuple[Path, dict]]:
    return [(p, yaml.safe_load(p.read_text())) for p in TEST_FILES]


def test_rule_and_test_files_exist():
    assert {p.name for p in RULE_FILES} >= {"gpu.rules.yaml", "training.rules.yaml", "cost.rules.yaml", "pricing.rules.yaml"}
    assert TEST_FILES, "no promtool unit tests under infra/monitoring/alerts/tests"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_check_rules(promtool, path):
    res = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests(promtool, path):
    # promtool resolves rule_files relative to the test file's directory.
    res = subprocess.run([promtool, "test", "rules", path.name], cwd=path.parent,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout + res.stderr


def test_every_rule_file_is_unit_tested():
    referenced = {(p.parent / f).resolve() for p, doc in _tests() for f in doc["rule_files"]}
    untested = [p.name for p in RULE_FILES if p.resolve() not in referenced]
    assert not untested, f"rule files no promtool test loads: {untested}"


def test_every_alert_fires_and_stays_silent_in_some_test():
    fires: dict[str, set[str]] = {}
    silent: set[str] = set()
    for _, doc in _tests():
        for case in doc["tests"]:
            for t in case.get("alert_rule_test", []):
                exp = t.get("exp_alerts") or []
                if exp:
                    fires.setdefault(t["alertname"], set()).update(e["exp_labels"]["severity"] for e in exp)
                else:
                    silent.add(t["alertname"])
    for name in ALERT_NAMES:
        assert name in fires, f"{name}: no promtool test where it fires"
        assert name in silent, f"{name}: no promtool test where it stays silent"
        severities = {a["labels"]["severity"] for a in ALERTS if a["alert"] == name}
        assert severities <= fires[name], f"{name}: severities {severities - fires[name]} never seen firing"


def test_every_recording_rule_is_exercised():
    text = "\n".join(p.read_text() for p in TEST_FILES)
    alert_exprs = "\n".join(a["expr"] for a in ALERTS)
    generated = {r["record"] for r in mon.pricing_rule_group()["rules"]}
    for name in RECORDS:
        used = re.search(rf"expr: .*{re.escape(name)}", text) or name in alert_exprs or name in generated
        assert used, f"recording rule {name} is neither checked by a promql_expr_test nor used by a tested alert"


def test_group_names_unique_and_alert_names_camelcase():
    names = [g["name"] for g in GROUPS]
    assert len(names) == len(set(names))
    for name in ALERT_NAMES:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", name), name


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: f"{a['alert']}-{a['labels'].get('severity')}")
def test_alert_metadata(alert, repo):
    labels, ann = alert.get("labels", {}), alert.get("annotations", {})
    assert labels.get("severity") in {"critical", "warning", "info"}
    assert ann.get("summary", "").strip(), "summary missing"
    assert len(ann.get("description", "").strip()) > 40, "description missing or too short"
    url = ann.get("runbook_url", "")
    stem = mon.runbook_name(alert["alert"])
    assert url == f"https://github.com/trainyard/trainyard/blob/main/docs/runbooks/{stem}.md"
    runbook = repo / "docs" / "runbooks" / f"{stem}.md"
    assert runbook.is_file(), f"runbook {runbook} does not exist"
    text = runbook.read_text()
    assert alert["alert"] in text
    for section in ("Symptom", "Impact", "Diagnosis", "Mitigation", "Escalation"):
        assert re.search(rf"^##+ .*{section}", text, re.M), f"{runbook.name}: no '{section}' section"


def test_runbook_name():
    assert mon.runbook_name("GPUIdleWhilePoolHasNodes") == "gpu-idle-while-pool-has-nodes"
    assert mon.runbook_name("GPUUncorrectableECCErrors") == "gpu-uncorrectable-ecc-errors"
    assert mon.runbook_name("TrainingJobBudget80Percent") == "training-job-budget-80-percent"
    assert mon.runbook_name("DCGMExporterMissing") == "dcgm-exporter-missing"


def test_pricing_rules_match_catalog():
    on_disk = yaml.safe_load(mon.PRICING_RULES_FILE.read_text())["groups"]
    assert on_disk == [mon.pricing_rule_group()], (
        "pricing.rules.yaml is stale; regenerate: python -c 'import infra.monitoring as m; m.write_pricing_rules()'"
    )
    prices = {r["labels"]["instance_type"]: r["expr"] for r in on_disk[0]["rules"]}
    assert prices["p5.48xlarge"] == "vector(55.04)"
    assert {"p4d.24xlarge", "p5.48xlarge"} <= prices.keys()


def test_pricing_rule_group_reads_the_given_catalog(tmp_path):
    cat = tmp_path / "c.yaml"
    cat.write_text("instance_types:\n  x1.big: {on_demand_usd_per_hour: 2.5}\n  x1.free: {gpu_count: 0}\n")
    group = mon.pricing_rule_group(cat)
    assert group["rules"] == [
        {"record": "trainyard_instance_hourly_usd", "expr": "vector(2.5)", "labels": {"instance_type": "x1.big"}}
    ]
