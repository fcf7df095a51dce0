"""Shared trainer fixtures. Multi-process Ray runs are session-scoped: each costs ~15-25 s on 2 cores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = ["--model", "gpt-tiny", "--seed", "0", "--gpu-hour-usd", "2.0"]


def trainer_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainer", "train", *args]


def run_trainer(args: list[str], timeout: float = 240, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(trainer_cmd(*args), cwd=REPO, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def read_metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]


def read_summary(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text())


def losses(run_dir: Path) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in read_metrics(run_dir)}


RAY_ARGS = [*TINY, "--backend", "ray", "--workers", "2", "--max-steps", "30", "--checkpoint-every", "10",
            "--hang-timeout-s", "60"]


@pytest.fixture(scope="session")
def ray_baseline(tmp_path_factory) -> Path:
    """Uninterrupted 2-worker Ray run: the reference every recovery must reproduce bit for bit."""
    run_dir = tmp_path_factory.mktemp("ray-baseline")
    proc = run_trainer([*RAY_ARGS, "--run-dir", str(run_dir)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return run_dir


@pytest.fixture(scope="session")
def ray_killed(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Same run, rank 1's process SIGKILLed at the start of step 16 (after checkpoint 10, before 20)."""
    run_dir = tmp_path_factory.mktemp("ray-killed")
    proc = run_trainer([*RAY_ARGS, "--run-dir", str(run_dir), "--fault-kill-rank", "1", "--fault-at-step", "16"])
    return run_dir, proc


@pytest.fixture(scope="session")
def local_run(tmp_path_factory) -> Path:
    """A finished 1-process run with checkpoints at 10, 20, 30 (copied per test before corrupting)."""
    from trainer.cli import main

    run_dir = tmp_path_factory.mktemp("local-run")
    code = main(["train", *TINY, "--backend", "local", "--max-steps", "30", "--checkpoint-every", "10",
                 "--run-dir", str(run_dir)])
    assert code == 0
    return run_dir
