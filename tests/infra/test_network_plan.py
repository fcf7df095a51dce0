from __future__ import annotations

import ipaddress

import pytest

from infra.constructs.network import plan_subnets


def test_subnets_are_disjoint_inside_the_vpc_and_stable_when_a_zone_is_added() -> None:
    two = plan_subnets("10.0.0.0/16", ["a", "b"], 18, 24)
    three = plan_subnets("10.0.0.0/16", ["a", "b", "c"], 18, 24)
    nets = [ipaddress.ip_network(c) for p in three for c in (p.private_cidr, p.public_cidr)]
    assert all(n.subnet_of(ipaddress.ip_network("10.0.0.0/16")) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert [p.private_cidr for p in two] == [p.private_cidr for p in three[:2]]


def test_a_vpc_too_small_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="use a larger VPC"):
        plan_subnets("10.0.0.0/20", ["a", "b", "c"], 21, 24)
