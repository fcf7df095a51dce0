"""moto server plus the few read paths terraform's AWS provider needs and moto 5.2.5 gets wrong.

The provider reads every budget back with `ListTagsForResource` and each notification's subscribers with
`DescribeSubscribersForNotification`; moto answers both with HTTP 500, which the provider retries without
end. We add exactly those two reads, answered from moto's own stored state (tags: none, since the local
target has `budget_tags` switched off; subscribers: as created), and the one response header S3's
GetBucketLifecycleConfiguration carries that moto omits, the cluster security group EKS creates
with every cluster, and the read-back fields of an FSx file system (lifecycle, VPC, ENIs, mount name). Nothing else is patched — see
docs/adr/0002-emulator-capability-flags.md.

Usage: python -m scripts.moto_shim -H 127.0.0.1 -p PORT   (same flags as moto_server)
"""
from __future__ import annotations

import json
import sys

from moto.budgets.responses import BudgetsResponse


def _list_tags_for_resource(self: BudgetsResponse) -> str:
    return json.dumps({"ResourceTags": []})


def _describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    budget_name = self._get_param("BudgetName")
    wanted = self._get_param("Notification")
    budget = self.backend.budgets[account_id].get(budget_name)
    if budget is None:
        from moto.budgets.exceptions import NotFoundException

        raise NotFoundException(f"Unable to get subscribers - budget {budget_name} doesn't exist.")
    for notification in budget.notifications:
        if all(notification.details.get(k) == v for k, v in wanted.items()):
            return json.dumps({"Subscribers": notification.subscribers, "NextToken": None})
    return json.dumps({"Subscribers": [], "NextToken": None})


def _with_lifecycle_header(original):
    # Real S3 returns the lifecycle's transition default size as a response header; moto puts it only in
    # the body, so the provider never sees the configuration it wrote and waits until it gives up.
    def get_bucket_lifecycle(self):
        status, headers, body = original(self)
        headers = dict(headers or {})
        headers["x-amz-transition-default-minimum-object-size"] = "all_storage_classes_128K"
        return status, headers, body

    return get_bucket_lifecycle


def _with_cluster_security_group(create_cluster, delete_cluster):
    # Real EKS creates a "cluster security group" in the VPC and attaches it to the control plane and to
    # managed nodes; the stacks reference it (FSx allows Lustre from it). moto leaves it empty, so create one
    # the way EKS does, in the VPC of the cluster's subnets, and remove it with the cluster.
    from moto.ec2.models import ec2_backends

    def create(self, name, role_arn, resources_vpc_config, *args, **kwargs):
        ec2 = ec2_backends[self.account_id][self.region_name]
        subnet_ids = resources_vpc_config.get("subnetIds") or []
        vpc_id = ec2.get_subnet(subnet_ids[0]).vpc_id if subnet_ids else None
        group = ec2.create_security_group(f"eks-cluster-sg-{name}", f"EKS created security group for {name}",
                                          vpc_id=vpc_id, tags={"aws:eks:cluster-name": name})
        resources_vpc_config = {**resources_vpc_config, "clusterSecurityGroupId": group.id,
                                "vpcId": vpc_id}
        return create_cluster(self, name, role_arn, resources_vpc_config, *args, **kwargs)

    def delete(self, name, *args, **kwargs):
        cluster = delete_cluster(self, name, *args, **kwargs)
        group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
        if group_id:
            ec2_backends[self.account_id][self.region_name].delete_security_group(group_id=group_id)
        return cluster

    return create, delete


def _with_fsx_read_back(init, to_dict):
    # moto stores an FSx file system but describes only what it was sent. Real FSx answers with its
    # lifecycle, VPC, mount name, Lustre version and the ENIs it placed in the subnet (the provider reads
    # the security groups back from those ENIs). Fill in the same fields from moto's own EC2 state.
    from moto.ec2.models import ec2_backends

    def __init__(self, account_id, region_name, *args, **kwargs):
        init(self, account_id, region_name, *args, **kwargs)
        ec2 = ec2_backends[account_id][region_name]
        subnet = ec2.get_subnet(self.subnet_ids[0])
        eni = ec2.create_network_interface(subnet, private_ip_address=None, group_ids=self.security_group_ids,
                                           description=f"ENI for FSx {self.file_system_id}")
        self._shim = {"VpcId": subnet.vpc_id, "NetworkInterfaceIds": [eni.id], "Lifecycle": "AVAILABLE",
                      "FileSystemTypeVersion": "2.15", "OwnerId": account_id}
        self.lustre_configuration = {**(self.lustre_configuration or {}), "MountName": self.file_system_id[3:11]}

    def describe(self):
        return {**to_dict(self), **getattr(self, "_shim", {})}

    return __init__, describe


