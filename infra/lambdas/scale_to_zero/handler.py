"""Budget breach action: scale every GPU node group of the environment to zero nodes.

Subscribed to the budget's 100%-actual notification topic. Sets min and desired size to 0 and keeps
max size, so the pools can be scaled back up by a person (see docs/runbooks/budget-breach.md) without
a redeploy. Running jobs are checkpointed by the trainer's SIGTERM handler as nodes drain.
"""
from __future__ import annotations

import json
import os

import boto3


def scale_to_zero(eks, cluster_name: str, nodegroups: list[str]) -> list[dict]:
    results = []
    for nodegroup in nodegroups:
        current = eks.describe_nodegroup(clusterName=cluster_name, nodegroupName=nodegroup)["nodegroup"]
        scaling = current["scalingConfig"]
        if scaling.get("desiredSize", 0) == 0 and scaling.get("minSize", 0) == 0:
            results.append({"nodegroup": nodegroup, "action": "already-zero"})
            continue
        eks.update_nodegroup_config(
            clusterName=cluster_name, nodegroupName=nodegroup,
            scalingConfig={"minSize": 0, "desiredSize": 0, "maxSize": scaling["maxSize"]})
        results.append({"nodegroup": nodegroup, "action": "scaled-to-zero", "was": scaling})
    return results


def handler(event, context):  # noqa: ARG001 - Lambda signature
    results = scale_to_zero(boto3.client("eks"), os.environ["CLUSTER_NAME"], json.loads(os.environ["NODEGROUPS"]))
    print(json.dumps({"budget_breach_action": results}))
    return {"results": results}
