"""gcp-prod synthesizes to a GKE platform whose JSON shows what the issue asks for. The google provider
binary is not available here, so `terraform validate` cannot run on this stack: these assertions on the
synthesized JSON are the check (docs/gcp.md)."""
from __future__ import annotations

import pytest

from infra.spec import GCP_REQUIRED_LABELS

# Resource type → where its GCP labels live. Every labelable type the stack uses must be listed here; the
# test below fails on a labelable type that is missing from the map, not only on a missing label.
LABEL_ATTRS = {
    "google_container_cluster": ("resource_labels",),
    "google_container_node_pool": ("node_config", "resource_labels"),
    "google_storage_bucket": ("labels",),
    "google_filestore_instance": ("labels",),
    "google_kms_crypto_key": ("labels",),
    "google_pubsub_topic": ("labels",),
    "google_monitoring_notification_channel": ("user_labels",),
}
# Types that have no labels in the Google API (networks, IAM bindings, the budget itself, ...).
UNLABELABLE = {
    "google_compute_network", "google_compute_subnetwork", "google_compute_firewall", "google_compute_router",
    "google_compute_router_nat", "google_project_service", "google_project_iam_member", "google_service_account",
    "google_service_account_iam_member", "google_kms_key_ring", "google_kms_crypto_key_iam_member",
    "google_storage_bucket_iam_member", "google_pubsub_topic_iam_member", "google_billing_budget",
}


@pytest.fixture(scope="module")
def gcp(stacks: dict[str, dict]) -> dict:
    return stacks["gcp-prod"]


def res(stack: dict, rtype: str) -> dict[str, dict]:
    return stack["resource"].get(rtype, {})


def ref(rtype: str, name: str, attr: str = "id") -> str:
    return f"${{{rtype}.{name}.{attr}}}"


def gpu_pools(stack: dict) -> dict[str, dict]:
    return {n: p for n, p in res(stack, "google_container_node_pool").items()
            if p["node_config"]["labels"].get("trainyard.io/role") == "gpu"}


def test_only_google_resources_and_a_pinned_provider(gcp: dict) -> None:
    assert all(t.startswith("google_") for t in gcp["resource"])
    assert gcp["terraform"]["required_providers"]["google"]["version"].startswith(">= 6.38.0")
    assert gcp["//"]["trainyard"]["cloud"] == "gcp"


def test_gpu_nic_networks_have_mtu_8244_subnet_and_intra_vpc_firewall(gcp: dict) -> None:
    nets = {n: v for n, v in res(gcp, "google_compute_network").items() if "gpunic" in v["name"]}
    assert len(nets) == 8  # A3 Mega: 8 GPU NICs, one VPC each
    assert {v["mtu"] for v in nets.values()} == {8244}
    subnets = [s for s in res(gcp, "google_compute_subnetwork").values() if "gpunic" in s["name"]]
    assert sorted(s["network"] for s in subnets) == sorted(ref("google_compute_network", n) for n in nets)
    cidrs = {s["ip_cidr_range"] for s in subnets}
    assert len(cidrs) == 8
    for fw in res(gcp, "google_compute_firewall").values():
        assert fw["direction"] == "INGRESS" and fw["source_ranges"][0] in cidrs and len(fw["source_ranges"]) == 1
    h100 = [p for p in gpu_pools(gcp).values() if p["node_config"]["machine_type"] == "a3-megagpu-8g"]
    assert len(h100) == 2
    for pool in h100:
        assert len(pool["network_config"]["additional_node_network_configs"]) == 8
        assert pool["node_config"]["gvnic"] == {"enabled": True}
        assert pool["node_config"]["labels"]["trainyard.io/gpudirect"] == "tcpxo"


