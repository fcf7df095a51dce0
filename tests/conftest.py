"""Session-wide fixtures: the stacks are synthesized once per test session, into a fresh directory
(importing the AWS provider bindings alone costs ~20 s, and a stale cdktf.out must never be tested)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`<tmp>/stacks/<stack>/cdk.tf.json` for every environment file, from the current code."""
    out = tmp_path_factory.mktemp("cdktf.out")
    env = {**os.environ, "CDKTF_OUTDIR": str(out), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    proc = subprocess.run([sys.executable, str(REPO / "stacks" / "main.py")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"synth failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out / "stacks"


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(synth_dir.glob("*/cdk.tf.json"))}
