"""The local environment deployed by terraform to the emulator: read back, re-planned, destroyed."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.spec import load_environment
from infra.terraform import PLAN_NO_CHANGES, Terraform, find_plugin_mirror
from scripts.emulator import Emulator
from scripts.local_destroy import destroy_local_stack
from scripts.local_verify import leftovers, verify

pytestmark = [pytest.mark.slow, pytest.mark.emulator]


@pytest.fixture(scope="module")
def deployed(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not installed; the emulator cycle cannot run (install terraform ≥ 1.5)")
    stack_dir = tmp_path_factory.mktemp("local-stack")
    shutil.copytree(synth_dir / "local", stack_dir, dirs_exist_ok=True)
    spec = load_environment("local")
    with Emulator.start(log_path=stack_dir / "emulator.log") as emulator:
        tf = Terraform(stack_dir, variables={"emulator_endpoint_url": emulator.endpoint_url},
                       log=stack_dir / "terraform.log")
        tf.init()
        tf.apply()
        try:
            yield spec, emulator, tf
        finally:
            destroy_local_stack(tf, emulator.endpoint_url, spec.region)
            remaining = leftovers(spec, emulator.endpoint_url)
            assert not remaining, f"destroy left resources behind: {remaining}"


def test_every_read_back_check_passes(deployed) -> None:
    spec, emulator, _ = deployed
    checks = verify(spec, emulator.endpoint_url)
    failed = [f"{c.resource}: {c.what} ({c.detail})" for c in checks if not c.ok]
    assert not failed
    assert len({c.resource for c in checks}) >= 15


def test_second_plan_shows_no_changes(deployed) -> None:
    _, _, tf = deployed
    code, text = tf.plan_changes()
    assert code == PLAN_NO_CHANGES, text[-4000:]


def test_disabled_capabilities_are_absent_and_the_rest_present(deployed) -> None:
    _, _, tf = deployed
    types = {address.split(".")[0] for address in tf.state_resources()}
    assert not types & {"aws_placement_group", "aws_eks_addon", "aws_fsx_data_repository_association"}
    assert {"aws_eks_cluster", "aws_eks_node_group", "aws_fsx_lustre_file_system", "aws_budgets_budget",
            "aws_lambda_function", "aws_iam_openid_connect_provider", "aws_kms_key"} <= types


def test_providers_came_from_the_mirror_when_there_is_one(deployed) -> None:
    _, _, tf = deployed
    if find_plugin_mirror() is None:
        pytest.skip("no local provider mirror on this machine; providers came from the registry")
    assert tf.mirror is not None
    assert (tf.workdir / ".trainyard.tfrc").read_text().count("filesystem_mirror") == 1
