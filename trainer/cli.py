"""`python -m trainer {train,prepare}`: flags -> TrainConfig -> backend. Bad input exits 2, never a traceback."""

from __future__ import annotations

import argparse
import difflib
import sys
import time
import traceback

from .config import MODELS, PRECISIONS, TrainConfig, apply_section, load_yaml, validate
from .errors import EXIT_BAD_INPUT, EXIT_FAILURE, BadInput

# flag -> (config path, type, help). Every config field has a flag; YAML sets the same paths.
FLAGS: dict[str, tuple[str, type, str]] = {
    "--model": ("model.name", str, f"one of {', '.join(MODELS)}"),
    "--n-layer": ("model.n_layer", int, "GPT layers (0 = preset)"),
    "--n-head": ("model.n_head", int, "GPT attention heads (0 = preset)"),
    "--d-model": ("model.d_model", int, "GPT width (0 = preset)"),
    "--vocab-size": ("model.vocab_size", int, "GPT vocabulary (0 = preset)"),
    "--seq-len": ("model.seq_len", int, "GPT context length (0 = preset)"),
    "--image-size": ("model.image_size", int, "ResNet input size"),
    "--num-classes": ("model.num_classes", int, "ResNet classes"),
    "--data-path": ("data.path", str, "token shard dir from `prepare` (default: synthetic data)"),
    "--synthetic-samples": ("data.synthetic_samples", int, "synthetic dataset size"),
    "--lr": ("optim.lr", float, "peak learning rate"),
    "--weight-decay": ("optim.weight_decay", float, "AdamW weight decay"),
    "--beta1": ("optim.beta1", float, "AdamW beta1"),
    "--beta2": ("optim.beta2", float, "AdamW beta2"),
    "--warmup-steps": ("optim.warmup_steps", int, "linear warmup steps before cosine decay"),
    "--min-lr-ratio": ("optim.min_lr_ratio", float, "final LR as a fraction of peak"),
    "--grad-clip": ("optim.grad_clip", float, "max gradient norm"),
    "--grad-accum-steps": ("optim.grad_accum_steps", int, "micro-batches per optimizer step"),
    "--fused": ("optim.fused", str, "fused AdamW: auto (CUDA only), true, false"),
    "--checkpoint-every": ("checkpoint.every", str, "steps between checkpoints, 'auto' (Young/Daly) or 0"),
    "--keep-checkpoints": ("checkpoint.keep", int, "checkpoints to retain (default 3)"),
    "--checkpoint-uri": ("checkpoint.uri", str, "path, FSx mount or s3://bucket/prefix (default RUN_DIR/checkpoints)"),
    "--async-checkpoint": ("checkpoint.async_save", str, "true/false: write checkpoints in the background"),
    "--failure-rate": ("checkpoint.failure_rate_per_worker_hour", float, "failures per worker-hour (auto interval)"),
    "--resume": ("checkpoint.resume", str, "true/false: resume from RUN_DIR's newest intact checkpoint"),
    "--backend": ("run.backend", str, "ray (default, fault tolerant) or local (one process / torchrun)"),
    "--workers": ("run.workers", str, "N, or MIN:MAX for elastic"),
    "--max-steps": ("run.max_steps", int, "steps to train (numbered 1..N)"),
    "--batch-size": ("run.batch_size", int, "micro-batch size per worker"),
    "--seed": ("run.seed", int, "seed for init, data and order"),
    "--run-dir": ("run.run_dir", str, "where metrics, summary and (by default) checkpoints go"),
    "--precision": ("run.precision", str, f"one of {', '.join(PRECISIONS)}"),
    "--compile": ("run.compile", str, "torch.compile the model (flag alone = true)"),
    "--device": ("run.device", str, "auto, cpu or cuda"),
    "--threads-per-worker": ("run.threads_per_worker", int, "intra-op threads per CPU worker"),
    "--max-failures": ("run.max_failures", int, "worker failures tolerated before the run fails"),
    "--hang-timeout-s": ("run.hang_timeout_s", float, "ray: restart a group with no completed step for this long"),
    "--gpu-hour-usd": ("cost.gpu_hour_usd", float, "price of one worker (GPU) hour"),
    "--budget-usd": ("cost.budget_usd", float, "stop (checkpoint, exit 3) before exceeding this"),
    "--metrics-port": ("metrics.port", int, "serve Prometheus /metrics on rank 0 at this port"),
    "--metrics-host": ("metrics.host", str, "bind address for /metrics (127.0.0.1; 0.0.0.0 in-cluster)"),
    "--fault-kill-rank": ("fault.kill_rank", int, argparse.SUPPRESS),
    "--fault-at-step": ("fault.kill_at_step", int, argparse.SUPPRESS),
}
BOOL_FLAGS = {"--compile", "--async-checkpoint", "--resume"}


