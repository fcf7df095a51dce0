"""Typed trainer configuration: one dataclass per component, loaded from YAML and overridden by flags.

Every field is reachable from the YAML file (`section: {field: value}`) and from a flag
(see cli.FLAGS). Validation reports every problem at once, each naming the field and the fix,
because a half-validated config that fails after ten minutes of cluster start-up is expensive.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import yaml

from .errors import BadInput

MODELS = ("gpt-tiny", "gpt-small", "resnet18", "resnet50")
BACKENDS = ("ray", "local")
PRECISIONS = ("fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ModelConfig:
    name: str = "gpt-tiny"
    # Zero means "use the preset for this model name"; set to resize a GPT without a new preset.
    n_layer: int = 0
    n_head: int = 0
    d_model: int = 0
    vocab_size: int = 0
    seq_len: int = 0
    image_size: int = 32
    num_classes: int = 10

    @property
    def is_gpt(self) -> bool:
        return self.name.startswith("gpt")

    def build(self):
        from .models import build_model

        return build_model(self)


@dataclass
class DataConfig:
    # None = synthetic generator; otherwise a directory written by `python -m trainer prepare`.
    path: str | None = None
    # Size of the synthetic dataset (samples are generated from their index, so this costs nothing).
    synthetic_samples: int = 1_000_000

    def build(self, model: ModelConfig, seed: int):
        from .data import build_dataset

        return build_dataset(self, model, seed)


@dataclass
class OptimConfig:
    lr: float = 1e-3
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    warmup_steps: int = 10
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    grad_accum_steps: int = 1
    # auto = fused AdamW on CUDA (one kernel per param group), foreach on CPU.
    fused: str = "auto"


@dataclass
class CheckpointConfig:
    # Steps between checkpoints, or "auto" for the Young/Daly interval; 0 disables periodic saves.
    every: str = "auto"
    keep: int = 3
    # Local path, FSx mount path or s3://bucket/prefix; default <run_dir>/checkpoints.
    uri: str | None = None
    # Background writes; false makes every save blocking (the benchmark's baseline behaviour).
    async_save: bool = True
    # Failures per worker-hour, for the auto interval (MTBF of the job = 1 / (rate * workers)).
    failure_rate_per_worker_hour: float = 0.02
    resume: bool = True


@dataclass
class RunConfig:
    backend: str = "ray"
    # "N" or elastic "MIN:MAX".
    workers: str = "1"
    max_steps: int = 100
    batch_size: int = 8
    seed: int = 0
    run_dir: str = "runs/default"
    precision: str = "fp32"
    compile: bool = False
    device: str = "auto"
    # Intra-op threads per CPU worker; fixed so resumed runs reduce in the same order (bit-identical losses).
    threads_per_worker: int = 1
    max_failures: int = 3
    # Ray backend: a group with no completed step for this long is declared hung, torn down and restarted.
    hang_timeout_s: float = 300.0

    @property
    def workers_range(self) -> tuple[int, int]:
        lo, _, hi = str(self.workers).partition(":")
        return int(lo), int(hi or lo)


@dataclass
class CostConfig:
    gpu_hour_usd: float = 2.0
    budget_usd: float | None = None


@dataclass
class MetricsConfig:
    port: int | None = None
    # 127.0.0.1 locally; set 0.0.0.0 in-cluster (the Ray job entry point does) so Prometheus can scrape.
    host: str = "127.0.0.1"


@dataclass
class FaultConfig:
    """Test/chaos hook: SIGKILL the worker with this rank when it reaches this step (once per run)."""

    kill_rank: int | None = None
    kill_at_step: int | None = None


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    run: RunConfig = field(default_factory=RunConfig)
    cost: CostConfig = field(default_factory=CostConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    fault: FaultConfig = field(default_factory=FaultConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        cfg = cls()
        errors: list[str] = []
        for section, values in data.items():
            apply_section(cfg, section, values, errors, source="")
        if errors:
            raise BadInput(errors)
        return cfg

    @property
    def checkpoint_uri(self) -> str:
        return self.checkpoint.uri or str(Path(self.run.run_dir) / "checkpoints")

    @property
    def checkpoint_every_auto(self) -> bool:
        return str(self.checkpoint.every).strip().lower() == "auto"


SECTIONS = [f.name for f in dataclasses.fields(TrainConfig)]


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(map(str, choices))}"


def _field_types(obj) -> dict[str, Any]:
    return get_type_hints(type(obj))


def coerce(value: Any, typ: Any, where: str) -> Any:
    """Convert a YAML/flag value to the field's type, or raise ValueError naming what was expected."""
    origin = get_origin(typ)
    args = get_args(typ)
    if origin is not None and type(None) in args:  # Optional[X]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        inner = [a for a in args if a is not type(None)][0]
        return coerce(value, inner, where)
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise ValueError(f"{where}: expected true/false, got {value!r}")
    if typ is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"{where}: expected an integer, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected an integer, got {value!r}") from None
    if typ is float:
        # YAML 1.1 reads `1e-3` as a string; accept it as the number the user meant.
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected a number, got {value!r}") from None
        if isinstance(value, bool) or not math.isfinite(out):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        return out
    if typ is str:
        if isinstance(value, (dict, list)):
            raise ValueError(f"{where}: expected a string, got {value!r}")
        return str(value)
    return value


