"""One training job as Kubernetes objects: a KubeRay RayJob, its PriorityClass and PodDisruptionBudget.

The RayJob creates a RayCluster for the job: a CPU-only head (it runs the trainer's driver,
never a training rank: `num-cpus: 0`) and one worker group on the job's GPU pool, elastic
between workers_min and workers_max through KubeRay's in-tree autoscaler. Rank 0 — a worker —
serves /metrics, so worker pods declare the `metrics` container port. The run directory is
on the shared file system because the driver (head pod) reads what rank 0 writes.
"""
from __future__ import annotations

import shlex
from typing import Any

from infra.monitoring import JOB_LABEL, POOL_LABEL, TRAINER_METRICS_PORT_NAME
from infra.spec import EnvironmentSpec, GpuPoolSpec
from infra.spec_jobs import CheckpointStore, JobSpec
from infra.workload.clouds import SHARED_PVC_NAME, CloudProfile, PlatformRefs

Manifest = dict[str, Any]

KUBERAY_API_VERSION = "ray.io/v1"
RAY_VERSION = "2.52.1"  # must equal the trainer image's ray (requirements.txt, trainer/Dockerfile)
TRAINER_METRICS_PORT = 9464
HEAD_CPU, HEAD_MEMORY = "2", "8Gi"  # fits the smallest system node (m6i.xlarge) beside its daemons
# A worker asks for its GPU share of the node's CPU and memory, less headroom for kubelet and node daemons.
WORKER_NODE_SHARE = 0.85
FINISHED_TTL_S = 24 * 3600  # keep the finished cluster's pods a day for logs, then free the GPUs' reservations
# Evicting a rank kills the whole DDP group (recovery costs minutes): ask autoscalers not to consolidate it away.
NO_DISRUPTION_ANNOTATIONS = {"karpenter.sh/do-not-disrupt": "true",
                             "cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}


def job_labels(spec: EnvironmentSpec, job: JobSpec, base: dict[str, str]) -> dict[str, str]:
    return {**base, JOB_LABEL: job.name, POOL_LABEL: job.pool, "app.kubernetes.io/name": "trainyard-trainer",
            "app.kubernetes.io/instance": job.name}


def priority_class_name(spec: EnvironmentSpec, job: JobSpec) -> str:
    return f"{spec.resource_prefix}-{job.name}"


def checkpoint_uri(spec: EnvironmentSpec, job: JobSpec, cloud: CloudProfile, refs: PlatformRefs) -> str:
    if job.checkpoint_store is not None and job.checkpoint_store.on_shared_file_system:  # fsx / filestore
        return f"{cloud.shared_mount_path}/checkpoints/{job.name}"
    prefix = spec.storage.checkpoints.prefix.strip("/")
    return f"{cloud.checkpoint_uri_scheme}://{refs.checkpoint_bucket}/{prefix + '/' if prefix else ''}{job.name}"


def trainer_command(spec: EnvironmentSpec, job: JobSpec, pool: GpuPoolSpec, cloud: CloudProfile,
                    refs: PlatformRefs) -> list[str]:
    return ["python", "-m", "trainer", "train", "--backend", "ray", "--model", job.model,
            "--workers", job.trainer_workers, "--device", "cuda", "--precision", "bf16",
            "--max-steps", str(job.max_steps), "--checkpoint-every", str(job.checkpoint_every),
            "--checkpoint-uri", checkpoint_uri(spec, job, cloud, refs),
            "--run-dir", f"{cloud.shared_mount_path}/runs/{job.name}",
            "--metrics-host", "0.0.0.0", "--metrics-port", str(TRAINER_METRICS_PORT),
            "--budget-usd", f"{job.budget_usd:g}", "--gpu-hour-usd", f"{cloud.gpu_hour_usd(pool):g}"]


def _tolerations(pool: GpuPoolSpec) -> list[dict[str, str]]:
    out = []
    for taint in pool.taints:
        tol = {"key": taint.key, "operator": "Equal" if taint.value else "Exists", "effect": taint.effect.value}
        if taint.value:
            tol["value"] = taint.value
        out.append(tol)
    return out


def _pod_volumes(spec: EnvironmentSpec, cloud: CloudProfile, shm_gib: int) -> tuple[list[dict], list[dict]]:
    volumes: list[dict] = [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{shm_gib}Gi"}}]
    mounts: list[dict] = [{"name": "dshm", "mountPath": "/dev/shm"}]  # NCCL and DataLoader workers need a big /dev/shm
    if spec.storage.fsx is not None or spec.storage.filestore is not None:
        volumes.append({"name": "shared-fs", "persistentVolumeClaim": {"claimName": SHARED_PVC_NAME}})
        mounts.append({"name": "shared-fs", "mountPath": cloud.shared_mount_path})
    return volumes, mounts


def _pod_meta(labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    return {"labels": dict(labels), "annotations": {**annotations, **NO_DISRUPTION_ANNOTATIONS}}


def rayjob_manifest(spec: EnvironmentSpec, job: JobSpec, cloud: CloudProfile, refs: PlatformRefs, *,
                    namespace: str, labels: dict[str, str], annotations: dict[str, str]) -> Manifest:
    pool = next(p for p in spec.node_pools if p.name == job.pool)
    jl = job_labels(spec, job, labels)
    security = {"runAsNonRoot": True, "runAsUser": 1000, "allowPrivilegeEscalation": False}
    pod_common = {"serviceAccountName": spec.iam.trainer_service_account,
                  "priorityClassName": priority_class_name(spec, job)}

    head_volumes, head_mounts = _pod_volumes(spec, cloud, shm_gib=4)
    head = {"serviceType": "ClusterIP",
            "rayStartParams": {"num-cpus": "0", "num-gpus": "0", "dashboard-host": "0.0.0.0"},
            "template": {"metadata": _pod_meta({**jl, "trainyard.io/ray-role": "head"}, annotations),
                         "spec": {**pod_common, "volumes": head_volumes, "containers": [{
                             "name": "ray-head", "image": job.image,
                             "resources": {"requests": {"cpu": HEAD_CPU, "memory": HEAD_MEMORY},
                                           "limits": {"cpu": HEAD_CPU, "memory": HEAD_MEMORY}},
                             "ports": [{"name": "gcs", "containerPort": 6379}, {"name": "dashboard", "containerPort": 8265},
                                       {"name": "client", "containerPort": 10001}],
                             "volumeMounts": head_mounts, "securityContext": security}]}}}

    gpus = job.gpus_per_worker
    devices = {cloud.gpu_resource: gpus, **cloud.device_resources(pool, gpus)}
    vcpu, memory_gib = cloud.node_capacity(pool)
    share = WORKER_NODE_SHARE * gpus / cloud.gpus_per_node(pool)
    worker_resources = {"cpu": str(max(1, int(vcpu * share))), "memory": f"{max(1, int(memory_gib * share))}Gi",
                        **{k: str(v) for k, v in devices.items()}}
    worker_volumes, worker_mounts = _pod_volumes(spec, cloud, shm_gib=16 * gpus)
    extras = cloud.worker_pod_extras(spec, pool, gpus)  # GKE A3: GPUDirect sidecar, NICs, NCCL env
    sidecars = {"initContainers": list(extras.init_containers)} if extras.init_containers else {}
    worker = {"groupName": pool.name, "replicas": job.workers_min, "minReplicas": job.workers_min,
              "maxReplicas": job.workers_max, "rayStartParams": {"num-gpus": str(gpus)},
              "template": {"metadata": _pod_meta({**jl, "trainyard.io/ray-role": "worker"},
                                                 {**annotations, **extras.annotations}),
                           "spec": {**pod_common, "nodeSelector": {POOL_LABEL: pool.name},
                                    "tolerations": _tolerations(pool),
                                    "volumes": [*worker_volumes, *extras.volumes], **sidecars,
                                    "containers": [{
                                        "name": "ray-worker", "image": job.image,
                                        "resources": {"requests": dict(worker_resources),
                                                      "limits": dict(worker_resources)},
                                        "ports": [{"name": TRAINER_METRICS_PORT_NAME,
                                                   "containerPort": TRAINER_METRICS_PORT, "protocol": "TCP"}],
                                        "env": [{"name": "NCCL_DEBUG", "value": "WARN"}, *extras.env],
                                        "volumeMounts": [*worker_mounts, *extras.volume_mounts],
                                        "securityContext": security},
                                        *cloud.extra_worker_containers(pool)]}}}

    submitter = {"metadata": {"labels": {**jl, "trainyard.io/ray-role": "submitter"}, "annotations": dict(annotations)},
                 "spec": {**pod_common, "restartPolicy": "Never", "containers": [{
                     "name": "ray-job-submitter", "image": job.image,
                     "resources": {"requests": {"cpu": "500m", "memory": "512Mi"},
                                   "limits": {"cpu": "1", "memory": "1Gi"}},
                     "securityContext": security}]}}
    return {
        "apiVersion": KUBERAY_API_VERSION, "kind": "RayJob",
        "metadata": {"name": job.name, "namespace": namespace, "labels": jl, "annotations": dict(annotations)},
        "spec": {
            "entrypoint": shlex.join(trainer_command(spec, job, pool, cloud, refs)),
            "submissionMode": "K8sJobMode",
            "shutdownAfterJobFinishes": True,
            "ttlSecondsAfterFinished": FINISHED_TTL_S,
            # The trainer restarts its own worker group (trainer/controller.py); a second layer of retries
            # would start a new RayCluster and double-bill the budget.
            "backoffLimit": 0,
            "submitterPodTemplate": submitter,
            "rayClusterSpec": {"rayVersion": RAY_VERSION, "enableInTreeAutoscaling": True,
                               "autoscalerOptions": {"upscalingMode": "Default", "idleTimeoutSeconds": 300},
                               "headGroupSpec": head, "workerGroupSpecs": [worker]},
        },
    }


def priority_class(spec: EnvironmentSpec, job: JobSpec, labels: dict[str, str],
                   annotations: dict[str, str]) -> Manifest:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": priority_class_name(spec, job), "labels": job_labels(spec, job, labels),
                         "annotations": dict(annotations)},
            "value": job.priority, "globalDefault": False, "preemptionPolicy": "PreemptLowerPriority",
            "description": f"trainyard job {job.name} on pool {job.pool}"}


def disruption_budget(spec: EnvironmentSpec, job: JobSpec, *, namespace: str, labels: dict[str, str],
                      annotations: dict[str, str]) -> Manifest:
    # maxUnavailable 0: a voluntary eviction (drain, consolidation, node upgrade) of any pod of the job
    # waits until the job finishes or an operator stops it; involuntary failures are the trainer's to recover.
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": job.name, "namespace": namespace, "labels": job_labels(spec, job, labels),
                         "annotations": dict(annotations)},
            "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {JOB_LABEL: job.name}}}}
