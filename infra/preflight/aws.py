"""AWS preflight through boto3: instance type offerings per AZ, the P-instance vCPU quota, and the
capacity reservations the spec names. `AwsApi` is the seam tests use (moto server, botocore Stubber)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from infra.catalog import aws_catalog
from infra.preflight.problems import Problem
from infra.spec import EnvironmentSpec

P_INSTANCES_QUOTA = "L-417A185B"  # EC2 "Running On-Demand P instances", in vCPUs


class AwsApi(Protocol):
    def offered_zones(self, instance_type: str) -> set[str]: ...
    def p_instance_vcpu_quota(self) -> float: ...
    def capacity_reservations(self, ids: list[str]) -> list[dict[str, Any]]: ...


class Boto3AwsApi:
    def __init__(self, region: str, *, endpoint_url: str | None = None, session: Any = None):
        import boto3

        session = session or boto3.session.Session()
        kwargs = {"region_name": region, **({"endpoint_url": endpoint_url} if endpoint_url else {})}
        self.ec2 = session.client("ec2", **kwargs)
        self.quotas = session.client("service-quotas", **kwargs)

    def offered_zones(self, instance_type: str) -> set[str]:
        pages = self.ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": [instance_type]}])
        return {o["Location"] for page in pages for o in page["InstanceTypeOfferings"]}

    def p_instance_vcpu_quota(self) -> float:
        return float(self.quotas.get_service_quota(ServiceCode="ec2", QuotaCode=P_INSTANCES_QUOTA)["Quota"]["Value"])

    def capacity_reservations(self, ids: list[str]) -> list[dict[str, Any]]:
        found = []
        for rid in ids:  # one call each: a single unknown id fails the whole batched call
            try:
                found.extend(self.ec2.describe_capacity_reservations(CapacityReservationIds=[rid])
                             ["CapacityReservations"])
            except Exception as exc:  # noqa: BLE001 - a missing id is InvalidCapacityReservationId.NotFound
                if "NotFound" not in type(exc).__name__ + str(exc):
                    raise
        return found


def _unreadable(field: str, what: str, exc: Exception, fix: str) -> Problem:
    return Problem(field, f"could not read {what} ({type(exc).__name__}: {str(exc)[:160]})", fix)


def check_aws(spec: EnvironmentSpec, api: AwsApi) -> list[Problem]:
    problems: list[Problem] = []
    catalog = aws_catalog()
    for i, pool in enumerate(spec.node_pools):
        try:
            offered = api.offered_zones(pool.instance_type)
        except Exception as exc:  # noqa: BLE001 - any API failure is reported, never raised
            problems.append(_unreadable(f"node_pools[{i}].instance_type", f"offerings of {pool.instance_type}", exc,
                                        "grant ec2:DescribeInstanceTypeOfferings and check the region"))
            continue
        missing = [z for z in pool.zones if z not in offered]
        if missing:
            problems.append(Problem(f"node_pools[{i}].zones", f"{pool.instance_type} is not offered in "
                                    f"{', '.join(missing)} (offered in {', '.join(sorted(offered)) or 'no AZ'})",
                                    "move the pool to offering AZs or pick another instance type"))
    problems.extend(_p_quota(spec, api, catalog))
    problems.extend(_reservations(spec, api))
    return problems


def _p_quota(spec: EnvironmentSpec, api: AwsApi, catalog) -> Iterable[Problem]:
    need = sum(pool.max_size * len(pool.zones) * catalog.get(pool.instance_type).vcpu
               for pool in spec.node_pools if pool.instance_type.startswith("p") and pool.capacity.type.value
               != "spot")
    if not need:
        return []
    try:
        have = api.p_instance_vcpu_quota()
    except Exception as exc:  # noqa: BLE001
        return [_unreadable("node_pools", f"the EC2 quota {P_INSTANCES_QUOTA} (Running On-Demand P instances)", exc,
                            "grant servicequotas:GetServiceQuota, or check the quota in the Service Quotas console")]
    if have < need:
        return [Problem("node_pools", f"Running On-Demand P instances quota is {have:.0f} vCPUs but the P pools at "
                        f"max size need {need}", f"request {need:.0f} vCPUs for quota {P_INSTANCES_QUOTA} in "
                        f"{spec.region}, or lower max_size")]
    return []


def _reservations(spec: EnvironmentSpec, api: AwsApi) -> Iterable[Problem]:
    wanted = {(i, p.capacity.reservation_id): p for i, p in enumerate(spec.node_pools) if p.capacity.reservation_id}
    if not wanted:
        return []
    try:
        found = {r["CapacityReservationId"]: r for r in api.capacity_reservations([rid for _, rid in wanted])}
    except Exception as exc:  # noqa: BLE001
        return [_unreadable("node_pools", "capacity reservations", exc, "grant ec2:DescribeCapacityReservations")]
    problems = []
    for (i, rid), pool in wanted.items():
        field = f"node_pools[{i}].capacity.reservation_id"
        res = found.get(rid)
        if res is None:
            problems.append(Problem(field, f"capacity reservation {rid} does not exist in {spec.region}",
                                    "fix the id or create the reservation"))
        elif res.get("AvailabilityZone") not in pool.zones:
            problems.append(Problem(field, f"{rid} is in {res.get('AvailabilityZone')} but pool {pool.name!r} runs in "
                                    f"{', '.join(pool.zones)}", f"set zones: [{res.get('AvailabilityZone')}]"))
        elif res.get("InstanceType") != pool.instance_type:
            problems.append(Problem(field, f"{rid} reserves {res.get('InstanceType')}, the pool uses "
                                    f"{pool.instance_type}", "use the reserved type or another reservation"))
    return problems
