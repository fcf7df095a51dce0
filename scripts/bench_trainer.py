#!/usr/bin/env python
"""Benchmark: a plain PyTorch DDP loop vs the trainyard trainer on the same model, data and settings.

    .venv/bin/python scripts/bench_trainer.py                      # CPU, writes docs/benchmarks/trainer-cpu.{json,png}
    .venv/bin/python scripts/bench_trainer.py --device cuda --workers 1 --model gpt-small \
        --batch-size 16 --steps 120 --optimized --out docs/benchmarks/trainer-h100

Variants (all steady-state, first --warmup steps excluded):
  baseline      plain DDP loop: fp32, eager, foreach AdamW, blocking torch.save of model+optimizer every --every steps
  trainyard     same settings through `python -m trainer train --backend ray` (async verified checkpoints)
  trainyard_all every feature on: auto (Young/Daly) interval, /metrics exporter, budget guardrail
  recovery      trainyard with rank 1 SIGKILLed mid-run: kill -> next completed step
  optimized     (--optimized) bf16 autocast + torch.compile + fused AdamW (GPU), vs baseline
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_cfg(args):
    from trainer.config import ModelConfig

    return ModelConfig(name=args.model, n_layer=args.n_layer, n_head=args.n_head, d_model=args.d_model,
                       seq_len=args.seq_len)


def _baseline_worker(rank: int, world: int, port: int, args, out_path: str) -> None:
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    from trainer.data import SyntheticTokens
    from trainer.models import gpt_preset

    torch.set_num_threads(args.threads_per_worker)
    cuda = args.device == "cuda"
    dev = torch.device("cuda", rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(rank)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world)
    torch.manual_seed(0)
    cfg = model_cfg(args)
    model = cfg.build().to(dev)
    ddp = DDP(model, device_ids=[rank] if cuda else None) if world > 1 else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    shape = gpt_preset(cfg)
    ds = SyntheticTokens(10**9, shape.vocab_size, shape.seq_len, 0)
    B = args.batch_size
    ckpt_dir = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    times, block = [], []
    for step in range(1, args.steps + 1):
        first = ((step - 1) * world + rank) * B
        x, y = ds.batch(list(range(first, first + B)))
        x, y = x.to(dev), y.to(dev)
        loss = ddp(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()  # per-step logging, as any real loop does
        if args.every and step % args.every == 0 and rank == 0:
            t0 = time.perf_counter()
            torch.save({"model": model.state_dict(), "optim": opt.state_dict()}, ckpt_dir / f"step-{step}.pt")
            block.append(time.perf_counter() - t0)
        times.append(time.time())
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        Path(out_path).write_text(json.dumps({"times": times, "block": block, "world": world}))


def run_baseline(args) -> dict:
    import torch.multiprocessing as mp

    out = tempfile.mktemp(suffix=".json")
    t0 = time.time()
    mp.spawn(_baseline_worker, args=(args.workers, free_port(), args, out), nprocs=args.workers, join=True)
    data = json.loads(Path(out).read_text())
    return steady(args, data["times"], sum(data["block"]), data["block"], time.time() - t0)


def steady(args, times: list[float], block_total: float, blocks: list[float], wall_s: float) -> dict:
    from trainer.models import gpt_preset

    w = args.warmup
    span = times[-1] - times[w - 1]
    tokens = (len(times) - w) * args.workers * args.batch_size * gpt_preset(model_cfg(args)).seq_len
    return {"tokens_per_s": tokens / span, "steady_wall_s": span, "checkpoint_block_s_mean":
            statistics.mean(blocks) if blocks else 0.0, "checkpoint_saves": len(blocks),
            "checkpoint_overhead_frac": block_total / span, "process_wall_s": wall_s}


def run_trainyard(args, name: str, extra: list[str]) -> dict:
    run_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    cmd = [sys.executable, "-m", "trainer", "train", "--backend", "ray", "--workers", str(args.workers),
           "--model", args.model, "--n-layer", str(args.n_layer), "--n-head", str(args.n_head),
           "--d-model", str(args.d_model), "--seq-len", str(args.seq_len), "--batch-size", str(args.batch_size),
           "--max-steps", str(args.steps), "--seed", "0", "--device", args.device,
           "--threads-per-worker", str(args.threads_per_worker), "--run-dir", str(run_dir), *extra]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
    wall = time.time() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    summary = json.loads((run_dir / "summary.json").read_text())
    kept = records[args.warmup - 1:]
    blocks = [r["checkpoint_block_s"] for r in kept[1:] if r["checkpoint_block_s"] > 0]
    out = steady(args, [r["time_unix"] for r in records], sum(blocks), blocks, wall)
    out.update({k: summary[k] for k in ("checkpoint_overhead_frac", "goodput_frac", "recovery_s", "usd_total")
                if k in summary} | {"run_checkpoint_overhead_frac": summary["checkpoint_overhead_frac"],
                                    "steady_checkpoint_overhead_frac": out["checkpoint_overhead_frac"]})
    out["checkpoint_overhead_frac"] = out["steady_checkpoint_overhead_frac"]
    out["mean_step_time_s"] = statistics.mean(r["step_time_s"] for r in kept)
    return out


def plot(results: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in ("baseline", "trainyard", "trainyard_all", "optimized") if n in results]
    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    ax[0].bar(names, [results[n]["tokens_per_s"] for n in names], color="tab:blue")
    ax[0].set_title("throughput (tokens/s, steady state)")
    ax[1].bar(names, [results[n]["checkpoint_block_s_mean"] * 1000 for n in names], color="tab:orange")
    ax[1].set_title("checkpoint blocking per save (ms)")
    ax[2].bar(names, [results[n]["checkpoint_overhead_frac"] * 100 for n in names], color="tab:red")
    ax[2].set_title("checkpoint overhead (% of wall)")
    for a in ax:
        a.tick_params(axis="x", rotation=20)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", default="gpt-tiny")
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--threads-per-worker", type=int, default=1)
    ap.add_argument("--optimized", action="store_true", help="also run bf16 + torch.compile + fused AdamW")
    ap.add_argument("--out", default="docs/benchmarks/trainer-cpu", help="path prefix for .json and .png")
    args = ap.parse_args()
    command = "python scripts/bench_trainer.py " + shlex.join(sys.argv[1:])

    import ray
    import torch

    results = {}
    print("[bench] baseline (plain DDP loop)...", flush=True)
    results["baseline"] = run_baseline(args)
    common = ["--checkpoint-every", str(args.every), "--precision", "fp32"]
    print("[bench] trainyard (same settings)...", flush=True)
    results["trainyard"] = run_trainyard(args, "trainyard", common)
    print("[bench] trainyard, all features on...", flush=True)
    results["trainyard_all"] = run_trainyard(args, "all", [
        "--checkpoint-every", "auto", "--metrics-port", str(free_port()), "--budget-usd", "1000000"])
    print("[bench] recovery after a killed worker...", flush=True)
    if args.workers > 1:
        results["recovery"] = run_trainyard(args, "recovery", common + [
            "--fault-kill-rank", "1", "--fault-at-step", str(args.steps // 2 + 3)])
    if args.optimized:
        print("[bench] optimized (bf16 + compile + fused)...", flush=True)
        results["optimized"] = run_trainyard(args, "optimized", [
            "--checkpoint-every", "auto", "--precision", "bf16", "--compile", "--fused", "true"])
    base, ty = results["baseline"], results["trainyard"]
    ratios = {
        "trainyard_vs_baseline_throughput": ty["tokens_per_s"] / base["tokens_per_s"],
        "trainyard_all_vs_baseline_throughput": results["trainyard_all"]["tokens_per_s"] / base["tokens_per_s"],
        "checkpoint_block_trainyard_vs_baseline": ty["checkpoint_block_s_mean"] / max(base["checkpoint_block_s_mean"], 1e-9),
        "checkpoint_block_in_steps": ty["checkpoint_block_s_mean"] / ty["mean_step_time_s"],
        "checkpoint_overhead_frac_at_auto_interval": results["trainyard_all"]["checkpoint_overhead_frac"],
        "recovery_s": results.get("recovery", {}).get("recovery_s"),
    }
    if "optimized" in results:
        ratios["optimized_vs_baseline_throughput"] = results["optimized"]["tokens_per_s"] / base["tokens_per_s"]
    device = (torch.cuda.get_device_name(0) if args.device == "cuda"
              else f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, no GPU")
    report = {"command": command, "device": device, "torch": torch.__version__, "ray": ray.__version__,
              "python": platform.python_version(), "measured_unix": int(time.time()), "settings": vars(args),
              "results": results, "ratios": ratios,
              "targets": {"trainyard_vs_baseline_throughput": ">= 0.95", "checkpoint_block_in_steps": "<= 1 (GPU)",
                          "checkpoint_overhead_frac_at_auto_interval": "<= 0.01", "recovery_s": "<= 30 locally",
                          "optimized_vs_baseline_throughput": ">= 2 (GPU)"}}
    out = REPO / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, out.with_suffix(".png"), f"trainyard vs plain DDP — {device} — {args.model} x{args.workers}")
    print(json.dumps(ratios, indent=2))
    print(f"[bench] wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
