"""GCP machine-type catalog: what each GKE machine type has, where it is offered, what it costs.

The AWS catalog (`infra.catalog`) describes EC2 instance types; GCP machine types differ
in what matters for training (GPU NICs on their own VPCs instead of EFA cards, GPUDirect
flavour, zonal availability, a regional GPU quota metric), so they get their own record
type here while sharing the price-source and "did you mean" machinery.
Data: `infra/data/gcp_machine_types.yaml`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from infra.catalog import (
    _DATA_DIR,
    HOURS_PER_MONTH,
    PriceSource,
    ServicePrice,
    ServicePriceTable,
    unknown_instance_type_message,
)


@dataclass(frozen=True)
class MachineType:
    name: str
    gpu_model: str | None
    gpu_count: int
    gpu_memory_gib: int
    vcpu: int
    memory_gib: int
    accelerator: str | None  # GKE/Compute accelerator type, e.g. nvidia-h100-mega-80gb
    quota_metric: str | None  # regional Compute quota, e.g. NVIDIA_H100_MEGA_GPUS
    gpu_nics: int  # extra NICs for GPU traffic, one VPC each
    gpudirect: str | None  # tcpx | tcpxo | rdma
    gpu_nic_mtu: int | None
    network_gbps: float
    nvlink: str | None
    supports_compact_placement: bool
    on_demand_usd_per_hour: float
    zones: tuple[str, ...]
    price: PriceSource

    @property
    def is_gpu(self) -> bool:
        return self.gpu_count > 0

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({zone.rsplit("-", 1)[0] for zone in self.zones}))

    def zones_in(self, region: str) -> tuple[str, ...]:
        return tuple(z for z in self.zones if z.rsplit("-", 1)[0] == region)

    @property
    def on_demand_usd_per_month(self) -> float:
        return self.on_demand_usd_per_hour * HOURS_PER_MONTH


@dataclass(frozen=True)
class GcpCatalog(ServicePriceTable):
    machine_types: dict[str, MachineType]
    services_usd: dict[str, object]
    price: PriceSource
    service_sources: dict[str, str]

    def get(self, name: str) -> MachineType:
        try:
            return self.machine_types[name]
        except KeyError:
            raise KeyError(unknown_instance_type_message(name, self.machine_types)) from None

    def __contains__(self, name: object) -> bool:
        return name in self.machine_types

    def filestore_price(self, tier: str) -> ServicePrice:
        return self.tier_price("filestore_usd_per_gib_month", tier, what="Filestore")


@lru_cache(maxsize=None)
def gcp_catalog() -> GcpCatalog:
    raw = yaml.safe_load((_DATA_DIR / "gcp_machine_types.yaml").read_text())
    defaults = raw["source_defaults"]
    price = PriceSource(defaults["price_source"], defaults["price_as_of"], defaults["price_region"])
    types = {
        name: MachineType(
            name=name, gpu_model=spec["gpu_model"], gpu_count=int(spec["gpu_count"]),
            gpu_memory_gib=int(spec["gpu_memory_gib"]), vcpu=int(spec["vcpu"]), memory_gib=int(spec["memory_gib"]),
            accelerator=spec["accelerator"], quota_metric=spec["quota_metric"], gpu_nics=int(spec["gpu_nics"]),
            gpudirect=spec["gpudirect"], gpu_nic_mtu=spec["gpu_nic_mtu"], network_gbps=float(spec["network_gbps"]),
            nvlink=spec["nvlink"], supports_compact_placement=bool(spec["supports_compact_placement"]),
            on_demand_usd_per_hour=float(spec["on_demand_usd_per_hour"]), zones=tuple(spec["zones"]),
            price=price.overridden_by(spec),
        )
        for name, spec in raw["machine_types"].items()
    }
    return GcpCatalog(types, raw["services"], price, dict(raw.get("service_price_sources") or {}))
