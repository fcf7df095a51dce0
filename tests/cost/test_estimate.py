"""The worst-case cost estimate: ceiling counts every pool at max size in every zone, totals add up,
prices carry source and date, and an over-budget ceiling exits 3."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from infra.catalog import HOURS_PER_MONTH, aws_catalog
from infra.spec import load_environment, parse
from scripts import cost_estimate as ce

REPO = Path(__file__).resolve().parents[2]
TRAINYARD = str(REPO / ".venv" / "bin" / "trainyard")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRAINYARD, "estimate", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_ceiling_is_sum_of_items_and_counts_every_pool_at_max(env: str) -> None:
    spec = load_environment(env)
    est = ce.estimate(ce.inputs_from_spec(spec, source="spec"))
    for scenario in (est.ceiling, est.desired):
        assert scenario.total_usd == pytest.approx(sum(i.monthly_usd for i in scenario.items), abs=0.005)
    catalog = aws_catalog()
    for pool in spec.node_pools:
        item = next(i for i in est.ceiling.items if i.key == f"nodes.{pool.name}")
        assert item.quantity == pool.max_size * len(pool.zones)
        assert item.monthly_usd == pytest.approx(item.quantity * catalog.get(pool.instance_type).on_demand_usd_per_hour
                                                 * HOURS_PER_MONTH, abs=0.01)
        assert item.monthly_usd > 0  # scale-to-zero pools never show $0 at the ceiling
    assert all(i.price_source and i.price_as_of for i in est.ceiling.items)


def test_prod_json_cli_totals_add_up() -> None:
    out = _cli("--env", "prod", "--json", "--from-spec")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["ceiling"]["total_usd"] == pytest.approx(sum(i["monthly_usd"] for i in doc["ceiling"]["items"]), abs=0.005)
    gpu = [i for i in doc["ceiling"]["items"] if i["category"] == "gpu_nodes"]
    assert {i["key"] for i in gpu} == {"nodes.a100", "nodes.h100"} and [i["quantity"] for i in gpu] == [4, 4]
    assert doc["ceiling"]["total_usd"] <= doc["budget"]["monthly_limit_usd"]


def _over_budget_spec(tmp_path: Path, accept: bool) -> Path:
    import yaml

    data = yaml.safe_load((REPO / "stacks" / "environments" / "prod.yaml").read_text())
    data["budget"]["monthly_limit_usd"] = 50000
    data["budget"]["accept_ceiling_over_budget"] = accept
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(data))
    parse(data)  # still a valid spec
    return path


def test_over_budget_exits_3_unless_accepted(tmp_path: Path) -> None:
    over = _cli("--env", str(_over_budget_spec(tmp_path, accept=False)), "--from-spec")
    assert over.returncode == 3 and "OVER BUDGET" in over.stdout
    accepted = _cli("--env", str(_over_budget_spec(tmp_path, accept=True)), "--from-spec", "--json")
    assert accepted.returncode == 0 and json.loads(accepted.stdout)["gate"]["status"] == "accepted_over_budget"


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    for args in (["--env", "nope"], ["--env", "prod", "--against", str(tmp_path / "missing")]):
        out = _cli(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.strip()


def _stack_doc(max_size: int) -> dict:
    fixture = json.loads((REPO / "policies" / "fixtures" / "stack" / "compliant.tf.json").read_text())
    fixture["//"]["trainyard"]["gpu_pools"][0]["max_size"] = max_size
    return fixture


def test_diff_against_base_tree(tmp_path: Path) -> None:
    for root, size in ((tmp_path / "base", 2), (tmp_path / "head", 3)):
        (root / "stacks" / "prod").mkdir(parents=True)
        (root / "stacks" / "prod" / "cdk.tf.json").write_text(json.dumps(_stack_doc(size)))
    out = _cli("--env", "prod", "--json", "--synth-dir", str(tmp_path / "head"), "--against", str(tmp_path / "base"))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["source"].startswith("synth:")
    one_node = aws_catalog().get("p4d.24xlarge").on_demand_usd_per_month
    changed = {r["key"]: r["delta_usd"] for r in doc["diff"]["ceiling"]["changed_items"]}
    assert changed["nodes.a100"] == pytest.approx(one_node, abs=0.01)
    assert doc["diff"]["ceiling"]["delta_usd"] == pytest.approx(sum(changed.values()), abs=0.01)


def test_new_environment_diffs_against_zero(tmp_path: Path) -> None:
    out = _cli("--env", "dev", "--json", "--from-spec", "--against", str(tmp_path))
    doc = json.loads(out.stdout)
    assert doc["diff"]["ceiling"]["base_total_usd"] == 0 and doc["diff"]["ceiling"]["delta_usd"] == doc["ceiling"]["total_usd"]
