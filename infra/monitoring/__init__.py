"""Monitoring as data: Prometheus rule files, Grafana dashboards and the scrape objects.

The rule files (``alerts/*.rules.yaml``) and dashboards (``dashboards/*.json``) are the
source of truth; this module only loads them and wraps them in the Kubernetes objects
the workload stack and ``trainyard render-k8s`` create. It returns plain dicts (no cdktf
here) so the same objects can be rendered to YAML, wrapped in a cdktf manifest, or
checked by tests.

kube-prometheus-stack only picks up ServiceMonitors/PodMonitors/PrometheusRules whose
labels match its selectors (``release: <helm release>`` by default): pass those labels in.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

Manifest = dict[str, Any]

HERE = Path(__file__).resolve().parent
ALERTS_DIR = HERE / "alerts"
ALERT_TESTS_DIR = ALERTS_DIR / "tests"
DASHBOARDS_DIR = HERE / "dashboards"
DCGM_COUNTERS_FILE = HERE / "dcgm-counters.csv"
CATALOG_FILE = HERE.parent / "data" / "aws_instance_types.yaml"
PRICING_RULES_FILE = ALERTS_DIR / "pricing.rules.yaml"

RUNBOOK_BASE_URL = "https://github.com/trainyard/trainyard/blob/main/docs/runbooks/"

# Labels the rules and dashboards rely on. Pods of a training job must carry JOB_LABEL;
# nodes of a pool carry POOL_LABEL, GPU nodes also GPU_PRESENT_LABEL.
JOB_LABEL = "trainyard.io/job"
POOL_LABEL = "trainyard.io/pool"
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
KUBE_STATE_METRICS_NODE_LABELS: tuple[str, ...] = (
    POOL_LABEL,
    GPU_PRESENT_LABEL,
    "topology.kubernetes.io/zone",
    "node.kubernetes.io/instance-type",
)

TRAINER_METRICS_PORT_NAME = "metrics"
DCGM_EXPORTER_PORT = 9400
DCGM_EXPORTER_PORT_NAME = "metrics"  # the dcgm-exporter chart's Service port name for 9400
DCGM_SCRAPE_JOB = "dcgm-exporter"  # rules match up{job="dcgm-exporter"}
EFA_SCRAPE_JOB = "efa-node-exporter"
TRAINER_SCRAPE_JOB = "trainyard-trainer"

_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# ---------------------------------------------------------------- rules


def runbook_name(alert: str) -> str:
    """CamelCase alert name -> kebab-case runbook file stem (GPUXidErrors -> gpu-xid-errors)."""
    spaced = re.sub(
        r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])", "-", alert
    )
    return spaced.lower()


def runbook_url(alert: str) -> str:
    return f"{RUNBOOK_BASE_URL}{runbook_name(alert)}.md"


def rule_files(alerts_dir: Path = ALERTS_DIR) -> list[Path]:
    return sorted(alerts_dir.glob("*.rules.yaml"))


def load_rule_groups(alerts_dir: Path = ALERTS_DIR) -> list[dict[str, Any]]:
    """Every rule group of every rule file, in file order; group names must be unique."""
    groups: list[dict[str, Any]] = []
    seen: dict[str, Path] = {}
    for path in rule_files(alerts_dir):
        doc = yaml.safe_load(path.read_text()) or {}
        for group in doc.get("groups", []):
            name = group["name"]
            if name in seen:
                raise ValueError(f"rule group {name!r} is defined in both {seen[name]} and {path}")
            seen[name] = path
            groups.append(group)
    return groups


def alert_rules(groups: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The alerting rules (not recording rules) of the given or all groups."""
    groups = load_rule_groups() if groups is None else groups
    return [dict(r) for g in groups for r in g.get("rules", []) if "alert" in r]


def prometheus_rule_manifest(
    name: str = "trainyard",
    namespace: str = "monitoring",
    labels: Mapping[str, str] | None = None,
) -> Manifest:
    """A monitoring.coreos.com/v1 PrometheusRule holding exactly the groups of the rule files."""
    _check_name(name)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": {"groups": copy.deepcopy(load_rule_groups())},
    }


