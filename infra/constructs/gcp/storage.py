"""GCP storage: a Filestore instance for shared datasets (the FSx counterpart) and a GCS checkpoint
bucket, both encrypted with the environment's Cloud KMS key; the bucket has uniform access, public
access prevention and versioning, and grants are scoped to a prefix with an IAM condition."""
from __future__ import annotations

from cdktf_cdktf_provider_google.filestore_instance import FilestoreInstance
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember
from constructs import Construct

from infra.constructs._policy import blocks
from infra.spec import FilestoreSpec, FilestoreTier


class CheckpointBucket(Construct):
    """Props: name (globally unique), project, location (region), kms_key_id, noncurrent_version_expiry_days,
    force_destroy (default False), labels, depends_on (the key grant to the GCS service agent)."""

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, location: str, kms_key_id: str,
                 noncurrent_version_expiry_days: int, labels: dict[str, str], force_destroy: bool = False,
                 depends_on: list | None = None):
        super().__init__(scope, id)
        self._bucket_name = name  # the literal, for IAM condition expressions (a token would not render there)
        self.bucket = StorageBucket(
            self, "bucket", name=name, project=project, location=location.upper(), storage_class="STANDARD",
            uniform_bucket_level_access=True, public_access_prevention="enforced",
            versioning={"enabled": True}, encryption={"default_kms_key_name": kms_key_id},
            lifecycle_rule=blocks([{"condition": {"days_since_noncurrent_time": noncurrent_version_expiry_days,
                                                  "with_state": "ARCHIVED"},
                                    "action": {"type": "Delete"}}]),
            force_destroy=force_destroy, labels=labels, depends_on=depends_on)

    @property
    def name(self) -> str:
        return self.bucket.name

    def grant_read_write(self, id: str, member: str, *, prefix: str) -> StorageBucketIamMember:
        """Object read/write under `prefix` only (an IAM condition; needs uniform bucket-level access)."""
        return StorageBucketIamMember(
            self, f"rw-{id}", bucket=self.bucket.name, role="roles/storage.objectUser", member=member,
            condition={"title": f"only {prefix}",
                       "description": "checkpoint objects only",
                       "expression": f'resource.name.startsWith("projects/_/buckets/{self._bucket_name}/objects/'
                                     f'{prefix}") || resource.type == "storage.googleapis.com/Bucket"'})


class SharedFileSystem(Construct):
    """Filestore for datasets. Props: name, project, spec (FilestoreSpec), zone (zonal tiers), region
    (regional tiers), network_name, kms_key_id, labels, depends_on (the key grant to the Filestore agent)."""

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, spec: FilestoreSpec, zone: str,
                 region: str, network_name: str, kms_key_id: str, labels: dict[str, str],
                 depends_on: list | None = None):
        super().__init__(scope, id)
        regional = spec.tier in (FilestoreTier.REGIONAL, FilestoreTier.ENTERPRISE)
        # BASIC tiers cannot use CMEK; the policy gate (CKV_TY_G03) fails them rather than this silently skipping.
        cmek = {} if spec.tier in (FilestoreTier.BASIC_HDD, FilestoreTier.BASIC_SSD) else {"kms_key_name": kms_key_id}
        self.instance = FilestoreInstance(
            self, "fs", name=name, project=project, location=region if regional else zone, tier=spec.tier.value,
            file_shares={"name": spec.share_name, "capacity_gb": spec.capacity_gib},
            networks=blocks([{"network": network_name, "modes": ["MODE_IPV4"], "connect_mode": "DIRECT_PEERING"}]),
            deletion_protection_enabled=True, labels=labels, depends_on=depends_on, **cmek)
