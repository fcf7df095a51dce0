"""Every Kubernetes object of an environment's workload, as plain dicts.

`workload_manifests(spec, refs)` is the single source: the workload stack wraps each dict in a
`kubernetes_manifest` and `trainyard render-k8s` writes each to YAML, so what is reviewed is what
is applied. Every object carries the environment's cost labels.
"""
from __future__ import annotations

import json
from typing import Any

from infra.monitoring import grafana_dashboard_configmaps, pod_monitors, prometheus_rule_manifest, \
    service_monitors, dcgm_exporter_counters_csv
from infra.spec import EnvironmentSpec
from infra.workload.clouds import PlatformRefs, profile_for
from infra.workload.job import disruption_budget, priority_class, rayjob_manifest
from infra.workload.labels import cost_annotations, cost_labels
from infra.workload.releases import DCGM_COUNTERS_CONFIGMAP, DCGM_COUNTERS_FILE, MONITORING_NAMESPACE, \
    PROMETHEUS_RELEASE

Manifest = dict[str, Any]


def _namespace(name: str, labels: dict[str, str], annotations: dict[str, str]) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels), "annotations": dict(annotations)}}


def _stamp(obj: Manifest, labels: dict[str, str], annotations: dict[str, str]) -> Manifest:
    meta = obj.setdefault("metadata", {})
    meta["labels"] = {**labels, **(meta.get("labels") or {})}
    meta["annotations"] = {**annotations, **(meta.get("annotations") or {})}
    return obj


def workload_manifests(spec: EnvironmentSpec, refs: PlatformRefs) -> list[Manifest]:
    cloud = profile_for(spec)
    labels, notes = cost_labels(spec.cost_tags), cost_annotations(spec.cost_tags)
    ns = spec.iam.trainer_namespace
    out: list[Manifest] = [_namespace(ns, labels, notes), _namespace(MONITORING_NAMESPACE, labels, notes)]
    out.append({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": spec.iam.trainer_service_account, "namespace": ns, "labels": dict(labels),
                             "annotations": {**notes, **cloud.service_account_annotations(refs)}}})
    out.extend(cloud.shared_volume(spec, refs, ns, labels))
    out.extend(cloud.cluster_objects(spec, labels))  # GKE: the GPU NIC networks A3 pods attach to
    for job in spec.jobs:
        out.append(priority_class(spec, job, labels, notes))
        out.append(disruption_budget(spec, job, namespace=ns, labels=labels, annotations=notes))
        out.append(rayjob_manifest(spec, job, cloud, refs, namespace=ns, labels=labels, annotations=notes))

    # Monitoring: kube-prometheus-stack selects objects labelled with its release name.
    mon_labels = {**labels, "release": PROMETHEUS_RELEASE}
    out.append({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": DCGM_COUNTERS_CONFIGMAP, "namespace": MONITORING_NAMESPACE,
                             "labels": dict(labels)},
                "data": {DCGM_COUNTERS_FILE: dcgm_exporter_counters_csv()}})
    out.append(prometheus_rule_manifest(namespace=MONITORING_NAMESPACE, labels=mon_labels))
    out.extend(grafana_dashboard_configmaps(namespace=MONITORING_NAMESPACE, labels=mon_labels))
    out.extend(service_monitors(MONITORING_NAMESPACE, mon_labels, dcgm_namespaces=[MONITORING_NAMESPACE],
                                efa=any(p.use_efa for p in spec.node_pools), efa_namespaces=[MONITORING_NAMESPACE]))
    out.extend(pod_monitors(MONITORING_NAMESPACE, mon_labels, trainer_namespaces=[ns]))
    # A JSON round trip unshares nested dicts, so YAML output has no anchors and callers may mutate freely.
    return [json.loads(json.dumps(_stamp(obj, labels, notes))) for obj in out]


def object_id(obj: Manifest) -> str:
    """A stable, unique, file- and Terraform-safe id: kind-namespace-name."""
    meta = obj["metadata"]
    parts = [obj["kind"].lower(), meta.get("namespace") or "cluster", meta["name"]]
    return "-".join(p.replace(".", "-") for p in parts)
