"""Checkpoint layout, manifest and verification (the on-disk contract in DESIGN.md).

    <root>/step-00000020/{model.pt, optim.pt, rng.pt, train_state.json, config.json, manifest.json}
    <root>/LATEST        -> "step-00000020"

manifest.json = {"step": N, "files": {"<rel>": "<sha256>"}, ...} lists every other file and is
written last, so its presence + matching hashes is the definition of "complete".
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time

import torch

from ..errors import CheckpointCorrupt
from .storage import Storage

MANIFEST = "manifest.json"
LATEST = "LATEST"
FORMAT = "trainyard-ckpt-v1"

log = logging.getLogger("trainer.checkpoint")


def checkpoint_name(step: int) -> str:
    return f"step-{step:08d}"


def step_of(name: str) -> int:
    return int(name.split("-", 1)[1])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_for(step: int, files: dict[str, bytes], extra: dict | None = None) -> bytes:
    body = {"format": FORMAT, "step": step, "files": {k: sha256(v) for k, v in sorted(files.items())},
            "bytes": sum(len(v) for v in files.values()), "created_unix": time.time(), **(extra or {})}
    return json.dumps(body, indent=2).encode()


def verify_checkpoint(storage: Storage, name: str) -> tuple[dict, dict[str, bytes]]:
    """Read and check every file of a checkpoint. Returns (manifest, files) or raises CheckpointCorrupt."""
    try:
        manifest = json.loads(storage.read(f"{name}/{MANIFEST}"))
        listed = manifest["files"]
        if manifest["step"] != step_of(name) or not isinstance(listed, dict) or not listed:
            raise ValueError("manifest does not match the directory name or lists no files")
    except FileNotFoundError:
        raise CheckpointCorrupt(f"{name}: no {MANIFEST} (incomplete write)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointCorrupt(f"{name}: unreadable {MANIFEST} ({exc})") from None
    files = {}
    for rel, digest in listed.items():
        try:
            data = storage.read(f"{name}/{rel}")
        except FileNotFoundError:
            raise CheckpointCorrupt(f"{name}/{rel}: missing") from None
        if sha256(data) != digest:
            raise CheckpointCorrupt(f"{name}/{rel}: sha256 mismatch (truncated or corrupted, {len(data)} bytes)")
        files[rel] = data
    return manifest, files


def find_resume_point(storage: Storage, warn=log.warning) -> tuple[str, dict, dict[str, bytes]] | None:
    """Newest intact checkpoint, newest first; every skipped one is reported through warn()."""
    names = sorted(storage.list_checkpoints(), key=step_of, reverse=True)
    pointer = storage.read_pointer()
    for name in names:
        try:
            manifest, files = verify_checkpoint(storage, name)
        except CheckpointCorrupt as exc:
            warn(f"WARNING: skipping corrupt checkpoint {exc}; falling back to the previous one")
            continue
        if pointer and pointer != name:
            warn(f"WARNING: LATEST points to {pointer} but newest intact checkpoint is {name}; resuming from {name}")
        return name, manifest, files
    return None


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def load_checkpoint(files: dict[str, bytes]) -> dict:
    """Deserialize a verified checkpoint's files (weights_only: a checkpoint is data, not code)."""
    out = {}
    for rel, data in files.items():
        if rel.endswith(".pt"):
            out[rel[:-3]] = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        elif rel.endswith(".json"):
            out[rel[:-5]] = json.loads(data)
    return out
