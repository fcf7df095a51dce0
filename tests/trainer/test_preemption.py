"""SIGTERM (spot reclaim, pod eviction): emergency checkpoint, exit 4, and the run resumes from it."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from trainer.checkpoint import LocalStorage, verify_checkpoint

from .conftest import REPO, TINY, read_metrics, read_summary, run_trainer, trainer_cmd

pytestmark = pytest.mark.slow


def test_sigterm_writes_emergency_checkpoint_and_exits_4(tmp_path):
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        trainer_cmd(*TINY, "--backend", "ray", "--workers", "2", "--max-steps", "5000", "--checkpoint-every", "0",
                    "--run-dir", str(run_dir)),
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            metrics = run_dir / "metrics.jsonl"
            if metrics.exists() and len(metrics.read_text().splitlines()) >= 5:
                break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        else:
            pytest.fail("training never reached step 5")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 4, out
    summary = read_summary(run_dir)
    assert summary["stopped_by"] == "signal"
    step = summary["final_step"]
    assert 5 <= step < 5000
    storage = LocalStorage(str(run_dir / "checkpoints"))
    # --checkpoint-every 0: the only checkpoint is the emergency one, at the step we stopped after
    assert storage.read_pointer() == f"step-{step:08d}"
    manifest, _ = verify_checkpoint(storage, f"step-{step:08d}")
    assert manifest["step"] == step

    # Resumable: a new invocation (here on 1 worker, the elastic path) continues at step+1.
    resumed = run_trainer([*TINY, "--backend", "local", "--max-steps", str(step + 3), "--checkpoint-every", "0",
                           "--run-dir", str(run_dir)])
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from step-{step:08d}" in resumed.stdout
    assert [r["step"] for r in read_metrics(run_dir)] == list(range(1, step + 4))
    assert read_summary(run_dir)["usd_total"] > summary["usd_total"]  # spend carries over; no fresh budget
