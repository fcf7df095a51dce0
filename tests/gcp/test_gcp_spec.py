"""`cloud: gcp` spec validation: GCP machine types, zones that offer them, labels — every error at once,
while the AWS checks stay exactly as they were (tests/infra/test_spec.py)."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra.spec import Cloud, SpecError, load, parse

REPO = Path(__file__).resolve().parents[2]
GCP_PROD = REPO / "stacks" / "environments" / "gcp-prod.yaml"


def _data() -> dict:
    return yaml.safe_load(GCP_PROD.read_text())


def _issues(data: dict) -> dict[str, str]:
    with pytest.raises(SpecError) as exc:
        parse(data)
    return {issue.path: issue.message for issue in exc.value.issues}


def test_gcp_prod_is_valid_and_gcp_shaped() -> None:
    spec = load(GCP_PROD)
    assert spec.cloud is Cloud.gcp and spec.gcp is not None
    assert {p.instance_type for p in spec.node_pools} == {"a2-ultragpu-8g", "a3-megagpu-8g"}
    assert all(len(p.zones) == 2 for p in spec.node_pools)
    assert spec.cluster.system_pool.instance_type.startswith("n2-")
    assert not any(p.use_efa for p in spec.node_pools)


def test_bad_type_zone_and_label_are_reported_at_once() -> None:
    data = _data()
    data["node_pools"][0]["instance_type"] = "a3-megagpu-8"
    data["availability_zones"] = ["us-central1-a", "us-central1-c", "us-central1-f"]
    data["node_pools"][1]["zones"] = ["us-central1-a", "us-central1-f"]
    data["cost_tags"]["CostCenter"] = data["cost_tags"].pop("cost-center")
    issues = _issues(data)
    assert "did you mean 'a3-megagpu-8g'" in issues["node_pools[0].instance_type"]
    assert "not offered in zone(s) us-central1-f" in issues["node_pools[1].zones"]
    assert "us-central1-a, us-central1-c" in issues["node_pools[1].zones"]  # where it IS offered
    assert "'CostCenter'" in issues["cost_tags"] and "use 'costcenter'" in issues["cost_tags"]
    assert "cost-center" in issues["cost_tags"]  # the required label is now missing


@pytest.mark.parametrize(("mutate", "path", "fragment"), [
    (lambda d: d.__setitem__("region", "us-east-1"), "region", "not a GCP region like 'us-central1'"),
    (lambda d: d.__setitem__("availability_zones", ["us-central1a", "us-central1-c"]), "availability_zones",
     "GCP zones look like 'us-central1-a'"),
    (lambda d: d["cost_tags"].__setitem__("owner", "ml-platform@example.com"), "cost_tags",
     "use 'ml-platform_example_com'"),
    (lambda d: d["node_pools"][0].__setitem__("instance_type", "p4d.24xlarge"), "node_pools[0].instance_type",
     "not a known type"),
    (lambda d: d["cluster"].__setitem__("kubernetes_version", "1.29"), "cluster.kubernetes_version",
     "GKE does not offer"),
    (lambda d: d["gcp"].__setitem__("network_mtu", 1460), "", "needs 8244 on its GPU NIC networks"),
    (lambda d: d["gcp"].__setitem__("billing_account", "nope"), "gcp.billing_account", "billing account id"),
    (lambda d: d["node_pools"][1].__setitem__("capacity", {"type": "capacity_block", "reservation_id": "x"}),
     "node_pools[1].capacity", "on GCP use capacity_reservation"),
    (lambda d: d["storage"].__setitem__("fsx", {"size_gib": 1200}), "", "on GCP use storage.filestore"),
    (lambda d: d.pop("gcp"), "", "cloud: gcp needs a gcp block"),
    (lambda d: d["gcp"].__setitem__("master_authorized_networks", ["0.0.0.0/0"]), "gcp.master_authorized_networks",
     "opens the control plane to the whole internet"),
    (lambda d: d.setdefault("iam", {}).__setitem__("github_actions", {"repository": "acme/trainyard",
                                                        "apply_role_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}),
     "", "Workload Identity Federation"),
])
def test_each_gcp_mistake_names_its_field(mutate, path: str, fragment: str) -> None:
    data = copy.deepcopy(_data())
    mutate(data)
    issues = _issues(data)
    assert path in issues, issues
    assert fragment in issues[path], issues[path]


def test_a_gcp_block_on_aws_is_rejected() -> None:
    data = yaml.safe_load((REPO / "stacks" / "environments" / "prod.yaml").read_text())
    data["gcp"] = _data()["gcp"]
    assert "only applies to cloud: gcp" in _issues(data)[""]


def test_validate_cli_on_gcp_prod() -> None:
    cli = [sys.executable, "-c", "import sys; from infra.cli import main; sys.exit(main())"]
    ok = subprocess.run([*cli, "validate", str(GCP_PROD)], capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0, ok.stderr
    assert "a3-megagpu-8g" in ok.stdout
