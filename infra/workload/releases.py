"""The Helm releases a workload stack installs, as typed descriptors with pinned chart versions.

| release | chart (repository) | version | why |
|---|---|---|---|
| kuberay-operator | kuberay-operator (https://ray-project.github.io/kuberay-helm/) | 1.2.2 | RayJob/RayCluster CRDs + operator; the schema in schemas/ is written for v1.2 |
| nvidia-device-plugin | nvidia-device-plugin (https://nvidia.github.io/k8s-device-plugin) | 0.17.1 | advertises `nvidia.com/gpu`; the EKS AL2023 NVIDIA AMI already ships driver + toolkit, so the full GPU operator is not needed |
| aws-efa-k8s-device-plugin | aws-efa-k8s-device-plugin (https://aws.github.io/eks-charts) | v0.5.7 | advertises `vpc.amazonaws.com/efa`; only when a pool uses EFA |
| dcgm-exporter | dcgm-exporter (https://nvidia.github.io/dcgm-exporter/helm-charts) | 3.6.1 | GPU metrics with infra/monitoring/dcgm-counters.csv as collectors |
| kube-prometheus-stack | kube-prometheus-stack (https://prometheus-community.github.io/helm-charts) | 65.1.1 | Prometheus, Alertmanager, Grafana, kube-state-metrics (node label allow-list) |
| aws-fsx-csi-driver | aws-fsx-csi-driver (https://kubernetes-sigs.github.io/aws-fsx-csi-driver) | 1.10.0 | mounts the environment's FSx for Lustre (static PV); only with storage.fsx |

On GKE (`cloud: gcp`) only kuberay-operator, dcgm-exporter and kube-prometheus-stack are installed: GKE installs
the NVIDIA driver (node pools' `gpu_driver_installation_config`) and runs its own device plugin, the Filestore
CSI driver is a cluster add-on, and there is no EFA. dcgm-exporter reads the driver GKE installs under
/home/kubernetes/bin/nvidia on the host (GKE docs, "Collect and view DCGM metrics" self-deployed variant).

Versions are those of each project's release page in late 2024 (KubeRay 1.2.2: 2024-10); bump them
here and in docs/deploy.md together. Values are plain dicts, rendered to YAML for `helm_release.values`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra.monitoring import DCGM_EXPORTER_PORT, kube_state_metrics_labels_allowlist
from infra.spec import EnvironmentSpec

MONITORING_NAMESPACE = "monitoring"
PROMETHEUS_RELEASE = "kube-prometheus-stack"
DCGM_COUNTERS_CONFIGMAP = "dcgm-exporter-counters"
DCGM_COUNTERS_FILE = "trainyard-counters.csv"


@dataclass(frozen=True)
class HelmRelease:
    name: str
    chart: str
    repository: str
    version: str
    namespace: str
    values: dict[str, Any] = field(default_factory=dict)
    purpose: str = ""


def _gpu_tolerations(spec: EnvironmentSpec) -> list[dict[str, str]]:
    """Tolerate every GPU pool taint, so node daemons (device plugins, exporters, CSI) reach GPU nodes."""
    seen, out = set(), []
    for pool in spec.node_pools:
        for taint in pool.taints:
            key = (taint.key, taint.effect.value)
            if key not in seen:
                seen.add(key)
                out.append({"key": taint.key, "operator": "Exists", "effect": taint.effect.value})
    return out


# GKE: where the driver GKE installs lives on the host, and where dcgm-exporter expects it.
GKE_HOST_NVIDIA_DIR = "/home/kubernetes/bin/nvidia"
GKE_NVIDIA_MOUNT = "/usr/local/nvidia"


def _dcgm_gke_values() -> dict[str, Any]:
    return {"extraHostVolumes": [{"name": "nvidia-install-dir-host", "hostPath": GKE_HOST_NVIDIA_DIR}],
            "extraVolumeMounts": [{"name": "nvidia-install-dir-host", "mountPath": GKE_NVIDIA_MOUNT,
                                   "readOnly": True}],
            "extraEnv": [{"name": "LD_LIBRARY_PATH", "value": f"{GKE_NVIDIA_MOUNT}/lib64"}]}


def helm_releases(spec: EnvironmentSpec, labels: dict[str, str]) -> list[HelmRelease]:
    tolerations = _gpu_tolerations(spec)
    gke = getattr(spec.cloud, "value", spec.cloud) == "gcp"
    # GKE has no NVIDIA GPU feature discovery label; its GPU pools carry trainyard's role label (like AWS's).
    gpu_nodes = {"trainyard.io/role": "gpu"} if gke else {"nvidia.com/gpu.present": "true"}
    releases = [
        HelmRelease("kuberay-operator", "kuberay-operator", "https://ray-project.github.io/kuberay-helm/", "1.2.2",
                    "kuberay-system", {"labels": dict(labels)},
                    "KubeRay operator: reconciles RayJob/RayCluster into Ray head and worker pods"),
    ]
    if not gke:  # GKE runs its own device plugin
        releases.append(HelmRelease(
            "nvidia-device-plugin", "nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin",
            "0.17.1", "kube-system", {"nodeSelector": gpu_nodes, "tolerations": tolerations, "failOnInitError": True},
            "advertises nvidia.com/gpu on GPU nodes"))
    if any(pool.use_efa for pool in spec.node_pools):
        releases.append(HelmRelease(
            "aws-efa-k8s-device-plugin", "aws-efa-k8s-device-plugin", "https://aws.github.io/eks-charts", "v0.5.7",
            "kube-system", {"nodeSelector": {"trainyard.io/efa": "true"}, "tolerations": tolerations},
            "advertises vpc.amazonaws.com/efa on EFA pools"))
    dcgm = {"arguments": ["-f", f"/etc/dcgm-exporter/{DCGM_COUNTERS_FILE}"],
            "extraConfigMapVolumes": [{"name": "trainyard-counters", "configMap": {"name": DCGM_COUNTERS_CONFIGMAP}}],
            "extraVolumeMounts": [{"name": "trainyard-counters",
                                   "mountPath": f"/etc/dcgm-exporter/{DCGM_COUNTERS_FILE}",
                                   "subPath": DCGM_COUNTERS_FILE}],
            "service": {"port": DCGM_EXPORTER_PORT},
            # infra.monitoring.service_monitors() creates the ServiceMonitor (with node relabelling); not the chart's.
            "serviceMonitor": {"enabled": False},
            "nodeSelector": gpu_nodes, "tolerations": tolerations, "podLabels": dict(labels)}
    if gke:
        extra = _dcgm_gke_values()
        dcgm["extraVolumeMounts"] = [*dcgm["extraVolumeMounts"], *extra.pop("extraVolumeMounts")]
        dcgm.update(extra)
    releases.append(HelmRelease(
        "dcgm-exporter", "dcgm-exporter", "https://nvidia.github.io/dcgm-exporter/helm-charts", "3.6.1",
        MONITORING_NAMESPACE, dcgm, "GPU utilisation/memory/power/XID/ECC/NVLink metrics per GPU"))
    releases.append(HelmRelease(
        PROMETHEUS_RELEASE, "kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "65.1.1",
        MONITORING_NAMESPACE,
        {"commonLabels": dict(labels),
         "kube-state-metrics": {"metricLabelsAllowlist": kube_state_metrics_labels_allowlist()},
         "grafana": {"sidecar": {"dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1",
                                                "folderAnnotation": "grafana_folder",
                                                "provider": {"foldersFromFilesStructure": True},
                                                "searchNamespace": MONITORING_NAMESPACE}}},
         "prometheus": {"prometheusSpec": {"retention": "30d"}},
         "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]}},
        "Prometheus, Alertmanager, Grafana and kube-state-metrics; picks up trainyard's rules and monitors"))
    if spec.storage.fsx is not None:
        releases.append(HelmRelease(
            "aws-fsx-csi-driver", "aws-fsx-csi-driver", "https://kubernetes-sigs.github.io/aws-fsx-csi-driver",
            "1.10.0", "kube-system", {"node": {"tolerations": tolerations}},
            "CSI driver fsx.csi.aws.com: mounts the FSx for Lustre file system into training pods"))
    return releases
