"""`make demo`: the whole platform on this machine, no cloud account.

1. start the AWS emulator (moto) on 127.0.0.1, on a free port;
2. synthesize the `local` environment and `terraform apply` it against the emulator;
3. read everything back with boto3 and compare it with the spec; `terraform plan` must show no changes;
4. train: a 2-worker Ray run on CPU, one worker killed partway, automatic recovery, cost report, /metrics;
5. `terraform destroy`, check nothing is left, stop the emulator — also when a step fails.

Writes out/demo/report.json. Exit 0 only if every step passed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "out" / "demo"
STACK_DIR = OUT / "cdktf.out" / "stacks" / "local"


def say(message: str) -> None:
    print(f"[demo {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Interrupted(Exception):
    pass


def _raise_interrupted(signum, _frame):  # SIGTERM/SIGINT → unwind through every `finally`
    raise Interrupted(f"stopped by signal {signum}")


def _watch_terraform(log: Path, verb: str, stop: threading.Event) -> None:
    """Progress while terraform works: how many resources are done so far."""
    marker = {"apply": "Creation complete", "destroy": "Destruction complete"}[verb]
    while not stop.wait(10):
        done = log.read_text().count(marker) if log.exists() else 0
        say(f"  terraform {verb}: {done} resources done ...")


def _terraform_step(action, verb: str, log: Path) -> float:
    start = time.monotonic()
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_terraform, args=(log, verb, stop), daemon=True)
    watcher.start()
    try:
        action()
    finally:
        stop.set()
    return time.monotonic() - start


def synth_local() -> None:
    env = {**os.environ, "TRAINYARD_ENVS": "local", "CDKTF_OUTDIR": str(OUT / "cdktf.out"),
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    proc = subprocess.run([sys.executable, str(REPO / "stacks" / "main.py")], env=env, cwd=REPO,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"synth failed:\n{proc.stderr[-2000:]}")


def main() -> int:
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGINT, _raise_interrupted)
    sys.path.insert(0, str(REPO))
    from infra.spec import load_environment
    from infra.targets import LOCAL_EMULATOR
    from infra.terraform import Terraform
    from scripts.emulator import Emulator
    from scripts.local_destroy import destroy_local_stack
    from scripts.local_verify import leftovers, verify

    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {"environment": "local", "steps": {}, "resources_verified": 0, "plan_after_apply_changes": None,
                    "destroyed": False, "training": None, "ok": False}
    spec = load_environment("local")
    say(f"environment 'local': {spec.region}, zones {', '.join(spec.availability_zones)}")
    say("local target capabilities (what the emulator cannot create is switched off, explicitly):")
    for name, enabled, doc in LOCAL_EMULATOR.describe():
        print(f"    {'on ' if enabled else 'OFF'}  {name:34s} {doc}")
    report["disabled_capabilities"] = LOCAL_EMULATOR.disabled()

    emulator = None
    tf = None
    applied = False
    failure: str | None = None
    try:
        emulator = Emulator.start(log_path=OUT / "emulator.log")
        say(f"emulator (moto) up at {emulator.endpoint_url} (pid {emulator.pid})")
        t0 = time.monotonic()
        synth_local()
        report["steps"]["synth_s"] = round(time.monotonic() - t0, 1)
        stack = json.loads((STACK_DIR / "cdk.tf.json").read_text())
        kinds = Counter(rtype for rtype, items in stack["resource"].items() for _ in items)
        say(f"synthesized {sum(kinds.values())} resources of {len(kinds)} kinds in {report['steps']['synth_s']} s")

        log = OUT / "terraform.log"
        log.write_text("")
        for stale in STACK_DIR.glob("terraform.tfstate*"):
            stale.unlink()
        tf = Terraform(STACK_DIR, variables={"emulator_endpoint_url": emulator.endpoint_url}, log=log)
        say(f"terraform init (providers from {tf.mirror or 'the registry'})")
        tf.init()
        say("terraform apply ...")
        applied = True
        report["steps"]["apply_s"] = round(_terraform_step(tf.apply, "apply", log), 1)
        created = tf.state_resources()
        say(f"applied {len(created)} resources in {report['steps']['apply_s']} s")

        checks = verify(spec, emulator.endpoint_url)
        failed = [c for c in checks if not c.ok]
        report["resources_verified"] = len({c.resource for c in checks if c.ok})
        report["checks"] = {"passed": len(checks) - len(failed), "failed": [f"{c.resource}: {c.what} ({c.detail})"
                                                                         for c in failed]}
        say(f"boto3 read-back: {len(checks) - len(failed)}/{len(checks)} checks passed over "
            f"{report['resources_verified']} resources")
        for check in failed:
            say(f"  FAILED {check.resource}: {check.what} — {check.detail}")

        code, plan_text = tf.plan_changes()
        report["plan_after_apply_changes"] = 0 if code == 0 else 1
        say("second plan: no changes" if code == 0 else "second plan: CHANGES (see out/demo/terraform.log)")

        print()
        say("resources by kind:")
        for rtype, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))[:12]:
            print(f"    {count:3d}  {rtype}")
        print(f"    ... {len(kinds) - 12} more kinds" if len(kinds) > 12 else "")
        say("cost tags on every taggable resource: " + ", ".join(f"{k}={v}" for k, v in spec.cost_tags.items()))
        say(f"budget: ${spec.budget.monthly_limit_usd:,.0f}/month, alerts at "
            f"{', '.join(f'{t:g}%' for t in spec.budget.alert_thresholds_percent)} → SNS (KMS-encrypted); "
            "GPU pools scale to zero at 100%")

        print()
        say("training: 2 Ray workers on CPU, one killed partway ...")
        t0 = time.monotonic()
        train = subprocess.run([sys.executable, str(REPO / "scripts" / "demo_training.py"), "--run-dir",
                                str(OUT / "train")], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        report["steps"]["training_s"] = round(time.monotonic() - t0, 1)
        summary_path = OUT / "train" / "summary.json"
        report["training"] = json.loads(summary_path.read_text()) if summary_path.exists() else None
        if train.returncode != 0:
            raise RuntimeError(f"training demo exited {train.returncode}")
        if failed:
            raise RuntimeError(f"{len(failed)} read-back checks failed")
        if code != 0:
            raise RuntimeError("the plan after apply is not empty")
    except Interrupted as exc:
        failure = str(exc)
    except Exception as exc:  # noqa: BLE001 - every failure still tears down below, then is reported
        failure = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            if tf is not None and applied:
                say("terraform destroy ...")
                report["steps"]["destroy_s"] = round(_terraform_step(
                    lambda: destroy_local_stack(tf, emulator.endpoint_url, spec.region), "destroy",
                    OUT / "terraform.log"), 1)
                remaining = leftovers(spec, emulator.endpoint_url) if emulator else ["emulator gone"]
                report["leftovers"] = remaining
                report["destroyed"] = not remaining
                say("destroyed: nothing left in the emulator" if not remaining else f"LEFT BEHIND: {remaining}")
        except Exception as exc:  # noqa: BLE001
            failure = failure or f"destroy failed: {exc}"
        finally:
            if emulator is not None:
                emulator.stop()
                say(f"emulator stopped (pid {emulator.pid})")
    report["ok"] = failure is None and report["destroyed"]
    report["failure"] = failure
    (OUT / "report.json").write_text(json.dumps(report, indent=2, default=str))
    say(f"report: {OUT.relative_to(REPO)}/report.json")
    if failure:
        say(f"FAILED: {failure}")
        return 1
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
