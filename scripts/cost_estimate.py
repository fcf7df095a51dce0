"""Monthly cost of an environment from catalog prices: at its ceiling, at desired size, against its budget.

The ceiling is what AWS may bill if every autoscaler does what it is allowed to: every
GPU pool at max_size in every zone it lists (one node group per (pool, zone)), the
system pool at max_size, plus the fixed platform (EKS control plane, NAT gateways and
their public IPs, interface endpoints, FSx by size × throughput tier, KMS keys) and
node root volumes. A scale-to-zero pool therefore never shows $0 at the ceiling.

Usage-based charges (NAT data, S3 objects, requests) cannot be known from the stack and
are listed at $0 with a note rather than guessed. Inputs come from the synthesized
JSON (`//.trainyard` metadata + resources) when it exists, else from the spec file.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from infra.catalog import HOURS_PER_MONTH, PriceSource, aws_catalog
from infra.spec import EnvironmentSpec, NatGatewayMode
from policies.tfjson import Stack

# Spec-only fallbacks (the synthesized JSON states the real numbers).
SPEC_INTERFACE_ENDPOINTS = 3  # ecr.api, ecr.dkr, sts — see NetworkSpec.vpc_endpoints
SPEC_KMS_KEYS = 1
SYSTEM_ROOT_VOLUME_GIB = 100


@dataclass(frozen=True)
class Pool:
    name: str
    role: str  # "gpu" | "system"
    instance_type: str
    node_groups: int  # GPU: one per zone; system: one spanning the zones
    min_size: int  # per node group
    desired_size: int
    max_size: int
    root_volume_gib: int


@dataclass(frozen=True)
class CostInputs:
    environment: str
    source: str
    emulated: bool
    availability_zones: int
    budget_usd: float
    accept_ceiling_over_budget: bool
    pools: tuple[Pool, ...]
    eks_clusters: int
    nat_gateways: int
    interface_endpoints: int
    fsx_size_gib: int | None
    fsx_throughput_mbps_per_tib: int | None
    kms_keys: int
    # GCP (scripts/cost_estimate_gcp.py); eks_clusters then counts GKE clusters and nat_gateways Cloud NAT gateways.
    cloud: str = "aws"
    filestore_tier: str | None = None
    filestore_gib: int | None = None


@dataclass(frozen=True)
class Item:
    key: str
    category: str
    description: str
    quantity: float
    unit: str
    unit_usd: float
    monthly_usd: float
    price_source: str
    price_as_of: str
    note: str = ""


@dataclass
class Scenario:
    items: list[Item] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        # Items are rounded to cents; the total is the sum of what is shown, so they add up.
        return round(sum(i.monthly_usd for i in self.items), 2)


@dataclass
class Estimate:
    inputs: CostInputs
    ceiling: Scenario
    desired: Scenario

    @property
    def over_budget(self) -> bool:
        return self.ceiling.total_usd > self.inputs.budget_usd

    @property
    def gate_status(self) -> str:
        if not self.over_budget:
            return "within_budget"
        return "accepted_over_budget" if self.inputs.accept_ceiling_over_budget else "over_budget"

    def to_dict(self) -> dict[str, Any]:
        if self.inputs.cloud == "gcp":
            from infra.catalog_gcp import gcp_catalog

            catalog: Any = gcp_catalog()
        else:
            catalog = aws_catalog()
        return {
            "environment": self.inputs.environment,
            "cloud": self.inputs.cloud,
            "source": self.inputs.source,
            "emulated": self.inputs.emulated,
            "prices": {"region": catalog.price.region, "as_of": catalog.price.as_of,
                       "hours_per_month": HOURS_PER_MONTH},
            "budget": {"monthly_limit_usd": self.inputs.budget_usd,
                       "accept_ceiling_over_budget": self.inputs.accept_ceiling_over_budget},
            "ceiling": {"total_usd": self.ceiling.total_usd, "items": [asdict(i) for i in self.ceiling.items]},
            "desired": {"total_usd": self.desired.total_usd, "items": [asdict(i) for i in self.desired.items]},
            "gate": {"status": self.gate_status,
                     "headroom_usd": round(self.inputs.budget_usd - self.ceiling.total_usd, 2)},
        }


# --------------------------------------------------------------------------- inputs
def inputs_from_spec(spec: EnvironmentSpec, source: str) -> CostInputs:
    if spec.cloud.value == "gcp":
        from scripts.cost_estimate_gcp import inputs_from_spec as gcp_inputs

        return gcp_inputs(spec, source)
    zones = len(spec.availability_zones)
    pools = [Pool(p.name, "gpu", p.instance_type, len(p.zones), p.min_size, p.desired_size, p.max_size,
                  p.root_volume_gib) for p in spec.node_pools]
    sp = spec.cluster.system_pool
    pools.append(Pool("system", "system", sp.instance_type, 1, sp.min_size, sp.desired_size, sp.max_size,
                      SYSTEM_ROOT_VOLUME_GIB))
    nat = {NatGatewayMode.per_az: zones, NatGatewayMode.single: 1, NatGatewayMode.none: 0}[spec.network.nat_gateways]
    fsx = spec.storage.fsx
    return CostInputs(
        environment=spec.name, source=source, emulated=spec.emulated, availability_zones=zones,
        budget_usd=spec.budget.monthly_limit_usd, accept_ceiling_over_budget=spec.budget.accept_ceiling_over_budget,
        pools=tuple(pools), eks_clusters=1, nat_gateways=nat,
        interface_endpoints=SPEC_INTERFACE_ENDPOINTS if spec.network.vpc_endpoints else 0,
        fsx_size_gib=fsx.size_gib if fsx else None,
        fsx_throughput_mbps_per_tib=int(fsx.throughput_mbps_per_tib.value) if fsx else None,
        kms_keys=SPEC_KMS_KEYS,
    )


def _first(value: Any) -> dict[str, Any]:
    value = value[0] if isinstance(value, list) and value else value
    return value if isinstance(value, dict) else {}


def _root_volume(stack: Stack, group_conf: dict[str, Any], default: int) -> int:
    ref = stack.resolve(_first(group_conf.get("launch_template")).get("id"))
    if ref:
        for mapping in ref[0].conf.get("block_device_mappings") or []:
            size = _first(mapping.get("ebs")).get("volume_size") if isinstance(mapping, dict) else None
            if isinstance(size, int):
                return size
    return default


class StackInputError(ValueError):
    """The synthesized stack lacks what the estimate needs (bad input, exit 2)."""


def inputs_from_stack(stack: Stack) -> CostInputs:
    meta = stack.meta
    if not meta:
        raise StackInputError(f"{stack.path}: no //.trainyard metadata block; re-run `make synth`")
    if meta.get("cloud") == "gcp":
        from scripts.cost_estimate_gcp import inputs_from_stack as gcp_inputs

        return gcp_inputs(stack)
    groups = [g for g in stack.of_type("aws_eks_node_group")]
    pools: list[Pool] = []
    for p in meta.get("gpu_pools") or []:
        lt_size = next((_root_volume(stack, g.conf, 500) for g in groups
                        if g.tags.get("trainyard.io/pool") == p["name"]), 500)
        pools.append(Pool(p["name"], "gpu", p["instance_type"], len(p["zones"]), int(p["min_size"]),
                          int(p["desired_size"]), int(p["max_size"]), int(p.get("root_volume_gib", lt_size))))
    for g in groups:
        if stack.effective_tags(g).get("trainyard.io/role") != "system":
            continue
        scaling = _first(g.conf.get("scaling_config"))
        pools.append(Pool(g.tags.get("trainyard.io/pool", g.name), "system", (g.conf.get("instance_types") or ["?"])[0],
                          1, int(scaling.get("min_size", 0)), int(scaling.get("desired_size", 0)),
                          int(scaling.get("max_size", 0)), _root_volume(stack, g.conf, SYSTEM_ROOT_VOLUME_GIB)))
    fsx = meta.get("fsx") if isinstance(meta.get("fsx"), dict) else None
    try:
        budget = float(meta["monthly_budget_usd"])
    except (KeyError, TypeError, ValueError):
        raise StackInputError(f"{stack.path}: //.trainyard.monthly_budget_usd is missing or not a number") from None
    return CostInputs(
        environment=stack.environment, source=f"synth:{stack.path}", emulated=stack.emulated,
        availability_zones=len(meta.get("availability_zones") or []) or 1,
        budget_usd=budget, accept_ceiling_over_budget=meta.get("accept_ceiling_over_budget") is True,
        pools=tuple(pools), eks_clusters=len(list(stack.of_type("aws_eks_cluster"))) or 1,
        nat_gateways=int(meta.get("nat_gateways") or 0), interface_endpoints=int(meta.get("vpc_interface_endpoints") or 0),
        fsx_size_gib=int(fsx["size_gib"]) if fsx else None,
        fsx_throughput_mbps_per_tib=int(fsx["throughput_mbps_per_tib"]) if fsx else None,
        kms_keys=len(list(stack.of_type("aws_kms_key"))),
    )


# --------------------------------------------------------------------------- pricing
def _item(key: str, category: str, description: str, quantity: float, unit: str, unit_usd: float,
          price: PriceSource, note: str = "") -> Item:
    return Item(key, category, description, quantity, unit, unit_usd, round(quantity * unit_usd, 2), price.source,
                price.as_of, note)


def node_item(pool: Pool, size: str, on_demand_usd_per_hour: float, price: PriceSource, unit: str) -> tuple[Item, int]:
    """A pool's nodes for a month at `size` (ceiling: max per node group; otherwise desired), and how many."""
    per_group = pool.max_size if size == "ceiling" else pool.desired_size
    nodes = per_group * pool.node_groups
    where = f"{pool.node_groups} zone(s) × {per_group}" if pool.role == "gpu" else f"{per_group}"
    item = _item(f"nodes.{pool.name}", f"{pool.role}_nodes",
                 f"{pool.name}: {nodes} × {pool.instance_type} ({where} at {size})", nodes,
                 unit, round(on_demand_usd_per_hour * HOURS_PER_MONTH, 4), price)
    return item, nodes


