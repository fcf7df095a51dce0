"""The reviewed suppression file: check id + resource address + reason + expiry.

Anything malformed is bad input (the CLI exits 2); an expired entry is not silently
ignored but becomes a gate failure, so stale exceptions get re-reviewed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).parent / "suppressions.yaml"
REQUIRED = ("check_id", "resource", "reason", "expires")


class SuppressionFileError(Exception):
    """The suppression file cannot be used as written."""


@dataclass(frozen=True)
class Suppression:
    check_id: str
    resource: str
    reason: str
    expires: dt.date
    stack: str | None = None
    approved_by: str | None = None

    def matches(self, check_id: str, address: str, stack: str) -> bool:
        return self.check_id == check_id and self.resource == address and self.stack in (None, stack)

    def expired(self, today: dt.date) -> bool:
        return self.expires < today


def load(path: Path = DEFAULT_PATH) -> list[Suppression]:
    try:
        raw = yaml.safe_load(Path(path).read_text()) if Path(path).exists() else {"suppressions": []}
    except yaml.YAMLError as exc:
        raise SuppressionFileError(f"{path}: not valid YAML ({exc})") from None
    entries = (raw or {}).get("suppressions") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise SuppressionFileError(f"{path}: expected a top-level 'suppressions:' list")
    result = []
    for i, entry in enumerate(entries):
        where = f"{path}: suppressions[{i}]"
        if not isinstance(entry, dict):
            raise SuppressionFileError(f"{where}: expected a mapping")
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            raise SuppressionFileError(f"{where}: missing {', '.join(missing)} (every suppression needs "
                                       f"{', '.join(REQUIRED)})")
        unknown = set(entry) - {*REQUIRED, "stack", "approved_by"}
        if unknown:
            raise SuppressionFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise SuppressionFileError(f"{where}: expires {expires!r} is not a YYYY-MM-DD date") from None
        if not isinstance(expires, dt.date):
            raise SuppressionFileError(f"{where}: expires must be a YYYY-MM-DD date")
        result.append(Suppression(str(entry["check_id"]), str(entry["resource"]), str(entry["reason"]), expires,
                                  entry.get("stack"), entry.get("approved_by")))
    return result
