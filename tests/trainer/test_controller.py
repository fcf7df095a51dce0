"""The controller state machine and failure policy, driven by ticks (no processes)."""

from __future__ import annotations

from trainer.controller import Action, Controller, Decision, Event, FailurePolicy, State


def test_happy_path():
    c = Controller(FailurePolicy(max_failures=3, min_workers=2, max_workers=2))
    assert c.tick(Event.TICK, available=2) == (Action.START, 2)
    assert c.state is State.SCHEDULING
    c.tick(Event.STARTED, 2)
    assert c.state is State.RUNNING
    assert c.tick(Event.FINISHED, 2) == (Action.SHUTDOWN, 0)
    assert c.state is State.FINISHED
    assert c.tick(Event.FAILED, 2) == (Action.NONE, 0)  # terminal states ignore late events


def test_worker_failure_retries_with_same_size():
    c = Controller(FailurePolicy(3, 2, 2))
    c.tick(Event.TICK, 2)
    c.tick(Event.STARTED, 2)
    assert c.tick(Event.FAILED, 2, "rank 1 died") == (Action.RESTART, 2)
    assert c.state is State.RESTARTING and c.last_decision.decision is Decision.RETRY
    c.tick(Event.STARTED, 2)
    assert c.state is State.RUNNING and c.failures == 1


def test_elastic_resize_down_and_back_up():
    c = Controller(FailurePolicy(5, min_workers=1, max_workers=4))
    assert c.tick(Event.TICK, 4) == (Action.START, 4)
    c.tick(Event.STARTED, 4)
    assert c.tick(Event.FAILED, 3, "node lost") == (Action.RESTART, 3)  # one node gone: continue on 3
    assert c.last_decision.decision is Decision.RESIZE
    c.tick(Event.STARTED, 3)
    assert c.tick(Event.FAILED, 4) == (Action.RESTART, 4)  # capacity back
    assert c.last_decision.decision is Decision.RESIZE


def test_gives_up_after_max_failures_or_below_min():
    c = Controller(FailurePolicy(max_failures=1, min_workers=2, max_workers=2))
    c.tick(Event.TICK, 2)
    c.tick(Event.STARTED, 2)
    c.tick(Event.FAILED, 2)
    c.tick(Event.STARTED, 2)
    assert c.tick(Event.FAILED, 2) == (Action.SHUTDOWN, 0)
    assert c.state is State.ERRORED and "max_failures" in c.error

    c = Controller(FailurePolicy(3, min_workers=2, max_workers=4))
    c.tick(Event.TICK, 2)
    c.tick(Event.STARTED, 2)
    c.tick(Event.FAILED, 1)
    assert c.state is State.ERRORED and c.last_decision.decision is Decision.RAISE

    c = Controller(FailurePolicy(3, min_workers=2, max_workers=2))
    assert c.tick(Event.TICK, 1) == (Action.SHUTDOWN, 0)
    assert c.state is State.ERRORED


def test_failure_during_start_and_clean_stop():
    c = Controller(FailurePolicy(3, 1, 2))
    c.tick(Event.TICK, 2)
    assert c.tick(Event.FAILED, 2, "actor start timeout") == (Action.RESTART, 2)
    c.tick(Event.STARTED, 2)
    assert c.tick(Event.STOPPED, 2) == (Action.SHUTDOWN, 0)
    assert c.state is State.STOPPED
    assert [h[2] for h in c.history] == [State.SCHEDULING, State.RESTARTING, State.RUNNING, State.STOPPED]