class Parser(argparse.ArgumentParser):
    """argparse that adds 'did you mean' and says how to fix; exit 2 like argparse, no traceback."""

    def error(self, message: str):  # type: ignore[override]
        hint = ""
        if "unrecognized arguments" in message:
            for word in message.split(":", 1)[1].split():
                if word.startswith("--"):
                    close = difflib.get_close_matches(word.split("=")[0], list(FLAGS) + ["--config"], n=1)
                    if close:
                        hint += f"; did you mean '{close[0]}'?"
        sys.stderr.write(f"error: {self.prog}: {message}{hint} (see `{self.prog} --help`)\n")
        sys.exit(EXIT_BAD_INPUT)


def build_parser() -> Parser:
    p = Parser(prog="python -m trainer", description="trainyard trainer", allow_abbrev=False)
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    t = sub.add_parser("train", help="train a model", prog="python -m trainer train", allow_abbrev=False)
    t.add_argument("--config", help="YAML file with model/data/optim/checkpoint/run/cost/metrics sections")
    for flag, (path, typ, help_) in FLAGS.items():
        kw = {"nargs": "?", "const": "true"} if flag in BOOL_FLAGS else {}
        t.add_argument(flag, dest=path, type=str, default=argparse.SUPPRESS, help=help_, metavar=typ.__name__.upper(),
                       **kw)
    pr = sub.add_parser("prepare", help="write token shards from a local text file or a generated corpus",
                        prog="python -m trainer prepare")
    pr.add_argument("--out", required=True, help="output directory for shards + index.json")
    pr.add_argument("--input", help="local text file (byte-level tokens)")
    pr.add_argument("--generate", type=int, default=2_000_000, help="bytes of generated corpus when no --input")
    pr.add_argument("--shard-tokens", type=int, default=1_000_000, help="tokens per shard file")
    pr.add_argument("--seed", type=int, default=0)
    return p


def config_from_args(ns: argparse.Namespace) -> TrainConfig:
    cfg = TrainConfig()
    errors: list[str] = []
    if getattr(ns, "config", None):
        for section, values in load_yaml(ns.config).items():
            apply_section(cfg, section, values, errors, source=ns.config)
    # Flags override the file; group by section so apply_section does the type coercion.
    by_section: dict[str, dict] = {}
    path_to_flag = {path: flag for flag, (path, _, _) in FLAGS.items()}
    for key, value in vars(ns).items():
        if "." in key:
            section, field = key.split(".", 1)
            by_section.setdefault(section, {})[field] = value
    for section, values in by_section.items():
        sub: list[str] = []
        apply_section(cfg, section, values, sub, source="")
        errors += [_name_flag(e, path_to_flag) for e in sub]
    if errors:
        raise BadInput(errors)
    validate(cfg)
    return cfg


def _name_flag(msg: str, path_to_flag: dict[str, str]) -> str:
    path = msg.split(":", 1)[0]
    return f"{path_to_flag[path]} ({path}){msg[len(path):]}" if path in path_to_flag else msg


def main(argv: list[str] | None = None, start_unix: float | None = None) -> int:
    """start_unix: when billing starts (process start under `python -m trainer`; the call otherwise)."""
    start_unix = start_unix or time.time()
    ns = build_parser().parse_args(argv)
    try:
        if ns.cmd == "prepare":
            from .prepare import prepare

            index = prepare(ns.input, ns.out, ns.generate, ns.shard_tokens, ns.seed)
            print(f"[trainer] wrote {len(index['shards'])} shard(s), {index['total_tokens']} tokens to {ns.out}")
            return 0
        cfg = config_from_args(ns)
        if cfg.run.backend == "ray":
            from .ray_entry import run_ray

            return run_ray(cfg, start_unix)
        from .run import run_local

        return run_local(cfg, start_unix)
    except BadInput as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception:  # unexpected: keep the traceback, it is a bug report
        traceback.print_exc()
        return EXIT_FAILURE