def _scenario(inputs: CostInputs, size: str) -> Scenario:
    if inputs.cloud == "gcp":
        from scripts.cost_estimate_gcp import scenario

        return scenario(inputs, size)
    catalog = aws_catalog()
    hours = HOURS_PER_MONTH
    s = Scenario()
    ebs = catalog.service("ebs_gp3_usd_per_gib_month")
    for pool in inputs.pools:
        itype = catalog.get(pool.instance_type)
        item, nodes = node_item(pool, size, itype.on_demand_usd_per_hour, itype.price, "instance-month")
        s.items.append(item)
        s.items.append(_item(f"ebs.{pool.name}", "storage", f"{pool.name}: root volumes {nodes} × "
                             f"{pool.root_volume_gib} GiB gp3", nodes * pool.root_volume_gib, "GiB-month", ebs.usd,
                             ebs.price))
    eks = catalog.service("eks_cluster_usd_per_hour")
    s.items.append(_item("eks.control_plane", "platform", "EKS control plane", inputs.eks_clusters,
                         "cluster-month", round(eks.usd * hours, 4), eks.price))
    nat, ip = catalog.service("nat_gateway_usd_per_hour"), catalog.service("public_ipv4_usd_per_hour")
    s.items.append(_item("network.nat_gateways", "network", "NAT gateways (hours; data processed is usage-based)",
                         inputs.nat_gateways, "gateway-month", round(nat.usd * hours, 4), nat.price))
    s.items.append(_item("network.nat_public_ips", "network", "NAT gateway public IPv4 addresses",
                         inputs.nat_gateways, "address-month", round(ip.usd * hours, 4), ip.price))
    vpce = catalog.service("vpc_interface_endpoint_usd_per_hour_per_az")
    s.items.append(_item("network.interface_endpoints", "network",
                         f"VPC interface endpoints: {inputs.interface_endpoints} × {inputs.availability_zones} AZ(s)",
                         inputs.interface_endpoints * inputs.availability_zones, "endpoint-AZ-month",
                         round(vpce.usd * hours, 4), vpce.price))
    if inputs.fsx_size_gib:
        fsx = catalog.fsx_lustre_price(int(inputs.fsx_throughput_mbps_per_tib or 0))
        s.items.append(_item("storage.fsx", "storage", f"FSx for Lustre PERSISTENT_2 {inputs.fsx_size_gib} GiB at "
                             f"{inputs.fsx_throughput_mbps_per_tib} MB/s/TiB", inputs.fsx_size_gib, "GiB-month",
                             fsx.usd, fsx.price))
    kms = catalog.service("kms_key_usd_per_month")
    s.items.append(_item("security.kms_keys", "security", "KMS customer-managed keys (requests usage-based)",
                         inputs.kms_keys, "key-month", kms.usd, kms.price))
    s3 = catalog.service("s3_standard_usd_per_gb_month")
    s.items.append(_item("storage.s3", "storage", "S3 checkpoints/datasets", 0, "GB-month", s3.usd, s3.price,
                         note="usage-based: grows with checkpoints kept; not part of the ceiling"))
    return s


