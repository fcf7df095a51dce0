"""Service accounts, one per role, each with only the roles that role needs; Workload Identity
binds the trainer's Kubernetes service account to its Google service account (the IRSA counterpart)."""
from __future__ import annotations

import hashlib

from cdktf_cdktf_provider_google.project_iam_member import ProjectIamMember
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.service_account_iam_member import ServiceAccountIamMember
from constructs import Construct

# GKE's hardening guide: a node service account needs logging, monitoring and image pulls, nothing more
# (the Compute Engine default account has Editor on the whole project).
NODE_ROLES = ("roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer",
              "roles/stackdriver.resourceMetadata.writer", "roles/artifactregistry.reader")


def account_id(prefix: str, role: str) -> str:
    """A service account id (6-30 chars) that stays unique when a long prefix has to be shortened."""
    full = f"{prefix}-{role}"
    if len(full) <= 30:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:6]
    return f"{prefix[:30 - len(role) - 8]}-{digest}-{role}"


class RoleAccount(Construct):
    """A service account for one role. Props: prefix, role, project, project_roles (granted project-wide)."""

    def __init__(self, scope: Construct, id: str, *, prefix: str, role: str, project: str,
                 project_roles: tuple[str, ...] = ()):
        super().__init__(scope, id)
        self.project = project
        self.account = ServiceAccount(self, "sa", account_id=account_id(prefix, role), project=project,
                                      display_name=f"{prefix}: {role}")
        for i, project_role in enumerate(project_roles):
            ProjectIamMember(self, f"role-{i}", project=project, role=project_role, member=self.member)

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.account.email}"

    def grant_workload_identity(self, *, namespace: str, service_account: str) -> ServiceAccountIamMember:
        """Let pods running as `namespace/service_account` act as this account (and only those pods)."""
        return ServiceAccountIamMember(
            self, "workload-identity", service_account_id=self.account.name, role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{self.project}.svc.id.goog[{namespace}/{service_account}]")


def grant_cluster_admins(scope: Construct, id: str, *, project: str, members: list[str]) -> None:
    for i, member in enumerate(members):
        ProjectIamMember(scope, f"{id}-{i}", project=project, role="roles/container.admin", member=member)
