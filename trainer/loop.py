"""The training loop one worker runs (rank r of W). Identical for the ray and local backends.

Per step: forward/backward over grad-accum micro-batches (DDP no_sync on all but the last),
unscale + clip + optimizer + LR schedule, then ONE small all-reduce that carries the loss and
rank 0's control decision (checkpoint now? stop for budget/signal?). Rank 0 decides because the
inputs (wall clock, signals) differ per rank, and every rank must take the same branch or the
next collective deadlocks.
"""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from .checkpoint import AsyncCheckpointer, build_storage, verify_checkpoint
from .checkpoint.format import load_checkpoint
from .config import TrainConfig
from .cost import BudgetGuard, auto_interval_steps, usd_for, young_daly_interval_s
from .data import ResumableShardedSampler
from .errors import BadInput
from .metrics import MetricsLog, PromExporter

STOP_NONE, STOP_BUDGET, STOP_SIGNAL = 0, 1, 2
STOP_NAMES = {STOP_BUDGET: "budget", STOP_SIGNAL: "signal"}


@dataclass
class WorkerContext:
    rank: int
    world_size: int
    master_addr: str = "127.0.0.1"
    master_port: int = 0
    local_rank: int = 0
    attempt: int = 0
    resume_from: str | None = None  # checkpoint name chosen (and verified) by the driver
    usd_base: float = 0.0  # dollars spent before cost_base_unix (earlier attempts/invocations)
    cost_base_unix: float = field(default_factory=time.time)
    recoveries: int = 0
    failure_unix: float | None = None  # when the failure we are recovering from happened
    run_id: str = "run"
    run_start_unix: float = field(default_factory=time.time)
    productive_s_base: float = 0.0  # step time of surviving steps before this attempt (for goodput)
    stop_event: threading.Event | None = None


@dataclass
class WorkerResult:
    rank: int
    final_step: int
    final_loss: float | None
    stopped_by: str
    usd_end: float
    first_step_unix: float | None


def _device(cfg: TrainConfig, local_rank: int) -> torch.device:
    want = cfg.run.device
    if want == "cuda" or (want == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise BadInput("run.device (--device): cuda requested but no CUDA device is visible")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def _lr_lambda(cfg: TrainConfig):
    warm, total, floor = cfg.optim.warmup_steps, cfg.run.max_steps, cfg.optim.min_lr_ratio

    def f(i: int) -> float:  # i = optimizer steps taken so far
        if i < warm:
            return (i + 1) / warm
        progress = min(1.0, (i - warm) / max(1, total - warm))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return f


def _optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    fused = cfg.optim.fused == "true" or (cfg.optim.fused == "auto" and device.type == "cuda")
    groups = [{"params": decay, "weight_decay": cfg.optim.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kw = {"fused": True} if fused else {"foreach": True}
    return torch.optim.AdamW(groups, lr=cfg.optim.lr, betas=(cfg.optim.beta1, cfg.optim.beta2), **kw)


def _rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _maybe_inject_fault(cfg: TrainConfig, rank: int, step: int, run_dir: str) -> None:
    """Test/chaos hook: a real SIGKILL of this worker process, once per run (marker file survives recovery)."""
    f = cfg.fault
    if f.kill_rank != rank or f.kill_at_step != step:
        return
    marker = Path(run_dir) / "faults" / f"kill-rank{rank}-step{step}.json"
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"rank": rank, "step": step, "pid": os.getpid(), "killed_unix": time.time()}))
    os.kill(os.getpid(), signal.SIGKILL)


def run_worker(cfg: TrainConfig, ctx: WorkerContext) -> WorkerResult:
    torch.set_num_threads(cfg.run.threads_per_worker)
    torch.use_deterministic_algorithms(False)
    device = _device(cfg, ctx.local_rank)
    rank, world = ctx.rank, ctx.world_size
    distributed = world > 1
    completed = False
    if distributed:
        from datetime import timedelta

        dist.init_process_group(
            backend="nccl" if device.type == "cuda" else "gloo",
            init_method=f"tcp://{ctx.master_addr}:{ctx.master_port}",
            rank=rank, world_size=world, timeout=timedelta(seconds=300),
        )
    exporters: list[PromExporter] = []
    try:
        torch.manual_seed(cfg.run.seed)
        raw_model = cfg.model.build().to(device)
        model: torch.nn.Module = DDP(raw_model, device_ids=[device.index] if device.type == "cuda" else None) \
            if distributed else raw_model
        if cfg.run.compile:
            model = torch.compile(model)
        opt = _optimizer(raw_model, cfg, device)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(cfg))
        amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.run.precision)
        scaler = torch.amp.GradScaler(device.type, enabled=cfg.run.precision == "fp16")
        dataset = cfg.data.build(cfg.model, cfg.run.seed)
        sampler = ResumableShardedSampler(len(dataset), cfg.run.seed)
        storage = build_storage(cfg.checkpoint_uri)
        start_step = 0
        if ctx.resume_from:
            start_step = _restore(cfg, ctx, storage, raw_model, opt, sched, scaler, sampler, device)
        result = _train(cfg, ctx, device, raw_model, model, opt, sched, scaler, amp_dtype, dataset, sampler,
                        storage, start_step, exporters)
        completed = True
        return result
    finally:
        for exp in exporters:
            exp.close()
        if distributed and dist.is_initialized():
            if completed:
                # Leave together: a rank that tears its group down while a peer is still inside a collective
                # leaves gloo's worker threads blocked, and ~ProcessGroupGloo then joins them forever.
                dist.barrier()
            # DDP's reducer holds the process group; free it first so the group dies in
            # destroy_process_group, not later in a frame-exit destructor nobody can time out.
            model = None  # noqa: F841
            gc.collect()
            dist.destroy_process_group()


