"""CKV_TY_009 — EKS control-plane logging covers api, audit and authenticator (MOD-205 §3).

Those three answer "who did what to the cluster"; scheduler/controllerManager logs are
optional (noisy and costly), so they are not required.
"""
from _ty_common import many
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

REQUIRED_LOG_TYPES = ("api", "audit", "authenticator")


class EksControlPlaneLogging(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="EKS control-plane logging enables api, audit and authenticator", id="CKV_TY_009",
                         categories=[CheckCategories.LOGGING], supported_resources=["aws_eks_cluster"])

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["enabled_cluster_log_types"]
        enabled = {str(t) for t in many(conf.get("enabled_cluster_log_types"))}
        return CheckResult.PASSED if set(REQUIRED_LOG_TYPES) <= enabled else CheckResult.FAILED


check = EksControlPlaneLogging()
