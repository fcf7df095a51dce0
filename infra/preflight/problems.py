"""One preflight finding: the spec field it concerns, what the cloud said, and the fix."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str  # spec path, e.g. node_pools[1].zones
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}; fix: {self.fix}"
