"""GcpPlatformStack: wires one `cloud: gcp` EnvironmentSpec to the GCP constructs. No logic beyond the wiring.

The google provider binary is not in this environment's filesystem mirror, so `terraform validate`
cannot run on this stack here; tests/gcp checks the synthesized JSON instead (docs/gcp.md).
"""
from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.data_google_project import DataGoogleProject
from cdktf_cdktf_provider_google.data_google_storage_project_service_account import (
    DataGoogleStorageProjectServiceAccount,
)
from cdktf_cdktf_provider_google.project_service import ProjectService
from cdktf_cdktf_provider_google.provider import GoogleProvider
from constructs import Construct

from infra.catalog_gcp import gcp_catalog
from infra.constructs.gcp.budget import BillingBudgetAlerts
from infra.constructs.gcp.cluster import GkeCluster
from infra.constructs.gcp.iam import NODE_ROLES, RoleAccount, grant_cluster_admins
from infra.constructs.gcp.kms import KeyRing
from infra.constructs.gcp.network import ClusterNetwork, GpuNicNetworks
from infra.constructs.gcp.node_pool import GpuNodePool
from infra.constructs.gcp.storage import CheckpointBucket, SharedFileSystem
from infra.spec import EnvironmentSpec, NatGatewayMode

# cdktf-cdktf-provider-google 15.0.0 is generated from hashicorp/google 6.38.0; any 6.x from there speaks it.
GOOGLE_PROVIDER_CONSTRAINT = ">= 6.38.0, < 7.0.0"
APIS = ("compute.googleapis.com", "container.googleapis.com", "file.googleapis.com", "cloudkms.googleapis.com",
        "billingbudgets.googleapis.com", "pubsub.googleapis.com", "storage.googleapis.com",
        "monitoring.googleapis.com", "iam.googleapis.com")


def _agent(number: str, domain: str) -> str:
    """A Google service agent of the project (the identity a managed service encrypts with)."""
    return f"serviceAccount:service-{number}@{domain}"


class GcpPlatformStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, spec: EnvironmentSpec):
        super().__init__(scope, id)
        gcp = spec.gcp
        assert gcp is not None, "the spec validator requires a gcp block with cloud: gcp"
        catalog, name, project, region = gcp_catalog(), spec.resource_prefix, gcp.project, spec.region
        labels = dict(spec.cost_tags)

        # Labels are set on every resource explicitly (not provider default_labels) so the JSON — what the
        # policy gate and tests read — shows them. Billing Budgets bills API calls to the quota project.
        GoogleProvider(self, "google", project=project, region=region, billing_project=project,
                       user_project_override=True)
        self.add_override("terraform.required_providers.google.version", GOOGLE_PROVIDER_CONSTRAINT)
        apis = [ProjectService(self, f"api-{api.split('.')[0]}", project=project, service=api,
                               disable_on_destroy=False) for api in APIS]
        number = DataGoogleProject(self, "project", project_id=project).number

        ring = KeyRing(self, "kms", name=name, project=project, location=region)
        gke_key = ring.key("gke-key", name=f"{name}-gke-secrets", labels=labels)
        data_key = ring.key("data-key", name=f"{name}-data", labels=labels)
        alerts_key = ring.key("alerts-key", name=f"{name}-alerts", labels=labels)
        gcs_agent = DataGoogleStorageProjectServiceAccount(self, "gcs-agent", project=project)
        gke_grant = gke_key.grant_encrypt_decrypt("gke", _agent(number, "container-engine-robot.iam.gserviceaccount.com"))
        disk_grant = data_key.grant_encrypt_decrypt("compute", _agent(number, "compute-system.iam.gserviceaccount.com"))
        gcs_grant = data_key.grant_encrypt_decrypt("gcs", gcs_agent.member)
        fs_grant = data_key.grant_encrypt_decrypt("filestore", _agent(number, "cloud-filer.iam.gserviceaccount.com"))
        topic_grant = alerts_key.grant_encrypt_decrypt("pubsub", _agent(number, "gcp-sa-pubsub.iam.gserviceaccount.com"))

        network = ClusterNetwork(self, "network", name=name, project=project, region=region,
                                 node_cidr=spec.network.vpc_cidr, pods_cidr=gcp.pods_cidr,
                                 services_cidr=spec.cluster.service_ipv4_cidr,
                                 cloud_nat=spec.network.nat_gateways is not NatGatewayMode.none,
                                 private_google_access=spec.network.vpc_endpoints)
        nics_needed = max((catalog.get(p.instance_type).gpu_nics for p in spec.node_pools), default=0)
        gpu_nics = None
        if nics_needed:
            gpu_nics = GpuNicNetworks(self, "gpu-nics", name=name, project=project, region=region,
                                      count=nics_needed, mtu=gcp.network_mtu, cidr=gcp.gpu_nic_cidr)

        nodes_sa = RoleAccount(self, "nodes-sa", prefix=name, role="nodes", project=project, project_roles=NODE_ROLES)
        trainer_sa = RoleAccount(self, "trainer-sa", prefix=name, role="trainer", project=project)
        trainer_sa.grant_workload_identity(namespace=spec.iam.trainer_namespace,
                                           service_account=spec.iam.trainer_service_account)
        grant_cluster_admins(self, "cluster-admin", project=project, members=gcp.admin_members)

        cluster = GkeCluster(self, "gke", name=name, project=project, region=region, zones=spec.availability_zones,
                             spec=spec.cluster, gcp=gcp, network_id=network.vpc.id, subnetwork_id=network.subnet.id,
                             secrets_key_id=gke_key.id, node_service_account_email=nodes_sa.email,
                             boot_disk_key_id=data_key.id, labels=labels, multi_networking=bool(nics_needed),
                             depends_on=[*apis, gke_grant, disk_grant])
        cluster.add_system_pool("system-pool", pool=spec.cluster.system_pool, zones=spec.availability_zones)
        for pool in spec.node_pools:
            for zone in pool.zones:
                GpuNodePool(self, f"pool-{pool.name}-{zone[-1]}", name=f"{pool.name}-{zone}", pool=pool,
                            machine_type=catalog.get(pool.instance_type), zone=zone, cluster=cluster,
                            gpu_nics=gpu_nics, labels=labels)

        checkpoints = CheckpointBucket(
            self, "checkpoints", name=f"{project}-{spec.name}-checkpoints", project=project, location=region,
            kms_key_id=data_key.id, labels=labels,
            noncurrent_version_expiry_days=spec.storage.checkpoints.noncurrent_version_expiry_days,
            force_destroy=spec.storage.checkpoints.force_destroy, depends_on=[gcs_grant])
        checkpoints.grant_read_write("trainer", trainer_sa.member, prefix=spec.storage.checkpoints.prefix)

        filestore = spec.storage.filestore
        if filestore is not None:
            SharedFileSystem(self, "filestore", name=f"{name}-{filestore.share_name}".replace("_", "-"),
                             project=project, spec=filestore, zone=spec.availability_zones[0], region=region,
                             network_name=network.vpc.name, kms_key_id=data_key.id, labels=labels,
                             depends_on=[fs_grant, *apis])

        BillingBudgetAlerts(self, "budget", name=name, project=project, project_number=number,
                            billing_account=gcp.billing_account, spec=spec.budget, kms_key_id=alerts_key.id,
                            labels=labels, depends_on=[topic_grant])

        # Machine-readable summary for policy rules and the cost estimate (same contract as the AWS stack).
        self.add_override("//.trainyard", {
            "environment": spec.name, "cloud": "gcp", "emulated": False, "target": "gcp",
            "disabled_capabilities": [], "region": region, "project": project,
            "availability_zones": list(spec.availability_zones),
            "monthly_budget_usd": spec.budget.monthly_limit_usd,
            "accept_ceiling_over_budget": spec.budget.accept_ceiling_over_budget,
            "gpu_pools": [{"name": p.name, "instance_type": p.instance_type, "zones": list(p.zones),
                           "min_size": p.min_size, "desired_size": p.desired_size, "max_size": p.max_size,
                           "capacity_type": p.capacity.type.value, "root_volume_gib": p.root_volume_gib}
                          for p in spec.node_pools],
            "system_pool": {"instance_type": spec.cluster.system_pool.instance_type,
                            "min_size": spec.cluster.system_pool.min_size,
                            "desired_size": spec.cluster.system_pool.desired_size,
                            "max_size": spec.cluster.system_pool.max_size},
            "nat_gateways": network.nat_gateway_count, "gke_clusters": 1, "kms_keys": 3,
            "gpu_nic_networks": nics_needed, "network_mtu": gcp.network_mtu,
            "filestore": None if filestore is None else {"tier": filestore.tier.value,
                                                         "capacity_gib": filestore.capacity_gib},
        })
