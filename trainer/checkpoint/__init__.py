"""Checkpoint format, storage backends and the asynchronous writer."""

from .format import LATEST, MANIFEST, checkpoint_name, find_resume_point, load_checkpoint, verify_checkpoint
from .storage import LocalStorage, S3Storage, Storage, build_storage
from .writer import AsyncCheckpointer

__all__ = [
    "LATEST", "MANIFEST", "checkpoint_name", "find_resume_point", "load_checkpoint", "verify_checkpoint",
    "LocalStorage", "S3Storage", "Storage", "build_storage", "AsyncCheckpointer",
]
