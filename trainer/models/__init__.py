"""Model registry: config name -> nn.Module. Presets are data, not subclasses."""

from __future__ import annotations

import dataclasses

from .gpt import GPT, GPTShape

GPT_PRESETS = {
    # Small enough that 2 CPU workers run 60 steps in seconds; same code path as the big one.
    "gpt-tiny": GPTShape(n_layer=2, n_head=2, d_model=64, vocab_size=256, seq_len=64),
    # GPT-2 small shape (~124M params + 50304-token embedding), the H100 reference model.
    "gpt-small": GPTShape(n_layer=12, n_head=12, d_model=768, vocab_size=50304, seq_len=1024),
}


def gpt_preset(cfg) -> GPTShape:
    base = GPT_PRESETS[cfg.name]
    overrides = {k: getattr(cfg, k) for k in ("n_layer", "n_head", "d_model", "vocab_size", "seq_len") if getattr(cfg, k)}
    return dataclasses.replace(base, **overrides)


def build_model(cfg):
    if cfg.is_gpt:
        return GPT(gpt_preset(cfg))
    from .resnet import resnet

    return resnet(cfg.name, num_classes=cfg.num_classes)
