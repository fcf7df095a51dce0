"""The GCP side of the cost estimate: GKE machine types, boot disks, the GKE cluster fee, Cloud NAT,
Filestore and Cloud KMS, priced from infra/data/gcp_machine_types.yaml.

Same method as the AWS estimate (scripts/cost_estimate.py): the ceiling is every GPU node pool at
its max in every zone it lists plus the system pool at max; usage-based charges (egress, GCS
objects, NAT data) are listed at $0 with a note rather than guessed.
"""
from __future__ import annotations

from infra.catalog import HOURS_PER_MONTH
from infra.catalog_gcp import gcp_catalog
from infra.spec import EnvironmentSpec, NatGatewayMode
from policies.tfjson import Stack
from scripts.cost_estimate import CostInputs, Pool, Scenario, StackInputError, _item, node_item

SYSTEM_BOOT_DISK_GIB = 100  # infra/constructs/gcp/cluster.py add_system_pool
KMS_KEYS = 3  # GKE secrets, data, alerts (stacks/gcp_platform_stack.py)
_HYPERDISK_SERIES = ("a3-megagpu", "a3-ultragpu")  # infra/constructs/gcp/node_pool.py


def inputs_from_spec(spec: EnvironmentSpec, source: str) -> CostInputs:
    pools = [Pool(p.name, "gpu", p.instance_type, len(p.zones), p.min_size, p.desired_size, p.max_size,
                  p.root_volume_gib) for p in spec.node_pools]
    sp = spec.cluster.system_pool
    pools.append(Pool("system", "system", sp.instance_type, 1, sp.min_size, sp.desired_size, sp.max_size,
                      SYSTEM_BOOT_DISK_GIB))
    fs = spec.storage.filestore
    return CostInputs(
        environment=spec.name, source=source, emulated=False, availability_zones=len(spec.availability_zones),
        budget_usd=spec.budget.monthly_limit_usd, accept_ceiling_over_budget=spec.budget.accept_ceiling_over_budget,
        pools=tuple(pools), eks_clusters=1, nat_gateways=0 if spec.network.nat_gateways is NatGatewayMode.none else 1,
        interface_endpoints=0, fsx_size_gib=None, fsx_throughput_mbps_per_tib=None, kms_keys=KMS_KEYS,
        cloud="gcp", filestore_tier=fs.tier.value if fs else None, filestore_gib=fs.capacity_gib if fs else None)


def inputs_from_stack(stack: Stack) -> CostInputs:
    meta = stack.meta
    try:
        budget = float(meta["monthly_budget_usd"])
        pools = [Pool(p["name"], "gpu", p["instance_type"], len(p["zones"]), int(p["min_size"]),
                      int(p["desired_size"]), int(p["max_size"]), int(p.get("root_volume_gib", 500)))
                 for p in meta.get("gpu_pools") or []]
        sp = meta["system_pool"]
        pools.append(Pool("system", "system", sp["instance_type"], 1, int(sp.get("min_size", 0)),
                          int(sp["desired_size"]), int(sp["max_size"]), SYSTEM_BOOT_DISK_GIB))
    except (KeyError, TypeError, ValueError) as exc:
        raise StackInputError(f"{stack.path}: //.trainyard metadata is incomplete ({exc}); re-run `make synth`") from None
    fs = meta.get("filestore") if isinstance(meta.get("filestore"), dict) else None
    return CostInputs(
        environment=stack.environment, source=f"synth:{stack.path}", emulated=False,
        availability_zones=len(meta.get("availability_zones") or []) or 1, budget_usd=budget,
        accept_ceiling_over_budget=meta.get("accept_ceiling_over_budget") is True, pools=tuple(pools),
        eks_clusters=len(list(stack.of_type("google_container_cluster"))) or 1,
        nat_gateways=len(list(stack.of_type("google_compute_router_nat"))), interface_endpoints=0,
        fsx_size_gib=None, fsx_throughput_mbps_per_tib=None,
        kms_keys=len(list(stack.of_type("google_kms_crypto_key"))), cloud="gcp",
        filestore_tier=fs["tier"] if fs else None, filestore_gib=int(fs["capacity_gib"]) if fs else None)


def scenario(inputs: CostInputs, size: str) -> Scenario:
    catalog = gcp_catalog()
    hours = HOURS_PER_MONTH
    s = Scenario()
    for pool in inputs.pools:
        mtype = catalog.get(pool.instance_type)
        item, nodes = node_item(pool, size, mtype.on_demand_usd_per_hour, mtype.price, "vm-month")
        s.items.append(item)
        disk = catalog.service("hyperdisk_balanced_usd_per_gib_month" if pool.instance_type.startswith(_HYPERDISK_SERIES)
                               else "pd_balanced_usd_per_gib_month")
        s.items.append(_item(f"disk.{pool.name}", "storage", f"{pool.name}: boot disks {nodes} × "
                             f"{pool.root_volume_gib} GiB {disk.key.split('_usd')[0].replace('_', '-')}",
                             nodes * pool.root_volume_gib, "GiB-month", disk.usd, disk.price))
    gke = catalog.service("gke_cluster_usd_per_hour")
    s.items.append(_item("gke.cluster_fee", "platform", "GKE cluster management fee", inputs.eks_clusters,
                         "cluster-month", round(gke.usd * hours, 4), gke.price))
    nat = catalog.service("cloud_nat_gateway_usd_per_hour")
    s.items.append(_item("network.cloud_nat", "network", "Cloud NAT gateways (capped VM-hours; data is usage-based)",
                         inputs.nat_gateways, "gateway-month", round(nat.usd * hours, 4), nat.price))
    if inputs.filestore_gib:
        fs = catalog.filestore_price(str(inputs.filestore_tier))
        s.items.append(_item("storage.filestore", "storage", f"Filestore {inputs.filestore_tier} "
                             f"{inputs.filestore_gib} GiB", inputs.filestore_gib, "GiB-month", fs.usd, fs.price))
    kms = catalog.service("cloud_kms_key_usd_per_month")
    s.items.append(_item("security.kms_keys", "security", "Cloud KMS keys (operations usage-based)", inputs.kms_keys,
                         "key-month", kms.usd, kms.price))
    gcs = catalog.service("gcs_standard_usd_per_gb_month")
    s.items.append(_item("storage.gcs", "storage", "GCS checkpoints", 0, "GB-month", gcs.usd, gcs.price,
                         note="usage-based: grows with checkpoints kept; not part of the ceiling"))
    return s
