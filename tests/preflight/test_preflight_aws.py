"""AWS preflight: offerings against the moto server (scripts/emulator.py); the P-instance quota and
capacity reservations, which moto 5.2.5 does not serve (service-quotas has no EC2 quotas there and
DescribeCapacityReservations answers 500), are checked to be REPORTED as unreadable against moto,
and their comparison logic is tested with botocore's Stubber on real boto3 clients."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from infra.preflight.aws import P_INSTANCES_QUOTA, Boto3AwsApi, check_aws
from infra.spec import parse
from scripts.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
PROD = yaml.safe_load((REPO / "stacks" / "environments" / "prod.yaml").read_text())


def _spec(mutate=None):
    data = copy.deepcopy(PROD)
    if mutate:
        mutate(data)
    return parse(data)


def _session() -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


@pytest.fixture(scope="module")
def moto_url():
    emu = Emulator.start()
    try:
        yield emu.endpoint_url
    finally:
        emu.stop()  # by PID (its own process group), never by name


def test_offerings_per_az_against_moto(moto_url: str) -> None:
    def to_1e(d):
        d["availability_zones"] = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"]
        d["network"]["private_subnet_prefix_length"] = 19
        d["node_pools"][0]["zones"] = ["us-east-1a", "us-east-1e"]  # moto offers p4d.24xlarge in a-d only
    problems = check_aws(_spec(to_1e), Boto3AwsApi("us-east-1", endpoint_url=moto_url, session=_session()))
    by_field = {p.field: p for p in problems}
    assert "p4d.24xlarge is not offered in us-east-1e" in by_field["node_pools[0].zones"].message
    assert "node_pools[1].zones" not in by_field  # p5 is offered in every AZ it lists
    # moto has no EC2 quotas: reported as a problem that names the quota, not a pass and not a traceback
    assert P_INSTANCES_QUOTA in by_field["node_pools"].message and "could not read" in by_field["node_pools"].message


class _Stubbed(Boto3AwsApi):
    """Real boto3 clients with recorded responses (botocore Stubber validates them against the API model)."""

    def __init__(self, *, quota_vcpus: float, offerings: dict[str, list[str]], reservations: dict[str, dict]):
        super().__init__("us-east-1", session=_session())
        self.stubs = [Stubber(self.ec2), Stubber(self.quotas)]
        self.offerings, self.reservations, self.quota_vcpus = offerings, reservations, quota_vcpus

    def offered_zones(self, instance_type: str) -> set[str]:
        with Stubber(self.ec2) as stub:
            stub.add_response("describe_instance_type_offerings", {"InstanceTypeOfferings": [
                {"InstanceType": instance_type, "LocationType": "availability-zone", "Location": z}
                for z in self.offerings[instance_type]]})
            return super().offered_zones(instance_type)

    def p_instance_vcpu_quota(self) -> float:
        with Stubber(self.quotas) as stub:
            stub.add_response("get_service_quota", {"Quota": {"QuotaCode": P_INSTANCES_QUOTA, "Value": self.quota_vcpus}},
                              {"ServiceCode": "ec2", "QuotaCode": P_INSTANCES_QUOTA})
            return super().p_instance_vcpu_quota()

    def capacity_reservations(self, ids: list[str]) -> list[dict]:
        with Stubber(self.ec2) as stub:
            for rid in ids:
                if rid in self.reservations:
                    stub.add_response("describe_capacity_reservations",
                                      {"CapacityReservations": [self.reservations[rid]]})
                else:
                    stub.add_client_error("describe_capacity_reservations", "InvalidCapacityReservationId.NotFound")
            return super().capacity_reservations(ids)


ALL_AZ = ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_quota_and_reservation_problems_all_at_once() -> None:
    def reserve(d):
        d["node_pools"][0]["zones"] = ["us-east-1a"]
        d["node_pools"][0]["capacity"] = {"type": "capacity_reservation", "reservation_id": "cr-0123456789abcdef0"}
        d["node_pools"].append({**d["node_pools"][1], "name": "h100-res", "zones": ["us-east-1c"],
                                "capacity": {"type": "capacity_block", "reservation_id": "cr-0fedcba9876543210"}})
    api = _Stubbed(quota_vcpus=768, offerings={"p4d.24xlarge": ALL_AZ, "p5.48xlarge": ALL_AZ},
                   reservations={"cr-0123456789abcdef0": {"CapacityReservationId": "cr-0123456789abcdef0",
                                                          "AvailabilityZone": "us-east-1b",
                                                          "InstanceType": "p4d.24xlarge"}})
    problems = {p.field: p for p in check_aws(_spec(reserve), api)}
    # P pools at max: p4d 2×1 AZ×96 + p5 2×2 AZ×192 + p5 (capacity block) 2×1×192 = 1344 vCPUs > 768
    assert "quota is 768 vCPUs" in problems["node_pools"].message and "need 1344" in problems["node_pools"].message
    assert "is in us-east-1b" in problems["node_pools[0].capacity.reservation_id"].message
    assert "set zones: [us-east-1b]" in problems["node_pools[0].capacity.reservation_id"].fix
    assert "does not exist" in problems["node_pools[2].capacity.reservation_id"].message


def test_prod_passes_with_enough_quota() -> None:
    api = _Stubbed(quota_vcpus=2000, offerings={"p4d.24xlarge": ALL_AZ, "p5.48xlarge": ALL_AZ}, reservations={})
    assert check_aws(_spec(), api) == []


def test_cli_exit_codes(moto_url: str) -> None:
    cli = [sys.executable, "-c", "import sys; from infra.cli import main; sys.exit(main())", "preflight"]
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "PATH": "/usr/bin:/bin"}
    bad = subprocess.run([*cli, "--env", "no-such-env"], capture_output=True, text=True, cwd=REPO, env=env)
    assert bad.returncode == 2 and "file not found" in bad.stderr and "Traceback" not in bad.stderr
    found = subprocess.run([*cli, "--env", "prod", "--endpoint-url", moto_url], capture_output=True, text=True,
                           cwd=REPO, env=env, timeout=120)
    assert found.returncode == 3, found.stderr  # moto: the quota cannot be read → a problem, exit 3
    assert "L-417A185B" in found.stderr and "Traceback" not in found.stderr
