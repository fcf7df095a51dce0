"""IAM roles per MOD-205: managed policies only where AWS requires them, scoped inline policies otherwise,
an optional permissions boundary on every role, and IRSA for workloads instead of node credentials."""
from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf import Fn, TerraformLocal
from constructs import Construct

from infra.constructs._policy import assume_role_policy, document

# What an EKS worker needs and nothing more: join the cluster, run the VPC CNI, pull images.
NODE_MANAGED_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


class Role(Construct):
    """An IAM role with a trust policy, optional managed policies and `grant_*`-added inline statements."""

    def __init__(self, scope: Construct, id: str, *, name: str, assume_role_policy_json: str, partition: str,
                 managed_policies: tuple[str, ...] = (), permissions_boundary_arn: str | None = None,
                 description: str = ""):
        super().__init__(scope, id)
        self.role = IamRole(self, "role", name=name, assume_role_policy=assume_role_policy_json,
                            permissions_boundary=permissions_boundary_arn, description=description or None)
        for policy in managed_policies:
            IamRolePolicyAttachment(self, f"attach-{policy}", role=self.role.name,
                                    policy_arn=f"arn:{partition}:iam::aws:policy/{policy}")
        self._inline = 0

    @property
    def arn(self) -> str:
        return self.role.arn

    @property
    def name(self) -> str:
        return self.role.name

    def add_statements(self, policy_name: str, *statements: dict) -> IamRolePolicy:
        self._inline += 1
        return IamRolePolicy(self, f"inline-{self._inline}", name=policy_name, role=self.role.id,
                             policy=document(*statements))


class ClusterOidcProvider(Construct):
    """The IAM OIDC identity provider for the cluster's issuer, so pods assume roles (IRSA)."""

    # Thumbprint of the root CA that signs every regional EKS OIDC endpoint (AWS no longer checks it
    # for EKS issuers, but the API still requires one).
    EKS_OIDC_ROOT_CA_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

    def __init__(self, scope: Construct, id: str, *, issuer_url: str):
        super().__init__(scope, id)
        self.provider = IamOpenidConnectProvider(self, "provider", url=issuer_url,
                                                 client_id_list=["sts.amazonaws.com"],
                                                 thumbprint_list=[self.EKS_OIDC_ROOT_CA_THUMBPRINT])
        # "oidc.eks.<region>.amazonaws.com/id/<id>" — the condition key prefix IRSA trust policies use.
        # A local, so policy documents reference `${local.<name>}` (no quotes inside the JSON string) and
        # stay parseable by static checks before terraform interpolates them.
        self.issuer_host = TerraformLocal(self, "issuer-host", Fn.replace(issuer_url, "https://", "")).as_string

    @property
    def arn(self) -> str:
        return self.provider.arn


class IrsaRole(Role):
    """A role only the given Kubernetes service account can assume, through the cluster's OIDC provider."""

    def __init__(self, scope: Construct, id: str, *, name: str, oidc: ClusterOidcProvider, namespace: str,
                 service_account: str, partition: str, permissions_boundary_arn: str | None = None):
        condition = {"StringEquals": {
            f"{oidc.issuer_host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{oidc.issuer_host}:aud": "sts.amazonaws.com",
        }}
        super().__init__(scope, id, name=name, partition=partition,
                         assume_role_policy_json=assume_role_policy(federated=oidc.arn, condition=condition),
                         permissions_boundary_arn=permissions_boundary_arn,
                         description=f"IRSA role for {namespace}/{service_account}")


def node_role(scope: Construct, id: str, *, name: str, partition: str, permissions_boundary_arn: str | None) -> Role:
    return Role(scope, id, name=name, partition=partition, managed_policies=NODE_MANAGED_POLICIES,
                assume_role_policy_json=assume_role_policy("ec2.amazonaws.com"),
                permissions_boundary_arn=permissions_boundary_arn, description="EKS managed node group nodes")
