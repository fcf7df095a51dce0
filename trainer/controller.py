"""Run controller: a small state machine in the style of Ray Train v2's TrainController.

It owns no processes. The driver (ray_entry) feeds it events (workers started, a worker
died, the group finished) and executes the action it returns. The failure policy is a pure
function from (failures so far, capacity) to a decision, so every path — retry, elastic
resize, give up — is testable by ticks without starting anything.

    INITIALIZING -> SCHEDULING -> RUNNING -> FINISHED | STOPPED
                        ^            |
                        |        worker failed
                        |            v
                        +------- RESTARTING ---(RAISE)---> ERRORED
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class State(enum.Enum):
    INITIALIZING = "initializing"
    SCHEDULING = "scheduling"
    RUNNING = "running"
    RESTARTING = "restarting"
    FINISHED = "finished"
    STOPPED = "stopped"  # budget or signal: a clean, resumable stop
    ERRORED = "errored"

    @property
    def terminal(self) -> bool:
        return self in (State.FINISHED, State.STOPPED, State.ERRORED)


class Decision(enum.Enum):
    RETRY = "retry"  # same worker count, from the last checkpoint
    RESIZE = "resize"  # elastic: different worker count, from the last checkpoint
    RAISE = "raise"  # give up: the run fails (exit 1)


@dataclass(frozen=True)
class FailureDecision:
    decision: Decision
    workers: int
    reason: str


@dataclass(frozen=True)
class FailurePolicy:
    max_failures: int
    min_workers: int
    max_workers: int

    def workers_for(self, available: int) -> int:
        return min(self.max_workers, available)

    def decide(self, failures: int, current_workers: int, available: int) -> FailureDecision:
        """failures counts the one being handled. available = workers the cluster can place right now."""
        if failures > self.max_failures:
            return FailureDecision(Decision.RAISE, 0, f"{failures} failures > max_failures={self.max_failures}")
        n = self.workers_for(available)
        if n < self.min_workers:
            return FailureDecision(Decision.RAISE, 0, f"only {available} workers placeable < minimum {self.min_workers}")
        if n == current_workers:
            return FailureDecision(Decision.RETRY, n, "restart with the same worker count")
        return FailureDecision(Decision.RESIZE, n, f"elastic resize {current_workers} -> {n} workers")


class Event(enum.Enum):
    TICK = "tick"  # nothing new; poll
    STARTED = "started"  # the worker group is up
    FAILED = "failed"  # a worker died / raised / the group could not start
    FINISHED = "finished"  # every worker returned normally (max steps)
    STOPPED = "stopped"  # workers returned after a budget/signal stop


class Action(enum.Enum):
    NONE = "none"
    START = "start"  # start a group of `workers` workers (from the newest intact checkpoint)
    RESTART = "restart"  # tear down the group, then START
    SHUTDOWN = "shutdown"  # tear down; the run is over


@dataclass
class Controller:
    policy: FailurePolicy
    state: State = State.INITIALIZING
    workers: int = 0
    failures: int = 0
    history: list[tuple[State, Event, State]] = field(default_factory=list)
    last_decision: FailureDecision | None = None
    error: str | None = None

    def tick(self, event: Event, available: int, detail: str = "") -> tuple[Action, int]:
        """Advance one transition. Returns (action, workers) for the driver to carry out."""
        before = self.state
        action, n = self._transition(event, available, detail)
        self.history.append((before, event, self.state))
        return action, n

    def _transition(self, event: Event, available: int, detail: str) -> tuple[Action, int]:
        s = self.state
        if s.terminal:
            return Action.NONE, 0
        if s is State.INITIALIZING:
            n = self.policy.workers_for(available)
            if n < self.policy.min_workers:
                self.state, self.error = State.ERRORED, f"only {available} workers placeable < minimum {self.policy.min_workers}"
                return Action.SHUTDOWN, 0
            self.state, self.workers = State.SCHEDULING, n
            return Action.START, n
        if event is Event.FAILED and s in (State.SCHEDULING, State.RUNNING):
            self.failures += 1
            d = self.last_decision = self.policy.decide(self.failures, self.workers, available)
            if d.decision is Decision.RAISE:
                self.state, self.error = State.ERRORED, f"{d.reason}; last failure: {detail}"
                return Action.SHUTDOWN, 0
            self.state, self.workers = State.RESTARTING, d.workers
            return Action.RESTART, d.workers
        if s is State.RESTARTING:
            # The driver tore the old group down and started the new one as part of RESTART.
            self.state = State.SCHEDULING
            return self._transition(event, available, detail)
        if s is State.SCHEDULING and event is Event.STARTED:
            self.state = State.RUNNING
            return Action.NONE, self.workers
        if s in (State.SCHEDULING, State.RUNNING) and event is Event.FINISHED:
            self.state = State.FINISHED
            return Action.SHUTDOWN, 0
        if s in (State.SCHEDULING, State.RUNNING) and event is Event.STOPPED:
            self.state = State.STOPPED
            return Action.SHUTDOWN, 0
        return Action.NONE, self.workers
