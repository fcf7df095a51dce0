"""The ray backend: the only module that imports Ray.

One Ray actor per worker (a real process, pinned to 1 GPU or `threads_per_worker` CPUs), all
running loop.run_worker as one DDP group. The driver polls the group and feeds the controller
state machine; on a worker death it tears the group down (survivors are blocked in a collective
and cannot recover in place), picks the newest intact checkpoint and starts a new group of the
size the failure policy chose. Why actors rather than TorchTrainer: see docs/adr/0010.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import ray

from .config import TrainConfig
from .controller import Action, Controller, Event, FailurePolicy, State
from .errors import EXIT_FAILURE, BadInput
from .run import RunDriver, say, warn

POLL_S = 0.2


@ray.remote
class TrainWorker:
    def __init__(self) -> None:
        self.stop = threading.Event()

    def setup(self) -> dict:
        with socket.socket() as s:  # rank 0's rendezvous port; the race window is one RPC long
            s.bind(("", 0))
            port = s.getsockname()[1]
        return {"pid": os.getpid(), "ip": ray.util.get_node_ip_address(), "port": port}

    def run(self, cfg_dict: dict, ctx_kwargs: dict) -> dict:
        from .loop import WorkerContext, run_worker

        cfg = TrainConfig.from_dict(cfg_dict)
        result = run_worker(cfg, WorkerContext(**ctx_kwargs, stop_event=self.stop))
        return dataclasses.asdict(result)

    def request_stop(self) -> None:
        self.stop.set()

    def stacks(self) -> str:
        """Python stacks of every thread: what a hung worker was doing, for the failure log."""
        import sys
        import traceback

        frames = sys._current_frames()
        return "\n".join(f"--- thread {tid}\n" + "".join(traceback.format_stack(f)) for tid, f in frames.items())


@dataclasses.dataclass
class Group:
    actors: list
    refs: list
    pids: list[int]
    started_unix: float
    attempt: int
    stop_sent: bool = False


def _use_gpu(cfg: TrainConfig) -> bool:
    return cfg.run.device == "cuda" or (cfg.run.device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)


def _capacity(cfg: TrainConfig) -> int:
    res = ray.cluster_resources()
    if _use_gpu(cfg):
        return int(res.get("GPU", 0))
    return int(res.get("CPU", 0) // cfg.run.threads_per_worker)


def _init_ray(cfg: TrainConfig) -> None:
    # Workers must import this package even when it is not pip-installed (a plain checkout).
    root = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [root, os.environ.get("PYTHONPATH", "")] if p)
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # silence a FutureWarning; CPU actors need no GPU env
    address = os.environ.get("RAY_ADDRESS")
    if address:  # in-cluster: the Ray job's cluster
        ray.init(address=address, log_to_driver=True)
        return
    _, hi = cfg.run.workers_range
    ray.init(address="local", num_cpus=max(hi * cfg.run.threads_per_worker, 1), include_dashboard=False,
             object_store_memory=80 * 1024 * 1024, _node_ip_address="127.0.0.1", log_to_driver=True,
             configure_logging=False)


def _start_group(cfg: TrainConfig, driver: RunDriver, n: int, attempt: int, resume: str | None,
                 failure_unix: float | None) -> Group:
    gpu = _use_gpu(cfg)
    opts = {"num_cpus": 0 if gpu else cfg.run.threads_per_worker, "num_gpus": 1 if gpu else 0,
            "max_concurrency": 2}  # 2: request_stop must run while run() is busy
    actors = [TrainWorker.options(**opts).remote() for _ in range(n)]
    infos = ray.get([a.setup.remote() for a in actors], timeout=180)
    master = infos[0]
    cfg_dict = cfg.to_dict()
    refs = []
    for rank, actor in enumerate(actors):
        ctx = driver.context(rank, n, attempt, resume, failure_unix, master_addr=master["ip"],
                             master_port=master["port"], local_rank=0 if not gpu else 0)
        kwargs = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx) if f.name != "stop_event"}
        refs.append(actor.run.remote(cfg_dict, kwargs))
    pids = [i["pid"] for i in infos]
    (Path(cfg.run.run_dir) / "workers.json").write_text(json.dumps({"attempt": attempt, "pids": pids}))
    say(f"attempt {attempt}: {n} worker(s) started (pids {pids})" + (f", resuming from {resume}" if resume else ""))
    return Group(actors, refs, pids, time.time(), attempt)


def _kill_group(group: Group | None) -> None:
    if group is None:
        return
    for actor in group.actors:
        try:
            ray.kill(actor, no_restart=True)
        except Exception:  # already dead
            pass


def _failure_time(run_dir: str, since_unix: float, detected_unix: float) -> float:
    """When the failure happened: the injected kill's own timestamp if there is one, else detection time."""
    times = []
    for marker in (Path(run_dir) / "faults").glob("*.json"):
        try:
            t = json.loads(marker.read_text())["killed_unix"]
        except (OSError, ValueError, KeyError):
            continue
        if t >= since_unix:
            times.append(t)
    return min(times) if times else detected_unix


