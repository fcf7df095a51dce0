"""Kubernetes objects built by infra.monitoring, and their consistency with the rules."""

from __future__ import annotations

import json
import re

import kubernetes_validate
import pytest
import yaml

import infra.monitoring as mon

K8S_VERSION = "1.31"


def test_prometheus_rule_holds_exactly_the_rule_files():
    m = mon.prometheus_rule_manifest("trainyard-alerts", "monitoring", {"release": "kps"})
    assert m["apiVersion"] == "monitoring.coreos.com/v1" and m["kind"] == "PrometheusRule"
    assert m["metadata"] == {"name": "trainyard-alerts", "namespace": "monitoring", "labels": {"release": "kps"}}
    from_files = [g for p in sorted(mon.ALERTS_DIR.glob("*.rules.yaml")) for g in yaml.safe_load(p.read_text())["groups"]]
    assert m["spec"]["groups"] == from_files
    # A deep copy: callers may mutate it without changing the next manifest.
    m["spec"]["groups"][0]["rules"].clear()
    assert mon.prometheus_rule_manifest()["spec"]["groups"] == from_files


def test_prometheus_rule_rejects_bad_name():
    with pytest.raises(ValueError, match="not a valid Kubernetes object name"):
        mon.prometheus_rule_manifest("Trainyard_Rules")


def test_duplicate_group_names_rejected(tmp_path):
    for n in ("a", "b"):
        (tmp_path / f"{n}.rules.yaml").write_text("groups:\n- name: same\n  rules: []\n")
    with pytest.raises(ValueError, match="same"):
        mon.load_rule_groups(tmp_path)


def test_dashboard_configmaps():
    cms = mon.grafana_dashboard_configmaps("monitoring", {"release": "kps"})
    boards = mon.load_dashboards()
    assert len(cms) == len(boards)
    for cm in cms:
        kubernetes_validate.validate(cm, K8S_VERSION, strict=True)
        assert cm["metadata"]["labels"] == {"release": "kps", "grafana_dashboard": "1"}
        ((key, body),) = cm["data"].items()
        uid = key.removesuffix(".json")
        assert json.loads(body) == boards[uid]
        assert len(body.encode()) < 900_000  # ConfigMaps are capped at 1 MiB


def test_service_monitors_match_what_the_rules_expect():
    sms = {m["metadata"]["name"]: m for m in mon.service_monitors("monitoring", {"release": "kps"})}
    assert set(sms) == {"dcgm-exporter", "efa-node-exporter"}
    for sm in sms.values():
        assert sm["apiVersion"] == "monitoring.coreos.com/v1" and sm["kind"] == "ServiceMonitor"
        assert sm["metadata"]["labels"] == {"release": "kps"}
    (ep,) = sms["dcgm-exporter"]["spec"]["endpoints"]
    assert ep["port"] == "metrics" and mon.DCGM_EXPORTER_PORT == 9400
    relabel = {r["targetLabel"]: r for r in ep["relabelings"]}
    assert relabel["node"]["sourceLabels"] == ["__meta_kubernetes_pod_node_name"]
    # The rules find dcgm targets by job; the ServiceMonitor must set that same job.
    exprs = "\n".join(r["expr"] for g in mon.load_rule_groups() for r in g["rules"])
    rule_jobs = set(re.findall(r'up\{job="([^"]+)"\}', exprs))
    assert rule_jobs == {relabel["job"]["replacement"]}
    assert mon.service_monitors(efa=False)[0]["metadata"]["name"] == "dcgm-exporter"
    assert len(mon.service_monitors(efa=False)) == 1


def test_trainer_pod_monitor():
    (pm,) = mon.pod_monitors("monitoring", {"release": "kps"}, trainer_namespaces=["train"])
    assert pm["kind"] == "PodMonitor"
    assert pm["spec"]["namespaceSelector"] == {"matchNames": ["train"]}
    assert pm["spec"]["selector"]["matchExpressions"] == [{"key": "trainyard.io/job", "operator": "Exists"}]
    (ep,) = pm["spec"]["podMetricsEndpoints"]
    assert ep["port"] == "metrics" and ep["path"] == "/metrics"
    targets = {r["targetLabel"]: r.get("sourceLabels") for r in ep["relabelings"]}
    assert targets["trainyard_job"] == ["__meta_kubernetes_pod_label_trainyard_io_job"]
    assert "node" in targets
    assert mon.pod_monitors()[0]["spec"]["namespaceSelector"] == {"any": True}


def test_kube_state_metrics_allowlist_covers_the_labels_rules_use():
    text = json.dumps(mon.load_rule_groups()) + json.dumps(mon.load_dashboards())
    used = set(re.findall(r"\blabel_([a-z0-9_]+)", text)) - {"replace", "values"}
    (entry,) = mon.kube_state_metrics_labels_allowlist()
    allowed = re.fullmatch(r"nodes=\[(.*)\]", entry).group(1).split(",")
    sanitized = {re.sub(r"[^a-zA-Z0-9_]", "_", k) for k in allowed}
    assert used and used <= sanitized, f"labels read but not exported by kube-state-metrics: {used - sanitized}"
