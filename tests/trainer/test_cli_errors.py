"""Bad input exits 2 with a message naming the flag/field/file and the fix; never a traceback."""

from __future__ import annotations

import pytest

from trainer.cli import main

from .conftest import run_trainer


def _run(capsys, *argv: str) -> tuple[int, str]:
    try:
        code = main(["train", *argv])
    except SystemExit as exc:  # argparse-level errors
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_unknown_flag_suggests_the_right_one(capsys):
    code, err = _run(capsys, "--max-step", "5")
    assert code == 2
    assert "--max-step" in err and "did you mean '--max-steps'" in err


@pytest.mark.parametrize("argv,needle", [
    (["--model", "gpt-tinny"], "model.name (--model): 'gpt-tinny' is not a known model; did you mean 'gpt-tiny'?"),
    (["--precision", "fp8"], "run.precision (--precision)"),
    (["--workers", "3:1"], "run.workers (--workers): '3:1' must be N or MIN:MAX"),
    (["--max-steps", "ten"], "--max-steps (run.max_steps): expected an integer, got 'ten'"),
    (["--checkpoint-every", "often"], "checkpoint.every (--checkpoint-every): 'often'"),
    (["--budget-usd", "-1"], "cost.budget_usd (--budget-usd): must be > 0"),
    (["--backend", "local", "--workers", "2"], "use --backend ray for multiple workers"),
    (["--checkpoint-uri", "gs://bucket/x", "--backend", "local"], "unsupported scheme"),
])
def test_bad_flag_values(capsys, tmp_path, argv, needle):
    code, err = _run(capsys, "--run-dir", str(tmp_path / "r"), *argv)
    assert code == 2
    assert needle in err


def test_every_problem_reported_at_once(capsys, tmp_path):
    code, err = _run(capsys, "--run-dir", str(tmp_path), "--model", "nope", "--batch-size", "0", "--lr", "-1")
    assert code == 2
    assert "model.name" in err and "run.batch_size" in err and "optim.lr" in err


def test_malformed_yaml_names_file_and_line(capsys, tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("run:\n  max_steps: 5\n   batch_size: [\n")
    code, err = _run(capsys, "--config", str(cfg))
    assert code == 2
    assert str(cfg) in err and "malformed YAML at line" in err


def test_unknown_config_key_did_you_mean(capsys, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("run:\n  max_stepz: 5\noptimizer:\n  lr: 1e-3\n")
    code, err = _run(capsys, "--config", str(cfg))
    assert code == 2
    assert "unknown field 'run.max_stepz'; did you mean 'max_steps'?" in err
    assert "unknown section 'optimizer'; did you mean 'optim'?" in err


def test_missing_config_file(capsys, tmp_path):
    code, err = _run(capsys, "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and "--config: file" in err and "does not exist" in err


def test_unwritable_run_dir(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    code, err = _run(capsys, "--backend", "local", "--run-dir", str(blocker / "run"))
    assert code == 2 and "run.run_dir (--run-dir)" in err and "not writable" in err


def test_config_file_values_are_used_and_flags_override(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: {name: gpt-tiny}\nrun: {backend: local, max_steps: 3, batch_size: 2}\n"
                   "optim: {lr: 1e-3}\ncheckpoint: {every: 0}\n")
    code = main(["train", "--config", str(cfg), "--max-steps", "4", "--run-dir", str(tmp_path / "r")])
    assert code == 0
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 4  # flag beat the file's max_steps: 3


def test_process_level_bad_input_has_no_traceback(tmp_path):
    proc = run_trainer(["--model", "resnet19", "--run-dir", str(tmp_path)], timeout=60)
    assert proc.returncode == 2
    assert "did you mean 'resnet18'" in proc.stderr
    assert "Traceback" not in proc.stderr
