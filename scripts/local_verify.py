"""Read back what terraform created in the emulator with boto3 and compare it with the spec.

Each check is one named comparison; `verify()` returns them all (passed and failed) so the demo can
print a summary and tests can assert on the set of failures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from infra.spec import REQUIRED_COST_TAGS, EnvironmentSpec


@dataclass(frozen=True)
class Check:
    resource: str
    what: str
    ok: bool
    detail: str = ""


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


class Verifier:
    def __init__(self, spec: EnvironmentSpec, endpoint_url: str):
        self.spec = spec
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                        region_name=spec.region)
        self.client = lambda service: session.client(service, endpoint_url=endpoint_url)
        self.checks: list[Check] = []
        self.prefix = spec.resource_prefix

    def check(self, resource: str, what: str, ok: bool, detail: Any = "") -> None:
        self.checks.append(Check(resource, what, bool(ok), str(detail)))

    def cost_tags_ok(self, resource: str, tags: dict[str, str]) -> None:
        missing = [k for k in REQUIRED_COST_TAGS if tags.get(k) != self.spec.cost_tags[k]]
        self.check(resource, "cost tags", not missing, f"missing/wrong: {missing}" if missing else "")

    def verify(self) -> list[Check]:
        self._network()
        self._cluster()
        self._storage()
        self._cost()
        self._iam()
        return self.checks

    def _network(self) -> None:
        ec2 = self.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [self.prefix]}])["Vpcs"]
        self.check("vpc", "exists once", len(vpcs) == 1, len(vpcs))
        if not vpcs:
            return
        vpc = vpcs[0]
        self.check(f"vpc/{vpc['VpcId']}", "cidr", vpc["CidrBlock"] == self.spec.network.vpc_cidr, vpc["CidrBlock"])
        self.cost_tags_ok(f"vpc/{vpc['VpcId']}", _tags(vpc.get("Tags")))
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
        for tier in ("private", "public"):
            zones = sorted(s["AvailabilityZone"] for s in subnets if _tags(s.get("Tags")).get("trainyard.io/tier") == tier)
            self.check(f"subnets/{tier}", "one per AZ", zones == sorted(self.spec.availability_zones), zones)
        for subnet in subnets:
            self.cost_tags_ok(f"subnet/{subnet['SubnetId']}", _tags(subnet.get("Tags")))
        nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
        expected = {"per_az": len(self.spec.availability_zones), "single": 1, "none": 0}[self.spec.network.nat_gateways.value]
        self.check("nat-gateways", f"{expected} as the spec says", len([n for n in nats if n["State"] != "deleted"]) == expected,
                   len(nats))

    def _cluster(self) -> None:
        eks = self.client("eks")
        name = self.prefix
        try:
            cluster = eks.describe_cluster(name=name)["cluster"]
        except eks.exceptions.ResourceNotFoundException:
            self.check(f"eks/{name}", "exists", False)
            return
        spec = self.spec.cluster
        self.check(f"eks/{name}", "kubernetes version", cluster["version"] == spec.kubernetes_version, cluster["version"])
        vpc_config = cluster["resourcesVpcConfig"]
        self.check(f"eks/{name}", "private endpoint", vpc_config.get("endpointPrivateAccess") is True)
        self.check(f"eks/{name}", "public endpoint as spec",
                   vpc_config.get("endpointPublicAccess", False) == spec.endpoint_public_access)
        encrypted = [c for c in cluster.get("encryptionConfig", []) if "secrets" in c.get("resources", [])]
        self.check(f"eks/{name}", "secrets encrypted with KMS", bool(encrypted and encrypted[0]["provider"]["keyArn"]))
        enabled = {t for entry in cluster["logging"]["clusterLogging"] if entry["enabled"] for t in entry["types"]}
        self.check(f"eks/{name}", "control-plane logs", {log.value for log in spec.logging} <= enabled, sorted(enabled))
        self.cost_tags_ok(f"eks/{name}", cluster.get("tags", {}))
        groups = eks.list_nodegroups(clusterName=name)["nodegroups"]
        expected = {f"{name}-system"} | {f"{name}-{p.name}-{z}" for p in self.spec.node_pools for z in p.zones}
        self.check(f"eks/{name}", "node groups: system + one per (pool, AZ)", set(groups) == expected, sorted(groups))
        for pool in self.spec.node_pools:
            for zone in pool.zones:
                group_name = f"{name}-{pool.name}-{zone}"
                if group_name not in groups:
                    continue
                group = eks.describe_nodegroup(clusterName=name, nodegroupName=group_name)["nodegroup"]
                scaling = group["scalingConfig"]
                self.check(f"nodegroup/{group_name}", "min/max size",
                           (scaling["minSize"], scaling["maxSize"]) == (pool.min_size, pool.max_size), scaling)
                self.check(f"nodegroup/{group_name}", "instance type", group["instanceTypes"] == [pool.instance_type])
                labels = group.get("labels", {})
                self.check(f"nodegroup/{group_name}", "pool labels",
                           labels.get("trainyard.io/pool") == pool.name and labels.get("trainyard.io/zone") == zone, labels)
                taints = {(t["key"], t["effect"]) for t in group.get("taints", [])}
                self.check(f"nodegroup/{group_name}", "GPU taints", ("nvidia.com/gpu", "NO_SCHEDULE") in taints, taints)

    def _storage(self) -> None:
        s3 = self.client("s3")
        kms_arns = set()
        for bucket in [f"{self.prefix}-checkpoints"] + ([f"{self.prefix}-datasets"] if self.spec.storage.fsx and
                                                        not self.spec.storage.fsx.data_repository_bucket else []):
            try:
                versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
            except s3.exceptions.ClientError as exc:
                self.check(f"s3/{bucket}", "exists", False, exc)
                continue
            self.check(f"s3/{bucket}", "versioned", versioning == "Enabled", versioning)
            rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
            default = rule["ApplyServerSideEncryptionByDefault"]
            kms_arns.add(default.get("KMSMasterKeyID"))
            self.check(f"s3/{bucket}", "KMS encrypted", default["SSEAlgorithm"] == "aws:kms" and default.get("KMSMasterKeyID"))
            block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            self.check(f"s3/{bucket}", "public access blocked", all(block.values()), block)
            self.cost_tags_ok(f"s3/{bucket}", _tags(s3.get_bucket_tagging(Bucket=bucket).get("TagSet")))
        fsx_spec = self.spec.storage.fsx
        if fsx_spec is not None:
            systems = self.client("fsx").describe_file_systems()["FileSystems"]
            mine = [fs for fs in systems if _tags(fs.get("Tags")).get("Name") == self.prefix]
            self.check("fsx", "one Lustre file system", len(mine) == 1, len(mine))
            for fs in mine:
                lustre = fs["LustreConfiguration"]
                self.check(f"fsx/{fs['FileSystemId']}", "PERSISTENT_2, size and throughput",
                           (lustre["DeploymentType"], fs["StorageCapacity"], lustre["PerUnitStorageThroughput"]) ==
                           ("PERSISTENT_2", fsx_spec.size_gib, int(fsx_spec.throughput_mbps_per_tib)))
                self.check(f"fsx/{fs['FileSystemId']}", "KMS key", bool(fs.get("KmsKeyId")))
                self.cost_tags_ok(f"fsx/{fs['FileSystemId']}", _tags(fs.get("Tags")))
                # Like real FSx, the security groups are read from the file system's network interfaces.
                ec2 = self.client("ec2")
                enis = ec2.describe_network_interfaces(NetworkInterfaceIds=fs.get("NetworkInterfaceIds", []))
                group_ids = {g["GroupId"] for eni in enis["NetworkInterfaces"] for g in eni["Groups"]}
                self.check(f"fsx/{fs['FileSystemId']}", "has a security group", bool(group_ids))
                for group_id in sorted(group_ids):
                    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
                    ports = {(p["FromPort"], p["ToPort"]) for p in group["IpPermissions"]}
                    self.check(f"sg/{group_id}", "Lustre ports only", ports == {(988, 988), (1018, 1023)}, ports)
        kms = self.client("kms")
        for arn in filter(None, kms_arns):
            rotation = kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]
            self.check(f"kms/{arn.rsplit('/', 1)[-1]}", "rotation on", rotation)

    def _cost(self) -> None:
        budgets = self.client("budgets")
        account = self.client("sts").get_caller_identity()["Account"]
        name = f"{self.prefix}-monthly"
        try:
            budget = budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"]
        except budgets.exceptions.NotFoundException:
            self.check(f"budget/{name}", "exists", False)
            return
        self.check(f"budget/{name}", "monthly limit",
                   float(budget["BudgetLimit"]["Amount"]) == self.spec.budget.monthly_limit_usd, budget["BudgetLimit"])
        notes = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=name)["Notifications"]
        actual = sorted(n["Threshold"] for n in notes if n["NotificationType"] == "ACTUAL")
        self.check(f"budget/{name}", "notifications at thresholds",
                   actual == sorted(self.spec.budget.alert_thresholds_percent), actual)
        topics = [t["TopicArn"] for t in self.client("sns").list_topics()["Topics"] if self.prefix in t["TopicArn"]]
        for arn in topics:
            attrs = self.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
            self.check(f"sns/{arn.rsplit(':', 1)[-1]}", "KMS encrypted", bool(attrs.get("KmsMasterKeyId")))
        alarms = self.client("cloudwatch").describe_alarms(AlarmNamePrefix=self.prefix)["MetricAlarms"]
        idle = [a for a in alarms if a["AlarmName"].endswith("-gpu-idle")]
        expected = sum(len(p.zones) for p in self.spec.node_pools)
        self.check("cloudwatch", "idle-GPU alarm per GPU node group", len(idle) == expected, len(idle))

    def _iam(self) -> None:
        iam = self.client("iam")
        role = iam.get_role(RoleName=f"{self.prefix}-trainer")["Role"]
        statement = role["AssumeRolePolicyDocument"]["Statement"][0]
        sub = f"system:serviceaccount:{self.spec.iam.trainer_namespace}:{self.spec.iam.trainer_service_account}"
        self.check(f"iam/{role['RoleName']}", "IRSA trust pinned to the service account",
                   sub in str(statement.get("Condition")), statement.get("Condition"))
        attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=f"{self.prefix}-nodes")["AttachedPolicies"]}
        self.check(f"iam/{self.prefix}-nodes", "only the node managed policies",
                   attached == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"},
                   sorted(attached))
        github = self.spec.iam.github_actions
        if github is not None:
            self._github_actions(iam, github.repository)

    def _github_actions(self, iam: Any, repository: str) -> None:
        providers = [iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])
                     for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
                     if p["Arn"].endswith("/token.actions.githubusercontent.com")]
        self.check("iam/oidc-provider", "GitHub OIDC provider with the STS audience",
                   len(providers) == 1 and providers[0]["ClientIDList"] == ["sts.amazonaws.com"],
                   [p.get("ClientIDList") for p in providers])
        for role_name, subject in ((f"{self.prefix}-github-plan", f"repo:{repository}:pull_request"),
                                   (f"{self.prefix}-github-apply-{self.spec.name}",
                                    f"repo:{repository}:environment:{self.spec.name}")):
            condition = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
            subjects = condition["StringEquals"]["token.actions.githubusercontent.com:sub"]
            self.check(f"iam/{role_name}", f"trust pinned to {subject}",
                       subject in ([subjects] if isinstance(subjects, str) else subjects), subjects)


def verify(spec: EnvironmentSpec, endpoint_url: str) -> list[Check]:
    return Verifier(spec, endpoint_url).verify()


def leftovers(spec, endpoint_url: str) -> list[str]:
    """What the destroy left behind in the emulator (must be nothing)."""
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=spec.region)
    client = lambda service: session.client(service, endpoint_url=endpoint_url)  # noqa: E731
    left = []
    left += [f"vpc {v['VpcId']}" for v in client("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    left += [f"eks {c}" for c in client("eks").list_clusters()["clusters"]]
    left += [f"s3 {b['Name']}" for b in client("s3").list_buckets()["Buckets"]]
    left += [f"fsx {f['FileSystemId']}" for f in client("fsx").describe_file_systems()["FileSystems"]]
    left += [f"iam role {r['RoleName']}" for r in client("iam").list_roles()["Roles"]
             if r["RoleName"].startswith(spec.resource_prefix)]
    left += [f"sns {t['TopicArn']}" for t in client("sns").list_topics()["Topics"]]
    left += [f"oidc provider {p['Arn']}" for p in client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    return left
