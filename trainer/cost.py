"""Cost telemetry, the budget guardrail and the Young/Daly checkpoint interval.

usd = gpu_hour_usd * workers * wall_hours, wall time counted from the start of the run
(start-up, restarts and checkpoints included: the GPUs are billed for all of it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def usd_for(gpu_hour_usd: float, workers: int, wall_s: float) -> float:
    return gpu_hour_usd * workers * wall_s / 3600.0


@dataclass
class BudgetGuard:
    """Stops the run while the final checkpoint still fits inside the budget.

    Before each step it predicts cost(now + next step + final blocking checkpoint), with a
    safety factor because step times jitter; if that would exceed the budget it says stop.
    """

    budget_usd: float | None
    gpu_hour_usd: float
    safety: float = 1.5
    # Fixed reserve for what follows the last checkpoint (metrics flush, worker release): ~1 s of GPU time.
    slack_s: float = 1.0

    def should_stop(self, usd_so_far: float, workers: int, next_step_s: float, final_checkpoint_s: float) -> bool:
        if self.budget_usd is None:
            return False
        reserve_s = self.safety * (next_step_s + final_checkpoint_s) + self.slack_s
        predicted = usd_so_far + usd_for(self.gpu_hour_usd, workers, reserve_s)
        return predicted > self.budget_usd


def young_daly_interval_s(save_cost_s: float, mtbf_s: float) -> float:
    """Optimal time between checkpoints, sqrt(2 * C * MTBF) (Young 1974, Daly 2006 first order)."""
    return math.sqrt(2.0 * max(save_cost_s, 1e-6) * mtbf_s)


def auto_interval_steps(save_cost_s: float, step_time_s: float, failure_rate_per_worker_hour: float,
                        workers: int, max_steps: int) -> int:
    """Young/Daly interval converted to steps. The job fails when any worker does, so MTBF shrinks with workers."""
    mtbf_s = 3600.0 / (failure_rate_per_worker_hour * workers)
    interval_s = young_daly_interval_s(save_cost_s, mtbf_s)
    return int(min(max(1, round(interval_s / max(step_time_s, 1e-6))), max(1, max_steps)))
