"""The GithubOidc construct: trust policies pin `sub` to the repository + event/environment."""
from __future__ import annotations

import json

import pytest

cdktf = pytest.importorskip("cdktf")  # part of requirements.txt; import costs ~20 s (provider bindings)


@pytest.fixture(scope="module")
def synthesized() -> dict:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from infra.constructs.github_oidc import GithubOidc

    app = Testing.app()
    stack = TerraformStack(app, "oidc")
    AwsProvider(stack, "aws", region="us-east-1")
    GithubOidc(stack, "github", repository="acme/trainyard", environments=["dev", "prod"],
               apply_role_policy_arns=["arn:aws:iam::111122223333:policy/trainyard-apply"],
               permissions_boundary_arn="arn:aws:iam::111122223333:policy/boundary")
    return json.loads(Testing.synth(stack))


def _trust(doc: dict, name_suffix: str) -> dict:
    role = next(r for r in doc["resource"]["aws_iam_role"].values() if r["name"].endswith(name_suffix))
    return json.loads(role["assume_role_policy"])["Statement"][0]


def test_provider_is_github_with_sts_audience(synthesized: dict) -> None:
    (provider,) = synthesized["resource"]["aws_iam_openid_connect_provider"].values()
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_plan_role_trusts_pull_requests_of_the_repo_only(synthesized: dict) -> None:
    stmt = _trust(synthesized, "github-plan")
    cond = stmt["Condition"]["StringEquals"]
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity" and "StringLike" not in stmt["Condition"]
    assert cond["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert cond["token.actions.githubusercontent.com:sub"] == ["repo:acme/trainyard:pull_request",
                                                               "repo:acme/trainyard:ref:refs/heads/main"]
    attached = [a["policy_arn"] for a in synthesized["resource"]["aws_iam_role_policy_attachment"].values()]
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in attached


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_apply_role_per_environment_pinned_to_that_environment(synthesized: dict, env: str) -> None:
    stmt = _trust(synthesized, f"github-apply-{env}")
    assert stmt["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == \
        f"repo:acme/trainyard:environment:{env}"
    roles = synthesized["resource"]["aws_iam_role"].values()
    assert all(r["permissions_boundary"] == "arn:aws:iam::111122223333:policy/boundary" for r in roles)


@pytest.mark.parametrize("kwargs, message", [
    ({"repository": "acme/*"}, "org/repo"),
    ({"environments": []}, "environments is empty"),
    ({"environments": ["prod", "prod"]}, "unique"),
    ({"apply_role_policy_arns": []}, "apply_role_policy_arns is empty"),
    ({"plan_role_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}, "read-only"),
])
def test_construct_time_validation(kwargs: dict, message: str) -> None:
    from cdktf import Testing, TerraformStack

    from infra.constructs.github_oidc import GithubOidc

    props = {"repository": "acme/trainyard", "environments": ["prod"],
             "apply_role_policy_arns": ["arn:aws:iam::111122223333:policy/apply"], **kwargs}
    with pytest.raises(ValueError, match=message):
        GithubOidc(TerraformStack(Testing.app(), "s"), "github", **props)
