"""The environment spec: one frozen, typed description of an environment.

`load(path)` reads `stacks/environments/<env>.yaml` and returns an `EnvironmentSpec`
or raises `SpecError` carrying *every* problem at once, each with the field path, the
bad value, what is allowed and a "did you mean" where one helps. Checks that need
values from elsewhere in the file (the region, the environment's zones) get them
through pydantic's validation context, so they run alongside the structural checks
instead of after them and all errors surface in one pass.
"""
from __future__ import annotations

import enum
import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from infra.catalog import aws_catalog, unknown_instance_type_message
from infra.catalog_gcp import gcp_catalog
from infra.spec_base import ResourceName, SpecModel, check_allow_list, fail, on_gcp
from infra.spec_errors import SpecError, SpecIssue, issues_from_validation_error
from infra.spec_gcp import (  # noqa: F401  (re-exported: infra.spec is the spec's one import)
    FILESTORE_MIN_GIB,
    GCP_REQUIRED_LABELS,
    FilestoreSpec,
    FilestoreTier,
    GcpSpec,
    ReleaseChannel,
    check_gcp_labels,
)
from infra.spec_iam import GithubActionsSpec, IamSpec  # noqa: F401  (re-exported)
from infra.spec_jobs import JobSpec, jobs_context

REQUIRED_COST_TAGS = ("Project", "Environment", "CostCenter", "Owner")
ENVIRONMENTS_DIR = Path(__file__).resolve().parent.parent / "stacks" / "environments"

_K8S_VERSION_RE = re.compile(r"^1\.(2[89]|3[0-9])$")
_LABEL_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CAPACITY_RESERVATION_RE = re.compile(r"^cr-[0-9a-f]{8,17}$")

# Kubernetes versions EKS offers in standard or extended support (checked live by `trainyard preflight`).
EKS_KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")
# GKE minor versions in a release channel (checked live per channel by `trainyard preflight`).
GKE_KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33")
GCP_DEFAULT_SYSTEM_MACHINE_TYPE = "n2-standard-8"
_GCP_REGION_RE = re.compile(r"^[a-z]+-[a-z]+[0-9]{1,2}$")
_GCP_RESERVATION_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


# --------------------------------------------------------------------------- enums
class Cloud(str, enum.Enum):
    aws = "aws"
    gcp = "gcp"  # GKE Standard; see docs/gcp.md


class NatGatewayMode(str, enum.Enum):
    per_az = "per_az"  # one per AZ: an AZ outage doesn't cut the others off
    single = "single"  # one for the VPC: cheaper, a single point of failure for egress
    none = "none"  # fully private; images come through the ECR endpoints


class ControlPlaneLog(str, enum.Enum):
    api = "api"
    audit = "audit"
    authenticator = "authenticator"
    controllerManager = "controllerManager"
    scheduler = "scheduler"


class CapacityType(str, enum.Enum):
    on_demand = "on_demand"
    spot = "spot"
    capacity_reservation = "capacity_reservation"  # an On-Demand Capacity Reservation (cr-...)
    capacity_block = "capacity_block"  # an EC2 Capacity Block for ML (cr-...)


class TaintEffect(str, enum.Enum):
    NoSchedule = "NoSchedule"
    PreferNoSchedule = "PreferNoSchedule"
    NoExecute = "NoExecute"


class FsxThroughput(int, enum.Enum):
    """FSx for Lustre PERSISTENT_2 per-unit storage throughput, MB/s per TiB."""

    mbps_125 = 125
    mbps_250 = 250
    mbps_500 = 500
    mbps_1000 = 1000