def estimate(inputs: CostInputs) -> Estimate:
    return Estimate(inputs, _scenario(inputs, "ceiling"), _scenario(inputs, "desired"))


# --------------------------------------------------------------------------- diff
def diff(base: Estimate | None, head: Estimate) -> dict[str, Any]:
    """Per item and total change of the ceiling and desired cost (base None = a new environment)."""
    out: dict[str, Any] = {"base_source": base.inputs.source if base else None}
    for name in ("ceiling", "desired"):
        head_items = {i.key: i.monthly_usd for i in getattr(head, name).items}
        base_items = {i.key: i.monthly_usd for i in getattr(base, name).items} if base else {}
        rows = []
        for key in sorted(set(head_items) | set(base_items)):
            before, after = base_items.get(key, 0.0), head_items.get(key, 0.0)
            if round(after - before, 2):
                rows.append({"key": key, "base_usd": before, "head_usd": after, "delta_usd": round(after - before, 2)})
        base_total = getattr(base, name).total_usd if base else 0.0
        out[name] = {"base_total_usd": base_total, "head_total_usd": getattr(head, name).total_usd,
                     "delta_usd": round(getattr(head, name).total_usd - base_total, 2), "changed_items": rows}
    return out


def render_text(est: Estimate, change: dict[str, Any] | None = None) -> str:
    d = est.to_dict()
    lines = [f"cost estimate: {d['environment']} (from {d['source']}; prices {d['prices']['region']} as of "
             f"{d['prices']['as_of']}, {HOURS_PER_MONTH:.0f} h/month)"]
    if est.inputs.emulated:
        lines.append("note: emulated environment — deployed to the local emulator it costs $0; figures price the same "
                     "resources on AWS")
    width = max(len(i.description) for i in est.ceiling.items)
    lines.append(f"{'item':<{width}}  {'ceiling $/mo':>14}  {'desired $/mo':>14}")
    for ceil, want in zip(est.ceiling.items, est.desired.items):
        lines.append(f"{ceil.description:<{width}}  {ceil.monthly_usd:>14,.2f}  {want.monthly_usd:>14,.2f}"
                     + (f"  ({ceil.note})" if ceil.note else ""))
    lines.append(f"{'TOTAL':<{width}}  {est.ceiling.total_usd:>14,.2f}  {est.desired.total_usd:>14,.2f}")
    verdict = {"within_budget": "within budget", "accepted_over_budget": "OVER BUDGET (accepted by the spec)",
               "over_budget": "OVER BUDGET"}[est.gate_status]
    lines.append(f"budget ${est.inputs.budget_usd:,.2f}/month — ceiling is {verdict}; headroom "
                 f"${d['gate']['headroom_usd']:,.2f}")
    if change:
        c = change["ceiling"]
        lines.append(f"vs base ({change['base_source'] or 'new environment'}): ceiling {c['base_total_usd']:,.2f} → "
                     f"{c['head_total_usd']:,.2f} ({c['delta_usd']:+,.2f})")
        for row in c["changed_items"]:
            lines.append(f"  {row['key']}: {row['base_usd']:,.2f} → {row['head_usd']:,.2f} ({row['delta_usd']:+,.2f})")
    return "\n".join(lines)