def _restore(cfg, ctx, storage, raw_model, opt, sched, scaler, sampler, device) -> int:
    manifest, files = verify_checkpoint(storage, ctx.resume_from)  # every rank re-checks what it loads
    state = load_checkpoint(files)
    saved_model = state["config"]["model"]
    for key, val in saved_model.items():
        if getattr(cfg.model, key) != val:
            raise BadInput(
                f"model.{key}: checkpoint {ctx.resume_from} was trained with {val!r}, this run has "
                f"{getattr(cfg.model, key)!r}; use the original value or a new --run-dir")
    raw_model.load_state_dict(state["model"])
    opt.load_state_dict(state["optim"]["optimizer"])
    sched.load_state_dict(state["optim"]["scheduler"])
    scaler.load_state_dict(state["optim"]["scaler"])
    sampler.load_state_dict(state["train_state"]["sampler"])
    rngs = state["rng"]
    if rngs["world_size"] == ctx.world_size:
        torch.set_rng_state(rngs["ranks"][ctx.rank]["cpu"])
        if device.type == "cuda" and "cuda" in rngs["ranks"][ctx.rank]:
            torch.cuda.set_rng_state(rngs["ranks"][ctx.rank]["cuda"], device)
    elif ctx.rank == 0:
        print(f"[trainer] resuming {rngs['world_size']}-worker checkpoint on {ctx.world_size} workers: "
              "per-rank RNG states re-seeded (data order is unaffected)", flush=True)
    return int(manifest["step"])


