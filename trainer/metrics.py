"""Per-step metrics (metrics.jsonl), the Prometheus exporter on rank 0, and summary.json.

metrics.jsonl holds one line per *surviving* step: when a run resumes from step S, lines
after S move to metrics-lost.jsonl (they were computed, paid for, and thrown away). That makes
goodput a plain sum over metrics.jsonl and keeps "the loss at step k" unambiguous.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

METRICS = "metrics.jsonl"
LOST = "metrics-lost.jsonl"
SUMMARY = "summary.json"


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a SIGKILL mid-write is not a step that survived
    return out


class MetricsLog:
    def __init__(self, run_dir: str):
        self.path = Path(run_dir) / METRICS
        self.lost_path = Path(run_dir) / LOST

    def append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def truncate_after(self, step: int) -> int:
        """Keep steps <= step, move the rest to metrics-lost.jsonl. Returns how many were lost."""
        records = read_jsonl(self.path)
        keep = [r for r in records if r["step"] <= step]
        lost = [r for r in records if r["step"] > step]
        if lost:
            with open(self.lost_path, "a") as f:
                f.writelines(json.dumps(r) + "\n" for r in lost)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in keep))
        os.replace(tmp, self.path)
        return len(lost)

    def records(self) -> list[dict]:
        return read_jsonl(self.path)

    def lost_records(self) -> list[dict]:
        return read_jsonl(self.lost_path)


class PromExporter:
    """trainyard_* gauges on a private registry (no default process collectors to clash with)."""

    def __init__(self, port: int, host: str, run_id: str, model: str):
        from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

        self.registry = CollectorRegistry()
        labels = {"run_id": run_id, "model": model}
        names = ["run_id", "model"]

        def gauge(name: str, doc: str):
            return Gauge(name, doc, names, registry=self.registry).labels(**labels)

        self.step = gauge("trainyard_step", "Last completed training step")
        self.loss = gauge("trainyard_loss", "Training loss at the last step (mean over ranks)")
        self.tokens_per_second = gauge("trainyard_tokens_per_second", "Throughput (tokens or samples per second)")
        self.step_time_seconds = gauge("trainyard_step_time_seconds", "Wall time of the last step")
        self.checkpoint_save_seconds = gauge(
            "trainyard_checkpoint_save_seconds", "Duration of the last completed checkpoint write")
        self.checkpoint_block_seconds = gauge(
            "trainyard_checkpoint_block_seconds", "Time the step loop was blocked by the last checkpoint")
        self.recoveries = Counter("trainyard_recoveries", "Recoveries from worker failures", names,
                                  registry=self.registry).labels(**labels)
        self.usd_total = gauge("trainyard_usd_total", "Dollars spent by this run so far")
        self.budget_usd = gauge("trainyard_budget_usd", "Configured budget in dollars (0 = none)")
        self.goodput_ratio = gauge("trainyard_goodput_ratio", "Fraction of wall time spent on surviving steps")
        self.last_checkpoint_timestamp_seconds = gauge(
            "trainyard_last_checkpoint_timestamp_seconds", "Unix time of the last completed checkpoint")
        self.checkpoint_interval_seconds = gauge(
            "trainyard_checkpoint_interval_seconds", "Current target interval between checkpoints")
        self.recovery_seconds = gauge("trainyard_recovery_seconds", "Last failure-to-next-completed-step time")
        self.workers = gauge("trainyard_workers", "Workers in the current attempt")
        self.server, self.thread = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def summarize(run_dir: str, *, stopped_by: str, wall_s: float, usd_total: float, recoveries: int,
              recovery_s: list[float], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """summary.json from the metrics files; wall_s/usd are cumulative over invocations of the run dir."""
    log = MetricsLog(run_dir)
    kept, lost = log.records(), log.lost_records()
    productive_s = sum(r["step_time_s"] for r in kept)
    block_s = sum(r.get("checkpoint_block_s", 0.0) for r in kept + lost)
    last = kept[-1] if kept else {}
    summary = {
        "final_step": last.get("step", 0),
        "final_loss": last.get("loss"),
        "recoveries": recoveries,
        "recovery_s": [round(x, 3) for x in recovery_s],
        "checkpoint_overhead_frac": round(block_s / wall_s, 6) if wall_s > 0 else 0.0,
        "checkpoint_block_s_total": round(block_s, 4),
        "goodput_frac": round(productive_s / wall_s, 6) if wall_s > 0 else 0.0,
        "lost_steps": len(lost),
        "usd_total": round(usd_total, 6),
        "usd_per_step": round(usd_total / len(kept), 8) if kept else None,
        "wall_s": round(wall_s, 3),
        "stopped_by": stopped_by,
        **(extra or {}),
    }
    path = Path(run_dir) / SUMMARY
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    os.replace(tmp, path)
    return summary
