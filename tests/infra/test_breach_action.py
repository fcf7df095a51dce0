"""The budget-breach Lambda scales every GPU node group to zero (run against the emulator's EKS API)."""
from __future__ import annotations

import boto3
import pytest

from infra.lambdas.scale_to_zero.handler import scale_to_zero
from scripts.emulator import Emulator


@pytest.fixture(scope="module")
def eks():
    with Emulator.start() as emulator:
        kw = dict(endpoint_url=emulator.endpoint_url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test")
        client = boto3.client("eks", **kw)
        role = "arn:aws:iam::123456789012:role/eks"
        client.create_cluster(name="c", roleArn=role, resourcesVpcConfig={"subnetIds": []})
        for name, size in (("gpu-a", 2), ("gpu-b", 0)):
            client.create_nodegroup(clusterName="c", nodegroupName=name, nodeRole=role, subnets=["subnet-1"],
                                    scalingConfig={"minSize": size, "desiredSize": size, "maxSize": 4})
        yield client


def test_scales_gpu_groups_to_zero_and_keeps_max(eks) -> None:
    results = scale_to_zero(eks, "c", ["gpu-a", "gpu-b"])
    assert [r["action"] for r in results] == ["scaled-to-zero", "already-zero"]
    scaling = eks.describe_nodegroup(clusterName="c", nodegroupName="gpu-a")["nodegroup"]["scalingConfig"]
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == (0, 0, 4)