def pricing_rule_group(catalog_file: Path = CATALOG_FILE) -> dict[str, Any]:
    """Recording rules ``trainyard_instance_hourly_usd{instance_type}`` from the price catalog.

    Prometheus cannot read the catalog, so its prices become constant series; the rules in
    cost.rules.yaml multiply them by node counts. ``write_pricing_rules`` refreshes the file.
    """
    catalog = yaml.safe_load(catalog_file.read_text())
    rules = []
    for instance_type, spec in sorted(catalog["instance_types"].items()):
        price = spec.get("on_demand_usd_per_hour")
        if price is None:
            continue
        rules.append(
            {
                "record": "trainyard_instance_hourly_usd",
                "expr": f"vector({float(price)!r})",
                "labels": {"instance_type": instance_type},
            }
        )
    return {"name": "trainyard-instance-prices", "rules": rules}


def write_pricing_rules(catalog_file: Path = CATALOG_FILE, out: Path = PRICING_RULES_FILE) -> Path:
    defaults = (yaml.safe_load(catalog_file.read_text()) or {}).get("source_defaults", {})
    header = (
        "# GENERATED from infra/data/aws_instance_types.yaml by\n"
        "#   python -c 'import infra.monitoring as m; m.write_pricing_rules()'\n"
        "# Do not edit by hand; tests/monitoring fails when this file and the catalog disagree.\n"
        f"# Prices: {defaults.get('price_source', 'catalog')}, as of {defaults.get('price_as_of', '?')}.\n"
    )
    body = yaml.safe_dump({"groups": [pricing_rule_group(catalog_file)]}, sort_keys=False)
    out.write_text(header + body)
    return out


# ---------------------------------------------------------------- dashboards


def load_dashboards(dashboards_dir: Path = DASHBOARDS_DIR) -> dict[str, dict[str, Any]]:
    """Grafana dashboard JSON models keyed by uid."""
    boards: dict[str, dict[str, Any]] = {}
    for path in sorted(dashboards_dir.glob("*.json")):
        board = json.loads(path.read_text())
        uid = board["uid"]
        if uid in boards:
            raise ValueError(f"dashboard uid {uid!r} is used twice (second time in {path})")
        boards[uid] = board
    return boards


def grafana_dashboard_configmaps(
    namespace: str = "monitoring",
    labels: Mapping[str, str] | None = None,
    folder: str = "Trainyard",
) -> list[Manifest]:
    """One ConfigMap per dashboard, labelled for kube-prometheus-stack's Grafana sidecar.

    The sidecar loads ConfigMaps labelled ``grafana_dashboard: "1"``; the ``grafana_folder``
    annotation is honoured when the chart sets ``sidecar.dashboards.folderAnnotation``.
    """
    out = []
    for uid, board in load_dashboards().items():
        name = f"dashboard-{uid}"
        _check_name(name)
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": {**dict(labels or {}), "grafana_dashboard": "1"},
                    "annotations": {"grafana_folder": folder},
                },
                "data": {f"{uid}.json": json.dumps(board, indent=1, sort_keys=True)},
            }
        )
    return out


# ---------------------------------------------------------------- scrape objects


def _node_relabelings(job: str) -> list[dict[str, Any]]:
    # `node` from the scraped pod's node, so GPU/EFA series join kube_node_labels on node.
    return [
        {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"},
        {"targetLabel": "job", "replacement": job},
    ]


def _namespace_selector(namespaces: Sequence[str] | None) -> dict[str, Any]:
    return {"matchNames": list(namespaces)} if namespaces else {"any": True}


def service_monitors(
    namespace: str = "monitoring",
    labels: Mapping[str, str] | None = None,
    *,
    dcgm_namespaces: Sequence[str] | None = None,
    dcgm_selector: Mapping[str, Any] | None = None,
    efa: bool = True,
    efa_namespaces: Sequence[str] | None = None,
    efa_selector: Mapping[str, Any] | None = None,
    interval: str = "15s",
) -> list[Manifest]:
    """ServiceMonitors for dcgm-exporter (Service port ``metrics`` = 9400) and, with ``efa``,
    the EFA node exporter (aws-samples efa-node-exporter, metrics ``node_amazonefa_*``).

    ``honorLabels`` on DCGM keeps the exporter's ``namespace``/``pod`` labels, which name the
    workload pod using the GPU rather than the exporter pod.
    """
    meta_labels = dict(labels or {})
    dcgm = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "dcgm-exporter", "namespace": namespace, "labels": meta_labels},
        "spec": {
            "selector": dict(dcgm_selector or {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter"}}),
            "namespaceSelector": _namespace_selector(dcgm_namespaces),
            "endpoints": [
                {
                    "port": DCGM_EXPORTER_PORT_NAME,
                    "path": "/metrics",
                    "interval": interval,
                    "honorLabels": True,
                    "relabelings": _node_relabelings(DCGM_SCRAPE_JOB),
                }
            ],
        },
    }
    out = [dcgm]
    if efa:
        out.append(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "efa-node-exporter", "namespace": namespace, "labels": dict(meta_labels)},
                "spec": {
                    "selector": dict(
                        efa_selector or {"matchLabels": {"app.kubernetes.io/name": "efa-node-exporter"}}
                    ),
                    "namespaceSelector": _namespace_selector(efa_namespaces),
                    "endpoints": [
                        {
                            "port": "metrics",
                            "path": "/metrics",
                            "interval": interval,
                            "relabelings": _node_relabelings(EFA_SCRAPE_JOB),
                            # Only the EFA counters: the fork also exports every node_* series
                            # that kube-prometheus-stack's node-exporter already scrapes.
                            "metricRelabelings": [
                                {
                                    "sourceLabels": ["__name__"],
                                    "regex": "node_amazonefa_.*",
                                    "action": "keep",
                                }
                            ],
                        }
                    ],
                },
            }
        )
    return out


