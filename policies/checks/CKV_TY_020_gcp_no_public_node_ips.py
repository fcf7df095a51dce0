"""CKV_TY_020 — GKE nodes and VMs get no public IP addresses (MOD-205 §5).

A node pool must set `network_config.enable_private_nodes = true` (it then inherits nothing public even
if the cluster default changes); a Compute instance must have no `access_config` on any interface.
Egress goes through Cloud NAT.
"""
from _ty_common import blocks, truthy
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class GcpNoPublicNodeIps(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="GKE node pools and VMs have no public IPs", id="CKV_TY_020",
                         categories=[CheckCategories.NETWORKING],
                         supported_resources=["google_container_node_pool", "google_compute_instance"])

    def scan_resource_conf(self, conf):
        if self.entity_type == "google_compute_instance":
            self.evaluated_keys = ["network_interface"]
            return CheckResult.FAILED if any(blocks(nic, "access_config")
                                             for nic in blocks(conf, "network_interface")) else CheckResult.PASSED
        self.evaluated_keys = ["network_config/[0]/enable_private_nodes"]
        network = blocks(conf, "network_config")
        return CheckResult.PASSED if network and truthy(network[0].get("enable_private_nodes")) else CheckResult.FAILED


check = GcpNoPublicNodeIps()