# --------------------------------------------------------------------------- sections
class NetworkSpec(SpecModel):
    vpc_cidr: str = Field(description="IPv4 CIDR of the VPC, /16 to /22.")
    private_subnet_prefix_length: int = Field(
        19,
        ge=16,
        le=26,
        description="Prefix length of each AZ's private subnet. GPU nodes use EFA interfaces and "
        "VPC CNI prefix delegation, which consume /28 blocks per node: size generously (/19 = 8187 IPs).",
    )
    public_subnet_prefix_length: int = Field(24, ge=20, le=28)
    nat_gateways: NatGatewayMode = NatGatewayMode.per_az
    vpc_endpoints: bool = Field(True, description="S3 gateway + ECR/STS interface endpoints; cut NAT data charges.")

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, value: str) -> str:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise fail("cidr", "{value!r} is not a valid IPv4 CIDR ({reason}); e.g. '10.0.0.0/16'",
                       value=value, reason=str(exc)) from None
        if net.version != 4 or not 16 <= net.prefixlen <= 22:
            raise fail("cidr", "{value!r} must be an IPv4 network between /16 and /22", value=value)
        if not net.is_private:
            raise fail("cidr", "{value!r} is not in a private range (10/8, 172.16/12, 192.168/16)", value=value)
        return value

    @model_validator(mode="after")
    def _subnets_fit(self, info: ValidationInfo) -> NetworkSpec:
        if on_gcp(info):  # one regional subnet on GCP: vpc_cidr is its primary (node) range
            return self
        zones = len((info.context or {}).get("availability_zones") or []) or 1
        vpc = ipaddress.ip_network(self.vpc_cidr)
        if self.private_subnet_prefix_length <= vpc.prefixlen or self.public_subnet_prefix_length <= vpc.prefixlen:
            raise fail("subnet_size", "subnet prefix lengths (/{priv}, /{pub}) must be longer than the VPC's /{vpc}",
                       priv=self.private_subnet_prefix_length, pub=self.public_subnet_prefix_length,
                       vpc=vpc.prefixlen)
        needed = zones * (2 ** (32 - self.private_subnet_prefix_length) + 2 ** (32 - self.public_subnet_prefix_length))
        if needed > vpc.num_addresses:
            raise fail(
                "subnet_size",
                "{zones} zones × (private /{priv} + public /{pub}) need {needed} addresses but {cidr} has "
                "{have}; use a larger VPC or longer prefix lengths",
                zones=zones, priv=self.private_subnet_prefix_length, pub=self.public_subnet_prefix_length,
                needed=needed, cidr=self.vpc_cidr, have=vpc.num_addresses,
            )
        return self


class Taint(SpecModel):
    key: str
    value: str = ""
    effect: TaintEffect = TaintEffect.NoSchedule


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key in labels:
        if not _LABEL_KEY_RE.match(key):
            raise fail("label", "label key {key!r} is not a valid Kubernetes label key "
                       "(prefix/name, name ≤63 chars of [A-Za-z0-9-_.])", key=key)
    return labels


class NodeGroupSize(SpecModel):
    min_size: int = Field(ge=0)
    desired_size: int = Field(ge=0)
    max_size: int = Field(ge=1)

    @field_validator("max_size")
    @classmethod
    def _ordered(cls, max_size: int, info: ValidationInfo) -> int:
        # A field validator (not a model validator) so it still reports when a sibling field is invalid.
        min_size, desired = info.data.get("min_size"), info.data.get("desired_size")
        if min_size is not None and desired is not None and not min_size <= desired <= max_size:
            raise fail("size_order", "sizes must satisfy min_size ≤ desired_size ≤ max_size; got min={min}, "
                       "desired={desired}, max={max}", min=min_size, desired=desired, max=max_size)
        return max_size


def _check_machine_type(value: str, info: ValidationInfo, *, want_gpu: bool) -> str:
    catalog = gcp_catalog()
    if value not in catalog:
        raise fail("instance_type", unknown_instance_type_message(value, catalog.machine_types))
    mtype = catalog.get(value)
    if want_gpu and not mtype.is_gpu:
        raise fail("instance_type", "{value!r} has no GPUs; GPU pools need a GPU machine type (e.g. "
                   "'a3-megagpu-8g')", value=value)
    region = (info.context or {}).get("region")
    if region and region not in mtype.regions:
        raise fail("not_offered", "{value!r} is not offered in {region}; it is offered in {offered}",
                   value=value, region=region, offered=", ".join(mtype.regions))
    return value


