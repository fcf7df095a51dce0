"""Storage: KMS-encrypted, versioned, private S3 buckets and FSx for Lustre PERSISTENT_2."""
from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.fsx_data_repository_association import FsxDataRepositoryAssociation
from cdktf_cdktf_provider_aws.fsx_lustre_file_system import FsxLustreFileSystem
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from infra.constructs._policy import blocks, statement
from infra.constructs.iam import Role
from infra.spec import FsxSpec

# Lustre: 988 for the LNet service, 1018-1023 for the client-server RPC ports (FSx User Guide, "File system
# access control with Amazon VPC"). Nothing else is opened.
LUSTRE_PORT_RANGES = ((988, 988), (1018, 1023))


class SecureBucket(Construct):
    """An S3 bucket that is private (public access blocked, owner-enforced), TLS-only, versioned, encrypted
    with a customer-managed key, with noncurrent versions and abandoned uploads expired."""

    def __init__(self, scope: Construct, id: str, *, bucket_name: str, kms_key_arn: str,
                 noncurrent_version_expiry_days: int, force_destroy: bool = False, lifecycle_rules: bool = True):
        super().__init__(scope, id)
        self.kms_key_arn = kms_key_arn
        self.bucket = S3Bucket(self, "bucket", bucket=bucket_name, force_destroy=force_destroy)
        S3BucketPublicAccessBlock(self, "public-access-block", bucket=self.bucket.id, block_public_acls=True,
                                  block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketOwnershipControls(self, "ownership", bucket=self.bucket.id,
                                  rule={"object_ownership": "BucketOwnerEnforced"})
        S3BucketVersioningA(self, "versioning", bucket=self.bucket.id,
                            versioning_configuration={"status": "Enabled"})
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=self.bucket.id,
            rule=blocks([{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                      "kms_master_key_id": kms_key_arn},
                          "bucket_key_enabled": True}]))
        if lifecycle_rules:
            S3BucketLifecycleConfiguration(
                self, "lifecycle", bucket=self.bucket.id,
                rule=blocks([{"id": "expire-noncurrent", "status": "Enabled", "filter": [{}],
                              "noncurrent_version_expiration": [{"noncurrent_days": noncurrent_version_expiry_days}],
                              "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}]}]))
        S3BucketPolicy(self, "tls-only", bucket=self.bucket.id, policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket

    def grant_read_write(self, role: Role, *, prefix: str = "") -> None:
        """Let `role` list, read, write and delete objects under `prefix` only, and use the bucket's key."""
        prefix = prefix.lstrip("/")
        objects = f"{self.bucket.arn}/{prefix}*"
        role.add_statements(
            f"{self.node.id}-read-write",
            statement("ListPrefix", ["s3:ListBucket"], [self.bucket.arn],
                      condition={"StringLike": {"s3:prefix": [f"{prefix}*"]}} if prefix else None),
            statement("ObjectsUnderPrefix", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                             "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], [objects]),
            statement("UseBucketKey", ["kms:Decrypt", "kms:GenerateDataKey"], [self.kms_key_arn]),
        )


class LustreFileSystem(Construct):
    """FSx for Lustre PERSISTENT_2 in one private subnet, reachable only on the Lustre ports from the given
    client security groups, optionally linked to an S3 prefix by a data repository association."""

    def __init__(self, scope: Construct, id: str, *, name: str, spec: FsxSpec, vpc_id: str, subnet_id: str,
                 client_security_group_ids: list[str], kms_key_arn: str, data_repository_bucket: str | None,
                 data_repository_associations: bool = True):
        super().__init__(scope, id)
        rules = []
        for low, high in LUSTRE_PORT_RANGES:
            rules.append({"description": f"Lustre {low}-{high} from file system members", "from_port": low,
                          "to_port": high, "protocol": "tcp", "self_attribute": True})
            rules.append({"description": f"Lustre {low}-{high} from cluster nodes", "from_port": low,
                          "to_port": high, "protocol": "tcp", "security_groups": client_security_group_ids})
        self.security_group = SecurityGroup(
            self, "sg", name=f"{name}-fsx", vpc_id=vpc_id, description="FSx for Lustre: Lustre ports only",
            ingress=blocks(rules), egress=blocks(rules),
            tags={"Name": f"{name}-fsx", "trainyard.io/sg-role": "fsx"})
        self.file_system = FsxLustreFileSystem(
            self, "fs", deployment_type=spec.deployment_type, storage_capacity=spec.size_gib,
            per_unit_storage_throughput=int(spec.throughput_mbps_per_tib), storage_type="SSD",
            subnet_ids=[subnet_id], security_group_ids=[self.security_group.id], kms_key_id=kms_key_arn,
            data_compression_type="LZ4", file_system_type_version="2.15",
            tags={"Name": name})
        if data_repository_bucket and data_repository_associations:
            FsxDataRepositoryAssociation(
                self, "s3-link", file_system_id=self.file_system.id,
                data_repository_path=f"s3://{data_repository_bucket}{spec.data_repository_path}",
                file_system_path=spec.data_repository_path, batch_import_meta_data_on_create=True,
                s3={"auto_import_policy": {"events": ["NEW", "CHANGED", "DELETED"]},
                    "auto_export_policy": {"events": ["NEW", "CHANGED", "DELETED"]}})

    @property
    def id(self) -> str:  # noqa: A003
        return self.file_system.id
