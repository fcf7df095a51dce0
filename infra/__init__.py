"""trainyard provisioning side: the environment spec, the hardware catalog, cdktf constructs and the CLI.

This package must not import torch or ray (see docs/architecture.md).
"""
