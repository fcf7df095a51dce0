"""Asynchronous checkpoint writer: the step loop pays only for the device->host snapshot.

save() clones the state to host memory and returns; a background thread serializes,
hashes, writes, commits, moves LATEST and prunes old checkpoints. At most one write is
in flight: a second save() first waits for the previous one (that wait is counted as
blocking time, so a too-short interval shows up in checkpoint_overhead_frac).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

import torch

from .format import LATEST, MANIFEST, checkpoint_name, manifest_for, step_of, torch_bytes
from .storage import Storage


def snapshot(obj: Any) -> Any:
    """Deep copy with every tensor on the host. Clones CPU tensors too: the next optimizer step mutates them in place."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(snapshot(v) for v in obj)
    return obj


class AsyncCheckpointer:
    def __init__(self, storage: Storage, keep: int, async_save: bool = True,
                 on_saved: Callable[[int, float], None] | None = None):
        self.storage, self.keep, self.async_save = storage, keep, async_save
        self.on_saved = on_saved
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.last_save_s: float | None = None  # full write duration (serialize + hash + write + commit)
        self.last_saved_step: int | None = None
        self.last_saved_unix: float | None = None

    def save(self, step: int, state: dict[str, Any], meta: dict[str, Any]) -> float:
        """Snapshot state and write it (in the background when async). Returns seconds the caller was blocked."""
        t0 = time.perf_counter()
        self.wait()
        host_state = snapshot(state)
        if self.async_save:
            self._thread = threading.Thread(target=self._write_guarded, args=(step, host_state, meta),
                                            name=f"ckpt-writer-{step}", daemon=True)
            self._thread.start()
        else:
            self._write(step, host_state, meta)
        return time.perf_counter() - t0

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            err, self._error = self._error, None
            raise RuntimeError(f"checkpoint write failed: {err}") from err

    def _write_guarded(self, step: int, state: dict, meta: dict) -> None:
        try:
            self._write(step, state, meta)
        except BaseException as exc:  # surfaced on the training thread at the next wait()
            self._error = exc

    def _write(self, step: int, state: dict, meta: dict) -> None:
        t0 = time.perf_counter()
        name = checkpoint_name(step)
        files = {f"{k}.pt": torch_bytes(v) for k, v in state.items()}
        files.update({f"{k}.json": json.dumps(v, indent=2, sort_keys=True).encode() for k, v in meta.items()})
        staging = self.storage.staging_dir(name)
        for rel, data in files.items():
            self.storage.write(f"{staging}/{rel}", data)
        self.storage.write(f"{staging}/{MANIFEST}", manifest_for(step, files))  # last: the commit marker
        self.storage.commit(staging, name)
        self.storage.write_pointer(name)
        self._prune(name)
        self.last_save_s = time.perf_counter() - t0
        self.last_saved_step, self.last_saved_unix = step, time.time()
        if self.on_saved:
            self.on_saved(step, self.last_save_s)

    def _prune(self, newest: str) -> None:
        names = sorted(self.storage.list_checkpoints(), key=step_of, reverse=True)
        for old in names[self.keep:]:
            if old != newest:
                self.storage.delete_checkpoint(old)


__all__ = ["AsyncCheckpointer", "snapshot", "LATEST"]
