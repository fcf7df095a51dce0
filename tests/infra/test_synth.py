"""What a reviewer must be able to see in the synthesized Terraform JSON (the contract of docs/architecture.md)."""
from __future__ import annotations

import json
import re

import pytest

from infra.catalog import aws_catalog
from infra.spec import REQUIRED_COST_TAGS, load_environment

TAGGABLE_WITHOUT_DEFAULT_TAGS = {"aws_launch_template"}  # instance/volume tags go through tag_specifications
UNTAGGABLE = {  # resource types the AWS provider cannot tag (they carry no `tags` argument)
    "aws_route", "aws_route_table_association", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
    "aws_kms_alias", "aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls", "aws_s3_bucket_policy", "aws_sns_topic_policy", "aws_sns_topic_subscription",
    "aws_lambda_permission", "aws_eks_access_policy_association", "aws_fsx_data_repository_association",
}


def resources(stack: dict, rtype: str) -> dict[str, dict]:
    return stack["resource"].get(rtype, {})


@pytest.fixture(scope="module")
def prod(stacks: dict[str, dict]) -> dict:
    return stacks["prod"]


def test_a_stack_per_environment(stacks: dict[str, dict]) -> None:
    assert {"local", "dev", "prod"} <= set(stacks)


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_provider_constraint_accepts_the_mirror(stacks: dict[str, dict], env: str) -> None:
    constraint = stacks[env]["terraform"]["required_providers"]["aws"]["version"]
    assert constraint == ">= 5.99.1, < 6.0.0"


def test_prod_subnets_span_at_least_two_azs(prod: dict) -> None:
    zones = {s["availability_zone"] for s in resources(prod, "aws_subnet").values()
             if s["tags"]["trainyard.io/tier"] == "private"}
    assert len(zones) >= 2


def test_prod_has_a_gpu_node_group_per_pool_and_az(prod: dict) -> None:
    spec = load_environment("prod")
    expected = {(pool.name, zone) for pool in spec.node_pools for zone in pool.zones}
    groups = {(g["tags"]["trainyard.io/pool"], g["tags"]["trainyard.io/zone"])
              for g in resources(prod, "aws_eks_node_group").values() if g["tags"]["trainyard.io/role"] == "gpu"}
    assert groups == expected
    for group in resources(prod, "aws_eks_node_group").values():
        if group["tags"]["trainyard.io/role"] == "gpu":
            assert len(group["subnet_ids"]) == 1, "a GPU node group lives in exactly one AZ"


def _launch_template_for(stack: dict, group: dict) -> dict:
    ref = re.match(r"\$\{aws_launch_template\.([^.]+)\.id\}", group["launch_template"]["id"]).group(1)
    return resources(stack, "aws_launch_template")[ref]


@pytest.mark.parametrize("instance_type, interfaces", [("p4d.24xlarge", 4), ("p5.48xlarge", 32)])
def test_efa_interfaces_per_instance_type(prod: dict, instance_type: str, interfaces: int) -> None:
    groups = [g for g in resources(prod, "aws_eks_node_group").values() if g["instance_types"] == [instance_type]]
    assert groups
    for group in groups:
        nics = _launch_template_for(prod, group)["network_interfaces"]
        assert len(nics) == interfaces == aws_catalog().get(instance_type).efa_interface_count
        assert all(n["interface_type"] == "efa" for n in nics)
        assert [n["network_card_index"] for n in nics] == list(range(interfaces))
        assert [n["device_index"] for n in nics] == [0] + [1] * (interfaces - 1)


def test_cluster_placement_group_per_pool_and_az(prod: dict) -> None:
    groups = resources(prod, "aws_placement_group")
    assert all(g["strategy"] == "cluster" for g in groups.values())
    gpu_groups = [g for g in resources(prod, "aws_eks_node_group").values() if g["tags"]["trainyard.io/role"] == "gpu"]
    used = set()
    for group in gpu_groups:
        placement = _launch_template_for(prod, group)["placement"]["group_name"]
        name = re.match(r"\$\{aws_placement_group\.([^.]+)\.name\}", placement).group(1)
        assert groups[name]["tags"]["trainyard.io/zone"] == group["tags"]["trainyard.io/zone"]
        used.add(name)
    assert len(used) == len(gpu_groups) == len(groups)


def test_efa_security_group_is_self_referencing_only(prod: dict) -> None:
    efa = [g for g in resources(prod, "aws_security_group").values() if g["tags"].get("trainyard.io/sg-role") == "efa"]
    assert len(efa) == 1
    for rule in efa[0]["ingress"] + efa[0]["egress"]:
        assert rule["self"] is True and rule["protocol"] == "-1"
        assert not rule.get("cidr_blocks") and not rule.get("security_groups")