def _check_instance_type(value: str, info: ValidationInfo, *, want_gpu: bool) -> str:
    if on_gcp(info):
        return _check_machine_type(value, info, want_gpu=want_gpu)
    catalog = aws_catalog()
    if value not in catalog:
        raise fail("instance_type", unknown_instance_type_message(value, catalog.instance_types))
    itype = catalog.get(value)
    if want_gpu and not itype.is_gpu:
        raise fail("instance_type", "{value!r} has no GPUs; GPU pools need a GPU type (e.g. 'p5.48xlarge')",
                   value=value)
    region = (info.context or {}).get("region")
    emulated = (info.context or {}).get("emulated", False)
    if region and not emulated and region not in itype.offered_regions:
        raise fail("not_offered", "{value!r} is not offered in {region}; it is offered in {offered}",
                   value=value, region=region, offered=", ".join(itype.offered_regions))
    return value


class SystemPoolSpec(NodeGroupSize):
    instance_type: str = "m6i.xlarge"
    min_size: int = Field(2, ge=1)
    desired_size: int = Field(2, ge=1)
    max_size: int = Field(4, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _cloud_default_type(cls, data: Any, info: ValidationInfo) -> Any:
        if on_gcp(info) and isinstance(data, dict) and "instance_type" not in data:
            return {**data, "instance_type": GCP_DEFAULT_SYSTEM_MACHINE_TYPE}
        return data

    @field_validator("instance_type")
    @classmethod
    def _type(cls, value: str, info: ValidationInfo) -> str:
        return _check_instance_type(value, info, want_gpu=False)


class CapacitySpec(SpecModel):
    type: CapacityType = CapacityType.on_demand
    reservation_id: str | None = Field(None, description="cr-... id, for capacity_reservation and capacity_block")

    @model_validator(mode="after")
    def _reservation(self, info: ValidationInfo) -> CapacitySpec:
        if on_gcp(info):
            return self._gcp_reservation()
        reserved = self.type in (CapacityType.capacity_reservation, CapacityType.capacity_block)
        if reserved and not self.reservation_id:
            raise fail("reservation", "capacity type {type!r} needs reservation_id (e.g. 'cr-0123456789abcdef0')",
                       type=self.type.value)
        if not reserved and self.reservation_id:
            raise fail("reservation", "reservation_id {rid!r} only applies to capacity_reservation or "
                       "capacity_block; a {type} pool cannot target a capacity reservation — set "
                       "type: capacity_reservation or remove reservation_id",
                       rid=self.reservation_id, type=self.type.value)
        if self.reservation_id and not _CAPACITY_RESERVATION_RE.match(self.reservation_id):
            raise fail("reservation", "reservation_id {rid!r} is not a capacity reservation id like "
                       "'cr-0123456789abcdef0'", rid=self.reservation_id)
        return self

    def _gcp_reservation(self) -> CapacitySpec:
        # On GKE, capacity_reservation = a specific Compute Engine reservation (reservation_affinity SPECIFIC).
        if self.type is CapacityType.capacity_block:
            raise fail("reservation", "capacity_block is an EC2 Capacity Block; on GCP use capacity_reservation "
                       "with the name of a Compute Engine reservation, or spot")
        if self.type is CapacityType.capacity_reservation and not self.reservation_id:
            raise fail("reservation", "capacity_reservation needs reservation_id: the Compute Engine reservation "
                       "name (e.g. 'a3mega-us-central1-a')")
        if self.type is not CapacityType.capacity_reservation and self.reservation_id:
            raise fail("reservation", "reservation_id {rid!r} only applies to type: capacity_reservation",
                       rid=self.reservation_id)
        if self.reservation_id and not _GCP_RESERVATION_RE.match(self.reservation_id):
            raise fail("reservation", "reservation_id {rid!r} is not a Compute Engine reservation name (lower-case "
                       "letters, digits, '-', ≤63 chars)", rid=self.reservation_id)
        return self


class GpuPoolSpec(NodeGroupSize):
    name: ResourceName
    instance_type: str
    zones: list[str] = Field(min_length=1, description="AZs this pool spans; one node group per zone.")
    capacity: CapacitySpec = CapacitySpec()
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(
        default_factory=lambda: [Taint(key="nvidia.com/gpu", value="true", effect=TaintEffect.NoSchedule)]
    )
    root_volume_gib: int = Field(500, ge=100, le=16384)
    efa: bool | None = Field(None, description="Attach EFA interfaces; default: whenever the type supports EFA.")
    placement_group: bool = Field(True, description="Cluster placement group per (pool, zone).")

    @field_validator("instance_type")
    @classmethod
    def _type(cls, value: str, info: ValidationInfo) -> str:
        return _check_instance_type(value, info, want_gpu=True)

    @field_validator("zones")
    @classmethod
    def _zones(cls, zones: list[str], info: ValidationInfo) -> list[str]:
        env_zones = (info.context or {}).get("availability_zones") or []
        for zone in zones:
            if env_zones and zone not in env_zones:
                raise fail("zone", "zone {zone!r} is not one of the environment's availability_zones ({zones})",
                           zone=zone, zones=", ".join(env_zones))
        if len(set(zones)) != len(zones):
            raise fail("zone", "zones {zones} lists a zone twice", zones=zones)
        mtype = info.data.get("instance_type")
        if on_gcp(info) and mtype in gcp_catalog():
            offered = gcp_catalog().get(mtype)
            missing = [zone for zone in zones if zone not in offered.zones]
            if missing:
                region = (info.context or {}).get("region") or ""
                raise fail("not_offered", "{mtype!r} is not offered in zone(s) {missing}; zones offering it in "
                           "{region}: {offered}", mtype=mtype, missing=", ".join(missing), region=region,
                           offered=", ".join(offered.zones_in(region)) or "none")
        return zones

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)

    @model_validator(mode="after")
    def _capacity_vs_zones(self, info: ValidationInfo) -> GpuPoolSpec:
        if on_gcp(info) and self.efa:
            raise fail("efa", "efa is AWS-only; on GCP the machine type brings its GPU NICs (a3-*: GPUDirect) — "
                       "remove efa from pool {name!r}", name=self.name)
        if self.capacity.reservation_id and len(self.zones) != 1:
            raise fail("reservation", "a capacity reservation lives in one AZ; pool {name!r} lists {n} zones — "
                       "split it into one pool per reservation", name=self.name, n=len(self.zones))
        return self

    @property
    def use_efa(self) -> bool:
        itype = aws_catalog().instance_types.get(self.instance_type)  # None for a GCP machine type
        supported = itype is not None and itype.supports_efa
        return supported if self.efa is None else (self.efa and supported)


