"""Exit codes and the one exception type that means "the user gave us bad input".

The exit codes are an interface (DESIGN.md): orchestrators tell a preempted or
budget-stopped job from a finished one by the code alone.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_BUDGET = 3
EXIT_SIGNAL = 4


class BadInput(Exception):
    """Input the user can fix (flag, config field, file). Printed without a traceback, exit 2.

    Carries every problem found, not just the first, so one edit fixes the run.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class CheckpointCorrupt(Exception):
    """A checkpoint failed verification; the resume logic skips it and tries an older one."""
