"""WorkloadStack (`<env>-workload`): Helm releases and Kubernetes objects on the environment's EKS or GKE cluster.

The helm and kubernetes providers are configured from the cluster by name, selected by the spec's cloud:
on AWS through the AWS provider's `aws_eks_cluster` / `aws_eks_cluster_auth` data sources, on GCP through the
google provider's `google_container_cluster` (endpoint, CA) and `google_client_config` (the caller's OAuth
access token), so this stack holds no credentials. Every object
is the dict from `infra.workload.render.workload_manifests()` — the same one `trainyard render-k8s` writes —
wrapped in a `kubernetes_manifest`.

Deploy order inside the stack: namespaces → Helm releases (they install the CRDs) → everything else.
`kubernetes_manifest` needs a custom resource's CRD at *plan* time, so on a fresh cluster deploy once with
`custom_resources=false` (the RayJobs, PrometheusRule and monitors are left out), then again with the
default `true`; see docs/deploy.md. No helm/kubernetes provider binaries exist in the authoring sandbox,
so this stack is checked by synth assertions and schema validation (tests/workload), not `terraform validate`.
"""
from __future__ import annotations

import yaml
from cdktf import Fn, TerraformStack, TerraformVariable, Token
from cdktf_cdktf_provider_aws.data_aws_eks_cluster import DataAwsEksCluster
from cdktf_cdktf_provider_aws.data_aws_eks_cluster_auth import DataAwsEksClusterAuth
from cdktf_cdktf_provider_aws.data_aws_iam_role import DataAwsIamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_helm.provider import HelmProvider
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.manifest import Manifest as KubernetesManifest
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider
from constructs import Construct

from infra.spec import EnvironmentSpec
from infra.workload.clouds import PlatformRefs, has_workload  # noqa: F401 - stacks/main.py imports it from here
from infra.workload.labels import cost_labels
from infra.workload.releases import helm_releases
from infra.workload.render import object_id, workload_manifests

# The bindings pin exact provider versions (helm 10.5.0 → 2.17.0, kubernetes 11.12.1 → 2.37.1); any 2.x from
# there on reads the same configuration, so relax them like stacks/platform_stack.py does for aws.
PROVIDER_CONSTRAINTS = {"aws": ">= 5.99.1, < 6.0.0", "helm": ">= 2.17.0, < 3.0.0",
                        "kubernetes": ">= 2.37.1, < 3.0.0"}
GOOGLE_PROVIDER_CONSTRAINT = ">= 6.38.0, < 7.0.0"  # as stacks/gcp_platform_stack.py
CORE_API_GROUPS = ("v1", "policy/v1", "scheduling.k8s.io/v1")  # built in: no CRD needed at plan time
CUSTOM_RESOURCES_VARIABLE = "custom_resources"


def aws_platform_refs(scope: Construct, spec: EnvironmentSpec, platform: Construct | None) -> PlatformRefs:
    """References to what the platform stack created. The FSx ids come through a cross-stack reference
    (the AWS provider has no FSx for Lustre data source); the role by its name."""
    prefix = spec.resource_prefix
    role = DataAwsIamRole(scope, "trainer-role", name=f"{prefix}-trainer")
    shared_fs: dict[str, str] = {}
    fsx = platform.node.try_find_child("fsx") if platform is not None else None
    if spec.storage.fsx is not None and fsx is not None:
        fs = fsx.file_system  # type: ignore[attr-defined]
        shared_fs = {"file_system_id": fs.id, "dns_name": fs.dns_name, "mount_name": fs.mount_name}
    elif spec.storage.fsx is not None:
        shared_fs = PlatformRefs.placeholders(spec).shared_fs
    return PlatformRefs(cluster_name=prefix, trainer_role_arn=role.arn, shared_fs=shared_fs,
                        checkpoint_bucket=f"{prefix}-checkpoints")


def _eks_endpoint(stack: TerraformStack, spec: EnvironmentSpec,
                  platform: Construct | None) -> tuple[PlatformRefs, dict[str, str]]:
    AwsProvider(stack, "aws", region=spec.region, default_tags=[{"tags": dict(spec.cost_tags)}])
    refs = aws_platform_refs(stack, spec, platform)
    cluster = DataAwsEksCluster(stack, "cluster", name=refs.cluster_name)
    auth = DataAwsEksClusterAuth(stack, "cluster-auth", name=refs.cluster_name)
    return refs, {"host": cluster.endpoint,
                  "cluster_ca_certificate": Fn.base64decode(cluster.certificate_authority.get(0).data),
                  "token": auth.token}


