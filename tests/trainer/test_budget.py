"""Budget guardrail: stops before overspending, with a durable checkpoint that fits inside the budget; exit 3."""

from __future__ import annotations

import pytest

from trainer.checkpoint import LocalStorage, verify_checkpoint
from trainer.cli import main
from trainer.cost import BudgetGuard, auto_interval_steps, usd_for, young_daly_interval_s

from .conftest import read_metrics, read_summary


def test_budget_stop_checkpoints_and_exits_3(tmp_path, capsys):
    run_dir = tmp_path / "run"
    # $360/h for one worker = $0.10/s, so a $0.30 budget buys ~3 s of wall time (start-up included).
    code = main(["train", "--model", "gpt-tiny", "--backend", "local", "--max-steps", "1000000",
                 "--checkpoint-every", "50", "--gpu-hour-usd", "360", "--budget-usd", "0.30",
                 "--run-dir", str(run_dir)])
    assert code == 3, capsys.readouterr()
    s = read_summary(run_dir)
    assert s["stopped_by"] == "budget"
    assert 0 < s["usd_total"] <= 0.30  # the final checkpoint's cost is inside the budget
    assert s["usd_total"] > 0.30 * 0.5  # and the guardrail did not stop absurdly early
    step = s["final_step"]
    storage = LocalStorage(str(run_dir / "checkpoints"))
    assert storage.read_pointer() == f"step-{step:08d}"
    verify_checkpoint(storage, f"step-{step:08d}")
    assert all(r["usd"] <= 0.30 for r in read_metrics(run_dir))


def test_guard_predicts_next_step_plus_checkpoint():
    guard = BudgetGuard(budget_usd=1.0, gpu_hour_usd=3600.0, safety=1.0, slack_s=0.0)  # $1 per worker-second
    assert not guard.should_stop(0.5, workers=1, next_step_s=0.2, final_checkpoint_s=0.2)  # 0.9 <= 1
    assert guard.should_stop(0.5, workers=1, next_step_s=0.3, final_checkpoint_s=0.3)  # 1.1 > 1
    assert guard.should_stop(0.5, workers=2, next_step_s=0.2, final_checkpoint_s=0.2)  # 2 workers: 1.3 > 1
    assert not BudgetGuard(None, 3600.0).should_stop(1e9, 8, 10, 10)


def test_cost_and_young_daly():
    assert usd_for(4.0, 8, 3600) == pytest.approx(32.0)
    assert young_daly_interval_s(2.0, 3600.0) == pytest.approx(120.0)  # sqrt(2*2*3600)
    # MTBF = 3600 / (0.5 * 2) = 3600 s -> 120 s -> 120 steps of 1 s; capped by max_steps
    assert auto_interval_steps(2.0, 1.0, 0.5, 2, 10_000) == 120
    assert auto_interval_steps(2.0, 1.0, 0.5, 2, 50) == 50
    assert auto_interval_steps(2.0, 1.0, 0.5, 8, 10_000) == 60  # 4x workers -> half the interval
