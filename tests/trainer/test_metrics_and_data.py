"""Prometheus names the alert rules depend on, and the on-disk token shard format end to end."""

from __future__ import annotations

import json
import socket
import urllib.request

from trainer.cli import main
from trainer.data import TokenShards
from trainer.metrics import PromExporter

from .conftest import TINY, read_metrics

ALERT_NAMES = ["trainyard_step", "trainyard_loss", "trainyard_tokens_per_second", "trainyard_step_time_seconds",
               "trainyard_checkpoint_save_seconds", "trainyard_recoveries_total", "trainyard_usd_total",
               "trainyard_goodput_ratio", "trainyard_budget_usd", "trainyard_last_checkpoint_timestamp_seconds",
               "trainyard_checkpoint_interval_seconds"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_exporter_serves_every_name_on_loopback():
    port = _free_port()
    exp = PromExporter(port, "127.0.0.1", run_id="r", model="gpt-tiny")
    try:
        exp.step.set(7)
        exp.recoveries.inc(2)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        exp.close()
    for name in ALERT_NAMES:
        assert f"\n{name}{{" in body, name
    assert 'trainyard_step{model="gpt-tiny",run_id="r"} 7.0' in body
    assert 'trainyard_recoveries_total{model="gpt-tiny",run_id="r"} 2.0' in body


def test_prepare_then_train_on_token_shards(tmp_path, capsys):
    data = tmp_path / "data"
    text = tmp_path / "corpus.txt"
    text.write_text("trainyard reads real shards from disk. " * 400)
    assert main(["prepare", "--input", str(text), "--out", str(data), "--shard-tokens", "5000"]) == 0
    index = json.loads((data / "index.json").read_text())
    assert index["format"] == "trainyard-tokens-v1" and len(index["shards"]) == 4
    ds = TokenShards(str(data), seq_len=64, vocab=256, verify=True)
    x, y = ds.batch([0, len(ds) - 1])
    assert bytes(x[0, :9].tolist()) == b"trainyard"
    assert x[:, 1:].equal(y[:, :-1])
    run = tmp_path / "run"
    assert main(["train", *TINY, "--backend", "local", "--data-path", str(data), "--max-steps", "3",
                 "--checkpoint-every", "0", "--run-dir", str(run)]) == 0
    assert [r["step"] for r in read_metrics(run)] == [1, 2, 3]


def test_prepare_bad_input(capsys, tmp_path):
    assert main(["prepare", "--input", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "--input: file" in capsys.readouterr().err


def test_resnet_runs(tmp_path):
    assert main(["train", "--model", "resnet18", "--backend", "local", "--max-steps", "2", "--batch-size", "2",
                 "--image-size", "16", "--checkpoint-every", "0", "--run-dir", str(tmp_path)]) == 0
    assert "samples_per_s" in read_metrics(tmp_path)[0]