def test_fsx_persistent2_with_kms_and_only_lustre_ports(prod: dict) -> None:
    (fs,) = resources(prod, "aws_fsx_lustre_file_system").values()
    assert fs["deployment_type"] == "PERSISTENT_2"
    assert fs["kms_key_id"].startswith("${aws_kms_key.")
    assert fs["storage_capacity"] == 4800 and fs["per_unit_storage_throughput"] == 500
    (sg,) = [g for g in resources(prod, "aws_security_group").values() if g["tags"].get("trainyard.io/sg-role") == "fsx"]
    ports = {(r["from_port"], r["to_port"], r["protocol"]) for r in sg["ingress"]}
    assert ports == {(988, 988, "tcp"), (1018, 1023, "tcp")}
    for rule in sg["ingress"]:
        assert not rule.get("cidr_blocks"), "Lustre is reachable from security groups, never from CIDRs"
        assert rule.get("self") or rule.get("security_groups")


def test_eks_private_endpoint_secrets_encryption_and_logs(prod: dict) -> None:
    (cluster,) = resources(prod, "aws_eks_cluster").values()
    assert cluster["vpc_config"]["endpoint_private_access"] is True
    assert cluster["vpc_config"]["endpoint_public_access"] is False
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    assert cluster["encryption_config"]["provider"]["key_arn"].startswith("${aws_kms_key.")
    assert {"api", "audit", "authenticator"} <= set(cluster["enabled_cluster_log_types"])
    assert resources(prod, "aws_iam_openid_connect_provider"), "IRSA needs the cluster's OIDC provider"


def test_dev_public_endpoint_is_cidr_restricted(stacks: dict[str, dict]) -> None:
    (cluster,) = resources(stacks["dev"], "aws_eks_cluster").values()
    assert cluster["vpc_config"]["endpoint_public_access"] is True
    assert cluster["vpc_config"]["public_access_cidrs"] == ["203.0.113.0/24"]


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_imdsv2_required_and_root_volumes_encrypted(stacks: dict[str, dict], env: str) -> None:
    hop = load_environment(env).cluster.node_imds_hop_limit
    templates = resources(stacks[env], "aws_launch_template")
    assert templates
    for lt in templates.values():
        assert lt["metadata_options"]["http_tokens"] == "required"
        assert lt["metadata_options"]["http_put_response_hop_limit"] == hop
        for mapping in lt["block_device_mappings"]:
            assert mapping["ebs"]["encrypted"] == "true" and mapping["ebs"]["kms_key_id"].startswith("${aws_kms_key.")


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_cost_tags_on_every_taggable_resource(stacks: dict[str, dict], env: str) -> None:
    stack = stacks[env]
    spec = load_environment(env)
    providers = stack["provider"]["aws"]
    tagged_provider = [p for p in providers if "alias" not in p][0]
    default_tags = tagged_provider["default_tags"][0]["tags"]
    assert {k: default_tags[k] for k in REQUIRED_COST_TAGS} == {k: spec.cost_tags[k] for k in REQUIRED_COST_TAGS}
    untagged_aliases = {f"aws.{p['alias']}" for p in providers if "alias" in p and not p.get("default_tags")}
    for rtype, items in stack["resource"].items():
        for name, body in items.items():
            if rtype in UNTAGGABLE:
                continue
            if rtype in TAGGABLE_WITHOUT_DEFAULT_TAGS:
                specs = {s["resource_type"]: s["tags"] for s in body["tag_specifications"]}
                assert {"instance", "volume"} <= set(specs), name
                assert all(set(REQUIRED_COST_TAGS) <= set(tags) for tags in specs.values()), name
                continue
            if body.get("provider") in untagged_aliases:
                # Only where the target can't tag this type, and only by an explicit capability.
                assert env == "local" and rtype == "aws_budgets_budget", f"{rtype}.{name} escapes the cost tags"
                assert "budget_tags" in stack["//"]["trainyard"]["disabled_capabilities"]


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_no_iam_statement_allows_everything(stacks: dict[str, dict], env: str) -> None:
    stack = stacks[env]
    documents = [body["policy"] for body in resources(stack, "aws_iam_role_policy").values()]
    documents += [body["assume_role_policy"] for body in resources(stack, "aws_iam_role").values()]
    assert documents
    for document in documents:
        for statement in json.loads(document)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources_ = statement.get("Resource", [])
            resources_ = resources_ if isinstance(resources_, list) else [resources_]
            assert not ("*" in actions and "*" in resources_), statement
            assert not ("iam:PassRole" in actions and "*" in resources_), statement


def test_trainer_irsa_role_is_scoped_to_its_service_account_and_prefix(prod: dict) -> None:
    spec = load_environment("prod")
    (role,) = [r for n, r in resources(prod, "aws_iam_role").items() if n.startswith("trainer-role")]
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    (conditions,) = trust["Condition"].values()
    assert f"system:serviceaccount:{spec.iam.trainer_namespace}:{spec.iam.trainer_service_account}" in conditions.values()
    assert role["permissions_boundary"] == spec.iam.permissions_boundary_arn
    (policy,) = [p for n, p in resources(prod, "aws_iam_role_policy").items() if n.startswith("trainer-role")]
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert statements["ObjectsUnderPrefix"]["Resource"][0].endswith(f"/{spec.storage.checkpoints.prefix}*")


