from __future__ import annotations

import pytest

from infra.spec import load_environment
from infra.workload import PlatformRefs, workload_manifests


@pytest.fixture(scope="module")
def prod():
    return load_environment("prod")


@pytest.fixture(scope="module")
def prod_manifests(prod):
    return workload_manifests(prod, PlatformRefs.placeholders(prod, "444455556666"))
