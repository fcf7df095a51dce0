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
- `extra_worker_containers(pool)`: plain sidecar containers some hardware needs (none on either cloud today).
- `worker_pod_extras(spec, pool, gpus)`: annotations, native sidecars (initContainers), volumes and trainer
  env a worker pod needs (GKE A3: GPUDirect-TCPX/TCPXO, `gpudirect.py`; nothing on AWS).
- `cluster_objects(spec, labels)`: cluster-scoped objects the workload needs (GKE: one Network +
  GKENetworkParamSet per GPU NIC VPC).
- `shared_mount_path`: where the shared file system is mounted in every Ray pod.

`"gcp"` (GKE): Filestore PV/PVC through `filestore.csi.storage.gke.io`, the Workload Identity annotation
`iam.gke.io/gcp-service-account`, the GCS checkpoint bucket, GPUDirect for A3 machine types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import hashlib

from infra.catalog import aws_catalog
from infra.catalog_gcp import gcp_catalog
from infra.spec import EnvironmentSpec, GpuPoolSpec
from infra.workload.gpudirect import GPUDIRECT_EXTRAS, NO_EXTRAS, WorkerPodExtras, gpu_nic_networks

Manifest = dict[str, Any]
SHARED_MOUNT_PATH = "/fsx"


@dataclass(frozen=True)
class PlatformRefs:
    """Values the platform stack owns. In the workload stack they are Terraform references; for
    `render-k8s` (no cloud access) they are readable placeholders."""

    cluster_name: str
    trainer_role_arn: str
    # AWS: file_system_id, dns_name, mount_name; GCP: instance, location, share, ip
    shared_fs: dict[str, str] = field(default_factory=dict)
    checkpoint_bucket: str = ""
    trainer_gsa_email: str = ""  # GCP: the trainer's Google service account (Workload Identity)

    @staticmethod
    def placeholders(spec: EnvironmentSpec, account_id: str | None = None) -> PlatformRefs:
        prefix = spec.resource_prefix
        if _cloud(spec) == "gcp":
            return gcp_platform_refs(spec, filestore_ip="FILESTORE_IP")
        account = account_id or "ACCOUNT_ID"
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
    worker_pod_extras: Callable[[EnvironmentSpec, GpuPoolSpec, int], WorkerPodExtras] = \
        lambda spec, pool, gpus: NO_EXTRAS
    cluster_objects: Callable[[EnvironmentSpec, dict[str, str]], list[Manifest]] = lambda spec, labels: []
    shared_mount_path: str = SHARED_MOUNT_PATH

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


def _static_shared_volume(name: str, capacity_gib: int, csi: dict, namespace: str, labels: dict[str, str],
                          mount_options: list[str] | None = None) -> list[Manifest]:
    """A PersistentVolume bound to an existing file system (static provisioning) and the trainer's claim on it."""
    capacity = f"{capacity_gib}Gi"
    pv_spec = {"capacity": {"storage": capacity}, "volumeMode": "Filesystem", "accessModes": ["ReadWriteMany"],
               # Retain: deleting the claim must never delete the environment's file system.
               "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
               **({"mountOptions": mount_options} if mount_options else {}),
               "csi": csi, "claimRef": {"namespace": namespace, "name": SHARED_PVC_NAME}}
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": dict(labels)},
          "spec": pv_spec}
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": SHARED_PVC_NAME, "namespace": namespace, "labels": dict(labels)},
           "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "", "volumeName": name,
                    "resources": {"requests": {"storage": capacity}}}}
    return [pv, pvc]


def _aws_fsx_volume(spec: EnvironmentSpec, refs: PlatformRefs, namespace: str, labels: dict[str, str]) -> list[Manifest]:
    if spec.storage.fsx is None:
        return []
    csi = {"driver": FSX_CSI_DRIVER, "volumeHandle": refs.shared_fs["file_system_id"],
           "volumeAttributes": {"dnsname": refs.shared_fs["dns_name"], "mountname": refs.shared_fs["mount_name"]}}
    return _static_shared_volume(f"{spec.resource_prefix}-fsx", spec.storage.fsx.size_gib, csi, namespace, labels,
                                 mount_options=["flock"])


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

# ------------------------------------------------------------------ GCP (GKE)
FILESTORE_CSI_DRIVER = "filestore.csi.storage.gke.io"
GCP_SHARED_MOUNT_PATH = "/shared"
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"


def gcp_trainer_account_id(prefix: str) -> str:
    """The trainer's service account id exactly as infra/constructs/gcp/iam.py::account_id builds it (that
    module loads the google provider bindings, ~15 s, which render-k8s must not pay); a test keeps them equal."""
    full = f"{prefix}-trainer"
    if len(full) <= 30:
        return full
    return f"{prefix[:30 - len('trainer') - 8]}-{hashlib.sha256(full.encode()).hexdigest()[:6]}-trainer"


