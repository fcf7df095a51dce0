"""What every section of the environment spec shares: the frozen model base and the error helpers."""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
ARN_RE = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")


def fail(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    """A validation error whose message is already formatted (pydantic's own templating has no !r)."""
    text = message.format(**ctx)
    return PydanticCustomError(kind, text.replace("{", "{{").replace("}", "}}"))


def on_gcp(info: ValidationInfo) -> bool:
    """Whether the spec being validated targets GCP (parse() puts `cloud` into the validation context)."""
    return (info.context or {}).get("cloud") == "gcp"


def check_name(value: str) -> str:
    if not NAME_RE.match(value):
        raise fail("name", "{value!r} must be 3-32 lower-case letters, digits or '-', starting with a letter",
                   value=value)
    return value


# An environment or pool name: it becomes part of AWS/GCP resource names and Kubernetes labels.
ResourceName = Annotated[str, AfterValidator(check_name)]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def check_allow_list(cidrs: list[str], *, what: str) -> list[str]:
    """CIDRs allowed to reach `what`: each valid, none of them the whole internet."""
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise fail("cidr", "{cidr!r} is not a valid CIDR", cidr=cidr) from None
        if net.prefixlen == 0:
            raise fail("cidr", "{cidr!r} opens {what} to the whole internet; list your office/VPN/bastion "
                       "CIDRs instead", cidr=cidr, what=what)
    return cidrs
