"""The `iam:` section of an AWS environment spec: admin principals, the boundary, the trainer's
service account and the GitHub Actions OIDC roles."""
from __future__ import annotations

import re

from pydantic import Field, field_validator

from infra.spec_base import ARN_RE, SpecModel, fail

_POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$")  # customer- or AWS-managed
GITHUB_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")  # org/repo, no wildcards
# Managed policies that grant write access: never on a role meant to be read-only (the PR plan role).
WRITE_POLICY_NAMES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def write_access_policies(arns: list[str]) -> list[str]:
    """The ARNs among `arns` that name one of WRITE_POLICY_NAMES."""
    return [a for a in arns if a.rsplit("/", 1)[-1] in WRITE_POLICY_NAMES]


def _check_policy_arns(arns: list[str]) -> list[str]:
    for arn in arns:
        if not _POLICY_ARN_RE.match(arn):
            raise fail("arn", "{arn!r} is not a managed policy ARN like "
                       "'arn:aws:iam::123456789012:policy/trainyard-apply' or "
                       "'arn:aws:iam::aws:policy/ReadOnlyAccess'", arn=arn)
    return arns


class GithubActionsSpec(SpecModel):
    """AWS roles that the PR (plan) and merge (apply) workflows assume through GitHub's OIDC provider."""

    repository: str = Field(description="'org/repo' whose workflows may assume the roles; no wildcards.")
    apply_role_policy_arns: list[str] = Field(
        min_length=1, description="Managed policies terraform apply needs for this environment.")
    plan_role_policy_arns: list[str] = Field(
        default_factory=list, description="Managed policies for the read-only plan role (default: ReadOnlyAccess).")
    existing_oidc_provider_arn: str | None = Field(
        None, description="The account's GitHub OIDC provider, when another stack already created it "
                          "(an account holds one per issuer URL).")
    plan_on_ref: str | None = Field(
        "refs/heads/main", description="Branch ref the plan role also trusts (drift.yml's schedule); null: PRs only.")

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not GITHUB_REPOSITORY_RE.match(value):
            raise fail("github_repository", "{value!r} must look like 'org/repo' (letters, digits, '_.-'; "
                       "no wildcards: a wildcard lets forks assume the roles)", value=value)
        return value

    @field_validator("apply_role_policy_arns", "plan_role_policy_arns")
    @classmethod
    def _policies(cls, arns: list[str]) -> list[str]:
        return _check_policy_arns(arns)

    @field_validator("plan_role_policy_arns")
    @classmethod
    def _read_only(cls, arns: list[str]) -> list[str]:
        admin = write_access_policies(arns)
        if admin:
            raise fail("read_only", "{admin} grant write access; the plan role must stay read-only "
                       "(leave the list empty for arn:aws:iam::aws:policy/ReadOnlyAccess)", admin=admin)
        return arns

    @field_validator("existing_oidc_provider_arn")
    @classmethod
    def _provider(cls, arn: str | None) -> str | None:
        if arn is not None and (not ARN_RE.match(arn) or ":oidc-provider/token.actions.githubusercontent.com" not in arn):
            raise fail("arn", "{arn!r} is not a GitHub OIDC provider ARN like 'arn:aws:iam::123456789012:"
                       "oidc-provider/token.actions.githubusercontent.com'", arn=arn)
        return arn

    @field_validator("plan_on_ref")
    @classmethod
    def _ref(cls, ref: str | None) -> str | None:
        if ref is not None and (not ref.startswith("refs/heads/") or "*" in ref):
            raise fail("ref", "{ref!r} must be a full branch ref like 'refs/heads/main' (no wildcards)", ref=ref)
        return ref


class IamSpec(SpecModel):
    admin_principal_arns: list[str] = Field(default_factory=list, description="Granted EKS cluster-admin access.")
    permissions_boundary_arn: str | None = Field(None, description="Attached to every role the stack creates.")
    trainer_namespace: str = "training"
    trainer_service_account: str = "trainer"
    github_actions: GithubActionsSpec | None = Field(
        None, description="AWS only: OIDC roles for the PR plan / apply-on-merge workflows (docs/ci.md).")

    @field_validator("admin_principal_arns")
    @classmethod
    def _arns(cls, arns: list[str]) -> list[str]:
        for arn in arns:
            if not ARN_RE.match(arn):
                raise fail("arn", "{arn!r} is not an IAM ARN like 'arn:aws:iam::123456789012:role/platform-admin'",
                           arn=arn)
        return arns

    @field_validator("permissions_boundary_arn")
    @classmethod
    def _boundary(cls, arn: str | None) -> str | None:
        return arn if arn is None else _check_policy_arns([arn])[0]
