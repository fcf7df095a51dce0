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

from infra.catalog import _DATA_DIR, HOURS_PER_MONTH, PriceSource, ServicePrice, unknown_instance_type_message


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
class GcpCatalog:
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

    def service(self, key: str) -> ServicePrice:
        value = self.services_usd.get(key)
        if not isinstance(value, (int, float)):
            raise KeyError(f"no flat GCP service price {key!r}; known: "
                           f"{', '.join(k for k, v in self.services_usd.items() if isinstance(v, (int, float)))}")
        return ServicePrice(key, float(value), key.split("_usd_", 1)[-1], self._source(key))

    def filestore_price(self, tier: str) -> ServicePrice:
        key = "filestore_usd_per_gib_month"
        tiers = self.services_usd.get(key) or {}
        value = tiers.get(tier) if isinstance(tiers, dict) else None
        if value is None:
            raise KeyError(f"no Filestore price for tier {tier!r}; tiers: {', '.join(tiers) if tiers else 'none'}")
        return ServicePrice(f"{key}[{tier}]", float(value), "gib_month", self._source(key))

    def _source(self, key: str) -> PriceSource:
        return PriceSource(self.service_sources.get(key, self.price.source), self.price.as_of, self.price.region)


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
            price=PriceSource(spec.get("price_source", price.source), spec.get("price_as_of", price.as_of),
                              spec.get("price_region", price.region)),
        )
        for name, spec in raw["machine_types"].items()
    }
    return GcpCatalog(types, raw["services"], price, dict(raw.get("service_price_sources") or {}))
