"""The `jobs:` section of an environment spec: training jobs the workload stack deploys.

A job names one of the environment's GPU pools; its Ray worker pods land on that pool's
nodes. `workers_min`/`workers_max` count worker *pods* (each with `gpus_per_worker` GPUs),
so the trainer's `--workers` (one DDP rank per GPU) is `workers × gpus_per_worker`.
Checks that need the rest of the file (pool names and instance types, whether the
environment has a shared file system) read it from the validation context that
`infra.spec.parse()` fills, so every problem is still reported in one pass.
"""
from __future__ import annotations

import enum
import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from infra.catalog import aws_catalog
from infra.catalog_gcp import gcp_catalog
from infra.spec_base import SpecModel
from infra.spec_base import fail as _fail

# The trainer's models (trainer/config.py MODELS); infra must not import the trainer, so they are listed here
# and tests/workload checks the two lists agree.
TRAINER_MODELS = ("gpt-tiny", "gpt-small", "resnet18", "resnet50")
# Kubernetes caps user-defined PriorityClass values at one billion; higher values are reserved for the system.
MAX_USER_PRIORITY = 1_000_000_000

_JOB_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")  # DNS-1123 label, short: Ray appends pod suffixes
_DIGEST_IMAGE_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
                              r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$")
_WORKERS_RE = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


class CheckpointStore(str, enum.Enum):
    s3 = "s3"  # AWS: the environment's checkpoint bucket, through the trainer's IRSA role
    fsx = "fsx"  # AWS: the shared file system (FSx for Lustre; fast restore; no versioning)
    gcs = "gcs"  # GCP: the environment's checkpoint bucket, through the trainer's Workload Identity
    filestore = "filestore"  # GCP: the shared file system (Filestore)

    @property
    def on_shared_file_system(self) -> bool:
        """True for the shared file system, False for the object store (the same choice on either cloud)."""
        return self in (CheckpointStore.fsx, CheckpointStore.filestore)


# Per cloud: the object store (the default) and the shared file system, with the spec section each needs.
CLOUD_CHECKPOINT_STORES: dict[str, tuple[CheckpointStore, CheckpointStore]] = {
    "aws": (CheckpointStore.s3, CheckpointStore.fsx),
    "gcp": (CheckpointStore.gcs, CheckpointStore.filestore),
}
SHARED_FS_SECTION = {"aws": "storage.fsx", "gcp": "storage.filestore"}