def _train(cfg, ctx, device, raw_model, model, opt, sched, scaler, amp_dtype, dataset, sampler, storage,
           start_step, exporter_holder) -> WorkerResult:
    rank, world = ctx.rank, ctx.world_size
    lead = rank == 0
    ddp = model if isinstance(model, DDP) else getattr(model, "_orig_mod", None)
    ddp = ddp if isinstance(ddp, DDP) else None
    B, A = cfg.run.batch_size, cfg.optim.grad_accum_steps
    tokens_per_sample = getattr(dataset, "seq_len", 1)
    throughput_key = "tokens_per_s" if cfg.model.is_gpt else "samples_per_s"
    guard = BudgetGuard(cfg.cost.budget_usd, cfg.cost.gpu_hour_usd)
    log = MetricsLog(cfg.run.run_dir) if lead else None
    exporter = None
    if lead and cfg.metrics.port:
        exporter = PromExporter(cfg.metrics.port, cfg.metrics.host, ctx.run_id, cfg.model.name)
        exporter_holder.append(exporter)
        exporter.budget_usd.set(cfg.cost.budget_usd or 0.0)
        exporter.recoveries.inc(ctx.recoveries)
        exporter.workers.set(world)

    def on_saved(step: int, save_s: float) -> None:
        if exporter:
            exporter.checkpoint_save_seconds.set(save_s)
            exporter.last_checkpoint_timestamp_seconds.set(time.time())

    ckpt = AsyncCheckpointer(storage, cfg.checkpoint.keep, cfg.checkpoint.async_save, on_saved if lead else None)
    state_bytes = sum(t.numel() * t.element_size() for t in raw_model.state_dict().values()) * 3  # + Adam m, v
    every = 0 if cfg.checkpoint_every_auto else int(cfg.checkpoint.every)
    next_auto = start_step + 1  # auto mode: first save measures the cost the interval is derived from
    step_times: list[float] = []
    last_block_s = 0.0
    productive_s = ctx.productive_s_base
    usd = lambda: ctx.usd_base + usd_for(cfg.cost.gpu_hour_usd, world, time.time() - ctx.cost_base_unix)  # noqa: E731
    first_step_unix = None
    loss_value, stopped_by = None, "max_steps"
    control = torch.zeros(3, dtype=torch.float64, device=device)

    step = start_step
    while step < cfg.run.max_steps:
        step += 1
        _maybe_inject_fault(cfg, rank, step, cfg.run.run_dir)
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        for micro in range(A):
            x, y = dataset.batch(sampler.micro_batch(rank, world, B, micro))
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            # Gradients are all-reduced once per step, on the last micro-batch only.
            with (ddp.no_sync() if ddp is not None and micro < A - 1 else nullcontext()):
                with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                    loss = model(x, y) / A
                scaler.scale(loss).backward()
            loss_sum += loss.detach()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(raw_model.parameters(), cfg.optim.grad_clip)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        lr = sched.get_last_lr()[0]
        sched.step()
        sampler.advance(world, B, A)

        # Rank 0's decisions ride on the loss all-reduce (one collective per step).
        control.zero_()
        control[0] = loss_sum.double()
        if lead:
            compute_s = time.perf_counter() - t0
            recent = max(step_times[-5:] + [compute_s])
            final_ckpt_s = max(ckpt.last_save_s or 0.0, state_bytes / 100e6) + last_block_s
            if ctx.stop_event is not None and ctx.stop_event.is_set():
                control[1] = STOP_SIGNAL
            elif step < cfg.run.max_steps and guard.should_stop(usd(), world, recent, final_ckpt_s):
                control[1] = STOP_BUDGET
            if every:
                control[2] = float(step % every == 0)
            elif cfg.checkpoint_every_auto and step >= next_auto:
                control[2] = 1.0
        if world > 1:
            dist.all_reduce(control)
        loss_value = control[0].item() / world
        stop_code, save_now = int(control[1].item()), bool(control[2].item())
        step_time_s = time.perf_counter() - t0
        step_times.append(step_time_s)
        productive_s += step_time_s
        if first_step_unix is None:
            first_step_unix = time.time()
            if lead and ctx.failure_unix is not None:
                rec_s = first_step_unix - ctx.failure_unix
                print(f"[trainer] recovered: failure -> step {step} completed in {rec_s:.2f}s "
                      f"(attempt {ctx.attempt}, {world} workers)", flush=True)
                if exporter:
                    exporter.recovery_seconds.set(rec_s)

        final = step == cfg.run.max_steps or stop_code != STOP_NONE
        block_s = 0.0
        if save_now or final:
            block_s = _save(cfg, ctx, ckpt, step, raw_model, opt, sched, scaler, sampler, device, loss_value,
                            flush=final)
            last_block_s = block_s
            if cfg.checkpoint_every_auto:
                steps = auto_interval_steps(max(block_s, 1e-4), sum(step_times[-20:]) / len(step_times[-20:]),
                                            cfg.checkpoint.failure_rate_per_worker_hour, world, cfg.run.max_steps)
                # Never schedule faster than a write completes, or saves queue behind each other.
                if ckpt.last_save_s:
                    steps = max(steps, math.ceil(ckpt.last_save_s / max(step_time_s, 1e-6)))
                next_auto = step + steps
        if lead:
            now_usd = usd()
            rec = {"step": step, "loss": loss_value, "lr": lr, throughput_key:
                   B * A * world * tokens_per_sample / step_time_s, "step_time_s": step_time_s,
                   "checkpoint_block_s": block_s, "usd": now_usd, "workers": world, "attempt": ctx.attempt,
                   "time_unix": time.time(), "sample_cursor": sampler.cursor}
            log.append(rec)
            if exporter:
                _export(exporter, rec, throughput_key, block_s, now_usd, productive_s, ctx, cfg, every, next_auto,
                        step, step_times)
        if stop_code != STOP_NONE:
            stopped_by = STOP_NAMES[stop_code]
            break
    ckpt.wait()
    return WorkerResult(rank, step, loss_value, stopped_by, usd(), first_step_unix)


def _save(cfg, ctx, ckpt, step, raw_model, opt, sched, scaler, sampler, device, loss, flush: bool) -> float:
    t0 = time.perf_counter()
    rng = _rng_state(device)
    if ctx.world_size > 1:
        gathered: list = [None] * ctx.world_size
        dist.all_gather_object(gathered, rng)  # every rank's RNG, so a same-size resume is bit-exact
    else:
        gathered = [rng]
    if ctx.rank == 0:
        state = {"model": raw_model.state_dict(),
                 "optim": {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                           "scaler": scaler.state_dict()},
                 "rng": {"world_size": ctx.world_size, "ranks": gathered}}
        meta = {"train_state": {"step": step, "loss": loss, "world_size": ctx.world_size,
                                "sampler": sampler.state_dict(0, ctx.world_size, cfg.run.batch_size)},
                "config": cfg.to_dict()}
        ckpt.save(step, state, meta)
        if flush:
            ckpt.wait()  # final/emergency checkpoint must be durable before we report stopping
    return time.perf_counter() - t0


def _export(exp, rec, key, block_s, now_usd, productive_s, ctx, cfg, every, next_auto, step, step_times) -> None:
    exp.step.set(rec["step"])
    exp.loss.set(rec["loss"])
    exp.tokens_per_second.set(rec[key])
    exp.step_time_seconds.set(rec["step_time_s"])
    if block_s:
        exp.checkpoint_block_seconds.set(block_s)
    exp.usd_total.set(now_usd)
    wall_s = max(1e-9, time.time() - ctx.run_start_unix)
    exp.goodput_ratio.set(min(1.0, productive_s / wall_s))
    avg = sum(step_times[-20:]) / len(step_times[-20:])
    interval_steps = every if every else max(1, next_auto - step)
    exp.checkpoint_interval_seconds.set(interval_steps * avg)


__all__ = ["WorkerContext", "WorkerResult", "run_worker", "young_daly_interval_s"]
