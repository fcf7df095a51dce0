"""Turning pydantic's validation errors into messages a person can act on.

Each issue is one line: `<field path>: <what is wrong>`, e.g.
`node_pools[1].instance_type: 'p5.48xl' is not a known type; did you mean 'p5.48xlarge'?`.
"""
from __future__ import annotations

import difflib
import enum
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class SpecIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecError(Exception):
    """A spec file is invalid. `issues` holds every problem found, not just the first."""

    def __init__(self, source: str, issues: list[SpecIssue]):
        self.source = source
        self.issues = issues
        super().__init__(f"{source}: {len(issues)} problem(s)\n" + "\n".join(str(i) for i in issues))


def format_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field addressed by loc (for listing allowed keys)."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = _unwrap(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """list[X] / X | None / dict[str, X] → X (the model nested inside, if any)."""
    for arg in typing.get_args(annotation) or ():
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _enum_values(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    owner = _model_at(root, loc[:-1])
    if owner is None or not isinstance(loc[-1], str) or loc[-1] not in owner.model_fields:
        return []
    annotation = owner.model_fields[loc[-1]].annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return [str(m.value) for m in candidate]
        if typing.get_origin(candidate) is typing.Literal:
            return [str(a) for a in typing.get_args(candidate)]
    return []


def issues_from_validation_error(exc: ValidationError, root: type[BaseModel], data: Any) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for err in exc.errors(include_url=False):
        # pydantic reports union/tagged branches in loc as strings like 'function-after[...]'; drop them.
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or "[" not in str(p))
        kind = err["type"]
        path = format_path(loc)
        if kind == "extra_forbidden":
            owner = _model_at(root, loc[:-1])
            allowed = sorted(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown key {loc[-1]!r}{hint} (allowed: {', '.join(allowed)})"
        elif kind == "missing":
            owner = _model_at(root, loc[:-1])
            field = owner.model_fields.get(str(loc[-1])) if owner else None
            about = f" — {field.description}" if field is not None and field.description else ""
            message = f"required field is missing{about}"
        elif kind in ("enum", "literal_error"):
            value = _value_at(data, loc)
            allowed = _enum_values(root, loc)
            close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"{value!r} is not allowed{hint} (allowed: {', '.join(allowed) or err['msg']})"
        elif kind.startswith(("int_", "float_", "bool_", "string_", "list_", "dict_", "greater", "less", "too_")):
            message = f"{err['msg'].rstrip('.')}; got {_value_at(data, loc)!r}"
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, "):]
        issues.append(SpecIssue(path, message))
    return issues
