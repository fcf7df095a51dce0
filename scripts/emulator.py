"""The local AWS emulator: a moto server on 127.0.0.1, on a free port, owned by whoever starts it.

    with Emulator.start() as emu:      # always stopped on exit, even on error
        emu.endpoint_url               # http://127.0.0.1:<port>

Run as a script (`python -m scripts.emulator up|down`) it writes/reads a pid file so a shell can pair
`up` with a `down` in a trap.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = Path("out/emulator.json")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Emulator:
    pid: int
    port: int
    process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, port: int | None = None, log_path: Path | None = None, ready_timeout_s: float = 30) -> Emulator:
        port = port or free_port()
        try:
            import moto.server  # noqa: F401
        except ImportError:
            raise RuntimeError("moto[server] is not installed in this Python; run `make setup`") from None
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        # Own process group: stopping it takes moto's children with it, and nothing else.
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.moto_shim", "-H", "127.0.0.1", "-p", str(port)], stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=str(Path(__file__).resolve().parent.parent),
            # AWS-managed policies (AmazonEKSWorkerNodePolicy, ...) exist in every real account; load them.
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
        emulator = cls(pid=process.pid, port=port, process=process)
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited with {process.returncode} while starting on port {port}")
            try:
                urllib.request.urlopen(f"{emulator.endpoint_url}/moto-api/", timeout=1).read()
                return emulator
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        emulator.stop()
        raise RuntimeError(f"moto server did not answer on {emulator.endpoint_url} within {ready_timeout_s:.0f}s")

    def stop(self, grace_s: float = 5) -> None:
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if self.process is not None:
                if self.process.poll() is not None:
                    return
            else:
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    return
            time.sleep(0.1)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def aws_env(self) -> dict[str, str]:
        """Environment for boto3 / the AWS CLI to talk to this emulator and nothing else."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args(argv)
    if args.action == "up":
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        emu = Emulator.start(log_path=STATE_FILE.with_suffix(".log"))
        STATE_FILE.write_text(json.dumps({"pid": emu.pid, "port": emu.port}))
        print(emu.endpoint_url)
        return 0
    if not STATE_FILE.exists():
        print("no emulator recorded in out/emulator.json; nothing to stop")
        return 0
    state = json.loads(STATE_FILE.read_text())
    Emulator(pid=state["pid"], port=state["port"]).stop()
    STATE_FILE.unlink()
    print(f"stopped moto server (pid {state['pid']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
