"""CKV_TY_021 — labelable GCP resources carry the required cost labels (MOD-205 §12).

The GCP counterpart of TY_STACK_005. GCP has no default labels that reach every API (billing
export only sees labels on the resource), so each resource must carry project, environment,
cost-center and owner itself; node pools carry them as node_config.resource_labels (they land
on the VMs and disks).
"""
from _ty_common import blocks, one
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

REQUIRED = ("project", "environment", "cost-center", "owner")  # infra.spec.GCP_REQUIRED_LABELS
LABEL_ATTR = {
    "google_container_cluster": "resource_labels",
    "google_storage_bucket": "labels",
    "google_filestore_instance": "labels",
    "google_kms_crypto_key": "labels",
    "google_pubsub_topic": "labels",
    "google_monitoring_notification_channel": "user_labels",
    "google_compute_instance": "labels",
    "google_compute_disk": "labels",
}


def _labels(value) -> dict:
    value = one(value)
    return {str(k): one(v) for k, v in value.items()} if isinstance(value, dict) else {}


class GcpCostLabels(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="GCP resources carry the required cost labels", id="CKV_TY_021",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=[*LABEL_ATTR, "google_container_node_pool"])

    def scan_resource_conf(self, conf):
        if self.entity_type == "google_container_node_pool":
            configs = blocks(conf, "node_config")
            labels = _labels(configs[0].get("resource_labels")) if configs else {}
            self.evaluated_keys = ["node_config/[0]/resource_labels"]
        else:
            attr = LABEL_ATTR[self.entity_type]
            labels = _labels(conf.get(attr))
            self.evaluated_keys = [attr]
        return CheckResult.PASSED if all(labels.get(k) for k in REQUIRED) else CheckResult.FAILED


check = GcpCostLabels()