def _releasing_fsx_enis(delete_file_system):
    from moto.ec2.models import ec2_backends

    def delete(self, file_system_id, *args, **kwargs):
        fs = self.file_systems.get(file_system_id)
        result = delete_file_system(self, file_system_id, *args, **kwargs)
        for eni_id in getattr(fs, "_shim", {}).get("NetworkInterfaceIds", []):
            ec2_backends[self.account_id][self.region_name].delete_network_interface(eni_id)
        return result

    return delete


def _eks_read_back(create_cluster_response, create_nodegroup_response, nodegroup_init):
    # EKS returns a cluster's accessConfig and a node group's updateConfig, and omits remoteAccess on node
    # groups created without it; moto drops the first two and invents an SSH key ("eksKeypair") for the
    # third, and each makes terraform change or replace the resource on every plan.
    def create_cluster(self):
        result = create_cluster_response(self)
        access = self._get_param("accessConfig")
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        if cluster is not None and access:
            cluster.access_config = {"authenticationMode": access.get("authenticationMode", "CONFIG_MAP")}
        return result

    def create_nodegroup(self):
        result = create_nodegroup_response(self)
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        group = cluster.nodegroups.get(self._get_param("nodegroupName")) if cluster else None
        if group is not None and self._get_param("updateConfig"):
            group.update_config = self._get_param("updateConfig")
        return result

    def nodegroup(self, *args, **kwargs):
        nodegroup_init(self, *args, **kwargs)
        if not kwargs.get("remote_access"):
            self.remote_access = None

    return create_cluster, create_nodegroup, nodegroup


def _launch_template_data_without_own_tags(version_init):
    # The tags of the launch template itself are not part of its data; moto files them there, so the
    # provider sees an extra tag_specifications block it never wrote.
    def init(self, template, number, data, description, *args, **kwargs):
        if isinstance(data, dict) and data.get("TagSpecifications"):
            data = {**data, "TagSpecifications": [t for t in data["TagSpecifications"]
                                                  if t.get("ResourceType") != "launch-template"]}
        version_init(self, template, number, data, description, *args, **kwargs)

    return init


def install() -> None:
    from moto.eks.models import EKSBackend
    from moto.s3.responses import S3Response

    S3Response.get_bucket_lifecycle = _with_lifecycle_header(S3Response.get_bucket_lifecycle)  # type: ignore[method-assign]
    EKSBackend.create_cluster, EKSBackend.delete_cluster = _with_cluster_security_group(  # type: ignore[method-assign]
        EKSBackend.create_cluster, EKSBackend.delete_cluster)
    from moto.fsx.models import FileSystem

    from moto.ec2.models.launch_templates import LaunchTemplateVersion
    from moto.eks.models import Nodegroup
    from moto.eks.responses import EKSResponse
    from moto.fsx.models import FSxBackend

    EKSResponse.create_cluster, EKSResponse.create_nodegroup, Nodegroup.__init__ = _eks_read_back(  # type: ignore[method-assign]
        EKSResponse.create_cluster, EKSResponse.create_nodegroup, Nodegroup.__init__)
    LaunchTemplateVersion.__init__ = _launch_template_data_without_own_tags(  # type: ignore[method-assign]
        LaunchTemplateVersion.__init__)

    FileSystem.__init__, FileSystem.to_dict = _with_fsx_read_back(FileSystem.__init__, FileSystem.to_dict)  # type: ignore[method-assign]
    FSxBackend.delete_file_system = _releasing_fsx_enis(FSxBackend.delete_file_system)  # type: ignore[method-assign]
    BudgetsResponse.list_tags_for_resource = _list_tags_for_resource  # type: ignore[attr-defined]
    BudgetsResponse.describe_subscribers_for_notification = _describe_subscribers_for_notification  # type: ignore[attr-defined]


def main() -> None:
    install()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
