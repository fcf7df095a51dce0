"""Grafana dashboards: JSON model shape, topic coverage, PromQL that parses, metric names that exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

import infra.monitoring as mon

BOARDS = mon.load_dashboards()
REPO = Path(__file__).resolve().parents[2]

# Metric names of the aws-samples efa-node-exporter's amazonefa collector.
EFA_METRICS = {
    f"node_amazonefa_{n}"
    for n in (
        "alloc_pd_err alloc_ucontext_err cmds_err completed_cmds create_ah_err create_cq_err create_qp_err "
        "keep_alive_rcvd lifespan mmap_err no_completion_cmds rdma_read_bytes rdma_read_resp_bytes "
        "rdma_read_wr_err rdma_read_wrs rdma_write_bytes rdma_write_recv_bytes rdma_write_wr_err rdma_write_wrs "
        "recv_bytes recv_wrs reg_mr_err rx_bytes rx_drops rx_pkts send_bytes send_wrs submitted_cmds "
        "tx_bytes tx_pkts info"
    ).split()
}

REQUIRED = {
    "trainyard-training": {
        "trainyard_tokens_per_second", "trainyard_step_time_seconds", "trainyard_loss",
        "trainyard_checkpoint_save_seconds", "trainyard_recoveries_total", "trainyard_goodput_ratio", "trainyard_step",
    },
    "trainyard-gpu-health": {
        "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_XID_ERRORS", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "DCGM_FI_PROF_NVLINK_TX_BYTES", "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL",
        "node_amazonefa_tx_bytes", "node_amazonefa_rx_bytes",
    },
    "trainyard-cost": {
        "trainyard_pool_hourly_usd", "trainyard_pool_nodes", "trainyard_usd_total", "trainyard_budget_usd", "trainyard_step",
    },
}
VARIABLES = {"trainyard-training": {"job", "namespace", "node"}, "trainyard-gpu-health": {"pool", "node"},
             "trainyard-cost": {"pool", "job"}}


def _panels(board: dict) -> list[dict]:
    out = []
    for p in board["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))
    return [p for p in out if p.get("type") != "row"]


def _exprs(board: dict) -> list[str]:
    return [t["expr"] for p in _panels(board) for t in p.get("targets", [])]


def _metric_names(text: str, prefix: str) -> set[str]:
    return set(re.findall(rf"\b{prefix}[A-Za-z0-9_:]*", text))


def test_expected_dashboards_present():
    assert set(BOARDS) == set(REQUIRED)


@pytest.mark.parametrize("uid", sorted(BOARDS))
def test_dashboard_model(uid):
    b = BOARDS[uid]
    assert re.fullmatch(r"[a-z0-9-]{1,40}", uid)
    assert b["title"] and isinstance(b["schemaVersion"], int) and b["schemaVersion"] >= 36
    names = {v["name"] for v in b["templating"]["list"]}
    assert "datasource" in names and VARIABLES[uid] <= names, names
    panels = _panels(b)
    assert len(panels) >= 6
    ids = [p["id"] for p in b["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in panels:
        assert p["title"] and p["type"] in {"timeseries", "stat", "table", "bargauge", "gauge"}
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0
        assert p["targets"], f"{p['title']}: no targets"
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs))
        for t in p["targets"]:
            assert t["expr"].strip() and t["datasource"]["type"] == "prometheus"


@pytest.mark.parametrize("uid", sorted(BOARDS))
def test_required_topics_covered(uid):
    text = "\n".join(_exprs(BOARDS[uid]))
    missing = {m for m in REQUIRED[uid] if not re.search(rf"\b{m}\b", text)}
    assert not missing, f"{uid} lacks {missing}"


def test_panels_do_not_overlap():
    for uid, b in BOARDS.items():
        cells: set[tuple[int, int]] = set()
        for p in b["panels"]:
            g = p["gridPos"]
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not mine & cells, f"{uid}: panel {p['title']!r} overlaps another"
            cells |= mine


def _grafana_to_promql(expr: str) -> str:
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
    return re.sub(r"\$\{?[A-Za-z_]+\}?", "x", expr)


def test_dashboard_promql_parses(promtool, tmp_path):
    rules = [
        {"record": f"dashboard_check_{i}", "expr": _grafana_to_promql(e)}
        for i, e in enumerate(e for b in BOARDS.values() for e in _exprs(b))
    ]
    path = tmp_path / "dashboards.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    res = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def _all_exprs() -> str:
    rules = "\n".join(r["expr"] for g in mon.load_rule_groups() for r in g["rules"])
    return rules + "\n" + "\n".join(e for b in BOARDS.values() for e in _exprs(b))


def test_dcgm_fields_are_exported_by_our_counters_file():
    csv = mon.dcgm_exporter_counters_csv()
    exported = {line.split(",")[0].strip() for line in csv.splitlines() if line.strip() and not line.startswith("#")}
    used = _metric_names(_all_exprs(), "DCGM_FI_")
    assert used, "no DCGM metrics referenced"
    assert not used - exported, f"used but not in dcgm-counters.csv: {sorted(used - exported)}"


def test_efa_metric_names_exist():
    used = _metric_names(_all_exprs(), "node_amazonefa_")
    assert used and not used - EFA_METRICS, sorted(used - EFA_METRICS)


def test_trainyard_metric_names_exist():
    """Every trainyard_* series a rule or dashboard reads is exported by the trainer or recorded by a rule."""
    literals = set()
    for py in (REPO / "trainer").rglob("*.py"):
        literals |= set(re.findall(r"[\"'](trainyard_[a-z0-9_]+)[\"']", py.read_text()))
    exported = literals | {f"{n}_total" for n in literals}
    recorded = {r["record"] for g in mon.load_rule_groups() for r in g["rules"] if "record" in r}
    labels = {"trainyard_job"}
    used = {m for m in _metric_names(_all_exprs(), "trainyard_")}
    unknown = used - exported - recorded - labels
    assert not unknown, f"trainyard_* names neither exported by trainer/ nor recorded: {sorted(unknown)}"
