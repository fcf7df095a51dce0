"""Deployment targets and what each can create.

The local target is a moto server on loopback. moto does not implement every AWS
API the stacks use; rather than letting those resources silently vanish (or hang
terraform), the local target carries an explicit capability list. Constructs ask
`capabilities.<name>` and skip only what is switched off, and `make demo` prints
the list so nobody mistakes the emulated stack for the real one.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

# Every AWS service the stacks talk to; the local target points each at the emulator.
AWS_SERVICES = (
    "ec2", "eks", "iam", "sts", "kms", "s3", "fsx", "sns", "budgets", "cloudwatch", "logs", "lambda",
)


@dataclass(frozen=True)
class Capabilities:
    placement_groups: bool = True
    """EC2 cluster placement groups (moto: not implemented; terraform waits forever)."""
    capacity_reservations: bool = True
    """Targeting On-Demand Capacity Reservations / Capacity Blocks in launch templates."""
    eks_addons: bool = True
    """EKS managed add-ons (vpc-cni with prefix delegation, coredns, kube-proxy, pod identity)."""
    fsx_data_repository_associations: bool = True
    """FSx for Lustre ⇄ S3 data repository associations."""
    budget_tags: bool = True
    """Tags on AWS Budgets (moto's budgets API has no TagResource)."""
    budget_notifications: bool = True
    """Budget notifications (the emulator answers their subscriber reads through scripts/moto_shim.py)."""
    s3_lifecycle_rules: bool = True
    """S3 lifecycle rules (the provider polls moto's read-back of them until it times out)."""
    lambda_functions: bool = True
    """The budget-breach Lambda that scales GPU node groups to zero."""
    vpc_interface_endpoints: bool = True
    """Interface VPC endpoints (ECR, STS)."""

    def disabled(self) -> list[str]:
        return [f.name for f in fields(self) if not getattr(self, f.name)]

    def describe(self) -> list[tuple[str, bool, str]]:
        docs = _field_docs()
        return [(f.name, getattr(self, f.name), docs.get(f.name, "")) for f in fields(self)]


def _field_docs() -> dict[str, str]:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(Capabilities))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = str(nxt.value.value)  # type: ignore[union-attr]
    return docs


AWS = Capabilities()

# What moto 5.2.5 lacks (checked against its implementation coverage list).
LOCAL_EMULATOR = Capabilities(
    placement_groups=False,
    capacity_reservations=False,
    eks_addons=False,
    fsx_data_repository_associations=False,
    budget_tags=False,
    s3_lifecycle_rules=False,
    lambda_functions=True,
    vpc_interface_endpoints=True,
)


@dataclass(frozen=True)
class Target:
    name: str
    capabilities: Capabilities
    endpoint_url: str | None = None  # None → the real AWS endpoints


def target_for(emulated: bool, endpoint_url: str | None = None) -> Target:
    if emulated:
        return Target("local-emulator", LOCAL_EMULATOR, endpoint_url or "http://127.0.0.1:4566")
    return Target("aws", AWS)