def gcp_filestore_location(spec: EnvironmentSpec) -> str:
    """Where stacks/gcp_platform_stack.py puts the Filestore instance: the region for regional tiers,
    else the first zone."""
    assert spec.storage.filestore is not None
    regional = spec.storage.filestore.tier.value in ("REGIONAL", "ENTERPRISE")
    return spec.region if regional else spec.availability_zones[0]


def gcp_platform_refs(spec: EnvironmentSpec, *, filestore_ip: str) -> PlatformRefs:
    """Names the GCP platform stack derives from the spec (all literals), plus the Filestore IP, which only the
    instance knows (a data source in the workload stack, a placeholder for render-k8s)."""
    assert spec.gcp is not None, "cloud: gcp specs carry a gcp block"
    prefix, project = spec.resource_prefix, spec.gcp.project
    shared: dict[str, str] = {}
    if spec.storage.filestore is not None:
        fs = spec.storage.filestore
        shared = {"instance": f"{prefix}-{fs.share_name}".replace("_", "-"), "share": fs.share_name,
                  "location": gcp_filestore_location(spec), "ip": filestore_ip}
    return PlatformRefs(cluster_name=prefix, trainer_role_arn="", shared_fs=shared,
                        checkpoint_bucket=f"{project}-{spec.name}-checkpoints",
                        trainer_gsa_email=f"{gcp_trainer_account_id(prefix)}@{project}.iam.gserviceaccount.com")


def _gcp_filestore_volume(spec: EnvironmentSpec, refs: PlatformRefs, namespace: str,
                          labels: dict[str, str]) -> list[Manifest]:
    if spec.storage.filestore is None:
        return []
    fs = refs.shared_fs
    # Static provisioning of an existing instance (GKE docs "Access pre-existing Filestore instances").
    csi = {"driver": FILESTORE_CSI_DRIVER,
           "volumeHandle": f"modeInstance/{fs['location']}/{fs['instance']}/{fs['share']}",
           "volumeAttributes": {"ip": fs["ip"], "volume": fs["share"]}}
    return _static_shared_volume(f"{spec.resource_prefix}-filestore", spec.storage.filestore.capacity_gib, csi,
                                 namespace, labels)


def _gcp_worker_extras(spec: EnvironmentSpec, pool: GpuPoolSpec, gpus: int) -> WorkerPodExtras:
    mtype = gcp_catalog().get(pool.instance_type)
    build = GPUDIRECT_EXTRAS.get(mtype.gpudirect or "")
    if build is None or not mtype.gpu_nics:  # A2/G2 have no GPU NICs; A3 Ultra (RDMA) is not covered yet
        return NO_EXTRAS
    return build(spec.resource_prefix, mtype.gpu_nics, mtype.gpu_count, gpus)


def _gcp_cluster_objects(spec: EnvironmentSpec, labels: dict[str, str]) -> list[Manifest]:
    # As many networks as the platform stack creates: the most GPU NICs any pool's machine type has.
    nics = max((gcp_catalog().get(p.instance_type).gpu_nics for p in spec.node_pools), default=0)
    return gpu_nic_networks(spec.resource_prefix, nics, labels)


GCP = CloudProfile(
    name="gcp",
    gpu_resource="nvidia.com/gpu",  # GKE's own device plugin advertises it; GKE installs the driver
    device_resources=lambda pool, gpus: {},  # GPU NICs are pod interfaces (annotations), not extended resources
    gpus_per_node=lambda pool: gcp_catalog().get(pool.instance_type).gpu_count,
    node_usd_per_hour=lambda pool: gcp_catalog().get(pool.instance_type).on_demand_usd_per_hour,
    node_capacity=lambda pool: (gcp_catalog().get(pool.instance_type).vcpu,
                                gcp_catalog().get(pool.instance_type).memory_gib),
    shared_volume=_gcp_filestore_volume,
    service_account_annotations=lambda refs: {WORKLOAD_IDENTITY_ANNOTATION: refs.trainer_gsa_email},
    extra_worker_containers=lambda pool: [],  # GPUDirect daemons are native sidecars: worker_pod_extras
    checkpoint_uri_scheme="gs",
    worker_pod_extras=_gcp_worker_extras,
    cluster_objects=_gcp_cluster_objects,
    shared_mount_path=GCP_SHARED_MOUNT_PATH,
)

PROFILES: dict[str, CloudProfile] = {"aws": AWS, "gcp": GCP}


def _cloud(spec: EnvironmentSpec) -> str:
    return getattr(spec.cloud, "value", spec.cloud)


def profile_for(spec: EnvironmentSpec) -> CloudProfile:
    cloud = _cloud(spec)
    try:
        return PROFILES[cloud]
    except KeyError:
        raise ValueError(f"cloud {cloud!r} has no workload profile yet; known: {', '.join(PROFILES)} "
                         "(add one in infra/workload/clouds.py)") from None


def has_workload(spec: EnvironmentSpec) -> bool:
    """A workload stack exists for every real (non-emulated) cluster whose cloud has a workload profile."""
    return not spec.emulated and getattr(spec.cloud, "value", spec.cloud) in PROFILES
