"""trainyard trainer: Ray Train + PyTorch DDP with verified async checkpoints, recovery and cost telemetry."""

import time as _time

# Billing starts when the process does: interpreter and torch/Ray start-up are paid GPU time too.
START_UNIX = _time.time()
