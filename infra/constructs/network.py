"""The VPC: private subnets per AZ sized for GPU pods, public subnets + NAT, and cost-cutting endpoints."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from infra.constructs._policy import blocks
from infra.spec import NatGatewayMode

# Interface endpoints that pay for themselves on a GPU cluster: image pulls (ECR API + Docker
# registry) and IRSA token exchange (STS) stop crossing the NAT gateway ($0.045/GB).
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts")


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    private_cidr: str
    public_cidr: str


def plan_subnets(vpc_cidr: str, zones: list[str], private_prefix_length: int,
                 public_prefix_length: int) -> list[SubnetPlan]:
    """Carve the VPC: private subnets first (large, for pods), then public ones after them.

    Deterministic so that adding a zone at the end never renumbers existing subnets.
    """
    vpc = ipaddress.ip_network(vpc_cidr)
    taken: list[ipaddress.IPv4Network] = []

    def allocate(prefix: int) -> ipaddress.IPv4Network:
        for candidate in vpc.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(t) for t in taken):
                taken.append(candidate)
                return candidate
        raise ValueError(f"{vpc_cidr} has no room left for another /{prefix}; use a larger VPC")

    privates = [allocate(private_prefix_length) for _ in zones]
    publics = [allocate(public_prefix_length) for _ in zones]
    return [SubnetPlan(z, str(pr), str(pu)) for z, pr, pu in zip(zones, privates, publics)]


class Network(Construct):
    """VPC over the given AZs.

    Props:
      cidr, zones, private/public_prefix_length: see `infra.spec.NetworkSpec`.
      nat_gateways: per_az (default, AZ-independent egress), single, or none.
      gateway_endpoints / interface_endpoints: S3 gateway endpoint; ECR/STS interface endpoints.
      cluster_name: for the `kubernetes.io/cluster/<name>` subnet tags load balancers look for.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, cidr: str, zones: list[str], region: str,
                 private_prefix_length: int, public_prefix_length: int, nat_gateways: NatGatewayMode,
                 cluster_name: str, gateway_endpoints: bool = True, interface_endpoints: bool = True):
        super().__init__(scope, id)
        self.zones = list(zones)
        self.vpc = Vpc(self, "vpc", cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True,
                       tags={"Name": name})
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": name})
        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"})
        Route(self, "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
              gateway_id=igw.id)

        self.private_subnets: dict[str, Subnet] = {}
        self.public_subnets: dict[str, Subnet] = {}
        self.private_route_tables: list[RouteTable] = []
        nats: dict[str, NatGateway] = {}
        for plan in plan_subnets(cidr, zones, private_prefix_length, public_prefix_length):
            suffix = plan.zone[-1]
            public = Subnet(self, f"public-{suffix}", vpc_id=self.vpc.id, cidr_block=plan.public_cidr,
                            availability_zone=plan.zone, map_public_ip_on_launch=False,
                            tags={"Name": f"{name}-public-{plan.zone}", "kubernetes.io/role/elb": "1",
                                  f"kubernetes.io/cluster/{cluster_name}": "shared", "trainyard.io/tier": "public"})
            RouteTableAssociation(self, f"public-{suffix}-rta", subnet_id=public.id, route_table_id=public_rt.id)
            private = Subnet(self, f"private-{suffix}", vpc_id=self.vpc.id, cidr_block=plan.private_cidr,
                             availability_zone=plan.zone,
                             tags={"Name": f"{name}-private-{plan.zone}", "kubernetes.io/role/internal-elb": "1",
                                   f"kubernetes.io/cluster/{cluster_name}": "shared",
                                   "trainyard.io/tier": "private"})
            self.public_subnets[plan.zone] = public
            self.private_subnets[plan.zone] = private
            if nat_gateways is NatGatewayMode.per_az or (nat_gateways is NatGatewayMode.single and not nats):
                eip = Eip(self, f"nat-eip-{suffix}", domain="vpc", tags={"Name": f"{name}-nat-{plan.zone}"})
                nats[plan.zone] = NatGateway(self, f"nat-{suffix}", allocation_id=eip.id, subnet_id=public.id,
                                             tags={"Name": f"{name}-nat-{plan.zone}"}, depends_on=[igw])
            rt = RouteTable(self, f"private-rt-{suffix}", vpc_id=self.vpc.id, tags={"Name": f"{name}-private-{plan.zone}"})
            if nats:
                nat = nats.get(plan.zone) or next(iter(nats.values()))
                Route(self, f"private-{suffix}-default", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                      nat_gateway_id=nat.id)
            RouteTableAssociation(self, f"private-{suffix}-rta", subnet_id=private.id, route_table_id=rt.id)
            self.private_route_tables.append(rt)
        self.nat_gateway_count = len(nats)

        self.interface_endpoint_count = 0
        if gateway_endpoints:
            VpcEndpoint(self, "s3-endpoint", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{region}.s3",
                        vpc_endpoint_type="Gateway", route_table_ids=[rt.id for rt in self.private_route_tables],
                        tags={"Name": f"{name}-s3"})
        if interface_endpoints:
            endpoint_sg = SecurityGroup(
                self, "endpoint-sg", name=f"{name}-vpc-endpoints", vpc_id=self.vpc.id,
                description="HTTPS from inside the VPC to interface endpoints",
                ingress=blocks([{"description": "HTTPS from the VPC", "from_port": 443, "to_port": 443,
                                 "protocol": "tcp", "cidr_blocks": [cidr]}]),
                egress=[], tags={"Name": f"{name}-vpc-endpoints", "trainyard.io/sg-role": "vpc-endpoints"})
            for service in INTERFACE_ENDPOINT_SERVICES:
                VpcEndpoint(self, f"{service.replace('.', '-')}-endpoint", vpc_id=self.vpc.id,
                            service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface",
                            private_dns_enabled=True, security_group_ids=[endpoint_sg.id],
                            subnet_ids=[s.id for s in self.private_subnets.values()],
                            tags={"Name": f"{name}-{service}"})
                self.interface_endpoint_count += 1

    @property
    def private_subnet_ids(self) -> list[str]:
        return [s.id for s in self.private_subnets.values()]
