"""PlatformStack: wires one EnvironmentSpec to the constructs. No logic beyond the wiring."""
from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack, TerraformVariable
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from infra.catalog import aws_catalog
from infra.constructs.cluster import Cluster
from infra.constructs.cost import CostControls
from infra.constructs.github_oidc import GithubOidc
from infra.constructs.gpu_node_pool import EfaSecurityGroup, GpuNodePool
from infra.constructs.iam import IrsaRole, node_role
from infra.constructs.kms import PlatformKey
from infra.constructs.network import Network
from infra.constructs.storage import LustreFileSystem, SecureBucket
from infra.spec import EnvironmentSpec, NatGatewayMode
from infra.targets import AWS_SERVICES, Target, target_for

# cdktf-cdktf-provider-aws 19.65.1 pins the provider to exactly 5.99.1; any 5.x from there on speaks the
# same schema, and the filesystem mirror here carries 5.100.0.
AWS_PROVIDER_CONSTRAINT = ">= 5.99.1, < 6.0.0"
EMULATOR_ENDPOINT_VARIABLE = "emulator_endpoint_url"


def _local_provider_settings(stack: TerraformStack) -> dict:
    endpoint = TerraformVariable(stack, EMULATOR_ENDPOINT_VARIABLE, type="string",
                                 default="http://127.0.0.1:4566",
                                 description="URL of the local AWS emulator (set by scripts/emulator.py)")
    return {
        "access_key": "test", "secret_key": "test", "skip_credentials_validation": True,
        "skip_requesting_account_id": False, "skip_metadata_api_check": "true", "skip_region_validation": True,
        "s3_use_path_style": True,
        # An API the emulator lacks answers 500; fail in seconds instead of retrying for 25 minutes.
        "max_retries": 2,
        "endpoints": [{service: endpoint.string_value for service in AWS_SERVICES}],
    }


class PlatformStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, spec: EnvironmentSpec, target: Target | None = None):
        super().__init__(scope, id)
        target = target or target_for(spec.emulated)
        caps = target.capabilities
        name = spec.resource_prefix
        catalog = aws_catalog()

        extra = _local_provider_settings(self) if spec.emulated else {}
        if spec.emulated:
            # Emulator state is throwaway: keep it beside the stack, not in the project root.
            LocalBackend(self, path="terraform.tfstate")
        provider = AwsProvider(self, "aws", region=spec.region, default_tags=[{"tags": dict(spec.cost_tags)}], **extra)
        budget_provider = None
        if not caps.budget_tags:
            budget_provider = AwsProvider(self, "aws-untagged", alias="untagged", region=spec.region, **extra)
        self.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT)

        account_id = DataAwsCallerIdentity(self, "account").account_id
        partition = DataAwsPartition(self, "partition").partition
        boundary = spec.iam.permissions_boundary_arn

        eks_key = PlatformKey(self, "eks-key", alias=f"{name}-eks-secrets", description=f"{name}: EKS secrets",
                              account_id=account_id, partition=partition, region=spec.region)
        data_key = PlatformKey(self, "data-key", alias=f"{name}-data", description=f"{name}: FSx, S3, EBS, logs",
                               account_id=account_id, partition=partition, region=spec.region, logs=True,
                               autoscaling_ebs=True)
        alerts_key = PlatformKey(self, "alerts-key", alias=f"{name}-alerts", description=f"{name}: SNS alerts",
                                 account_id=account_id, partition=partition, region=spec.region,
                                 service_principals=("budgets.amazonaws.com", "cloudwatch.amazonaws.com"))

        network = Network(self, "network", name=name, cidr=spec.network.vpc_cidr, zones=spec.availability_zones,
                          region=spec.region, private_prefix_length=spec.network.private_subnet_prefix_length,
                          public_prefix_length=spec.network.public_subnet_prefix_length,
                          nat_gateways=spec.network.nat_gateways, cluster_name=name,
                          gateway_endpoints=spec.network.vpc_endpoints,
                          interface_endpoints=spec.network.vpc_endpoints and caps.vpc_interface_endpoints)

        nodes = node_role(self, "node-role", name=f"{name}-nodes", partition=partition,
                          permissions_boundary_arn=boundary)
        cluster = Cluster(self, "cluster", name=name, spec=spec.cluster, private_subnet_ids=network.private_subnet_ids,
                          secrets_key_arn=eks_key.arn, logs_key_arn=data_key.arn, ebs_key_arn=data_key.arn,
                          admin_principal_arns=spec.iam.admin_principal_arns, partition=partition,
                          permissions_boundary_arn=boundary, node_role=nodes, cost_tags=dict(spec.cost_tags),
                          addons=caps.eks_addons)

        efa_sg = None
        if any(pool.use_efa for pool in spec.node_pools):
            efa_sg = EfaSecurityGroup(self, "efa-sg", name=f"{name}-efa", vpc_id=network.vpc.id)
        gpu_groups = []
        for pool in spec.node_pools:
            for zone in pool.zones:
                group = GpuNodePool(
                    self, f"pool-{pool.name}-{zone[-1]}", name=f"{name}-{pool.name}-{zone}", pool=pool,
                    instance_type=catalog.get(pool.instance_type), zone=zone,
                    subnet_id=network.private_subnets[zone].id, cluster_name=cluster.eks.name,
                    node_role_arn=nodes.arn, cluster_security_group_id=cluster.security_group_id,
                    efa_security_group_id=efa_sg.id if efa_sg else None, ebs_key_arn=data_key.arn,
                    imds_hop_limit=spec.cluster.node_imds_hop_limit, cost_tags=dict(spec.cost_tags),
                    placement_groups=caps.placement_groups, capacity_reservations=caps.capacity_reservations,
                    depends_on=list(nodes.node.children))
                gpu_groups.append((group.node_group, pool.name))

        checkpoints = SecureBucket(self, "checkpoints", bucket_name=f"{name}-checkpoints", kms_key_arn=data_key.arn,
                                   noncurrent_version_expiry_days=spec.storage.checkpoints.noncurrent_version_expiry_days,
                                   force_destroy=spec.storage.checkpoints.force_destroy,
                                   lifecycle_rules=caps.s3_lifecycle_rules)
        trainer_role = IrsaRole(self, "trainer-role", name=f"{name}-trainer", oidc=cluster.oidc,
                                namespace=spec.iam.trainer_namespace, service_account=spec.iam.trainer_service_account,
                                partition=partition, permissions_boundary_arn=boundary)
        checkpoints.grant_read_write(trainer_role, prefix=spec.storage.checkpoints.prefix)

        fsx = spec.storage.fsx
        if fsx is not None:
            data_bucket = fsx.data_repository_bucket
            if data_bucket is None:
                datasets = SecureBucket(self, "datasets", bucket_name=f"{name}-datasets", kms_key_arn=data_key.arn,
                                        noncurrent_version_expiry_days=spec.storage.checkpoints.noncurrent_version_expiry_days,
                                        force_destroy=spec.storage.checkpoints.force_destroy,
                                        lifecycle_rules=caps.s3_lifecycle_rules)
                data_bucket = datasets.name
            first_zone = spec.availability_zones[0]
            LustreFileSystem(self, "fsx", name=name, spec=fsx, vpc_id=network.vpc.id,
                             subnet_id=network.private_subnets[first_zone].id,
                             client_security_group_ids=[cluster.security_group_id], kms_key_arn=data_key.arn,
                             data_repository_bucket=data_bucket,
                             data_repository_associations=caps.fsx_data_repository_associations)

        CostControls(self, "cost", name=name, spec=spec.budget, environment=spec.name, alerts_key_arn=alerts_key.arn,
                     account_id=account_id, partition=partition, region=spec.region, gpu_node_groups=gpu_groups,
                     cluster_name=cluster.eks.name, permissions_boundary_arn=boundary,
                     budget_provider=budget_provider, breach_lambda=caps.lambda_functions,
                     budget_notifications=caps.budget_notifications)

        github = spec.iam.github_actions
        if github is not None:
            oidc = GithubOidc(self, "github", repository=github.repository, environments=[spec.name],
                              apply_role_policy_arns=list(github.apply_role_policy_arns),
                              plan_role_policy_arns=list(github.plan_role_policy_arns) or None,
                              permissions_boundary_arn=boundary,
                              existing_provider_arn=github.existing_oidc_provider_arn,
                              plan_also_on_ref=github.plan_on_ref, name_prefix=name, partition=partition)
            # What docs/ci.md's repository variables AWS_PLAN_ROLE_ARN_<ENV> / AWS_APPLY_ROLE_ARN_<ENV> hold.
            TerraformOutput(self, "github_plan_role_arn", value=oidc.plan_role.arn)
            TerraformOutput(self, "github_apply_role_arn", value=oidc.apply_roles[spec.name].arn)

        # Machine-readable summary of what this stack provisions, for policy rules and the cost estimate,
        # which must work from the JSON alone (see docs/architecture.md, "the contract").
        self.add_override("//.trainyard", {
            "environment": spec.name, "emulated": spec.emulated, "target": target.name,
            "disabled_capabilities": caps.disabled(), "region": spec.region,
            "availability_zones": list(spec.availability_zones),
            "monthly_budget_usd": spec.budget.monthly_limit_usd,
            "accept_ceiling_over_budget": spec.budget.accept_ceiling_over_budget,
            "gpu_pools": [{"name": p.name, "instance_type": p.instance_type, "zones": list(p.zones),
                           "min_size": p.min_size, "desired_size": p.desired_size, "max_size": p.max_size,
                           "capacity_type": p.capacity.type.value} for p in spec.node_pools],
            "system_pool": {"instance_type": spec.cluster.system_pool.instance_type,
                            "desired_size": spec.cluster.system_pool.desired_size,
                            "max_size": spec.cluster.system_pool.max_size},
            "nat_gateways": network.nat_gateway_count,
            "vpc_interface_endpoints": network.interface_endpoint_count,
            "fsx": None if fsx is None else {"size_gib": fsx.size_gib,
                                              "throughput_mbps_per_tib": int(fsx.throughput_mbps_per_tib)},
        })
        self.provider = provider
