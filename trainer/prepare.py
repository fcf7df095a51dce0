"""`python -m trainer prepare`: text -> byte-level token shards (uint16) + index.json with sha256s.

Byte-level tokens (vocab 256) need no tokenizer download; the format itself carries any
vocab up to 65535, so a BPE-tokenized corpus can be written the same way later.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .data import SHARD_FORMAT
from .errors import BadInput

_WORDS = ("the gpu trains a model on shards of tokens and the checkpoint keeps the state "
          "so a lost worker costs minutes not days while the budget guards the spend").split()


def generated_corpus(num_bytes: int, seed: int) -> bytes:
    """Deterministic pseudo-English, for demos and tests that need a real on-disk dataset."""
    rng = np.random.default_rng(seed)
    out, n = [], 0
    while n < num_bytes:
        sentence = " ".join(_WORDS[i] for i in rng.integers(len(_WORDS), size=int(rng.integers(5, 15)))) + ". "
        out.append(sentence)
        n += len(sentence)
    return "".join(out).encode()[:num_bytes]


def write_shards(tokens: np.ndarray, out_dir: str, shard_tokens: int, vocab_size: int, source: str) -> dict:
    root = Path(out_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out: cannot create '{out_dir}' ({exc.strerror}); choose a writable directory") from None
    shards = []
    for k, start in enumerate(range(0, len(tokens), shard_tokens)):
        chunk = np.ascontiguousarray(tokens[start : start + shard_tokens], dtype=np.uint16)
        name = f"shard-{k:05d}.bin"
        data = chunk.tobytes()
        with open(root / name, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        shards.append({"file": name, "tokens": int(len(chunk)), "sha256": hashlib.sha256(data).hexdigest()})
    index = {"format": SHARD_FORMAT, "dtype": "uint16", "vocab_size": vocab_size, "tokenizer": "bytes",
             "source": source, "total_tokens": int(len(tokens)), "shards": shards}
    tmp = root / "index.json.tmp"
    tmp.write_text(json.dumps(index, indent=2))
    os.replace(tmp, root / "index.json")  # index last: a half-written dataset has no index
    return index


def prepare(input_path: str | None, out_dir: str, generate_bytes: int, shard_tokens: int, seed: int) -> dict:
    if shard_tokens < 2:
        raise BadInput(f"--shard-tokens: must be >= 2, got {shard_tokens}")
    if input_path:
        p = Path(input_path)
        if not p.is_file():
            raise BadInput(f"--input: file '{input_path}' does not exist (pass a local text file, or --generate BYTES)")
        raw, source = p.read_bytes(), str(p)
    else:
        if generate_bytes < 2:
            raise BadInput(f"--generate: must be >= 2 bytes, got {generate_bytes}")
        raw, source = generated_corpus(generate_bytes, seed), f"generated:{generate_bytes}:seed={seed}"
    if len(raw) < 2:
        raise BadInput(f"--input: '{input_path}' holds fewer than 2 bytes; nothing to train on")
    tokens = np.frombuffer(raw, dtype=np.uint8).astype(np.uint16)
    return write_shards(tokens, out_dir, shard_tokens, 256, source)
