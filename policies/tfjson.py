"""Read a synthesized `cdk.tf.json` into something rules can query.

The JSON is the contract (docs/DESIGN): every downstream check reads it, never the
cdktf objects. Loading is strict on purpose — the gate fails closed, so an empty
file, invalid JSON or a stack with zero resources raises `StackError` instead of
quietly producing "nothing to check".
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMENT_KEY = "//"  # cdktf puts metadata under "//" at every level
_REF_RE = re.compile(r"^\$\{([a-zA-Z0-9_]+)\.([a-zA-Z0-9_-]+)\.([a-zA-Z0-9_.\[\]\"-]+)\}$")


class StackError(Exception):
    """The file cannot be trusted as a stack: the gate reports it as a scan error (fail closed)."""


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    conf: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def tags(self) -> dict[str, str]:
        tags = self.conf.get("tags")
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


@dataclass
class Stack:
    path: Path
    doc: dict[str, Any]
    resources: dict[str, Resource] = field(default_factory=dict)

    # ------------------------------------------------------------------ metadata
    @property
    def meta(self) -> dict[str, Any]:
        """The `//.trainyard` block stacks/main.py writes for whole-stack rules and the estimator."""
        block = self.doc.get(COMMENT_KEY, {})
        meta = block.get("trainyard") if isinstance(block, dict) else None
        return meta if isinstance(meta, dict) else {}

    @property
    def environment(self) -> str:
        env = self.meta.get("environment")
        # cdktf writes cdktf.out/stacks/<stack>/cdk.tf.json: the folder is the stack name
        return str(env) if env else self.path.parent.name

    @property
    def cloud(self) -> str:
        """"aws" or "gcp": from the metadata block, else from the resource types (a fixture may lack metadata)."""
        cloud = self.meta.get("cloud")
        if isinstance(cloud, str):
            return cloud
        return "gcp" if any(r.type.startswith("google_") for r in self.resources.values()) else "aws"

    @property
    def emulated(self) -> bool:
        return self.meta.get("emulated") is True

    def capability_disabled(self, name: str) -> bool:
        """Whether the deployment target switched a cloud feature off (infra/targets.py capability list)."""
        disabled = self.meta.get("disabled_capabilities")
        return isinstance(disabled, list) and name in disabled

    # ------------------------------------------------------------------ queries
    def of_type(self, *types: str) -> Iterator[Resource]:
        for res in self.resources.values():
            if res.type in types:
                yield res

    def resolve(self, value: Any) -> tuple[Resource, str] | None:
        """`${aws_x.name.attr}` → (resource, attr) when it points inside this stack."""
        if not isinstance(value, str):
            return None
        match = _REF_RE.match(value.strip())
        if not match:
            return None
        res = self.resources.get(f"{match.group(1)}.{match.group(2)}")
        return (res, match.group(3)) if res else None

    def default_tags(self, provider_ref: str | None = None) -> dict[str, str]:
        """Tags the AWS provider (or the aliased one a resource names) adds to every resource."""
        alias = provider_ref.split(".", 1)[1] if provider_ref and "." in provider_ref else None
        providers = self.doc.get("provider", {}).get("aws", [])
        if isinstance(providers, dict):
            providers = [providers]
        for prov in providers if isinstance(providers, list) else []:
            if not isinstance(prov, dict) or prov.get("alias") != alias:
                continue
            blocks = prov.get("default_tags") or []
            blocks = [blocks] if isinstance(blocks, dict) else blocks
            tags: dict[str, str] = {}
            for block in blocks:
                if isinstance(block, dict) and isinstance(block.get("tags"), dict):
                    tags.update({str(k): str(v) for k, v in block["tags"].items()})
            return tags
        return {}

    def effective_tags(self, res: Resource) -> dict[str, str]:
        return {**self.default_tags(res.conf.get("provider")), **res.tags}


def first_block(value: Any) -> dict[str, Any]:
    """A nested block as Terraform JSON may write it (an object, or a list of one); {} when absent."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def all_blocks(value: Any) -> list[dict[str, Any]]:
    """A repeatable nested block (an object or a list of objects); [] when absent."""
    value = [value] if isinstance(value, dict) else value or []
    return [v for v in value if isinstance(v, dict)]


def parse_stack_text(text: str, path: Path) -> Stack:
    if not text.strip():
        raise StackError(f"{path}: file is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StackError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict):
        raise StackError(f"{path}: top level is a {type(doc).__name__}, expected a Terraform JSON object")
    blocks = doc.get("resource", {})
    if not isinstance(blocks, dict):
        raise StackError(f"{path}: 'resource' is a {type(blocks).__name__}, expected an object")
    stack = Stack(path=path, doc=doc)
    for rtype, by_name in blocks.items():
        if rtype == COMMENT_KEY:
            continue
        if not isinstance(by_name, dict):
            raise StackError(f"{path}: resource type {rtype!r} holds a {type(by_name).__name__}, expected an object")
        for name, conf in by_name.items():
            if name == COMMENT_KEY:
                continue
            if not isinstance(conf, dict):
                raise StackError(f"{path}: {rtype}.{name} is not an object")
            stack.resources[f"{rtype}.{name}"] = Resource(rtype, name, conf)
    if not stack.resources:
        raise StackError(f"{path}: the stack declares zero resources; nothing would be checked")
    return stack


def load_stack(path: str | Path) -> Stack:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackError(f"{path}: cannot read the file ({exc})") from None
    return parse_stack_text(text, path)


def sanitized_for_checkov(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy checkov 3.x can parse.

    checkov's terraform_json parser "hclifies" every block of the `terraform` object and
    only accepts objects there; a scalar such as `required_version` makes it crash or,
    depending on the version, parse nothing and report success. Scalars under
    `terraform` carry no security meaning for the checks, so they are dropped from the
    copy that is scanned (the original file is never modified).
    """
    clean = dict(doc)
    tf = doc.get("terraform")
    if isinstance(tf, dict):
        clean["terraform"] = {k: v for k, v in tf.items() if isinstance(v, dict)}
    return clean
