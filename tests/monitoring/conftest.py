"""Shared fixtures for the monitoring tests (rule files, dashboards, scrape objects)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip(
            "promtool not found: the Prometheus rule checks need it. Install it with "
            "`apt-get install prometheus` (Debian package, gives /usr/bin/promtool; `make setup` does this)."
        )
    return path


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