class JobSpec(SpecModel):

    name: str = Field(description="Job name: the RayJob's name and the `trainyard.io/job` label.")
    pool: str = Field(description="Name of one of this environment's node_pools; worker pods run there.")
    model: str = Field(description=f"Trainer model: one of {', '.join(TRAINER_MODELS)}.")
    workers: str | int | None = Field(None, description='Shorthand for workers_min/workers_max: "MIN:MAX" or N.')
    workers_min: int | None = Field(None, ge=1, description="Fewest worker pods the job runs with (elastic).")
    workers_max: int | None = Field(None, ge=1, description="Most worker pods the job scales to.")
    gpus_per_worker: int = Field(ge=1, description="GPUs per worker pod; at most the pool's GPUs per node.")
    checkpoint_every: int | Literal["auto"] = Field(
        "auto", description="Steps between checkpoints, or 'auto' (Young/Daly from the failure rate).")
    checkpoint_store: CheckpointStore | None = Field(
        None, description="s3 or fsx on AWS, gcs or filestore on GCP; default: the cloud's object store.")
    budget_usd: float = Field(gt=0, description="The trainer checkpoints and stops (exit 3) before spending more.")
    max_steps: int = Field(ge=1)
    image: str = Field(description="Trainer image pinned by digest: repo@sha256:<64 hex>.")
    priority: int = Field(100_000, ge=0, le=MAX_USER_PRIORITY,
                          description="PriorityClass value; higher preempts lower when the pool is full.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _JOB_NAME_RE.match(value):
            raise _fail("name", "{value!r} must be 3-40 lower-case letters, digits or '-', starting with a letter",
                        value=value)
        return value

    @field_validator("name")
    @classmethod
    def _unique(cls, value: str, info: ValidationInfo) -> str:
        if ((info.context or {}).get("job_names") or []).count(value) > 1:
            raise _fail("name", "job name {value!r} is used by more than one job; names must be unique", value=value)
        return value

    @field_validator("pool")
    @classmethod
    def _pool(cls, value: str, info: ValidationInfo) -> str:
        pools = (info.context or {}).get("node_pools") or {}
        if value not in pools:
            known = ", ".join(sorted(pools)) or "none (add node_pools first)"
            raise _fail("pool", "{value!r} is not a node pool of this environment; pools: {known}",
                        value=value, known=known)
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if value not in TRAINER_MODELS:
            import difflib

            close = difflib.get_close_matches(value, TRAINER_MODELS, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _fail("model", "{value!r} is not a trainer model{hint} (models: {models})", value=value,
                        hint=hint, models=", ".join(TRAINER_MODELS))
        return value

    @field_validator("workers", mode="before")
    @classmethod
    def _workers_range(cls, raw: Any) -> str | None:
        # Like the trainer's --workers MIN:MAX; resolved into workers_min/workers_max after validation.
        if raw is None:
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = f"{raw}:{raw}"
        match = _WORKERS_RE.match(raw) if isinstance(raw, str) else None
        if match is None and isinstance(raw, str) and raw.strip().isdigit():
            match = _WORKERS_RE.match(f"{raw}:{raw}")
        if not match:
            raise _fail("workers", "{raw!r} is not N or \"MIN:MAX\" (e.g. \"2:4\"; quote it: unquoted, YAML may "
                        "read 2:4 as a number)", raw=raw)
        lo, hi = int(match.group(1)), int(match.group(2))
        if not 1 <= lo <= hi:
            raise _fail("workers", "{raw!r}: need 1 ≤ MIN ≤ MAX", raw=raw)
        return f"{lo}:{hi}"

    @field_validator("workers_max")
    @classmethod
    def _ordered(cls, workers_max: int | None, info: ValidationInfo) -> int | None:
        workers_min = info.data.get("workers_min")
        if workers_max is not None and workers_min is not None and workers_min > workers_max:
            raise _fail("workers", "workers_min ({lo}) must be ≤ workers_max ({hi})", lo=workers_min, hi=workers_max)
        return workers_max

    @field_validator("gpus_per_worker")
    @classmethod
    def _fits_node(cls, value: int, info: ValidationInfo) -> int:
        pools = (info.context or {}).get("node_pools") or {}
        itype_name = pools.get(info.data.get("pool"))
        catalog = gcp_catalog() if (info.context or {}).get("cloud") == "gcp" else aws_catalog()
        if itype_name in catalog:
            gpus = catalog.get(itype_name).gpu_count
            if value > gpus:
                raise _fail("gpus", "{value} GPUs per worker do not fit on one {itype} node of pool {pool!r}, "
                            "which has {gpus}; use at most {gpus}", value=value, itype=itype_name,
                            pool=info.data.get("pool"), gpus=gpus)
        return value

    @field_validator("checkpoint_every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise _fail("checkpoint_every", "{value!r} is not a positive number of steps or 'auto'", value=value)

    @field_validator("checkpoint_store")
    @classmethod
    def _store(cls, value: CheckpointStore | None, info: ValidationInfo) -> CheckpointStore | None:
        if value is None:
            return value
        cloud = (info.context or {}).get("cloud") or "aws"
        stores = CLOUD_CHECKPOINT_STORES.get(cloud)
        if stores is None:
            return value  # an unknown cloud is reported by the spec's own `cloud` check
        if value not in stores:
            raise _fail("store", "checkpoint_store {value!r} is not available on {cloud}; use {obj!r} (the "
                        "checkpoint bucket) or {shared!r} (the shared file system)", value=value.value, cloud=cloud,
                        obj=stores[0].value, shared=stores[1].value)
        if value.on_shared_file_system and not (info.context or {}).get("shared_file_system", False):
            raise _fail("store", "checkpoint_store {value!r} needs {section} in this environment; add it or use "
                        "{obj!r}", value=value.value, section=SHARED_FS_SECTION[cloud], obj=stores[0].value)
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not _DIGEST_IMAGE_RE.match(value):
            raise _fail("image", "{value!r} is not pinned by digest; use repo@sha256:<64 hex> (e.g. "
                        "'123456789012.dkr.ecr.us-east-1.amazonaws.com/trainyard-trainer@sha256:…'); "
                        "find it with `docker buildx imagetools inspect <tag>`", value=value)
        return value

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> JobSpec:
        given = self.workers_min is not None or self.workers_max is not None
        if self.workers is not None and given:
            raise _fail("workers", "set either workers: \"MIN:MAX\" or workers_min/workers_max, not both")
        if self.workers is not None:
            lo, hi = (int(x) for x in self.workers.split(":"))
            object.__setattr__(self, "workers_min", lo)  # frozen model: fill the derived fields once, here
            object.__setattr__(self, "workers_max", hi)
        elif self.workers_min is None or self.workers_max is None:
            raise _fail("workers", "set workers: \"MIN:MAX\" or both workers_min and workers_max")
        cloud = (info.context or {}).get("cloud") or "aws"
        if self.checkpoint_store is None:  # the cloud's object store; frozen model: set once, here
            object.__setattr__(self, "checkpoint_store", CLOUD_CHECKPOINT_STORES.get(cloud, (CheckpointStore.s3,))[0])
        # The driver (head pod) reads the metrics rank 0 (a worker pod) writes: the run dir must be shared storage.
        if not (info.context or {}).get("shared_file_system", True):
            raise _fail("storage", "job {name!r} needs a shared file system for its run directory; add {section} "
                        "to this environment", name=self.name, section=SHARED_FS_SECTION.get(cloud, "storage.fsx"))
        return self

    # ---- derived values the workload builders use (units in the names)
    @property
    def trainer_workers(self) -> str:
        """The trainer's --workers: one DDP rank per GPU."""
        return f"{self.workers_min * self.gpus_per_worker}:{self.workers_max * self.gpus_per_worker}"


def jobs_context(data: Any) -> dict[str, Any]:
    """Validation-context entries the job checks need, read leniently from the raw spec mapping."""
    pools: dict[str, str] = {}
    for pool in (data.get("node_pools") if isinstance(data, dict) else None) or []:
        if isinstance(pool, dict) and isinstance(pool.get("name"), str):
            pools[pool["name"]] = pool.get("instance_type") if isinstance(pool.get("instance_type"), str) else ""
    storage = data.get("storage") if isinstance(data, dict) else None
    jobs = data.get("jobs") if isinstance(data, dict) else None
    names = [j["name"] for j in jobs if isinstance(j, dict) and isinstance(j.get("name"), str)] \
        if isinstance(jobs, list) else []
    # Either cloud's shared file system counts (FSx on AWS, Filestore on GCP); the spec rejects the wrong one.
    shared = isinstance(storage, dict) and any(isinstance(storage.get(k), dict) for k in ("fsx", "filestore"))
    return {"node_pools": pools, "job_names": names, "shared_file_system": shared}