def test_budget_notifies_sns_at_every_threshold_and_idle_gpu_alarms(prod: dict) -> None:
    spec = load_environment("prod")
    (budget,) = resources(prod, "aws_budgets_budget").values()
    assert float(budget["limit_amount"]) == spec.budget.monthly_limit_usd
    actual = sorted(n["threshold"] for n in budget["notification"] if n["notification_type"] == "ACTUAL")
    assert actual == sorted(spec.budget.alert_thresholds_percent)
    assert all(n["subscriber_sns_topic_arns"] for n in budget["notification"])
    for topic in resources(prod, "aws_sns_topic").values():
        assert topic["kms_master_key_id"].startswith("${aws_kms_key.")
    alarms = resources(prod, "aws_cloudwatch_metric_alarm")
    gpu_groups = [g for g in resources(prod, "aws_eks_node_group").values() if g["tags"]["trainyard.io/role"] == "gpu"]
    assert len([a for a in alarms.values() if a["alarm_name"].endswith("-gpu-idle")]) == len(gpu_groups)
    (fn,) = resources(prod, "aws_lambda_function").values()
    assert len(json.loads(fn["environment"]["variables"]["NODEGROUPS"])) == len(gpu_groups)


def test_checkpoint_bucket_is_private_versioned_and_kms_encrypted(prod: dict) -> None:
    buckets = resources(prod, "aws_s3_bucket")
    assert any(b["bucket"] == "trainyard-prod-checkpoints" for b in buckets.values())
    assert len(resources(prod, "aws_s3_bucket_public_access_block")) == len(buckets)
    assert len(resources(prod, "aws_s3_bucket_versioning")) == len(buckets)
    assert len(resources(prod, "aws_s3_bucket_lifecycle_configuration")) == len(buckets)
    for enc in resources(prod, "aws_s3_bucket_server_side_encryption_configuration").values():
        rule = enc["rule"][0]["apply_server_side_encryption_by_default"]
        assert rule["sse_algorithm"] == "aws:kms" and rule["kms_master_key_id"].startswith("${aws_kms_key.")


def test_local_switches_off_only_what_the_emulator_lacks(stacks: dict[str, dict]) -> None:
    local = stacks["local"]
    meta = local["//"]["trainyard"]
    assert meta["emulated"] is True
    assert set(meta["disabled_capabilities"]) == {"placement_groups", "capacity_reservations", "eks_addons",
                                                 "fsx_data_repository_associations", "budget_tags",
                                                 "s3_lifecycle_rules"}
    assert not resources(local, "aws_placement_group") and not resources(local, "aws_eks_addon")
    for rtype in ("aws_vpc", "aws_eks_cluster", "aws_eks_node_group", "aws_fsx_lustre_file_system",
                  "aws_budgets_budget", "aws_iam_openid_connect_provider", "aws_lambda_function"):
        assert resources(local, rtype), f"local must still create {rtype}"
    for stack_name in ("dev", "prod"):
        assert stacks[stack_name]["//"]["trainyard"]["disabled_capabilities"] == []
        assert resources(stacks[stack_name], "aws_eks_addon")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_github_actions_roles_are_pinned_to_the_repo_and_this_environment(stacks: dict[str, dict], env: str) -> None:
    roles = {r["name"]: json.loads(r["assume_role_policy"])["Statement"][0]
             for r in resources(stacks[env], "aws_iam_role").values() if "-github-" in r["name"]}
    apply_sub = roles[f"trainyard-{env}-github-apply-{env}"]["Condition"]["StringEquals"]
    assert apply_sub["token.actions.githubusercontent.com:sub"] == f"repo:acme/trainyard:environment:{env}"
    plan = roles[f"trainyard-{env}-github-plan"]["Condition"]["StringEquals"]
    assert plan["token.actions.githubusercontent.com:sub"][0] == "repo:acme/trainyard:pull_request"
    assert set(stacks[env]["output"]) >= {"github_plan_role_arn", "github_apply_role_arn"}


def test_prod_reuses_the_accounts_github_oidc_provider_and_dev_creates_one(stacks: dict[str, dict]) -> None:
    def github_providers(env: str) -> list[dict]:
        return [v for v in resources(stacks[env], "aws_iam_openid_connect_provider").values()
                if v.get("url") == "https://token.actions.githubusercontent.com"]

    assert github_providers("prod") == []
    (dev_provider,) = github_providers("dev")
    assert dev_provider["client_id_list"] == ["sts.amazonaws.com"]
    prod_trust = [json.loads(r["assume_role_policy"])["Statement"][0]["Principal"]["Federated"]
                  for r in resources(stacks["prod"], "aws_iam_role").values() if "-github-" in r["name"]]
    assert prod_trust == ["arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com"] * 2