def _wait(group: Group, driver: RunDriver) -> tuple[Event, str, list[dict]]:
    """Block until the group finishes or any worker fails. Forwards a pending stop request to rank 0."""
    pending, results = list(group.refs), {}
    metrics = Path(driver.cfg.run.run_dir) / "metrics.jsonl"
    last_progress, last_size = time.time(), _size(metrics)
    while pending:
        size = _size(metrics)
        if size != last_size:
            last_progress, last_size = time.time(), size
        elif time.time() - last_progress > driver.cfg.run.hang_timeout_s:
            # A collective that never returns (peer wedged, network partition) looks like this: no error, no steps.
            try:
                dump = ray.get(group.actors[0].stacks.remote(), timeout=10)
                warn(f"rank 0 stacks at hang detection:\n{dump}")
            except Exception:
                pass
            return Event.FAILED, f"no completed step for {driver.cfg.run.hang_timeout_s:.0f}s (hung group)", []
        if driver.stop_event.is_set() and not group.stop_sent:
            group.actors[0].request_stop.remote()
            group.stop_sent = True
        ready, pending = ray.wait(pending, num_returns=1, timeout=POLL_S)
        for ref in ready:
            rank = group.refs.index(ref)
            try:
                results[rank] = ray.get(ref)
            except Exception as exc:  # RayActorError (process died) or RayTaskError (raised)
                cause = getattr(exc, "cause", None)
                if isinstance(cause, BadInput) or isinstance(exc, BadInput):
                    raise cause or exc
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                return Event.FAILED, f"rank {rank} (pid {group.pids[rank]}): {type(exc).__name__}: {first_line}", []
    ordered = [results[r] for r in sorted(results)]
    stopped = ordered[0]["stopped_by"] != "max_steps"
    return (Event.STOPPED if stopped else Event.FINISHED), "", ordered


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def run_ray(cfg: TrainConfig, start_unix: float | None = None) -> int:
    driver = RunDriver(cfg, run_start_unix=start_unix)
    lo, hi = cfg.run.workers_range
    signal_seen = threading.Event()
    _init_ray(cfg)
    # After ray.init, so ours wins; the handler only sets flags (the poll loop does the Ray calls).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: (signal_seen.set(), driver.request_stop("signal")))
    controller = Controller(FailurePolicy(cfg.run.max_failures, lo, hi))
    group: Group | None = None
    results: list[dict] = []
    failure_unix: float | None = None
    attempt = -1
    try:
        action, n = controller.tick(Event.TICK, _capacity(cfg))
        while not controller.state.terminal:
            if action in (Action.START, Action.RESTART):
                if group is not None:
                    _kill_group(group)
                    driver.bill_segment(len(group.actors), time.time())
                    group = None
                resume, step = driver.pick_resume()
                if step >= cfg.run.max_steps:
                    say(f"run already complete at step {step}; nothing to do")
                    return driver.finish("max_steps", None, n)
                attempt += 1
                if failure_unix is not None:
                    driver.recoveries.append((attempt, failure_unix))
                try:
                    group = _start_group(cfg, driver, n, attempt, resume, failure_unix)
                    event, detail = Event.STARTED, ""
                except (ray.exceptions.RayError, TimeoutError) as exc:
                    event, detail, failure_unix = Event.FAILED, f"group start failed: {exc}", time.time()
                action, n = controller.tick(event, _capacity(cfg), detail)
                continue
            if controller.state is State.RUNNING and group is not None:
                event, detail, results = _wait(group, driver)
                if event is Event.FAILED:
                    detected = time.time()
                    failure_unix = _failure_time(cfg.run.run_dir, group.started_unix, detected)
                    warn(f"worker failure detected {detected - failure_unix:.2f}s after it happened: {detail}")
                action, n = controller.tick(event, _capacity(cfg), detail)
                if controller.last_decision and event is Event.FAILED:
                    d = controller.last_decision
                    say(f"failure policy: {d.decision.value.upper()} ({d.reason})")
                continue
            action, n = controller.tick(Event.TICK, _capacity(cfg))
        if controller.state is State.ERRORED:
            warn(f"run failed: {controller.error}")
            driver.finish("error", None, len(group.actors) if group else 0,
                          extra={"error": controller.error, "attempts": attempt + 1})
            return EXIT_FAILURE
        lead = results[0]
        return driver.finish(lead["stopped_by"], lead["usd_end"], len(results), extra={"attempts": attempt + 1})
    finally:
        _kill_group(group)
        ray.shutdown()
