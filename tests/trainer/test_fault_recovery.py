"""Killing a Ray worker process mid-run: detected, resumed from the last checkpoint, identical losses."""

from __future__ import annotations

import json

import pytest

from .conftest import losses, read_metrics, read_summary

pytestmark = pytest.mark.slow


def test_killed_worker_run_reproduces_uninterrupted_losses(ray_baseline, ray_killed):
    run_dir, proc = ray_killed
    assert proc.returncode == 0, proc.stdout + proc.stderr
    marker = json.loads((run_dir / "faults" / "kill-rank1-step16.json").read_text())
    assert marker["pid"] > 0  # the hook really fired (a real SIGKILL of that pid)
    assert "failure policy: RETRY" in proc.stdout
    assert "resuming from step-00000010" in proc.stdout

    base, killed = losses(ray_baseline), losses(run_dir)
    assert sorted(killed) == list(range(1, 31))
    assert killed == base  # bit-identical on CPU, every step
    # The data each step saw is identical too (cursor = samples consumed by all ranks).
    assert [r["sample_cursor"] for r in read_metrics(run_dir)] == [r["sample_cursor"] for r in read_metrics(ray_baseline)]


def test_recovery_is_measured_and_recorded(ray_killed):
    run_dir, proc = ray_killed
    summary = read_summary(run_dir)
    assert summary["recoveries"] == 1
    assert len(summary["recovery_s"]) == 1
    assert 0 < summary["recovery_s"][0] <= 30  # kill -> next completed step, the local bar
    assert summary["lost_steps"] == 5  # steps 11..15 ran once, were lost with the worker, and re-ran
    assert summary["stopped_by"] == "max_steps" and summary["final_step"] == 30
    assert 0 < summary["goodput_frac"] < 1
    lost = [json.loads(x) for x in (run_dir / "metrics-lost.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lost] == list(range(11, 16))


def test_run_outputs_match_the_contract(ray_baseline):
    s = read_summary(ray_baseline)
    for key in ("final_step", "final_loss", "recoveries", "recovery_s", "checkpoint_overhead_frac", "goodput_frac",
                "usd_total", "stopped_by"):
        assert key in s
    rec = read_metrics(ray_baseline)[0]
    for key in ("step", "loss", "lr", "tokens_per_s", "step_time_s", "usd", "workers"):
        assert key in rec
    assert rec["workers"] == 2
    ckpts = ray_baseline / "checkpoints"
    assert (ckpts / "LATEST").read_text().strip() == "step-00000030"
    assert sorted(p.name for p in ckpts.iterdir() if p.is_dir()) == ["step-00000010", "step-00000020", "step-00000030"]
    manifest = json.loads((ckpts / "step-00000030" / "manifest.json").read_text())
    assert manifest["step"] == 30
    files = {p.name for p in (ckpts / "step-00000030").iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    # usd = price x workers x wall hours, wall counted from process start
    assert s["usd_total"] == pytest.approx(2.0 * 2 * s["wall_s"] / 3600, rel=0.25)