def test_one_compact_pool_per_pool_and_zone_with_aws_labels_and_taints(gcp: dict, stacks: dict) -> None:
    pools = gpu_pools(gcp)
    placed = {(p["node_config"]["labels"]["trainyard.io/pool"], tuple(p["node_locations"])) for p in pools.values()}
    assert placed == {(pool, (zone,)) for pool in ("a100", "h100") for zone in ("us-central1-a", "us-central1-c")}
    aws_group = next(iter(res(stacks["prod"], "aws_eks_node_group").values()))
    for pool in pools.values():
        assert pool["placement_policy"] == {"type": "COMPACT"}
        assert pool["autoscaling"]["min_node_count"] == 0 and pool["autoscaling"]["max_node_count"] == 2
        config = pool["node_config"]
        assert set(aws_group["labels"]) <= set(config["labels"])  # same selectors as the AWS pools
        assert config["taint"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
        (accel,) = config["guest_accelerator"]
        assert accel["gpu_driver_installation_config"] == {"gpu_driver_version": "LATEST"}
        assert config["reservation_affinity"]["consume_reservation_type"] == "ANY_RESERVATION"
        assert config["workload_metadata_config"] == {"mode": "GKE_METADATA"}
        assert pool["network_config"]["enable_private_nodes"] is True


def test_private_cluster_with_workload_identity_and_kms_secrets(gcp: dict) -> None:
    (name, cluster), = res(gcp, "google_container_cluster").items()
    private = cluster["private_cluster_config"]
    assert private["enable_private_nodes"] is True and private["enable_private_endpoint"] is True
    assert [b["cidr_block"] for b in cluster["master_authorized_networks_config"]["cidr_blocks"]] == ["10.100.0.0/16"]
    assert cluster["workload_identity_config"] == {"workload_pool": "acme-trainyard-prod.svc.id.goog"}
    assert cluster["enable_shielded_nodes"] is True and cluster["datapath_provider"] == "ADVANCED_DATAPATH"
    assert cluster["release_channel"] == {"channel": "REGULAR"}
    assert cluster["database_encryption"]["state"] == "ENCRYPTED"
    assert cluster["database_encryption"]["key_name"].startswith("${google_kms_crypto_key.")
    (binding,) = res(gcp, "google_service_account_iam_member").values()
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == "serviceAccount:acme-trainyard-prod.svc.id.goog[training/trainer]"


def test_storage_is_cmek_encrypted_and_the_bucket_is_private(gcp: dict) -> None:
    (bucket,) = res(gcp, "google_storage_bucket").values()
    assert bucket["encryption"]["default_kms_key_name"].startswith("${google_kms_crypto_key.")
    assert bucket["uniform_bucket_level_access"] is True and bucket["public_access_prevention"] == "enforced"
    assert bucket["versioning"] == {"enabled": True}
    (fs,) = res(gcp, "google_filestore_instance").values()
    assert fs["kms_key_name"].startswith("${google_kms_crypto_key.") and fs["tier"] == "ZONAL"
    for pool in res(gcp, "google_container_node_pool").values():
        assert pool["node_config"]["boot_disk_kms_key"].startswith("${google_kms_crypto_key.")
    (grant,) = res(gcp, "google_storage_bucket_iam_member").values()
    assert "objects/checkpoints/" in grant["condition"]["expression"]  # the trainer gets its prefix only


def test_labels_on_every_labelable_resource(gcp: dict) -> None:
    unknown = set(gcp["resource"]) - set(LABEL_ATTRS) - UNLABELABLE
    assert not unknown, f"classify these types in LABEL_ATTRS or UNLABELABLE: {unknown}"
    missing = []
    for rtype, path in LABEL_ATTRS.items():
        for name, conf in res(gcp, rtype).items():
            labels = conf
            for key in path:
                labels = labels.get(key, {})
            if not all(labels.get(k) for k in GCP_REQUIRED_LABELS):
                missing.append(f"{rtype}.{name}")
    assert not missing


def test_billing_budget_with_thresholds_and_pubsub(gcp: dict) -> None:
    (budget,) = res(gcp, "google_billing_budget").values()
    assert budget["amount"]["specified_amount"] == {"currency_code": "USD", "units": "400000"}
    assert [r["threshold_percent"] for r in budget["threshold_rules"]][:3] == [0.5, 0.8, 1.0]
    (topic_name, topic), = res(gcp, "google_pubsub_topic").items()
    assert budget["all_updates_rule"]["pubsub_topic"] == ref("google_pubsub_topic", topic_name)
    assert topic["kms_key_name"].startswith("${google_kms_crypto_key.")
    assert len(budget["all_updates_rule"]["monitoring_notification_channels"]) == 2