def _gke_endpoint(stack: TerraformStack, spec: EnvironmentSpec) -> tuple[PlatformRefs, dict[str, str]]:
    # Imported only for GCP environments: the google bindings take ~10-20 s to load.
    from cdktf_cdktf_provider_google.data_google_client_config import DataGoogleClientConfig
    from cdktf_cdktf_provider_google.data_google_container_cluster import DataGoogleContainerCluster
    from cdktf_cdktf_provider_google.data_google_filestore_instance import DataGoogleFilestoreInstance
    from cdktf_cdktf_provider_google.provider import GoogleProvider

    from infra.workload.clouds import gcp_filestore_location, gcp_platform_refs

    assert spec.gcp is not None, "the spec validator requires a gcp block with cloud: gcp"
    project = spec.gcp.project
    GoogleProvider(stack, "google", project=project, region=spec.region)
    # The platform stack's names are literals derived from the spec; only the Filestore IP needs a lookup.
    ip = "FILESTORE_IP"
    if spec.storage.filestore is not None:
        name = gcp_platform_refs(spec, filestore_ip="").shared_fs["instance"]
        fs = DataGoogleFilestoreInstance(stack, "filestore", name=name, project=project,
                                         location=gcp_filestore_location(spec))
        ip = Fn.element(fs.networks.get(0).ip_addresses, 0)
    refs = gcp_platform_refs(spec, filestore_ip=ip)
    # The regional cluster (GkeCluster: location = region); with a private endpoint, `endpoint` is the
    # private one, reachable from master_authorized_networks (where `cdktf deploy` runs).
    cluster = DataGoogleContainerCluster(stack, "cluster", name=refs.cluster_name, location=spec.region,
                                         project=project)
    client = DataGoogleClientConfig(stack, "client-config")
    return refs, {"host": f"https://{cluster.endpoint}",
                  "cluster_ca_certificate": Fn.base64decode(cluster.master_auth.get(0).cluster_ca_certificate),
                  "token": client.access_token}


class WorkloadStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, spec: EnvironmentSpec, platform: Construct | None = None):
        super().__init__(scope, id)
        gke = getattr(spec.cloud, "value", spec.cloud) == "gcp"
        refs, endpoint = _gke_endpoint(self, spec) if gke else _eks_endpoint(self, spec, platform)
        KubernetesProvider(self, "kubernetes", **endpoint)
        HelmProvider(self, "helm", kubernetes=endpoint)
        constraints = dict(PROVIDER_CONSTRAINTS)
        if gke:
            del constraints["aws"]
            constraints["google"] = GOOGLE_PROVIDER_CONSTRAINT
        for name, constraint in constraints.items():
            self.add_override(f"terraform.required_providers.{name}.version", constraint)

        custom = TerraformVariable(self, CUSTOM_RESOURCES_VARIABLE, type="bool", default=True,
                                   description="false on the first deploy to a fresh cluster: CRDs come from the "
                                               "Helm releases, and kubernetes_manifest needs them at plan time")
        manifests = workload_manifests(spec, refs)
        namespaces = [KubernetesManifest(self, object_id(m), manifest=m) for m in manifests if m["kind"] == "Namespace"]
        self.releases = []
        for release in helm_releases(spec, cost_labels(spec.cost_tags)):
            self.releases.append(Release(
                self, f"helm-{release.name}", name=release.name, chart=release.chart, repository=release.repository,
                version=release.version, namespace=release.namespace, create_namespace=False,
                values=[yaml.safe_dump(release.values, sort_keys=True)], atomic=True, timeout=900,
                depends_on=namespaces))
        self.manifests = list(namespaces)
        for m in manifests:
            if m["kind"] == "Namespace":
                continue
            extra = {}
            if m["apiVersion"] not in CORE_API_GROUPS:
                extra["count"] = Token.as_number(Fn.conditional(custom.boolean_value, 1, 0))
            self.manifests.append(KubernetesManifest(self, object_id(m), manifest=m, depends_on=self.releases,
                                                     **extra))
        self.add_override("//.trainyard", {
            "environment": spec.name, "stack": "workload", "emulated": spec.emulated,
            "cloud": "gcp" if gke else "aws",
            "helm_releases": [{"name": r.name, "chart": r.chart, "version": r.version, "namespace": r.namespace}
                              for r in helm_releases(spec, {})],
            "jobs": [job.name for job in spec.jobs],
        })