def pod_monitors(
    namespace: str = "monitoring",
    labels: Mapping[str, str] | None = None,
    *,
    trainer_namespaces: Sequence[str] | None = None,
    interval: str = "15s",
) -> list[Manifest]:
    """A PodMonitor for the trainer's ``/metrics`` (container port named ``metrics``).

    It selects every pod carrying the ``trainyard.io/job`` label (Ray head and workers; only
    the ones that declare the port are scraped) and copies that label to ``trainyard_job``,
    which every training rule and dashboard groups by.
    """
    return [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": {"name": "trainyard-trainer", "namespace": namespace, "labels": dict(labels or {})},
            "spec": {
                "selector": {"matchExpressions": [{"key": JOB_LABEL, "operator": "Exists"}]},
                "namespaceSelector": _namespace_selector(trainer_namespaces),
                "podMetricsEndpoints": [
                    {
                        "port": TRAINER_METRICS_PORT_NAME,
                        "path": "/metrics",
                        "interval": interval,
                        "relabelings": [
                            {"sourceLabels": ["__meta_kubernetes_pod_label_trainyard_io_job"], "targetLabel": "trainyard_job"},
                            {"sourceLabels": ["__meta_kubernetes_pod_label_trainyard_io_pool"], "targetLabel": "pool"},
                            {"sourceLabels": ["__meta_kubernetes_pod_label_ray_io_node_type"], "targetLabel": "ray_node_type"},
                            *_node_relabelings(TRAINER_SCRAPE_JOB),
                        ],
                    }
                ],
            },
        }
    ]


def kube_state_metrics_labels_allowlist() -> list[str]:
    """Value for kube-prometheus-stack's ``kube-state-metrics.metricLabelsAllowlist``."""
    return [f"nodes=[{','.join(KUBE_STATE_METRICS_NODE_LABELS)}]"]


def dcgm_exporter_counters_csv() -> str:
    """The dcgm-exporter counters file (defaults + ECC + NVLink/profiling fields the rules use)."""
    return DCGM_COUNTERS_FILE.read_text()


def _check_name(name: str) -> None:
    if len(name) > 253 or not _DNS1123.match(name):
        raise ValueError(f"{name!r} is not a valid Kubernetes object name (lower-case DNS-1123 label)")


__all__ = [
    "ALERTS_DIR",
    "DASHBOARDS_DIR",
    "DCGM_EXPORTER_PORT",
    "JOB_LABEL",
    "KUBE_STATE_METRICS_NODE_LABELS",
    "POOL_LABEL",
    "alert_rules",
    "dcgm_exporter_counters_csv",
    "grafana_dashboard_configmaps",
    "kube_state_metrics_labels_allowlist",
    "load_dashboards",
    "load_rule_groups",
    "pod_monitors",
    "pricing_rule_group",
    "prometheus_rule_manifest",
    "rule_files",
    "runbook_name",
    "runbook_url",
    "service_monitors",
    "write_pricing_rules",
]
