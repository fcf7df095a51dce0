"""Backend-independent driver duties: run dir, resume point, cost ledger, summary, exit code.

The ray and local backends differ only in how they start workers and notice failures; both
use RunDriver so a run resumed by either reads and writes the same files.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from .checkpoint import build_storage, find_resume_point
from .checkpoint.format import step_of
from .config import TrainConfig
from .errors import EXIT_BUDGET, EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL, BadInput
from .loop import WorkerContext
from .metrics import SUMMARY, MetricsLog, summarize

EXIT_FOR = {"max_steps": EXIT_OK, "budget": EXIT_BUDGET, "signal": EXIT_SIGNAL, "already_complete": EXIT_OK}


def say(msg: str) -> None:
    print(f"[trainer] {msg}", flush=True)


def warn(msg: str) -> None:
    print(f"[trainer] {msg}", file=sys.stderr, flush=True)


class RunDriver:
    def __init__(self, cfg: TrainConfig, lead: bool = True, run_start_unix: float | None = None):
        self.run_start_unix = run_start_unix or time.time()
        self.cfg, self.lead = cfg, lead
        self.run_dir = Path(cfg.run.run_dir)
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            probe = self.run_dir / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise BadInput(f"run.run_dir (--run-dir): '{self.run_dir}' is not writable ({exc.strerror}); "
                           "pick a directory you can write to") from None
        self.storage = build_storage(cfg.checkpoint_uri)
        self.metrics = MetricsLog(str(self.run_dir))
        self.run_id = self.run_dir.resolve().name
        self.stop_event = threading.Event()
        self.stop_reason: str | None = None
        # (attempt, failure_unix) per recovery; turned into kill -> next-completed-step seconds at the end.
        self.recoveries: list[tuple[int, float]] = []
        self.prior = self._prior_invocation()
        self.usd_base = self.prior.get("usd_total", 0.0)
        self.cost_base_unix = self.run_start_unix

    def _prior_invocation(self) -> dict:
        """Spend and wall time of earlier invocations of this run dir, so a resumed job does not get a fresh budget."""
        if not self.cfg.checkpoint.resume:
            return {}
        try:
            prior = json.loads((self.run_dir / SUMMARY).read_text())
            return {k: prior.get(k, d) for k, d in [("usd_total", 0.0), ("wall_s", 0.0), ("recoveries", 0)]} | \
                {"recovery_s": list(prior.get("recovery_s", []))}
        except (OSError, ValueError):
            records = self.metrics.records() + self.metrics.lost_records()
            return {"usd_total": max((r.get("usd", 0.0) for r in records), default=0.0)}

    def pick_resume(self) -> tuple[str | None, int]:
        """Newest intact checkpoint (warning about each skipped one); clears the lost timeline after it."""
        if not self.cfg.checkpoint.resume:
            return None, 0
        found = find_resume_point(self.storage, warn=warn)
        if found is None and self.storage.list_checkpoints():
            # Silently restarting from step 0 would throw away a run someone paid for; make it a decision.
            raise BadInput(f"checkpoint.uri: checkpoints exist in {self.storage.uri} but none is intact "
                           "(see warnings above); restore one, or pass --resume false / a new --run-dir to start over")
        if found is None:
            if self.lead and self.metrics.records():
                self.metrics.truncate_after(0)
            return None, 0
        name, manifest, _ = found
        step = int(manifest["step"])
        if self.lead:
            for other in self.storage.list_checkpoints():
                if step_of(other) > step:  # corrupt or from a timeline we are abandoning
                    self.storage.delete_checkpoint(other)
            lost = self.metrics.truncate_after(step)
            say(f"resuming from {name} (step {step}; {lost} later step(s) recomputed)")
        return name, step

    def context(self, rank: int, world: int, attempt: int, resume_from: str | None,
                failure_unix: float | None = None, **kw) -> WorkerContext:
        productive = sum(r["step_time_s"] for r in self.metrics.records())
        return WorkerContext(rank=rank, world_size=world, attempt=attempt, resume_from=resume_from,
                             usd_base=self.usd_base, cost_base_unix=self.cost_base_unix,
                             recoveries=self.prior.get("recoveries", 0) + len(self.recoveries),
                             failure_unix=failure_unix, run_id=self.run_id,
                             run_start_unix=self.run_start_unix - self.prior.get("wall_s", 0.0),
                             productive_s_base=productive, stop_event=self.stop_event, **kw)

    def bill_segment(self, workers: int, until_unix: float) -> None:
        """Close a billing segment (workers changed or restarted): dollars so far at the old worker count."""
        from .cost import usd_for

        self.usd_base += usd_for(self.cfg.cost.gpu_hour_usd, workers, until_unix - self.cost_base_unix)
        self.cost_base_unix = until_unix

    def request_stop(self, reason: str = "signal") -> None:
        self.stop_reason = reason
        self.stop_event.set()

    def recovery_seconds(self) -> list[float]:
        records = self.metrics.records() + self.metrics.lost_records()
        out = []
        for attempt, failure_unix in self.recoveries:
            firsts = [r["time_unix"] for r in records if r.get("attempt") == attempt]
            if firsts:
                out.append(min(firsts) - failure_unix)
        return out

    def finish(self, stopped_by: str, usd_end: float | None, workers: int, extra: dict | None = None) -> int:
        now = time.time()
        wall_s = self.prior.get("wall_s", 0.0) + (now - self.run_start_unix)
        if usd_end is None:
            from .cost import usd_for

            usd_end = self.usd_base + usd_for(self.cfg.cost.gpu_hour_usd, workers, now - self.cost_base_unix)
        rec_s = self.prior.get("recovery_s", []) + self.recovery_seconds()
        summary = summarize(str(self.run_dir), stopped_by=stopped_by, wall_s=wall_s, usd_total=usd_end,
                            recoveries=self.prior.get("recoveries", 0) + len(self.recoveries), recovery_s=rec_s,
                            extra={"model": self.cfg.model.name, "backend": self.cfg.run.backend,
                                   "workers": workers, "gpu_hour_usd": self.cfg.cost.gpu_hour_usd,
                                   "budget_usd": self.cfg.cost.budget_usd, "run_id": self.run_id,
                                   "checkpoint_uri": self.storage.uri,
                                   "latest_checkpoint": self.storage.read_pointer(), **(extra or {})})
        per_step = summary["usd_per_step"]
        say(f"done: stopped_by={stopped_by} step={summary['final_step']} loss={summary['final_loss']} "
            f"usd_total=${summary['usd_total']:.4f} usd_per_step=${(per_step or 0):.6f} "
            f"goodput={summary['goodput_frac']:.3f} checkpoint_overhead={summary['checkpoint_overhead_frac']:.4f} "
            f"recoveries={summary['recoveries']} recovery_s={summary['recovery_s']}")
        return EXIT_FOR.get(stopped_by, EXIT_FAILURE)


def run_local(cfg: TrainConfig, start_unix: float | None = None) -> int:
    """One process (or one torchrun rank): the baseline backend, no fault tolerance beyond resume-on-restart."""
    import signal

    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    driver = RunDriver(cfg, lead=rank == 0, run_start_unix=start_unix)
    previous = {sig: signal.signal(sig, lambda *_: driver.request_stop("signal"))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run_local(cfg, driver, rank, world)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_local(cfg: TrainConfig, driver: RunDriver, rank: int, world: int) -> int:
    from .loop import run_worker

    resume, step = driver.pick_resume()
    if step >= cfg.run.max_steps:
        say(f"run already complete at step {step} (max_steps={cfg.run.max_steps}); nothing to do")
        return driver.finish("max_steps", None, world) if driver.lead else EXIT_OK
    ctx = driver.context(rank, world, attempt=0, resume_from=resume,
                         master_addr=os.environ.get("MASTER_ADDR", "127.0.0.1"),
                         master_port=int(os.environ.get("MASTER_PORT", 29500)),
                         local_rank=int(os.environ.get("LOCAL_RANK", 0)))
    result = run_worker(cfg, ctx)
    if not driver.lead:
        return EXIT_FOR.get(result.stopped_by, EXIT_FAILURE)
    return driver.finish(result.stopped_by, result.usd_end, world)