class ClusterSpec(SpecModel):
    kubernetes_version: str = Field(description='Quoted string, e.g. "1.31" (unquoted YAML reads 1.30 as 1.3).')
    endpoint_public_access: bool = False
    public_access_cidrs: list[str] = Field(default_factory=list, validate_default=True)
    service_ipv4_cidr: str = "172.20.0.0/16"
    logging: list[ControlPlaneLog] = Field(default_factory=lambda: list(ControlPlaneLog))
    log_retention_days: Literal[7, 14, 30, 60, 90, 180, 365] = 90
    node_imds_hop_limit: int = Field(1, ge=1, le=3, description="IMDSv2 hop limit on nodes; 1 keeps pods off IMDS.")
    system_pool: SystemPoolSpec = SystemPoolSpec()

    @model_validator(mode="before")
    @classmethod
    def _cloud_system_pool(cls, data: Any, info: ValidationInfo) -> Any:
        # The default system pool is an EC2 type; on GCP validate an empty one so it takes a GCP default.
        if on_gcp(info) and isinstance(data, dict) and "system_pool" not in data:
            return {**data, "system_pool": {}}
        return data

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, value: Any, info: ValidationInfo) -> str:
        if isinstance(value, float):
            raise fail("version", "YAML read kubernetes_version as the number {value}; quote it: \"{text}\" "
                       "(unquoted, 1.30 becomes 1.3)", value=value, text=f"{value:.2f}")
        if not isinstance(value, str) or not _K8S_VERSION_RE.match(value):
            raise fail("version", "{value!r} is not a Kubernetes minor version like \"1.31\"", value=value)
        service, offered = ("GKE", GKE_KUBERNETES_VERSIONS) if on_gcp(info) else ("EKS", EKS_KUBERNETES_VERSIONS)
        if value not in offered:
            raise fail("version", "{service} does not offer Kubernetes {value}; offered: {offered}", service=service,
                       value=value, offered=", ".join(offered))
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str]) -> list[str]:
        return check_allow_list(cidrs, what="the API endpoint")

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_needs_allow_list(cls, cidrs: list[str], info: ValidationInfo) -> list[str]:
        public = info.data.get("endpoint_public_access", False)
        if public and not cidrs:
            raise fail("endpoint", "endpoint_public_access is true but public_access_cidrs is empty; add the "
                       "CIDRs allowed to reach the API server, or set endpoint_public_access: false")
        if not public and cidrs:
            raise fail("endpoint", "public_access_cidrs is set but endpoint_public_access is false; remove "
                       "the CIDRs or enable public access")
        return cidrs


