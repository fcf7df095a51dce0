"""Torn, truncated or bit-flipped checkpoints are never used; resume falls back to the newest intact one."""

from __future__ import annotations

import shutil

import pytest

from trainer.checkpoint import AsyncCheckpointer, LocalStorage, find_resume_point, verify_checkpoint
from trainer.cli import main
from trainer.errors import CheckpointCorrupt

from .conftest import TINY, losses


def _resume(run_dir, max_steps: int, capsys) -> tuple[int, str, str]:
    code = main(["train", *TINY, "--backend", "local", "--max-steps", str(max_steps), "--checkpoint-every", "10",
                 "--run-dir", str(run_dir)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _bitflip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage,file", [(_truncate, "model.pt"), (_bitflip, "optim.pt"), (_bitflip, "train_state.json")])
def test_corrupt_latest_is_skipped_with_warning(local_run, tmp_path, capsys, damage, file):
    run_dir = tmp_path / "run"
    shutil.copytree(local_run, run_dir)
    original = losses(local_run)
    damage(run_dir / "checkpoints" / "step-00000030" / file)

    # max_steps stays 30, so a resume from the corrupt step-30 would be "already complete" and run nothing.
    code, out, err = _resume(run_dir, 30, capsys)
    assert code == 0
    assert f"skipping corrupt checkpoint step-00000030/{file}" in err
    assert "resuming from step-00000020" in out
    # Steps 21..30 were recomputed from the intact step-20 state: same losses as the first time.
    assert losses(run_dir) == original
    assert (run_dir / "checkpoints" / "LATEST").read_text().strip() == "step-00000030"
    verify_checkpoint(LocalStorage(str(run_dir / "checkpoints")), "step-00000030")  # rewritten, intact


def test_every_checkpoint_corrupt_is_bad_input_not_a_silent_restart(local_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(local_run, run_dir)
    for step in (10, 20, 30):
        _truncate(run_dir / "checkpoints" / f"step-{step:08d}" / "model.pt")
    code, out, err = _resume(run_dir, 40, capsys)
    assert code == 2
    assert "none is intact" in err and "--resume false" in err
    assert "Traceback" not in err


def _state():
    import torch

    return {"model": {"w": torch.arange(6.0)}}


def test_torn_write_without_manifest_is_never_used(tmp_path):
    storage = LocalStorage(str(tmp_path))
    ckpt = AsyncCheckpointer(storage, keep=5)
    ckpt.save(1, _state(), {"train_state": {"step": 1}})
    ckpt.save(2, _state(), {"train_state": {"step": 2}})
    ckpt.wait()
    (tmp_path / "step-00000002" / "manifest.json").unlink()  # a writer killed before its commit marker
    warnings: list[str] = []
    name, manifest, _ = find_resume_point(storage, warn=warnings.append)
    assert name == "step-00000001" and manifest["step"] == 1
    assert any("step-00000002" in w and "incomplete" in w for w in warnings)
    with pytest.raises(CheckpointCorrupt):
        verify_checkpoint(storage, "step-00000002")


def test_manifest_lists_every_file_and_retention_keeps_k(tmp_path):
    storage = LocalStorage(str(tmp_path))
    ckpt = AsyncCheckpointer(storage, keep=3)
    for step in range(1, 6):
        blocked_s = ckpt.save(step, _state(), {"train_state": {"step": step}})
        assert blocked_s >= 0
    ckpt.wait()
    assert sorted(storage.list_checkpoints()) == ["step-00000003", "step-00000004", "step-00000005"]
    assert storage.read_pointer() == "step-00000005"
    manifest, files = verify_checkpoint(storage, "step-00000005")
    on_disk = {p.name for p in (tmp_path / "step-00000005").iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk == {"model.pt", "train_state.json"}
    assert not list(tmp_path.glob(".tmp-*"))  # staging dirs were renamed into place


def test_snapshot_is_isolated_from_later_in_place_updates(tmp_path):
    import torch

    from trainer.checkpoint.format import load_checkpoint

    storage = LocalStorage(str(tmp_path))
    w = torch.zeros(1000)
    ckpt = AsyncCheckpointer(storage, keep=2)
    ckpt.save(1, {"model": {"w": w}}, {})
    w.add_(1.0)  # the optimizer's next step, racing the background write
    ckpt.wait()
    _, files = verify_checkpoint(storage, "step-00000001")
    assert torch.equal(load_checkpoint(files)["model"]["w"], torch.zeros(1000))