def apply_section(cfg: TrainConfig, section: str, values: Any, errors: list[str], source: str) -> None:
    prefix = f"{source}: " if source else ""
    if section not in SECTIONS:
        errors.append(f"{prefix}unknown section '{section}'{did_you_mean(section, SECTIONS)}")
        return
    if not isinstance(values, dict):
        errors.append(f"{prefix}{section}: expected a mapping of fields, got {values!r}")
        return
    target = getattr(cfg, section)
    types = _field_types(target)
    for key, value in values.items():
        if key not in types:
            errors.append(f"{prefix}unknown field '{section}.{key}'{did_you_mean(key, list(types))}")
            continue
        try:
            setattr(target, key, coerce(value, types[key], f"{prefix}{section}.{key}"))
        except ValueError as exc:
            errors.append(str(exc))


def load_yaml(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"--config: file '{path}' does not exist (pass a YAML file; see docs/trainer.md)")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise BadInput(f"--config {path}: malformed YAML{where}: {problem} (fix the syntax and retry)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"--config {path}: cannot read file ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput(f"--config {path}: top level must be a mapping of sections ({', '.join(SECTIONS)})")
    return data


def validate(cfg: TrainConfig) -> None:
    """Cross-field checks. Raises BadInput listing every problem."""
    e: list[str] = []
    r, m, o, c = cfg.run, cfg.model, cfg.optim, cfg.checkpoint
    if m.name not in MODELS:
        e.append(f"model.name (--model): '{m.name}' is not a known model{did_you_mean(m.name, MODELS)}")
    if r.backend not in BACKENDS:
        e.append(f"run.backend (--backend): '{r.backend}'{did_you_mean(r.backend, BACKENDS)}")
    if r.precision not in PRECISIONS:
        e.append(f"run.precision (--precision): '{r.precision}'{did_you_mean(r.precision, PRECISIONS)}")
    if r.device not in DEVICES:
        e.append(f"run.device (--device): '{r.device}'{did_you_mean(r.device, DEVICES)}")
    try:
        lo, hi = r.workers_range
        if lo < 1 or hi < lo:
            raise ValueError
    except ValueError:
        e.append(f"run.workers (--workers): '{r.workers}' must be N or MIN:MAX with 1 <= MIN <= MAX (e.g. 2 or 1:4)")
    else:
        if r.backend == "local" and hi > 1:
            e.append(
                f"run.workers (--workers): backend 'local' runs one process (or one per torchrun rank); "
                f"got {r.workers}; use --backend ray for multiple workers"
            )
    for name, val, lo_ok in [
        ("run.max_steps (--max-steps)", r.max_steps, 1),
        ("run.batch_size (--batch-size)", r.batch_size, 1),
        ("run.threads_per_worker (--threads-per-worker)", r.threads_per_worker, 1),
        ("optim.grad_accum_steps (--grad-accum-steps)", o.grad_accum_steps, 1),
        ("checkpoint.keep (--keep-checkpoints)", c.keep, 1),
        ("data.synthetic_samples (--synthetic-samples)", cfg.data.synthetic_samples, 1),
        ("run.seed (--seed)", r.seed, 0),
        ("run.max_failures (--max-failures)", r.max_failures, 0),
        ("optim.warmup_steps (--warmup-steps)", o.warmup_steps, 0),
    ]:
        if val < lo_ok:
            e.append(f"{name}: must be >= {lo_ok}, got {val}")
    if not cfg.checkpoint_every_auto:
        try:
            if int(str(c.every)) < 0:
                raise ValueError
        except ValueError:
            e.append(f"checkpoint.every (--checkpoint-every): '{c.every}' must be a step count >= 0 or 'auto'")
    if r.hang_timeout_s <= 0:
        e.append(f"run.hang_timeout_s (--hang-timeout-s): must be > 0, got {r.hang_timeout_s}")
    if o.lr <= 0:
        e.append(f"optim.lr (--lr): must be > 0, got {o.lr}")
    if o.fused not in ("auto", "true", "false"):
        e.append(f"optim.fused (--fused): '{o.fused}' must be auto, true or false")
    if cfg.cost.gpu_hour_usd < 0:
        e.append(f"cost.gpu_hour_usd (--gpu-hour-usd): must be >= 0, got {cfg.cost.gpu_hour_usd}")
    if cfg.cost.budget_usd is not None and cfg.cost.budget_usd <= 0:
        e.append(f"cost.budget_usd (--budget-usd): must be > 0, got {cfg.cost.budget_usd}")
    if c.failure_rate_per_worker_hour <= 0:
        e.append("checkpoint.failure_rate_per_worker_hour (--failure-rate): must be > 0")
    if cfg.metrics.port is not None and not (0 < cfg.metrics.port < 65536):
        e.append(f"metrics.port (--metrics-port): {cfg.metrics.port} is not a TCP port (1-65535)")
    if m.is_gpt:
        for name, val in [("model.n_layer", m.n_layer), ("model.n_head", m.n_head), ("model.d_model", m.d_model)]:
            if val < 0:
                e.append(f"{name}: must be >= 0 (0 = preset), got {val}")
        from .models import gpt_preset

        if m.name in MODELS:
            p = gpt_preset(m)
            if p.d_model % p.n_head:
                e.append(f"model.d_model: {p.d_model} must be divisible by model.n_head ({p.n_head})")
    if cfg.data.path is not None and not m.is_gpt and m.name in MODELS:
        e.append(f"data.path (--data-path): token shards feed GPT models only, not '{m.name}'")
    if cfg.fault.kill_rank is not None and cfg.fault.kill_at_step is None:
        e.append("fault.kill_at_step (--fault-at-step): required with --fault-kill-rank")
    if e:
        raise BadInput(e)
