"""The AWS side of GitHub Actions OIDC: no stored keys, roles only a given repo/event can assume.

- one IAM OIDC provider for token.actions.githubusercontent.com (audience sts.amazonaws.com);
- a read-only **plan** role whose trust pins `sub` to `repo:<org/repo>:pull_request` (what
  pr.yml's plan job presents), plus — for drift.yml's schedule — the default branch ref;
- one **apply** role per environment whose trust pins `sub` to
  `repo:<org/repo>:environment:<env>`, so only a job running in that GitHub environment
  (with its required reviewers) can assume it.

Conditions use StringEquals, never StringLike: a wildcard in `sub` is how OIDC trusts leak
to forks and other branches.
"""
from __future__ import annotations

import json
import re
from typing import Any

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from infra.spec_iam import GITHUB_REPOSITORY_RE, write_access_policies

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# GitHub's published intermediate-CA thumbprints; AWS no longer checks them for this issuer, but
# older provider versions require the field.
GITHUB_THUMBPRINTS = ("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
_ENV_RE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")


def _trust(provider_arn: str, subjects: list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "GithubActionsOidc",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
            f"{GITHUB_OIDC_HOST}:sub": subjects if len(subjects) > 1 else subjects[0],
        }},
    }]})


class GithubOidc(Construct):
    """GitHub Actions → AWS federation for the PR plan / apply-on-merge workflows.

    Props:
      repository: "org/repo" whose workflows may assume the roles.
      environments: GitHub environment names that get an apply role each (e.g. ["dev", "prod"]).
      plan_role_policy_arns: managed policies for the plan role; default the AWS-managed
        ReadOnlyAccess. Admin-class policies are rejected: the plan role must stay read-only.
      apply_role_policy_arns: managed policies for every apply role (required: what Terraform
        needs to create the stack, ideally scoped under the permissions boundary).
      permissions_boundary_arn: attached to every role created here (default none).
      existing_provider_arn: reuse an account's existing GitHub OIDC provider (an account can
        have only one per URL) instead of creating it.
      plan_also_on_ref: extra `ref:` subject the plan role trusts (drift.yml runs on a schedule
        from the default branch); None pins the plan role to pull_request only.
      name_prefix / partition / max_session_duration_s: naming and session length (1 h).
    """

    def __init__(self, scope: Construct, id: str, *, repository: str, environments: list[str],
                 apply_role_policy_arns: list[str], plan_role_policy_arns: list[str] | None = None,
                 permissions_boundary_arn: str | None = None, existing_provider_arn: str | None = None,
                 plan_also_on_ref: str | None = "refs/heads/main", name_prefix: str = "trainyard",
                 partition: str = "aws", max_session_duration_s: int = 3600) -> None:
        super().__init__(scope, id)
        self._validate(repository, environments, apply_role_policy_arns, plan_role_policy_arns)
        if existing_provider_arn:
            self.provider_arn = existing_provider_arn
        else:
            provider = IamOpenidConnectProvider(self, "provider", url=f"https://{GITHUB_OIDC_HOST}",
                                                client_id_list=[STS_AUDIENCE],
                                                thumbprint_list=list(GITHUB_THUMBPRINTS))
            self.provider_arn = provider.arn

        plan_subjects = [f"repo:{repository}:pull_request"]
        if plan_also_on_ref:
            plan_subjects.append(f"repo:{repository}:ref:{plan_also_on_ref}")
        common: dict[str, Any] = {"max_session_duration": max_session_duration_s}
        if permissions_boundary_arn:
            common["permissions_boundary"] = permissions_boundary_arn

        self.plan_role = IamRole(self, "plan-role", name=f"{name_prefix}-github-plan",
                                 description=f"Read-only terraform plan for {repository} pull requests",
                                 assume_role_policy=_trust(self.provider_arn, plan_subjects), **common)
        for i, arn in enumerate(plan_role_policy_arns or [f"arn:{partition}:iam::aws:policy/ReadOnlyAccess"]):
            IamRolePolicyAttachment(self, f"plan-policy-{i}", role=self.plan_role.name, policy_arn=arn)

        self.apply_roles: dict[str, IamRole] = {}
        for env in environments:
            role = IamRole(self, f"apply-role-{env}", name=f"{name_prefix}-github-apply-{env}",
                           description=f"terraform apply of reviewed plans for {repository}, environment {env}",
                           assume_role_policy=_trust(self.provider_arn, [f"repo:{repository}:environment:{env}"]),
                           **common)
            for i, arn in enumerate(apply_role_policy_arns):
                IamRolePolicyAttachment(self, f"apply-policy-{env}-{i}", role=role.name, policy_arn=arn)
            self.apply_roles[env] = role

    @staticmethod
    def _validate(repository: str, environments: list[str], apply_arns: list[str],
                  plan_arns: list[str] | None) -> None:
        if not GITHUB_REPOSITORY_RE.match(repository or ""):
            raise ValueError(f"GithubOidc repository {repository!r} must look like 'org/repo' (no wildcards)")
        if not environments:
            raise ValueError("GithubOidc environments is empty; list the GitHub environments that apply, e.g. "
                             "['dev', 'prod']")
        bad = [e for e in environments if not _ENV_RE.match(e)]
        if bad or len(set(environments)) != len(environments):
            raise ValueError(f"GithubOidc environments {environments!r} must be unique names of "
                             "[A-Za-z0-9_.-] (no wildcards)")
        if not apply_arns:
            raise ValueError("GithubOidc apply_role_policy_arns is empty; pass the managed policies terraform "
                             "apply needs (scoped by permissions_boundary_arn)")
        admin = write_access_policies(plan_arns or [])
        if admin:
            raise ValueError(f"GithubOidc plan_role_policy_arns {admin} grant write access; the plan role must be "
                             "read-only (default: ReadOnlyAccess)")
