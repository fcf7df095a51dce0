"""Datasets and the resumable, rank-sharded sampler.

Every sample is a pure function of (seed, index), and the order of indices is a pure
function of (seed, epoch). So the only state the data pipeline has is one integer, the
global cursor (samples consumed so far by all ranks together). That integer goes into
the checkpoint; a resumed run, with the same or a different worker count, continues at
exactly the next sample: nothing repeated, nothing skipped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import BadInput

SHARD_FORMAT = "trainyard-tokens-v1"


class SyntheticTokens:
    """Learnable token sequences: arithmetic progressions mod vocab with 5% noise tokens.

    Random tokens would pin the loss at ln(vocab) and hide a broken optimizer; these let the
    loss fall, so "training works" is visible in every run.
    """

    def __init__(self, n: int, vocab: int, seq_len: int, seed: int):
        self.n, self.vocab, self.seq_len, self.seed = n, vocab, seq_len, seed

    def __len__(self) -> int:
        return self.n

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, i])
        start, stride = rng.integers(self.vocab), rng.integers(1, 8)
        seq = (start + stride * np.arange(self.seq_len + 1)) % self.vocab
        noise = rng.random(self.seq_len + 1) < 0.05
        seq[noise] = rng.integers(self.vocab, size=int(noise.sum()))
        return seq[:-1], seq[1:]

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = zip(*(self.sample(i) for i in indices))
        return torch.from_numpy(np.stack(xs)).long(), torch.from_numpy(np.stack(ys)).long()


class SyntheticImages:
    """CIFAR-sized images: a fixed per-class pattern plus per-sample noise (learnable, no download)."""

    def __init__(self, n: int, num_classes: int, size: int, seed: int):
        self.n, self.num_classes, self.size, self.seed = n, num_classes, size, seed
        rng = np.random.default_rng([seed, 2**31])
        self.patterns = rng.standard_normal((num_classes, 3, size, size)).astype(np.float32)

    def __len__(self) -> int:
        return self.n

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for i in indices:
            rng = np.random.default_rng([self.seed, i])
            c = int(rng.integers(self.num_classes))
            xs.append(self.patterns[c] + rng.standard_normal(self.patterns[c].shape, dtype=np.float32))
            ys.append(c)
        return torch.from_numpy(np.stack(xs)), torch.tensor(ys, dtype=torch.long)


class TokenShards:
    """On-disk token shards written by `python -m trainer prepare` (memory-mapped, never fully loaded)."""

    def __init__(self, path: str, seq_len: int, vocab: int, verify: bool = False):
        root = Path(path)
        index_file = root / "index.json"
        if not index_file.is_file():
            raise BadInput(f"data.path (--data-path): '{path}' has no index.json; write one with `python -m trainer prepare`")
        try:
            index = json.loads(index_file.read_text())
            if index.get("format") != SHARD_FORMAT:
                raise ValueError(f"format is {index.get('format')!r}, expected {SHARD_FORMAT!r}")
            shards = index["shards"]
            if index["vocab_size"] > vocab:
                raise BadInput(
                    f"data.path (--data-path): shards use vocab {index['vocab_size']} > model vocab {vocab}; "
                    f"raise --vocab-size"
                )
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"data.path (--data-path): {index_file} is not a valid shard index ({exc})") from None
        self.seq_len = seq_len
        self.arrays, self.starts = [], [0]
        for s in shards:
            f = root / s["file"]
            if not f.is_file() or f.stat().st_size != s["tokens"] * 2:
                raise BadInput(f"data.path (--data-path): shard {f} is missing or truncated; re-run prepare")
            if verify and _sha256_file(f) != s["sha256"]:
                raise BadInput(f"data.path (--data-path): shard {f} fails its sha256; re-run prepare")
            arr = np.memmap(f, dtype=np.uint16, mode="r")
            self.arrays.append(arr)
            self.starts.append(self.starts[-1] + max(0, (len(arr) - 1) // seq_len))
        if self.starts[-1] == 0:
            raise BadInput(f"data.path (--data-path): shards hold fewer than seq_len+1={seq_len + 1} tokens")

    def __len__(self) -> int:
        return self.starts[-1]

    def sample(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        shard = int(np.searchsorted(self.starts, i, side="right")) - 1
        off = (i - self.starts[shard]) * self.seq_len
        w = np.asarray(self.arrays[shard][off : off + self.seq_len + 1], dtype=np.int64)
        return w[:-1], w[1:]

    batch = SyntheticTokens.batch


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_dataset(data_cfg, model_cfg, seed: int):
    if model_cfg.is_gpt:
        from .models import gpt_preset

        shape = gpt_preset(model_cfg)
        if data_cfg.path:
            return TokenShards(data_cfg.path, shape.seq_len, shape.vocab_size)
        return SyntheticTokens(data_cfg.synthetic_samples, shape.vocab_size, shape.seq_len, seed)
    return SyntheticImages(data_cfg.synthetic_samples, model_cfg.num_classes, model_cfg.image_size, seed)


@dataclass
class ResumableShardedSampler:
    """Global cursor over an epoch-wise permutation; each rank reads its own slice of each step's batch.

    Step layout with W ranks, micro-batch B, accumulation A: the step consumes W*B*A consecutive
    global positions; micro-batch a of rank r is positions [cursor + (a*W + r)*B, ... + B).
    """

    dataset_len: int
    seed: int
    shuffle: bool = True
    cursor: int = 0

    def __post_init__(self) -> None:
        self._perm_epoch, self._perm = -1, None

    def _index(self, position: int) -> int:
        epoch, within = divmod(position, self.dataset_len)
        if not self.shuffle:
            return within
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, 7, epoch]).permutation(self.dataset_len)
            self._perm_epoch = epoch
        return int(self._perm[within])

    def micro_batch(self, rank: int, world: int, batch: int, micro: int) -> list[int]:
        first = self.cursor + (micro * world + rank) * batch
        return [self._index(p) for p in range(first, first + batch)]

    def advance(self, world: int, batch: int, accum: int) -> None:
        self.cursor += world * batch * accum

    def state_dict(self, rank: int = 0, world: int = 1, batch: int = 0) -> dict:
        # rank_position is informational (where this rank's next slice starts); cursor is the truth.
        return {"cursor": self.cursor, "seed": self.seed, "dataset_len": self.dataset_len,
                "rank": rank, "world": world, "rank_position": self.cursor + rank * batch}

    def load_state_dict(self, state: dict) -> None:
        if state["dataset_len"] != self.dataset_len or state["seed"] != self.seed:
            raise BadInput(
                "checkpoint: sampler was saved for a different dataset or seed "
                f"(len {state['dataset_len']} seed {state['seed']} vs len {self.dataset_len} seed {self.seed}); "
                "resume with the original --seed/--data-path or use a new --run-dir"
            )
        self.cursor = int(state["cursor"])
