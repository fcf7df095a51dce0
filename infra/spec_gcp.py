"""The GCP-only parts of the environment spec: the `gcp:` block, Filestore and label rules.

Region, zones, pools and budget stay in `infra.spec` for both clouds; this module holds what
only `cloud: gcp` reads. `infra.spec` re-exports these names.
"""
from __future__ import annotations

import enum
import ipaddress
import re

from pydantic import Field, field_validator, model_validator

from infra.spec_base import SpecModel, check_allow_list, fail

# GCP labels are lower-case, so the required cost tags become these label keys on `cloud: gcp`.
GCP_REQUIRED_LABELS = ("project", "environment", "cost-center", "owner")
_GCP_LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_GCP_LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")


class FilestoreTier(str, enum.Enum):
    BASIC_HDD = "BASIC_HDD"
    BASIC_SSD = "BASIC_SSD"
    ZONAL = "ZONAL"
    REGIONAL = "REGIONAL"
    ENTERPRISE = "ENTERPRISE"


# Smallest capacity per Filestore tier, GiB (cloud.google.com/filestore/docs/service-tiers).
FILESTORE_MIN_GIB = {FilestoreTier.BASIC_HDD: 1024, FilestoreTier.BASIC_SSD: 2560, FilestoreTier.ZONAL: 1024,
                     FilestoreTier.REGIONAL: 1024, FilestoreTier.ENTERPRISE: 1024}


class FilestoreSpec(SpecModel):
    """GCP shared file system for datasets (the FSx for Lustre counterpart), mounted through a PVC."""

    tier: FilestoreTier = FilestoreTier.ZONAL
    capacity_gib: int = Field(description="Capacity in GiB; ZONAL/REGIONAL/ENTERPRISE from 1024, BASIC_SSD 2560.")
    share_name: str = "datasets"

    @model_validator(mode="after")
    def _capacity(self) -> FilestoreSpec:
        low = FILESTORE_MIN_GIB[self.tier]
        if not low <= self.capacity_gib <= 102400:
            raise fail("filestore_size", "{size} GiB is outside {tier}'s range {low}-102400 GiB",
                       size=self.capacity_gib, tier=self.tier.value, low=low)
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", self.share_name):
            raise fail("filestore_share", "share_name {name!r} must be ≤16 lower-case letters, digits or '_', "
                       "starting with a letter", name=self.share_name)
        return self


class ReleaseChannel(str, enum.Enum):
    RAPID = "RAPID"
    REGULAR = "REGULAR"
    STABLE = "STABLE"
    EXTENDED = "EXTENDED"


def _private_cidr(value: str, *, prefix: tuple[int, int], example: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise fail("cidr", "{value!r} is not a valid IPv4 CIDR ({reason}); e.g. {example!r}", value=value,
                   reason=str(exc), example=example) from None
    if net.version != 4 or not prefix[0] <= net.prefixlen <= prefix[1] or not net.is_private:
        raise fail("cidr", "{value!r} must be a private IPv4 network between /{lo} and /{hi}; e.g. {example!r}",
                   value=value, lo=prefix[0], hi=prefix[1], example=example)
    return value


class GcpSpec(SpecModel):
    """What only GCP has. Region and zones stay top-level (`region`, `availability_zones`) for both clouds."""

    project: str = Field(description="GCP project id, e.g. 'acme-ml-prod'.")
    billing_account: str = Field(description="Billing account id for the budget, e.g. '012345-6789AB-CDEF01'.")
    network_mtu: int = Field(8244, ge=1300, le=8896, description="MTU of the GPU NIC VPCs (A3 TCPX/TCPXO: 8244).")
    gpu_nic_cidr: str = Field("192.168.0.0/16", description="Carved into one /24 per GPU NIC subnet.")
    pods_cidr: str = Field("10.64.0.0/14", description="Secondary range of the node subnet for pod IPs.")
    master_ipv4_cidr: str = Field("172.16.0.0/28", description="/28 for the private control plane endpoint.")
    master_authorized_networks: list[str] = Field(
        default_factory=list, description="CIDRs (VPN, bastion) allowed to reach the private control plane.")
    release_channel: ReleaseChannel = ReleaseChannel.REGULAR
    admin_members: list[str] = Field(default_factory=list,
                                     description="IAM members granted roles/container.admin, e.g. 'group:x@y.com'.")

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", value):
            raise fail("project", "{value!r} is not a GCP project id (6-30 lower-case letters, digits or '-', "
                       "starting with a letter)", value=value)
        return value

    @field_validator("billing_account")
    @classmethod
    def _billing(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}", value):
            raise fail("billing", "{value!r} is not a billing account id like '012345-6789AB-CDEF01'", value=value)
        return value

    @field_validator("gpu_nic_cidr")
    @classmethod
    def _gpu_nic_cidr(cls, value: str) -> str:
        return _private_cidr(value, prefix=(8, 21), example="192.168.0.0/16")  # ≥ 8 × /24

    @field_validator("pods_cidr")
    @classmethod
    def _pods(cls, value: str) -> str:
        return _private_cidr(value, prefix=(8, 21), example="10.64.0.0/14")

    @field_validator("master_ipv4_cidr")
    @classmethod
    def _master(cls, value: str) -> str:
        return _private_cidr(value, prefix=(28, 28), example="172.16.0.0/28")

    @field_validator("master_authorized_networks")
    @classmethod
    def _authorized(cls, cidrs: list[str]) -> list[str]:
        return check_allow_list(cidrs, what="the control plane")

    @field_validator("admin_members")
    @classmethod
    def _members(cls, members: list[str]) -> list[str]:
        for member in members:
            if not re.fullmatch(r"(user|group|serviceAccount|domain):[^\s:]+", member):
                raise fail("member", "{member!r} is not an IAM member like 'group:ml-platform@example.com'",
                           member=member)
        return members


def check_gcp_labels(tags: dict[str, str]) -> dict[str, str]:
    """On GCP the cost tags are resource labels: lower-case keys and values, required keys lower-case too."""
    problems = []
    for key, value in tags.items():
        if not _GCP_LABEL_KEY_RE.match(key):
            fix = re.sub(r"[^a-z0-9_-]", "-", key.lower())
            problems.append(f"label key {key!r} is not a GCP label key (lower-case letters, digits, '_' or '-', "
                            f"starting with a letter, ≤63 chars); use {fix!r}")
        if not _GCP_LABEL_VALUE_RE.match(str(value)):
            fix = re.sub(r"[^a-z0-9_-]", "_", str(value).lower())[:63]
            problems.append(f"label {key}: value {value!r} is not a GCP label value (lower-case letters, digits, "
                            f"'_' or '-', ≤63 chars); use {fix!r}")
    missing = [key for key in GCP_REQUIRED_LABELS if not tags.get(key)]
    if missing:
        problems.append(f"missing required cost label(s) {', '.join(missing)}; on GCP cost tags are labels and "
                        f"every environment must set {', '.join(GCP_REQUIRED_LABELS)}")
    if problems:
        raise fail("cost_tags", "; ".join(problems))
    return tags
