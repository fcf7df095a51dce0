"""Where checkpoint bytes live: a local/FSx directory or an S3 prefix, behind one small interface.

Commit semantics differ and the format is built around that: on a filesystem a checkpoint is
written into a hidden staging directory and renamed into place; on S3 (no rename) objects go
to their final keys and `manifest.json`, written last, is the commit marker. Readers trust
only checkpoints whose manifest exists and whose sha256s match, so both are crash-safe.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

from ..errors import BadInput

NAME_RE = re.compile(r"^step-\d{8}$")


class Storage(ABC):
    uri: str

    @abstractmethod
    def write(self, rel: str, data: bytes) -> None:
        """Durably store bytes at rel (relative to the storage root)."""

    @abstractmethod
    def read(self, rel: str) -> bytes:
        """Raise FileNotFoundError when absent."""

    @abstractmethod
    def list_checkpoints(self) -> list[str]:
        """Names (step-XXXXXXXX) of checkpoints that may be complete, unsorted."""

    @abstractmethod
    def delete_checkpoint(self, name: str) -> None: ...

    @abstractmethod
    def staging_dir(self, name: str) -> str:
        """Relative directory to write a new checkpoint's files into."""

    @abstractmethod
    def commit(self, staging: str, name: str) -> None:
        """Make the staged checkpoint visible under its final name."""

    def write_pointer(self, name: str) -> None:
        self.write("LATEST", (name + "\n").encode())

    def read_pointer(self) -> str | None:
        try:
            return self.read("LATEST").decode().strip() or None
        except (FileNotFoundError, UnicodeDecodeError):
            return None


class LocalStorage(Storage):
    def __init__(self, root: str):
        self.root = Path(root)
        self.uri = str(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BadInput(
                f"checkpoint.uri (--checkpoint-uri / --run-dir): '{root}' is not writable ({exc.strerror}); "
                "pick a directory you can write to"
            ) from None

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX: readers see old or new, never half
        _fsync_dir(path.parent)

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def list_checkpoints(self) -> list[str]:
        return [p.name for p in self.root.iterdir() if p.is_dir() and NAME_RE.match(p.name)]

    def delete_checkpoint(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)

    def staging_dir(self, name: str) -> str:
        # Leftovers of a crashed writer are garbage by construction (never renamed into place).
        for stale in self.root.glob(f".tmp-{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return f".tmp-{name}-{uuid.uuid4().hex[:8]}"

    def commit(self, staging: str, name: str) -> None:
        final = self.root / name
        if final.exists():  # same step saved again after a recovery: replace, old copy goes last
            trash = self.root / f".trash-{name}-{uuid.uuid4().hex[:8]}"
            os.rename(final, trash)
            os.rename(self.root / staging, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(self.root / staging, final)
        _fsync_dir(self.root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage(Storage):
    """s3://bucket/prefix. Endpoint comes from AWS_ENDPOINT_URL(_S3) (the moto server in tests)."""

    def __init__(self, uri: str):
        import boto3

        rest = uri[len("s3://"):]
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise BadInput(f"checkpoint.uri (--checkpoint-uri): '{uri}' has no bucket; use s3://bucket/prefix")
        self.prefix = prefix.strip("/")
        self.uri = uri
        self.s3 = boto3.client("s3")

    def _key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def write(self, rel: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self._key(rel), Body=data)  # single PUT is atomic

    def read(self, rel: str) -> bytes:
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=self._key(rel))["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            raise FileNotFoundError(rel) from None

    def list_checkpoints(self) -> list[str]:
        names = []
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(""), Delimiter="/")
        for page in pages:
            for cp in page.get("CommonPrefixes", []):
                name = cp["Prefix"].rstrip("/").rsplit("/", 1)[-1]
                if NAME_RE.match(name):
                    names.append(name)
        return names

    def delete_checkpoint(self, name: str) -> None:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(name + "/"))
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            # Manifest first: a half-deleted checkpoint must look uncommitted, never intact-but-incomplete.
            keys.sort(key=lambda k: not k["Key"].endswith("manifest.json"))
            for k in keys:
                self.s3.delete_object(Bucket=self.bucket, Key=k["Key"])

    def staging_dir(self, name: str) -> str:
        return name

    def commit(self, staging: str, name: str) -> None:
        pass  # the manifest written last is the commit


def build_storage(uri: str) -> Storage:
    if uri.startswith("s3://"):
        return S3Storage(uri)
    if "://" in uri:
        raise BadInput(f"checkpoint.uri (--checkpoint-uri): unsupported scheme in '{uri}'; use a path or s3://bucket/prefix")
    return LocalStorage(uri)
