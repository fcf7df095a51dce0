"""The workload of an environment: the Kubernetes side of trainyard, built from the same spec.

Pure functions return plain dicts (no cdktf): `render.workload_manifests()` for every object,
`releases.helm_releases()` for the Helm charts. `stack.WorkloadStack` wraps them in Terraform
(`<env>-workload`); `trainyard render-k8s` writes the same dicts to YAML. Cloud-specific parts
(device resources, shared volume, workload identity) come from `clouds.profile_for(spec)`.
"""
from infra.workload.clouds import PlatformRefs, profile_for
from infra.workload.releases import HelmRelease, helm_releases
from infra.workload.render import object_id, workload_manifests

__all__ = ["HelmRelease", "PlatformRefs", "helm_releases", "object_id", "profile_for", "workload_manifests"]
