"""CKV_TY_000 — every resource reached the scanner.

Not a MOD-205 control: the gate compares the addresses this check reports with the
resources in the file, so a parser that silently drops resources (or a whole file)
fails the gate instead of passing it.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class ScanCoverage(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Resource was parsed by the policy scanner", id="CKV_TY_000",
                         categories=[CheckCategories.GENERAL_SECURITY], supported_resources=["*"])

    def scan_resource_conf(self, conf):
        return CheckResult.PASSED


check = ScanCoverage()
