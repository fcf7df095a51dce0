"""Cloud KMS: one key ring per environment, one key per purpose, each granted only to the service
agents that encrypt with it (GKE secrets, GCS, Filestore, Pub/Sub)."""
from __future__ import annotations

from cdktf_cdktf_provider_google.kms_crypto_key import KmsCryptoKey
from cdktf_cdktf_provider_google.kms_crypto_key_iam_member import KmsCryptoKeyIamMember
from cdktf_cdktf_provider_google.kms_key_ring import KmsKeyRing
from constructs import Construct

ROTATION_PERIOD = "7776000s"  # 90 days, the same cadence as the AWS keys' automatic rotation
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


class KeyRing(Construct):
    """Props: name, project, location (the region: CMEK keys must live where the data lives)."""

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, location: str):
        super().__init__(scope, id)
        self.ring = KmsKeyRing(self, "ring", name=name, project=project, location=location)

    def key(self, id: str, *, name: str, labels: dict[str, str]) -> PlatformKey:
        return PlatformKey(self, id, name=name, key_ring_id=self.ring.id, labels=labels)


class PlatformKey(Construct):
    def __init__(self, scope: Construct, id: str, *, name: str, key_ring_id: str, labels: dict[str, str]):
        super().__init__(scope, id)
        self.key = KmsCryptoKey(self, "key", name=name, key_ring=key_ring_id, purpose="ENCRYPT_DECRYPT",
                                rotation_period=ROTATION_PERIOD, labels=labels)
        self.grants: list[KmsCryptoKeyIamMember] = []

    @property
    def id(self) -> str:  # noqa: A003 - mirrors the resource attribute
        return self.key.id

    def grant_encrypt_decrypt(self, id: str, member: str) -> KmsCryptoKeyIamMember:
        """Let one identity (usually a Google service agent) use the key; resources encrypted with it
        should depend on the returned grant, or their creation fails before IAM propagates."""
        grant = KmsCryptoKeyIamMember(self, f"grant-{id}", crypto_key_id=self.key.id, role=ENCRYPTER_DECRYPTER,
                                      member=member)
        self.grants.append(grant)
        return grant
