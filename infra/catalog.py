"""Hardware and price catalog: what each instance type has and what it costs.

The data lives in `infra/data/aws_instance_types.yaml` so prices can be refreshed
without touching code; every price carries its source and the date it was read.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_DATA_DIR = Path(__file__).parent / "data"
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates


@dataclass(frozen=True)
class PriceSource:
    source: str
    as_of: str
    region: str

    def overridden_by(self, entry: dict) -> PriceSource:
        """This (file-wide) source, with whatever `price_source` / `price_as_of` / `price_region` one entry sets."""
        return PriceSource(entry.get("price_source", self.source), entry.get("price_as_of", self.as_of),
                           entry.get("price_region", self.region))


@dataclass(frozen=True)
class InstanceType:
    name: str
    gpu_model: str | None
    gpu_count: int
    gpu_memory_gib: int
    vcpu: int
    memory_gib: int
    network_cards: int
    max_efa_interfaces: int
    network_gbps: float
    nvlink: str | None
    supports_placement_group: bool
    on_demand_usd_per_hour: float
    offered_regions: tuple[str, ...]
    price: PriceSource

    @property
    def is_gpu(self) -> bool:
        return self.gpu_count > 0

    @property
    def supports_efa(self) -> bool:
        return self.max_efa_interfaces > 0

    @property
    def efa_interface_count(self) -> int:
        """EFA interfaces trainyard attaches: one per network card, capped by what the type supports."""
        return min(self.network_cards, self.max_efa_interfaces)

    @property
    def on_demand_usd_per_month(self) -> float:
        return self.on_demand_usd_per_hour * HOURS_PER_MONTH


@dataclass(frozen=True)
class ServicePrice:
    """One managed-service list price, with where and when it was read."""

    key: str
    usd: float
    unit: str
    price: PriceSource


class ServicePriceTable:
    """Managed-service prices of a catalog: flat ones and per-tier ones, each with its source and date.

    Mixed into each cloud's catalog dataclass, which holds `services_usd`, `price` and `service_sources`.
    """

    services_usd: dict[str, object]
    price: PriceSource
    service_sources: dict[str, str] | None

    def service(self, key: str) -> ServicePrice:
        """A flat service price, e.g. `service("nat_gateway_usd_per_hour")`."""
        value = self.services_usd.get(key)
        if not isinstance(value, (int, float)):
            raise KeyError(f"no flat service price {key!r} in the catalog; known: "
                           f"{', '.join(k for k, v in self.services_usd.items() if isinstance(v, (int, float)))}")
        return ServicePrice(key, float(value), key.split("_usd_", 1)[-1], self._service_source(key))

    def tier_price(self, key: str, tier: str, *, what: str) -> ServicePrice:
        """A per-GiB-month price that depends on a tier, e.g. FSx throughput or Filestore service tier."""
        tiers = self.services_usd.get(key) or {}
        value = tiers.get(tier) if isinstance(tiers, dict) else None
        if value is None:
            known = ", ".join(map(str, tiers)) if isinstance(tiers, dict) and tiers else "none"
            raise KeyError(f"no {what} price for tier {tier!r}; tiers: {known}")
        return ServicePrice(f"{key}[{tier}]", float(value), "gib_month", self._service_source(key))

    def _service_source(self, key: str) -> PriceSource:
        source = (self.service_sources or {}).get(key, self.price.source)
        return PriceSource(source, self.price.as_of, self.price.region)


@dataclass(frozen=True)
class Catalog(ServicePriceTable):
    instance_types: dict[str, InstanceType]
    services_usd: dict[str, object]
    price: PriceSource
    service_sources: dict[str, str] | None = None

    def fsx_lustre_price(self, throughput_mbps_per_tib: int) -> ServicePrice:
        """PERSISTENT_2 storage price per GiB-month for a throughput tier (125/250/500/1000 MB/s/TiB)."""
        return self.tier_price("fsx_lustre_persistent2_usd_per_gib_month", str(throughput_mbps_per_tib),
                               what="FSx PERSISTENT_2 (MB/s/TiB)")

    def get(self, name: str) -> InstanceType:
        try:
            return self.instance_types[name]
        except KeyError:
            raise KeyError(unknown_instance_type_message(name, self.instance_types)) from None

    def __contains__(self, name: object) -> bool:
        return name in self.instance_types


def unknown_instance_type_message(name: str, known: dict[str, InstanceType] | list[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known types: {', '.join(names)}"
    return f"{name!r} is not a known type{hint}"


@lru_cache(maxsize=None)
def aws_catalog() -> Catalog:
    raw = yaml.safe_load((_DATA_DIR / "aws_instance_types.yaml").read_text())
    defaults = raw["source_defaults"]
    price = PriceSource(defaults["price_source"], defaults["price_as_of"], defaults["price_region"])
    types = {
        name: InstanceType(
            name=name,
            gpu_model=spec["gpu_model"],
            gpu_count=int(spec["gpu_count"]),
            gpu_memory_gib=int(spec["gpu_memory_gib"]),
            vcpu=int(spec["vcpu"]),
            memory_gib=int(spec["memory_gib"]),
            network_cards=int(spec["network_cards"]),
            max_efa_interfaces=int(spec["max_efa_interfaces"]),
            network_gbps=float(spec["network_gbps"]),
            nvlink=spec["nvlink"],
            supports_placement_group=bool(spec["supports_placement_group"]),
            on_demand_usd_per_hour=float(spec["on_demand_usd_per_hour"]),
            offered_regions=tuple(spec["offered_regions"]),
            price=price.overridden_by(spec),
        )
        for name, spec in raw["instance_types"].items()
    }
    return Catalog(instance_types=types, services_usd=raw["services"], price=price,
                   service_sources=dict(raw.get("service_price_sources") or {}))
