"""A private GKE Standard cluster: private nodes, private (or allow-listed) control plane, Workload
Identity, shielded nodes, Dataplane V2 (needed for multi-network GPU NICs), secrets encrypted with a
Cloud KMS key, and a system node pool. GPU pools are added by `GpuNodePool` (node_pool.py)."""
from __future__ import annotations

from cdktf_cdktf_provider_google.container_cluster import ContainerCluster
from cdktf_cdktf_provider_google.container_node_pool import ContainerNodePool
from constructs import Construct

from infra.constructs._policy import blocks
from infra.constructs.gcp.network import PODS_RANGE, SERVICES_RANGE
from infra.spec import ClusterSpec, ControlPlaneLog, GcpSpec, SystemPoolSpec

# EKS control-plane log types → GKE logging components (audit logs are Cloud Audit Logs, always on).
_LOG_COMPONENTS = {ControlPlaneLog.api: "APISERVER", ControlPlaneLog.controllerManager: "CONTROLLER_MANAGER",
                   ControlPlaneLog.scheduler: "SCHEDULER"}
NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]  # access is decided by IAM, not scopes


def node_security(service_account_email: str) -> dict:
    """What every node pool shares: its own service account, shielded boot, and the GKE metadata server
    (Workload Identity) instead of the node's metadata — the IMDS hop-limit counterpart."""
    return {"service_account": service_account_email, "oauth_scopes": NODE_OAUTH_SCOPES,
            "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
            "workload_metadata_config": {"mode": "GKE_METADATA"}}


class GkeCluster(Construct):
    """Props: name, project, region, zones; spec (ClusterSpec), gcp (GcpSpec); network/subnetwork ids;
    secrets_key_id (Cloud KMS key for application-layer secrets encryption); node_service_account_email;
    labels (GCP resource labels); boot_disk_key_id (CMEK for node boot disks); depends_on (KMS grants)."""

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, region: str, zones: list[str],
                 spec: ClusterSpec, gcp: GcpSpec, network_id: str, subnetwork_id: str, secrets_key_id: str,
                 node_service_account_email: str, boot_disk_key_id: str, labels: dict[str, str],
                 multi_networking: bool, depends_on: list | None = None):
        super().__init__(scope, id)
        authorized = [*spec.public_access_cidrs, *gcp.master_authorized_networks]
        self.cluster = ContainerCluster(
            self, "cluster", name=name, project=project, location=region, node_locations=zones,
            network=network_id, subnetwork=subnetwork_id, networking_mode="VPC_NATIVE",
            ip_allocation_policy={"cluster_secondary_range_name": PODS_RANGE,
                                  "services_secondary_range_name": SERVICES_RANGE},
            # The default pool cannot be given our service account before creation; replace it.
            remove_default_node_pool=True, initial_node_count=1,
            node_config={**node_security(node_service_account_email), "resource_labels": labels},
            min_master_version=spec.kubernetes_version,
            release_channel={"channel": gcp.release_channel.value},
            private_cluster_config={"enable_private_nodes": True,
                                    "enable_private_endpoint": not spec.endpoint_public_access,
                                    "master_ipv4_cidr_block": gcp.master_ipv4_cidr,
                                    "master_global_access_config": {"enabled": False}},
            master_authorized_networks_config={
                "cidr_blocks": blocks([{"cidr_block": c, "display_name": f"allowed-{i}"}
                                      for i, c in enumerate(authorized)]),
                "gcp_public_cidrs_access_enabled": False},
            workload_identity_config={"workload_pool": f"{project}.svc.id.goog"},
            enable_shielded_nodes=True,
            datapath_provider="ADVANCED_DATAPATH",  # Dataplane V2: network policy, and required for multi-NIC
            enable_multi_networking=multi_networking or None,
            database_encryption={"state": "ENCRYPTED", "key_name": secrets_key_id},
            logging_config={"enable_components": ["SYSTEM_COMPONENTS", "WORKLOADS",
                                                  *sorted({_LOG_COMPONENTS[c] for c in spec.logging
                                                           if c in _LOG_COMPONENTS})]},
            monitoring_config={"enable_components": ["SYSTEM_COMPONENTS"],
                               "managed_prometheus": {"enabled": True}},
            addons_config={"gcp_filestore_csi_driver_config": {"enabled": True},
                           "gcs_fuse_csi_driver_config": {"enabled": True}},
            cost_management_config={"enabled": True},  # GKE cost allocation: per-namespace/label spend in billing
            resource_labels=labels, deletion_protection=True, depends_on=depends_on)
        self.project, self.region, self.labels = project, region, labels
        self.node_service_account_email, self.boot_disk_key_id = node_service_account_email, boot_disk_key_id

    @property
    def id(self) -> str:  # noqa: A003 - mirrors the resource attribute
        return self.cluster.id

    def add_system_pool(self, id: str, *, pool: SystemPoolSpec, zones: list[str]) -> ContainerNodePool:
        """Total (not per-zone) autoscaling bounds, so the spec's sizes mean the same as on AWS."""
        return ContainerNodePool(
            self, id, name="system", project=self.project, cluster=self.cluster.id, location=self.region,
            node_locations=zones, initial_node_count=max(1, -(-pool.desired_size // len(zones))),
            autoscaling={"total_min_node_count": pool.min_size, "total_max_node_count": pool.max_size,
                         "location_policy": "BALANCED"},
            management={"auto_repair": True, "auto_upgrade": True},
            network_config={"enable_private_nodes": True},
            node_config={**node_security(self.node_service_account_email), "machine_type": pool.instance_type,
                         "disk_type": "pd-balanced", "disk_size_gb": 100, "boot_disk_kms_key": self.boot_disk_key_id,
                         "resource_labels": {**self.labels, "trainyard-pool": "system"},
                         "labels": {"trainyard.io/pool": "system", "trainyard.io/role": "system"}},
            lifecycle={"ignore_changes": ["initial_node_count"]})
