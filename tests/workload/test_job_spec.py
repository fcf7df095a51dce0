"""Validation of the jobs: section: every problem reported at once, with the field path."""
from __future__ import annotations

import copy

import pytest
import yaml

from infra.spec import SpecError, environment_path, parse


@pytest.fixture()
def prod_data():
    return yaml.safe_load(environment_path("prod").read_text())


def _issues(data) -> dict[str, str]:
    with pytest.raises(SpecError) as exc:
        parse(data)
    return {issue.path: issue.message for issue in exc.value.issues}


def test_all_job_errors_at_once(prod_data):
    data = copy.deepcopy(prod_data)
    data["jobs"][0]["pool"] = "h200"
    data["jobs"][0]["image"] = "trainyard-trainer:latest"
    data["jobs"][1]["gpus_per_worker"] = 16
    data["jobs"][1]["workers_min"] = 4
    issues = _issues(data)
    assert issues["jobs[0].pool"] == "'h200' is not a node pool of this environment; pools: a100, h100"
    assert "not pinned by digest" in issues["jobs[0].image"]
    assert "16 GPUs per worker do not fit on one p4d.24xlarge node" in issues["jobs[1].gpus_per_worker"]
    assert "workers_min (4) must be ≤ workers_max (2)" in issues["jobs[1].workers_max"]


@pytest.mark.parametrize("workers, needle", [("4:2", "1 ≤ MIN ≤ MAX"), ("two", "is not N or"), ("0:1", "1 ≤ MIN")])
def test_bad_workers_range(prod_data, workers, needle):
    data = copy.deepcopy(prod_data)
    data["jobs"][0]["workers"] = workers
    assert needle in _issues(data)["jobs[0].workers"]


def test_other_job_checks(prod_data):
    data = copy.deepcopy(prod_data)
    data["jobs"][0].update(model="gpt-smal", budget_usd=0, checkpoint_every=0, colour="red")
    data["jobs"][1]["name"] = data["jobs"][0]["name"]
    issues = _issues(data)
    assert "did you mean 'gpt-small'" in issues["jobs[0].model"]
    assert "greater than 0" in issues["jobs[0].budget_usd"]
    assert "positive number of steps or 'auto'" in issues["jobs[0].checkpoint_every"]
    assert "unknown key 'colour'" in issues["jobs[0].colour"]
    assert "used by more than one job" in issues["jobs[1].name"]


def test_fsx_checkpoints_need_fsx(prod_data):
    data = copy.deepcopy(prod_data)
    del data["storage"]["fsx"]
    issues = _issues(data)
    assert "needs storage.fsx" in issues["jobs[1].checkpoint_store"]


def test_workers_shorthand_equals_explicit_bounds(prod_data):
    spec = parse(prod_data)
    assert [(j.workers_min, j.workers_max) for j in spec.jobs] == [(1, 2), (1, 2)]
