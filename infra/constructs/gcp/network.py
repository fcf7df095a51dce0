"""GCP networking: the cluster VPC (one regional subnet with pod/service secondary ranges, Cloud NAT
for egress from private nodes) and, for A3 pools, the extra GPU NIC VPCs GPUDirect needs.

A3 High (GPUDirect-TCPX) carries GPU traffic over 4 extra NICs and A3 Mega (TCPXO) over 8; each NIC
must sit in its own VPC, with a large MTU (8244) and a firewall that lets the NICs of that VPC
reach each other and nothing else.
"""
from __future__ import annotations

import ipaddress

from cdktf_cdktf_provider_google.compute_firewall import ComputeFirewall
from cdktf_cdktf_provider_google.compute_network import ComputeNetwork
from cdktf_cdktf_provider_google.compute_router import ComputeRouter
from cdktf_cdktf_provider_google.compute_router_nat import ComputeRouterNat
from cdktf_cdktf_provider_google.compute_subnetwork import ComputeSubnetwork
from constructs import Construct

from infra.constructs._policy import blocks

PODS_RANGE, SERVICES_RANGE = "pods", "services"
GPU_NIC_SUBNET_PREFIX = 24


class ClusterNetwork(Construct):
    """Props: name, project, region; node_cidr (primary range), pods_cidr, services_cidr (secondary);
    cloud_nat (default True): egress for private nodes; private_google_access (default True)."""

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, region: str, node_cidr: str,
                 pods_cidr: str, services_cidr: str, cloud_nat: bool = True, private_google_access: bool = True):
        super().__init__(scope, id)
        self.vpc = ComputeNetwork(self, "vpc", name=name, project=project, auto_create_subnetworks=False,
                                  routing_mode="REGIONAL")
        self.subnet = ComputeSubnetwork(
            self, "subnet", name=f"{name}-nodes", project=project, region=region, network=self.vpc.id,
            ip_cidr_range=node_cidr, private_ip_google_access=private_google_access,
            secondary_ip_range=blocks([{"range_name": PODS_RANGE, "ip_cidr_range": pods_cidr},
                                       {"range_name": SERVICES_RANGE, "ip_cidr_range": services_cidr}]),
            log_config={"aggregation_interval": "INTERVAL_5_SEC", "flow_sampling": 0.5,
                        "metadata": "INCLUDE_ALL_METADATA"})
        self.nat_gateway_count = 0
        if cloud_nat:
            # Cloud NAT is regional and distributed: one gateway serves every zone (no per-AZ NAT as on AWS).
            router = ComputeRouter(self, "router", name=f"{name}-router", project=project, region=region,
                                   network=self.vpc.id)
            ComputeRouterNat(self, "nat", name=f"{name}-nat", project=project, region=region, router=router.name,
                             nat_ip_allocate_option="AUTO_ONLY",
                             source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
                             subnetwork=blocks([{"name": self.subnet.id, "source_ip_ranges_to_nat": ["ALL_IP_RANGES"]}]),
                             log_config={"enable": True, "filter": "ERRORS_ONLY"})
            self.nat_gateway_count = 1


class GpuNicNetworks(Construct):
    """`count` VPCs for GPU NICs, each with one /24 subnet carved from `cidr` and an intra-VPC firewall.

    Props: name, project, region, count (4 for A3 High, 8 for A3 Mega/Ultra), mtu (8244 for TCPX/TCPXO),
    cidr (default 192.168.0.0/16: NIC i gets 192.168.i.0/24).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, region: str, count: int, mtu: int,
                 cidr: str = "192.168.0.0/16"):
        super().__init__(scope, id)
        subnets = list(ipaddress.ip_network(cidr).subnets(new_prefix=GPU_NIC_SUBNET_PREFIX))
        if count > len(subnets):
            raise ValueError(f"gpu_nic_cidr {cidr} holds {len(subnets)} /{GPU_NIC_SUBNET_PREFIX} subnets but "
                             f"{count} GPU NICs need one each; use a /21 or larger")
        self.networks: list[ComputeNetwork] = []
        self.subnets: list[ComputeSubnetwork] = []
        for i in range(count):
            net_name = f"{name}-gpunic-{i}"
            vpc = ComputeNetwork(self, f"vpc-{i}", name=net_name, project=project, auto_create_subnetworks=False,
                                 mtu=mtu, routing_mode="REGIONAL")
            subnet = ComputeSubnetwork(self, f"subnet-{i}", name=f"{net_name}-sub", project=project, region=region,
                                       network=vpc.id, ip_cidr_range=str(subnets[i]))
            # GPU-to-GPU traffic stays inside this VPC: allow it from the subnet itself, nothing else.
            ComputeFirewall(self, f"fw-{i}", name=f"{net_name}-internal", project=project, network=vpc.id,
                            direction="INGRESS", source_ranges=[str(subnets[i])],
                            allow=blocks([{"protocol": "tcp"}, {"protocol": "udp"}, {"protocol": "icmp"}]))
            self.networks.append(vpc)
            self.subnets.append(subnet)

    def for_nics(self, nics: int) -> list[dict[str, str]]:
        """additional_node_network_configs for a machine type with `nics` GPU NICs."""
        return [{"network": self.networks[i].name, "subnetwork": self.subnets[i].name} for i in range(nics)]
