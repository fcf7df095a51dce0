"""The environment spec: good files load; bad files fail with every error at once, each naming its field."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra.spec import SpecError, all_environment_files, load, parse

REPO = Path(__file__).resolve().parents[2]


def _base() -> dict:
    return yaml.safe_load((REPO / "stacks/environments/prod.yaml").read_text())


def _issues(data: dict) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        parse(data)
    return {issue.path: issue.message for issue in info.value.issues}


def test_shipped_environments_are_valid() -> None:
    names = {load(path).name for path in all_environment_files()}
    assert {"local", "dev", "prod"} <= names


def test_prod_is_multi_az_and_heterogeneous() -> None:
    prod = load(REPO / "stacks/environments/prod.yaml")
    types = {pool.instance_type for pool in prod.node_pools}
    assert {"p4d.24xlarge", "p5.48xlarge"} <= types
    assert all(len(pool.zones) >= 2 for pool in prod.node_pools)


def test_spec_is_frozen() -> None:
    prod = load(REPO / "stacks/environments/prod.yaml")
    with pytest.raises(Exception):
        prod.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("mutate, path, fragment", [
    (lambda d: d["node_pools"][1].update(instance_type="p5.48xl"), "node_pools[1].instance_type",
     "did you mean 'p5.48xlarge'"),
    (lambda d: d["node_pools"][0].update(zonez=["us-east-1a"]), "node_pools[0].zonez", "did you mean 'zones'"),
    (lambda d: d.update(availability_zones=["us-east-1a", "eu-west-1b"]), "availability_zones", "not in region"),
    (lambda d: d["node_pools"][0].update(min_size=3, desired_size=1, max_size=2), "node_pools[0].max_size",
     "min_size ≤ desired_size ≤ max_size"),
    (lambda d: d["node_pools"][0].update(capacity={"type": "spot", "reservation_id": "cr-0123456789abcdef0"}),
     "node_pools[0].capacity", "cannot target a capacity reservation"),
    (lambda d: d["budget"].update(monthly_limit_usd=0), "budget.monthly_limit_usd", "must be > 0"),
    (lambda d: d["cost_tags"].pop("CostCenter"), "cost_tags", "CostCenter"),
    (lambda d: d["cluster"].update(service_ipv4_cidr="10.0.128.0/20"), "", "overlaps"),
    (lambda d: d["node_pools"][1].update(instance_type="p5e.48xlarge"), "node_pools[1].instance_type",
     "not offered in us-east-1"),
    (lambda d: d["cluster"].update(kubernetes_version=1.3), "cluster.kubernetes_version", 'quote it: "1.30"'),
    (lambda d: d.update(availability_zones=["us-east-1a"]), "availability_zones", "at least 2"),
    (lambda d: d["node_pools"][0].update(zones=["us-east-1d"]), "node_pools[0].zones",
     "not one of the environment's availability_zones"),
    (lambda d: d["storage"]["fsx"].update(size_gib=3000), "storage.fsx.size_gib", "multiple of 2400"),
    (lambda d: d["cluster"].update(endpoint_public_access=True), "cluster.public_access_cidrs", "is empty"),
    (lambda d: d["node_pools"][0]["capacity"].update(type="spott"), "node_pools[0].capacity.type",
     "did you mean 'spot'"),
    (lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["0.0.0.0/0"]),
     "cluster.public_access_cidrs", "opens the API endpoint to the whole internet"),
    (lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["10.0.0.1/8"]),
     "cluster.public_access_cidrs", "not a valid CIDR"),
    (lambda d: d["iam"]["github_actions"].update(repository="acme/*"), "iam.github_actions.repository",
     "no wildcards"),
    (lambda d: d["iam"]["github_actions"].update(plan_role_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
     "iam.github_actions.plan_role_policy_arns", "must stay read-only"),
    (lambda d: d["iam"]["github_actions"].update(apply_role_policy_arns=[]), "iam.github_actions.apply_role_policy_arns",
     "at least 1"),
    (lambda d: d["iam"]["github_actions"].update(plan_on_ref="main"), "iam.github_actions.plan_on_ref",
     "refs/heads/main"),
])
def test_each_bad_input_names_its_field(mutate, path, fragment) -> None:
    data = _base()
    mutate(data)
    issues = _issues(data)
    assert path in issues, issues
    assert fragment in issues[path], issues[path]


def test_all_errors_are_reported_at_once() -> None:
    data = _base()
    data["node_pools"][1]["instance_type"] = "p5.48xl"
    data["node_pools"][0].update(min_size=3, desired_size=1, max_size=2)
    data["budget"]["monthly_limit_usd"] = -5
    data["cost_tags"].pop("Owner")
    data["network"]["nat_gateway"] = "single"
    issues = _issues(data)
    assert {"node_pools[1].instance_type", "node_pools[0].max_size", "budget.monthly_limit_usd", "cost_tags",
            "network.nat_gateway"} <= set(issues)


@pytest.mark.parametrize("text, fragment", [
    ("name: [unclosed", "not valid YAML at line 1"),
    ("- just\n- a list\n", "must hold a mapping"),
    ("", "must hold a mapping"),
])
def test_unreadable_files_get_one_clear_line(tmp_path: Path, text: str, fragment: str) -> None:
    spec = tmp_path / "env.yaml"
    spec.write_text(text)
    with pytest.raises(SpecError) as info:
        load(spec)
    assert fragment in str(info.value)


def test_validate_cli_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    data = _base()
    data["node_pools"][1]["instance_type"] = "p5.48xl"
    data["budget"]["monthly_limit_usd"] = 0
    bad.write_text(yaml.safe_dump(data))
    cli = [sys.executable, "-m", "infra.cli", "validate"]
    proc = subprocess.run([*cli, str(bad)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("node_pools[1].instance_type: 'p5.48xl' is not a known type; did you mean")
    assert any(line.startswith("budget.monthly_limit_usd:") for line in lines)
    assert "Traceback" not in proc.stderr
    good = subprocess.run([*cli, *map(str, all_environment_files())], capture_output=True, text=True, cwd=REPO)
    assert good.returncode == 0, good.stderr
    missing = subprocess.run([*cli, str(tmp_path / "nope.yaml")], capture_output=True, text=True, cwd=REPO)
    assert missing.returncode == 2 and "nope.yaml: file not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    by_name = subprocess.run([*cli, "--env", "prod", "dev"], capture_output=True, text=True, cwd=REPO)
    assert by_name.returncode == 0 and "prod: ok" in by_name.stdout and "dev: ok" in by_name.stdout
    nothing = subprocess.run(cli, capture_output=True, text=True, cwd=REPO)
    assert nothing.returncode == 2 and "trainyard validate --env prod" in nothing.stderr


def test_trainyard_train_hands_every_flag_to_the_trainer() -> None:
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "train", "--model", "nope"], capture_output=True,
                          text=True, cwd=REPO)
    assert proc.returncode == 2
    assert "--model" in proc.stderr and "gpt-tiny" in proc.stderr and "Traceback" not in proc.stderr
