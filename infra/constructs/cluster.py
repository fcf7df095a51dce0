"""The EKS control plane: private endpoint, KMS-encrypted secrets, control-plane logs, OIDC for IRSA,
a system node group, and the managed add-ons GPU pods need."""
from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import EksAccessPolicyAssociation
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.eks_cluster import EksCluster
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup
from cdktf_cdktf_provider_aws.launch_template import LaunchTemplate
from cdktf import Token
from constructs import Construct

from infra.constructs._policy import assume_role_policy, blocks
from infra.constructs.iam import ClusterOidcProvider, Role
from infra.spec import ClusterSpec


def node_launch_template(scope: Construct, id: str, *, name: str, root_volume_gib: int, kms_key_arn: str,
                         imds_hop_limit: int, tags: dict[str, str], **extra) -> LaunchTemplate:
    """Launch template every node group uses: IMDSv2 only, encrypted gp3 root volume, tags on instances."""
    return LaunchTemplate(
        scope, id, name=name, update_default_version=True,
        metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                          "http_put_response_hop_limit": imds_hop_limit, "instance_metadata_tags": "disabled"},
        block_device_mappings=blocks([{"device_name": "/dev/xvda", "ebs": {
            "volume_size": root_volume_gib, "volume_type": "gp3", "encrypted": "true", "kms_key_id": kms_key_arn,
            "delete_on_termination": "true"}}]),
        # Provider default_tags don't reach instances and volumes launched by the node group: tag them here.
        tag_specifications=blocks([{"resource_type": kind, "tags": tags}
                                   for kind in ("instance", "volume", "network-interface")]),
        **extra,
    )


class Cluster(Construct):
    """Props: name, spec (ClusterSpec), private_subnet_ids, secrets/logs/EBS KMS key ARNs, admin principal ARNs,
    partition, permissions_boundary_arn, node_role (shared by system and GPU nodes), addons (capability),
    access_entries (capability), cost_tags (propagated to instances via launch templates)."""

    def __init__(self, scope: Construct, id: str, *, name: str, spec: ClusterSpec, private_subnet_ids: list[str],
                 secrets_key_arn: str, logs_key_arn: str, ebs_key_arn: str, admin_principal_arns: list[str], partition: str,
                 permissions_boundary_arn: str | None, node_role: Role, cost_tags: dict[str, str],
                 addons: bool = True):
        super().__init__(scope, id)
        self.name = name
        self.role = Role(self, "cluster-role", name=f"{name}-cluster", partition=partition,
                         assume_role_policy_json=assume_role_policy("eks.amazonaws.com"),
                         managed_policies=("AmazonEKSClusterPolicy",),
                         permissions_boundary_arn=permissions_boundary_arn, description="EKS control plane")
        # Created before the cluster so retention and KMS apply from the first log line.
        log_group = CloudwatchLogGroup(self, "control-plane-logs", name=f"/aws/eks/{name}/cluster",
                                       retention_in_days=spec.log_retention_days, kms_key_id=logs_key_arn)
        self.eks = EksCluster(
            self, "eks", name=name, role_arn=self.role.arn, version=spec.kubernetes_version,
            vpc_config={"subnet_ids": private_subnet_ids, "endpoint_private_access": True,
                        "endpoint_public_access": spec.endpoint_public_access,
                        "public_access_cidrs": spec.public_access_cidrs or None},
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": secrets_key_arn}},
            enabled_cluster_log_types=[log.value for log in spec.logging],
            kubernetes_network_config={"service_ipv4_cidr": spec.service_ipv4_cidr},
            access_config={"authentication_mode": "API_AND_CONFIG_MAP",
                           "bootstrap_cluster_creator_admin_permissions": True},
            depends_on=[log_group, *self.role.node.children],
        )
        self.oidc = ClusterOidcProvider(self, "oidc", issuer_url=self.eks.identity.get(0).oidc.get(0).issuer)

        for index, principal in enumerate(admin_principal_arns):
            entry = EksAccessEntry(self, f"admin-{index}", cluster_name=self.eks.name, principal_arn=principal)
            EksAccessPolicyAssociation(
                self, f"admin-{index}-policy", cluster_name=self.eks.name, principal_arn=entry.principal_arn,
                policy_arn=f"arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                access_scope={"type": "cluster"})

        pool = spec.system_pool
        system_lt = node_launch_template(
            self, "system-lt", name=f"{name}-system", root_volume_gib=100, kms_key_arn=ebs_key_arn,
            imds_hop_limit=spec.node_imds_hop_limit, tags={**cost_tags, "trainyard.io/role": "system"})
        self.system_nodes = EksNodeGroup(
            self, "system-nodes", cluster_name=self.eks.name, node_group_name=f"{name}-system",
            node_role_arn=node_role.arn, subnet_ids=private_subnet_ids, instance_types=[pool.instance_type],
            ami_type="AL2023_x86_64_STANDARD", capacity_type="ON_DEMAND",
            scaling_config={"min_size": pool.min_size, "desired_size": pool.desired_size, "max_size": pool.max_size},
            update_config={"max_unavailable": 1},
            launch_template={"id": system_lt.id, "version": Token.as_string(system_lt.latest_version)},
            labels={"trainyard.io/role": "system"},
            tags={"trainyard.io/role": "system", "trainyard.io/pool": "system"},
            lifecycle={"ignore_changes": ["scaling_config[0].desired_size"]},
            depends_on=list(node_role.node.children),
        )

        if addons:
            # Prefix delegation: each ENI slot carries a /28, so a GPU node's pods don't exhaust its ENIs.
            vpc_cni_config = {"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}
            for addon, config in (("vpc-cni", vpc_cni_config), ("kube-proxy", None), ("coredns", None),
                                  ("eks-pod-identity-agent", None)):
                EksAddon(self, f"addon-{addon}", cluster_name=self.eks.name, addon_name=addon,
                         configuration_values=json.dumps(config) if config else None,
                         resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE",
                         depends_on=[self.system_nodes] if addon == "coredns" else None)

    @property
    def security_group_id(self) -> str:
        """The cluster security group EKS attaches to managed nodes and the control plane ENIs."""
        return self.eks.vpc_config.cluster_security_group_id
