"""What differs per cloud in the workload: one `CloudProfile` per cloud, looked up by `profile_for(spec)`.

Everything cloud-specific the builders need goes through this table, so adding a cloud is one
new profile, not edits across the builders:

- `gpu_resource`: the extended resource name of a GPU (`nvidia.com/gpu` on EKS and GKE alike).
- `device_resources(pool, gpus)`: extra devices a worker with `gpus` GPUs claims; on AWS the EFA
  interfaces (`vpc.amazonaws.com/efa`): all the node has (one per network card, from the catalog)
  for a whole-node worker, its GPU share (at least 1) for a worker that shares the node.
- `gpus_per_node(pool)` / `gpu_hour_usd(pool)`: from the catalog, for requests and cost flags.
- `shared_volume(spec, refs, ...)`: the PersistentVolume + Claim for the shared file system
  (AWS: FSx for Lustre through the `fsx.csi.aws.com` CSI driver, static provisioning).
- `service_account_annotations(refs)`: workload identity (AWS: IRSA `eks.amazonaws.com/role-arn`).
- `extra_worker_containers(pool)`: sidecars some hardware needs (none on AWS; GKE A3 would add
  its GPUDirect-TCPX sidecar here).

A GCP profile (GKE: Filestore PVC, Workload Identity annotation, A3 sidecar) slots in as `"gcp"`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from infra.catalog import aws_catalog
from infra.spec import EnvironmentSpec, GpuPoolSpec

Manifest = dict[str, Any]
SHARED_MOUNT_PATH = "/fsx"


@dataclass(frozen=True)
class PlatformRefs:
    """Values the platform stack owns. In the workload stack they are Terraform references; for
    `render-k8s` (no cloud access) they are readable placeholders."""

    cluster_name: str
    trainer_role_arn: str
    shared_fs: dict[str, str] = field(default_factory=dict)  # AWS: file_system_id, dns_name, mount_name
    checkpoint_bucket: str = ""

    @staticmethod
    def placeholders(spec: EnvironmentSpec, account_id: str | None = None) -> PlatformRefs:
        account = account_id or "ACCOUNT_ID"
        prefix = spec.resource_prefix
        fs = {"file_system_id": "FSX_FILE_SYSTEM_ID", "dns_name": "FSX_DNS_NAME", "mount_name": "FSX_MOUNT_NAME"} \
            if spec.storage.fsx is not None else {}
        return PlatformRefs(cluster_name=prefix, trainer_role_arn=f"arn:aws:iam::{account}:role/{prefix}-trainer",
                            shared_fs=fs, checkpoint_bucket=f"{prefix}-checkpoints")


@dataclass(frozen=True)
class CloudProfile:
    name: str
    gpu_resource: str
    device_resources: Callable[[GpuPoolSpec, int], dict[str, int]]
    gpus_per_node: Callable[[GpuPoolSpec], int]
    node_usd_per_hour: Callable[[GpuPoolSpec], float]
    node_capacity: Callable[[GpuPoolSpec], tuple[int, int]]  # (vCPU, memory GiB) of one node
    shared_volume: Callable[[EnvironmentSpec, PlatformRefs, str, dict[str, str]], list[Manifest]]
    service_account_annotations: Callable[[PlatformRefs], dict[str, str]]
    extra_worker_containers: Callable[[GpuPoolSpec], list[dict[str, Any]]]
    checkpoint_uri_scheme: str  # object-store URI scheme the trainer writes to

    def gpu_hour_usd(self, pool: GpuPoolSpec) -> float:
        """Price of one GPU-hour: the trainer's --gpu-hour-usd (it counts one worker = one GPU)."""
        return round(self.node_usd_per_hour(pool) / self.gpus_per_node(pool), 4)


# ------------------------------------------------------------------ AWS
AWS_EFA_RESOURCE = "vpc.amazonaws.com/efa"
FSX_CSI_DRIVER = "fsx.csi.aws.com"
SHARED_PVC_NAME = "shared-fs"


def aws_efa_per_worker(pool: GpuPoolSpec, gpus: int) -> int:
    """EFA interfaces for a worker of `gpus` GPUs: the node has one per network card
    (gpu_node_pool.efa_network_interfaces); workers sharing a node split them by GPU share."""
    itype = aws_catalog().get(pool.instance_type)
    return max(1, itype.efa_interface_count * gpus // itype.gpu_count)


def _aws_devices(pool: GpuPoolSpec, gpus: int) -> dict[str, int]:
    return {AWS_EFA_RESOURCE: aws_efa_per_worker(pool, gpus)} if pool.use_efa else {}


def _aws_fsx_volume(spec: EnvironmentSpec, refs: PlatformRefs, namespace: str, labels: dict[str, str]) -> list[Manifest]:
    if spec.storage.fsx is None:
        return []
    name = f"{spec.resource_prefix}-fsx"
    capacity = f"{spec.storage.fsx.size_gib}Gi"
    pv = {"apiVersion": "v1", "kind": "PersistentVolume",
          "metadata": {"name": name, "labels": dict(labels)},
          "spec": {"capacity": {"storage": capacity}, "volumeMode": "Filesystem", "accessModes": ["ReadWriteMany"],
                   # Retain: deleting the claim must never delete the environment's file system.
                   "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                   "mountOptions": ["flock"],
                   "csi": {"driver": FSX_CSI_DRIVER, "volumeHandle": refs.shared_fs["file_system_id"],
                           "volumeAttributes": {"dnsname": refs.shared_fs["dns_name"],
                                                "mountname": refs.shared_fs["mount_name"]}},
                   "claimRef": {"namespace": namespace, "name": SHARED_PVC_NAME}}}
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": SHARED_PVC_NAME, "namespace": namespace, "labels": dict(labels)},
           "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "", "volumeName": name,
                    "resources": {"requests": {"storage": capacity}}}}
    return [pv, pvc]


AWS = CloudProfile(
    name="aws",
    gpu_resource="nvidia.com/gpu",
    device_resources=_aws_devices,
    gpus_per_node=lambda pool: aws_catalog().get(pool.instance_type).gpu_count,
    node_usd_per_hour=lambda pool: aws_catalog().get(pool.instance_type).on_demand_usd_per_hour,
    node_capacity=lambda pool: (aws_catalog().get(pool.instance_type).vcpu,
                                aws_catalog().get(pool.instance_type).memory_gib),
    shared_volume=_aws_fsx_volume,
    service_account_annotations=lambda refs: {"eks.amazonaws.com/role-arn": refs.trainer_role_arn},
    extra_worker_containers=lambda pool: [],  # GKE A3 would add the GPUDirect-TCPX sidecar here
    checkpoint_uri_scheme="s3",
)

PROFILES: dict[str, CloudProfile] = {"aws": AWS}


def profile_for(spec: EnvironmentSpec) -> CloudProfile:
    cloud = getattr(spec.cloud, "value", spec.cloud)
    try:
        return PROFILES[cloud]
    except KeyError:
        raise ValueError(f"cloud {cloud!r} has no workload profile yet; known: {', '.join(PROFILES)} "
                         "(add one in infra/workload/clouds.py)") from None


def has_workload(spec: EnvironmentSpec) -> bool:
    """A workload stack exists for every real (non-emulated) cluster whose cloud has a workload profile."""
    return not spec.emulated and getattr(spec.cloud, "value", spec.cloud) in PROFILES
