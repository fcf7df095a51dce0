"""Checkpoints on S3 (boto3) round-trip against a moto server on loopback, including corruption fallback."""

from __future__ import annotations

import socket

import pytest

from trainer.cli import main

from .conftest import TINY, losses


@pytest.fixture
def moto_s3(monkeypatch):
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for key, val in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                         "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(key, val)
        import boto3

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="ckpts")
        yield s3
    finally:
        server.stop()


def test_s3_round_trip_and_fallback(moto_s3, tmp_path, capsys):
    uri = "s3://ckpts/runs/a"
    args = ["train", *TINY, "--backend", "local", "--checkpoint-every", "4", "--keep-checkpoints", "2",
            "--checkpoint-uri", uri, "--run-dir", str(tmp_path)]
    assert main([*args, "--max-steps", "12"]) == 0
    keys = {o["Key"] for o in moto_s3.list_objects_v2(Bucket="ckpts", Prefix="runs/a/")["Contents"]}
    assert "runs/a/LATEST" in keys
    assert {k.split("/")[2] for k in keys if "step-" in k} == {"step-00000008", "step-00000012"}  # keep 2
    assert "runs/a/step-00000012/manifest.json" in keys
    assert moto_s3.get_object(Bucket="ckpts", Key="runs/a/LATEST")["Body"].read().strip() == b"step-00000012"
    first = losses(tmp_path)

    # Bit-flip the newest checkpoint's weights in S3: resume must fall back to step 8 and recompute 9..12.
    key = "runs/a/step-00000012/model.pt"
    body = bytearray(moto_s3.get_object(Bucket="ckpts", Key=key)["Body"].read())
    body[100] ^= 0xFF
    moto_s3.put_object(Bucket="ckpts", Key=key, Body=bytes(body))
    capsys.readouterr()
    assert main([*args, "--max-steps", "14"]) == 0
    out = capsys.readouterr()
    assert "skipping corrupt checkpoint step-00000012/model.pt" in out.err
    assert "resuming from step-00000008" in out.out
    after = losses(tmp_path)
    assert sorted(after) == list(range(1, 15))
    assert {s: after[s] for s in range(1, 13)} == first
