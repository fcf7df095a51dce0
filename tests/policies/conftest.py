"""Policy-gate fixtures. checkov costs ~5-15 s per run, so every fixture stack goes through
ONE session-scoped gate run (the gate batches files into a single checkov invocation)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policies.gate import DEFAULT_CHECKOV, GateResult, StackReport, run_gate

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "policies" / "fixtures"
SCANNED_FIXTURES = sorted(p for p in FIXTURES.glob("*/*.tf.json") if p.parent.name != "fail_closed")


def require_checkov() -> Path:
    """Fail — never skip — when checkov is missing: a skipped policy suite looks like a passing one."""
    if not DEFAULT_CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {DEFAULT_CHECKOV}; run `make setup` (it creates .venv-checkov "
                    "from policies/requirements-checkov.txt)", pytrace=False)
    return DEFAULT_CHECKOV


def expected_failures(path: Path) -> set[str]:
    return set(json.loads(path.read_text())["//"]["fixture"]["expect_failed"])


@pytest.fixture(scope="session")
def fixture_gate() -> dict[Path, StackReport]:
    require_checkov()
    result = run_gate(SCANNED_FIXTURES)
    assert not result.errors, result.errors
    return {report.path: report for report in result.stacks}


@pytest.fixture(scope="session")
def synthesized_stacks(synth_dir: Path) -> list[Path]:
    """The project's own stacks, synthesized fresh once per session (tests/conftest.py) — never a stale
    cdktf.out left by an earlier `make synth`."""
    found = sorted(synth_dir.glob("*/cdk.tf.json"))
    assert found, "synth produced no stacks/*/cdk.tf.json"
    return found


@pytest.fixture(scope="session")
def synth_gate(synthesized_stacks: list[Path]) -> GateResult:
    require_checkov()
    return run_gate(synthesized_stacks)