class FsxSpec(SpecModel):
    deployment_type: Literal["PERSISTENT_2"] = "PERSISTENT_2"
    size_gib: int = Field(description="1200, 2400, then multiples of 2400 GiB.")
    throughput_mbps_per_tib: FsxThroughput = FsxThroughput.mbps_250
    data_repository_bucket: str | None = Field(
        None, description="Existing S3 bucket for import/export; default: a datasets bucket the stack creates."
    )
    data_repository_path: str = "/datasets"

    @field_validator("size_gib")
    @classmethod
    def _size(cls, value: int) -> int:
        if value != 1200 and (value < 2400 or value % 2400):
            raise fail("fsx_size", "{value} GiB is not a valid PERSISTENT_2 size; use 1200, 2400 or a multiple "
                       "of 2400 (nearest: {near})", value=value, near=max(2400, round(value / 2400) * 2400))
        return value

    @field_validator("data_repository_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value == "/":
            raise fail("path", "{value!r} must be an absolute sub-path of the file system, e.g. '/datasets'",
                       value=value)
        return value


class CheckpointBucketSpec(SpecModel):
    noncurrent_version_expiry_days: int = Field(30, ge=1, le=3650)
    prefix: str = "checkpoints/"
    force_destroy: bool = Field(False, description="Allow destroy with objects inside (local/dev only).")


class StorageSpec(SpecModel):
    fsx: FsxSpec | None = None
    filestore: FilestoreSpec | None = Field(None, description="GCP only: Filestore instance for shared datasets.")
    checkpoints: CheckpointBucketSpec = CheckpointBucketSpec()


class BudgetSpec(SpecModel):
    monthly_limit_usd: float
    alert_thresholds_percent: list[Annotated[float, Field(gt=0, le=200)]] = Field(
        default_factory=lambda: [50.0, 80.0, 100.0], min_length=1
    )
    notification_emails: list[str] = Field(default_factory=list)
    sns_topic_arn: str | None = Field(None, description="Existing topic to notify; default: the stack creates one.")
    scale_gpu_pools_to_zero_on_breach: bool = Field(
        True, description="At 100% actual spend, a Lambda scales every GPU node group to 0 nodes."
    )
    accept_ceiling_over_budget: bool = Field(
        False, description="Let the cost gate pass although the GPU pools at max size cost more than the budget."
    )

    @field_validator("monthly_limit_usd")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise fail("budget", "monthly_limit_usd must be > 0; got {value}", value=value)
        return value

    @field_validator("notification_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not _EMAIL_RE.match(email):
                raise fail("email", "{email!r} is not an e-mail address", email=email)
        return emails

    @model_validator(mode="after")
    def _someone_hears(self) -> BudgetSpec:
        if not self.notification_emails and not self.sns_topic_arn:
            raise fail("budget", "a budget nobody hears about is useless: set notification_emails or sns_topic_arn")
        return self


class EnvironmentSpec(SpecModel):
    name: ResourceName
    cloud: Cloud = Cloud.aws
    region: str
    availability_zones: list[str] = Field(min_length=1)
    emulated: bool = Field(False, description="Deploy to the local moto emulator (see infra/targets.py).")
    gcp: GcpSpec | None = Field(None, description="Required with cloud: gcp (project, billing account, MTU, ...).")
    network: NetworkSpec
    cluster: ClusterSpec
    node_pools: list[GpuPoolSpec] = Field(default_factory=list)
    storage: StorageSpec = StorageSpec()
    iam: IamSpec = IamSpec()
    cost_tags: dict[str, str]
    budget: BudgetSpec
    jobs: list[JobSpec] = Field(default_factory=list)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("cloud") is Cloud.gcp:
            if not _GCP_REGION_RE.match(value):
                raise fail("region", "{value!r} is not a GCP region like 'us-central1'", value=value)
            return value
        if not re.match(r"^[a-z]{2}(-gov)?-[a-z]+-\d$", value):
            raise fail("region", "{value!r} is not an AWS region like 'us-east-1'", value=value)
        return value

    @field_validator("availability_zones")
    @classmethod
    def _zones(cls, zones: list[str], info: ValidationInfo) -> list[str]:
        region = info.data.get("region") or (info.context or {}).get("region")
        gcp = info.data.get("cloud") is Cloud.gcp
        for zone in zones:
            if gcp and region and not re.fullmatch(re.escape(region) + r"-[a-z]", zone):
                raise fail("zone", "zone {zone!r} is not in region {region!r} (GCP zones look like '{region}-a')",
                           zone=zone, region=region)
            if not gcp and region and not re.fullmatch(re.escape(region) + r"[a-z]", zone):
                raise fail("zone", "zone {zone!r} is not in region {region!r} (zones look like '{region}a')",
                           zone=zone, region=region)
        if len(set(zones)) != len(zones):
            raise fail("zone", "availability_zones lists a zone twice: {zones}", zones=zones)
        if len(zones) < 2 and not info.data.get("emulated", False):
            raise fail("zone", "a non-local environment needs at least 2 availability_zones for resilience; "
                       "got {zones}", zones=zones)
        return zones

    @field_validator("cost_tags")
    @classmethod
    def _tags(cls, tags: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if info.data.get("cloud") is Cloud.gcp:
            return check_gcp_labels(tags)
        missing = [key for key in REQUIRED_COST_TAGS if not tags.get(key)]
        if missing:
            raise fail("cost_tags", "missing required cost tag(s) {missing}; every environment must set "
                       "{required}", missing=", ".join(missing), required=", ".join(REQUIRED_COST_TAGS))
        for key, value in tags.items():
            if len(key) > 128 or len(str(value)) > 256:
                raise fail("cost_tags", "tag {key!r} is too long (keys ≤128, values ≤256 chars)", key=key)
        return tags

    @model_validator(mode="after")
    def _cross_checks(self) -> EnvironmentSpec:
        problems: list[str] = []
        names = [pool.name for pool in self.node_pools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"node pool names must be unique; repeated: {', '.join(dupes)}")
        problems.extend(_cloud_cross_checks(self))
        env_key = "environment" if self.cloud is Cloud.gcp else "Environment"
        if self.cost_tags.get(env_key) not in (None, self.name):
            problems.append(f"cost_tags.{env_key} is {self.cost_tags[env_key]!r} but the environment is "
                            f"named {self.name!r}; make them equal so costs land on the right line")
        vpc = ipaddress.ip_network(self.network.vpc_cidr)
        service = ipaddress.ip_network(self.cluster.service_ipv4_cidr)
        if vpc.overlaps(service):
            problems.append(f"network.vpc_cidr {self.network.vpc_cidr} overlaps cluster.service_ipv4_cidr "
                            f"{self.cluster.service_ipv4_cidr}; pick a service CIDR outside the VPC")
        if problems:
            raise fail("cross", "; ".join(problems))
        return self

    @property
    def stack_name(self) -> str:
        return self.name

    @property
    def resource_prefix(self) -> str:
        return f"trainyard-{self.name}"


def _cloud_cross_checks(spec: EnvironmentSpec) -> list[str]:
    """Sections that only mean something on one cloud must not be set on the other."""
    if spec.cloud is not Cloud.gcp:
        return ["gcp: the gcp block only applies to cloud: gcp; remove it"] if spec.gcp else []
    if spec.gcp is None:
        return ["gcp: cloud: gcp needs a gcp block (project, billing_account; see docs/gcp.md)"]
    problems = []
    if spec.storage.fsx is not None:
        problems.append("storage.fsx is FSx for Lustre (AWS); on GCP use storage.filestore")
    if spec.iam.admin_principal_arns or spec.iam.permissions_boundary_arn:
        problems.append("iam.admin_principal_arns / permissions_boundary_arn are AWS IAM; on GCP use "
                        "gcp.admin_members")
    if spec.iam.github_actions is not None:
        problems.append("iam.github_actions creates AWS IAM roles for GitHub's OIDC provider; on GCP the "
                        "workflows authenticate through Workload Identity Federation, set up outside trainyard")
    if spec.budget.sns_topic_arn:
        problems.append("budget.sns_topic_arn is AWS SNS; on GCP the stack creates the budget's Pub/Sub topic")
    if "scale_gpu_pools_to_zero_on_breach" in spec.budget.model_fields_set and \
            spec.budget.scale_gpu_pools_to_zero_on_breach:
        problems.append("budget.scale_gpu_pools_to_zero_on_breach is not provisioned on GCP (the budget publishes "
                        "to a Pub/Sub topic; subscribe your scale-down job to it); remove the field or set false")
    catalog = gcp_catalog()
    for pool in spec.node_pools:
        mtype = catalog.machine_types.get(pool.instance_type)
        if mtype and mtype.gpu_nic_mtu and spec.gcp.network_mtu != mtype.gpu_nic_mtu:
            problems.append(f"gcp.network_mtu is {spec.gcp.network_mtu} but pool {pool.name!r} "
                            f"({pool.instance_type}, GPUDirect-{mtype.gpudirect.upper()}) needs "
                            f"{mtype.gpu_nic_mtu} on its GPU NIC networks")
    node = ipaddress.ip_network(spec.network.vpc_cidr)
    for label, cidr in (("gcp.pods_cidr", spec.gcp.pods_cidr), ("gcp.master_ipv4_cidr", spec.gcp.master_ipv4_cidr),
                        ("gcp.gpu_nic_cidr", spec.gcp.gpu_nic_cidr)):
        if node.overlaps(ipaddress.ip_network(cidr)):
            problems.append(f"{label} {cidr} overlaps network.vpc_cidr {spec.network.vpc_cidr} (the node range)")
    return problems


def parse(data: Any, *, source: str = "<spec>") -> EnvironmentSpec:
    """Validate an already-parsed mapping; raise SpecError with every issue."""
    if not isinstance(data, dict):
        raise SpecError(source, [SpecIssue("", f"the file must hold a mapping of fields, got {type(data).__name__}")])
    context = {
        "region": data.get("region") if isinstance(data.get("region"), str) else None,
        "availability_zones": [z for z in data.get("availability_zones") or [] if isinstance(z, str)]
        if isinstance(data.get("availability_zones"), list) else [],
        "emulated": data.get("emulated") is True,
        "cloud": data.get("cloud") if isinstance(data.get("cloud"), str) else "aws",
        **jobs_context(data),
    }
    try:
        return EnvironmentSpec.model_validate(data, context=context)
    except ValidationError as exc:
        raise SpecError(source, issues_from_validation_error(exc, EnvironmentSpec, data)) from None


def load(path: str | Path) -> EnvironmentSpec:
    """Load one environment file. Raises SpecError (never a bare traceback-worthy exception)."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in ENVIRONMENTS_DIR.glob("*.yaml"))) or "none"
        raise SpecError(str(path), [SpecIssue("", f"file not found; environments in {ENVIRONMENTS_DIR}: {known}")])
    except OSError as exc:
        raise SpecError(str(path), [SpecIssue("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(str(path), [SpecIssue("", f"not valid YAML{where}: {problem}")]) from None
    return parse(data, source=str(path))


def environment_path(env: str) -> Path:
    return ENVIRONMENTS_DIR / f"{env}.yaml"


def load_environment(env: str) -> EnvironmentSpec:
    return load(environment_path(env))


def all_environment_files() -> list[Path]:
    return sorted(ENVIRONMENTS_DIR.glob("*.yaml"))
