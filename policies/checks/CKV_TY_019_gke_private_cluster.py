"""CKV_TY_019 — the GKE cluster is private (MOD-205 §3).

Private nodes are required; the control plane must have a private endpoint, or a public one
restricted by master authorized networks that list CIDRs, none of them /0 — the counterpart of
CKV_TY_008 for EKS. An omitted block is GKE's public default and fails.
"""
from _ty_common import OPEN_CIDRS, blocks, one, truthy
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class GkePrivateCluster(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="GKE cluster has private nodes and a private or allow-listed endpoint",
                         id="CKV_TY_019", categories=[CheckCategories.NETWORKING],
                         supported_resources=["google_container_cluster"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["private_cluster_config", "master_authorized_networks_config"]
        private = blocks(conf, "private_cluster_config")
        if not private or not truthy(private[0].get("enable_private_nodes")):
            return CheckResult.FAILED
        cidrs = [one(c.get("cidr_block")) for m in blocks(conf, "master_authorized_networks_config")
                 for c in blocks(m, "cidr_blocks")]
        if any(c in OPEN_CIDRS for c in cidrs):
            return CheckResult.FAILED
        if truthy(private[0].get("enable_private_endpoint")) or cidrs:
            return CheckResult.PASSED
        return CheckResult.FAILED


check = GkePrivateCluster()
