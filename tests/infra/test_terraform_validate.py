"""`terraform validate` of every synthesized AWS stack, with providers from the local mirror."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.terraform import Terraform

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_stack_passes_terraform_validate(synth_dir: Path, tmp_path: Path, env: str) -> None:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not installed (install terraform ≥ 1.5)")
    stack = tmp_path / env
    shutil.copytree(synth_dir / env, stack)
    tf = Terraform(stack)
    tf.init()
    tf.validate()
