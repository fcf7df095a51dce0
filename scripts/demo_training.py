#!/usr/bin/env python
"""The training part of `make demo`: a 2-worker Ray run, a worker SIGKILLed partway, automatic recovery,
then a cost report and a dashboard summary scraped from rank 0's Prometheus /metrics.

    .venv/bin/python scripts/demo_training.py --run-dir runs/demo [--metrics-port 9464]

Exit 0 only when the run finished, the kill was detected and recovered from, and /metrics was scraped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHOW = ["trainyard_step", "trainyard_loss", "trainyard_tokens_per_second", "trainyard_checkpoint_save_seconds",
        "trainyard_recoveries_total", "trainyard_usd_total", "trainyard_goodput_ratio", "trainyard_recovery_seconds"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_metrics(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith("trainyard_"):
            name, _, value = line.rpartition(" ")
            out[name.split("{", 1)[0]] = float(value)
    return out


class Scraper(threading.Thread):
    """Polls /metrics while training runs; keeps the newest successful scrape (rank 0 restarts on recovery)."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.url, self.last, self.scrapes = f"http://127.0.0.1:{port}/metrics", {}, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                self.last = parse_metrics(urllib.request.urlopen(self.url, timeout=2).read().decode())
                self.scrapes += 1
            except OSError:
                pass  # not up yet, or rank 0 is being replaced


def steps_done(run_dir: Path) -> int:
    try:
        return len((run_dir / "metrics.jsonl").read_text().splitlines())
    except OSError:
        return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--metrics-port", type=int, default=0, help="default: a free port on 127.0.0.1")
    ap.add_argument("--max-steps", type=int, default=50)
    ap.add_argument("--kill-at-step", type=int, default=25)
    ap.add_argument("--gpu-hour-usd", type=float, default=4.10)
    args = ap.parse_args()
    run_dir = Path(args.run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)  # a demo starts fresh; training runs resume instead
    port = args.metrics_port or free_port()
    cmd = [sys.executable, "-m", "trainer", "train", "--model", "gpt-tiny", "--workers", "2", "--backend", "ray",
           "--max-steps", str(args.max_steps), "--checkpoint-every", "10", "--seed", "0", "--run-dir", str(run_dir),
           "--metrics-port", str(port), "--gpu-hour-usd", str(args.gpu_hour_usd), "--hang-timeout-s", "120"]
    print(f"[demo] {' '.join(cmd[1:])}", flush=True)
    print(f"[demo] rank 0 serves http://127.0.0.1:{port}/metrics; a worker will be SIGKILLed at step "
          f"{args.kill_at_step}", flush=True)
    scraper = Scraper(port)
    scraper.start()
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)
    killed_pid = None
    try:
        last_report = 0
        while proc.poll() is None:
            n = steps_done(run_dir)
            if n >= last_report + 10:
                print(f"[demo] progress: {n}/{args.max_steps} steps", flush=True)
                last_report = n - n % 10
            if killed_pid is None and n >= args.kill_at_step:
                workers = json.loads((run_dir / "workers.json").read_text())
                killed_pid = workers["pids"][1]
                # Marker first, so the trainer measures recovery from the kill, not from its detection.
                (run_dir / "faults").mkdir(exist_ok=True)
                (run_dir / "faults" / "demo-kill.json").write_text(
                    json.dumps({"pid": killed_pid, "rank": 1, "killed_unix": time.time()}))
                os.kill(killed_pid, signal.SIGKILL)
                print(f"[demo] >>> SIGKILL sent to rank 1 (pid {killed_pid}) after step {n}", flush=True)
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        scraper.done.set()
        scraper.join(timeout=5)
    if proc.returncode != 0:
        print(f"[demo] FAILED: trainer exited {proc.returncode}", file=sys.stderr)
        return 1
    summary = json.loads((run_dir / "summary.json").read_text())
    problems = []
    if killed_pid is None or summary["recoveries"] < 1 or not summary["recovery_s"]:
        problems.append("no worker kill was recovered from")
    if summary["final_step"] != args.max_steps:
        problems.append(f"finished at step {summary['final_step']}, expected {args.max_steps}")
    if not scraper.last:
        problems.append("/metrics was never scraped")
    steps = summary["final_step"] or 1
    print("\n==== recovery ====")
    print(f"  worker killed: rank 1 pid {killed_pid}; recoveries: {summary['recoveries']}")
    print(f"  kill -> training resumed (next completed step): {summary['recovery_s']} s")
    print(f"  steps lost and recomputed: {summary['lost_steps']}")
    print("==== cost report ====")
    print(f"  price: ${args.gpu_hour_usd}/GPU-hour x 2 workers, wall {summary['wall_s']:.1f} s (start-up included)")
    print(f"  total: ${summary['usd_total']:.5f}   per step: ${summary['usd_total'] / steps:.7f}")
    print(f"  goodput: {summary['goodput_frac']:.3f}   checkpoint overhead: {summary['checkpoint_overhead_frac']:.4f}")
    productive_s = summary["goodput_frac"] * summary["wall_s"]
    print(f"    (goodput = surviving step time {productive_s:.1f} s / wall {summary['wall_s']:.1f} s: a {steps}-step "
          "demo is mostly Ray start-up and the recovery; a long run pays those once)")
    print(f"  final loss: {summary['final_loss']:.4f} at step {summary['final_step']}")
    print(f"==== dashboard (last of {scraper.scrapes} scrapes of /metrics) ====")
    for name in SHOW:
        if name in scraper.last:
            print(f"  {name:44s} {scraper.last[name]:.6g}")
    if problems:
        print(f"[demo] FAILED: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print("[demo] training demo OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
