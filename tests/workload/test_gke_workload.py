"""The workload on GKE (`cloud: gcp`): gcp-prod's rendered objects (schema-validated in test_schemas.py) match
its pools (spec + GCP catalog), carry GPUDirect-TCPXO on A3 Mega, and name what the GCP platform
stack creates; `gcp-prod-workload` synthesizes. No GKE cluster or provider binaries here: synth + schemas only."""
from __future__ import annotations

import copy
import json
import re

import kubernetes_validate
import pytest
import yaml

from infra.catalog_gcp import gcp_catalog
from infra.cli import main as cli_main
from infra.monitoring import JOB_LABEL, POOL_LABEL
from infra.spec import SpecError, environment_path, load_environment, parse
from infra.spec_jobs import CheckpointStore
from infra.workload import PlatformRefs, helm_releases, object_id, workload_manifests
from infra.workload.clouds import GCP_SHARED_MOUNT_PATH, gcp_trainer_account_id
from infra.workload.gpudirect import INTERFACES_ANNOTATION, TCPXO_DAEMON_IMAGE
from infra.workload.labels import cost_labels
from tests.workload.rendered import CUSTOM_GROUPS, DIGEST, k8s_version, pod_templates, rayjobs

PINNED_TAG = re.compile(r"^[a-z0-9.-]+(/[a-z0-9._-]+)+:v\d+\.\d+\.\d+$")  # Google publishes the daemons by tag only


@pytest.fixture(scope="module")
def gcp():
    return load_environment("gcp-prod")


@pytest.fixture(scope="module")
def gcp_manifests(gcp):
    return workload_manifests(gcp, PlatformRefs.placeholders(gcp))


def _worker(rayjob):
    (group,) = rayjob["spec"]["rayClusterSpec"]["workerGroupSpecs"]
    return group


def _pool(spec, name):
    return next(p for p in spec.node_pools if p.name == name)


# ------------------------------------------------------------------ pools
def test_gpu_requests_selectors_and_tolerations_match_the_pools(gcp, gcp_manifests):
    catalog = gcp_catalog()
    jobs = rayjobs(gcp_manifests)
    assert set(jobs) == {job.name for job in gcp.jobs}
    for job in gcp.jobs:
        pool = _pool(gcp, job.pool)
        mtype = catalog.get(pool.instance_type)
        group = _worker(jobs[job.name])
        assert (group["minReplicas"], group["maxReplicas"]) == (job.workers_min, job.workers_max)
        assert group["rayStartParams"]["num-gpus"] == str(job.gpus_per_worker)
        pod = group["template"]["spec"]
        assert pod["nodeSelector"] == {POOL_LABEL: pool.name}
        assert pod["tolerations"] == [
            {"key": t.key, "effect": t.effect.value,
             **({"operator": "Equal", "value": t.value} if t.value else {"operator": "Exists"})} for t in pool.taints]
        assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"} \
            in pod["tolerations"]  # the GKE GPU pools' taint (infra/constructs/gcp/node_pool.py)
        container = pod["containers"][0]
        share = 0.85 * job.gpus_per_worker / mtype.gpu_count
        for bound in ("requests", "limits"):
            res = container["resources"][bound]
            assert res["nvidia.com/gpu"] == str(job.gpus_per_worker)
            assert res["cpu"] == str(int(mtype.vcpu * share)) and res["memory"] == f"{int(mtype.memory_gib * share)}Gi"
            assert "vpc.amazonaws.com/efa" not in res
        head = jobs[job.name]["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
        assert "nvidia.com/gpu" not in head["containers"][0]["resources"]["requests"]


def test_entrypoint_prices_and_checkpoints_come_from_the_gcp_catalog(gcp, gcp_manifests):
    jobs = rayjobs(gcp_manifests)
    for job in gcp.jobs:
        mtype = gcp_catalog().get(_pool(gcp, job.pool).instance_type)
        argv = jobs[job.name]["spec"]["entrypoint"].split()
        flags = dict(zip(argv[4::2], argv[5::2]))
        assert float(flags["--gpu-hour-usd"]) == pytest.approx(mtype.on_demand_usd_per_hour / mtype.gpu_count,
                                                               rel=1e-3)
        assert flags["--run-dir"] == f"{GCP_SHARED_MOUNT_PATH}/runs/{job.name}"
        if job.checkpoint_store is CheckpointStore.gcs:
            bucket = f"{gcp.gcp.project}-{gcp.name}-checkpoints"
            assert flags["--checkpoint-uri"].startswith(f"gs://{bucket}/{gcp.storage.checkpoints.prefix}")
        else:
            assert job.checkpoint_store is CheckpointStore.filestore
            assert flags["--checkpoint-uri"] == f"{GCP_SHARED_MOUNT_PATH}/checkpoints/{job.name}"
    assert {job.checkpoint_store for job in gcp.jobs} == {CheckpointStore.gcs, CheckpointStore.filestore}


# ------------------------------------------------------------------ GPUDirect
def test_a3_mega_workers_carry_the_tcpxo_sidecar_and_gpu_nic_interfaces(gcp, gcp_manifests):
    networks = {m["metadata"]["name"]: m for m in gcp_manifests if m["kind"] == "Network"}
    params = {m["metadata"]["name"]: m for m in gcp_manifests if m["kind"] == "GKENetworkParamSet"}
    checked = 0
    for job in gcp.jobs:
        mtype = gcp_catalog().get(_pool(gcp, job.pool).instance_type)
        template = _worker(rayjobs(gcp_manifests)[job.name])["template"]
        pod, notes = template["spec"], template["metadata"]["annotations"]
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        if mtype.gpudirect != "tcpxo":
            assert "initContainers" not in pod and INTERFACES_ANNOTATION not in notes
            assert not any(k.startswith("NCCL_FASTRAK") for k in env)
            continue
        checked += 1
        (daemon,) = pod["initContainers"]
        assert daemon["name"] == "tcpxo-daemon" and daemon["restartPolicy"] == "Always"  # native sidecar
        assert daemon["image"] == TCPXO_DAEMON_IMAGE and PINNED_TAG.match(daemon["image"])
        assert f"--num_nics={mtype.gpu_nics}" in daemon["args"][0]
        interfaces = json.loads(notes[INTERFACES_ANNOTATION])
        assert notes["networking.gke.io/default-interface"] == "eth0"
        assert interfaces[0] == {"interfaceName": "eth0", "network": "default"}
        gpu_nets = [i["network"] for i in interfaces[1:]]
        assert len(gpu_nets) == mtype.gpu_nics == 8
        assert [i["interfaceName"] for i in interfaces[1:]] == [f"eth{n}" for n in range(1, 9)]
        for net in gpu_nets:  # each names a Network backed by a GKENetworkParamSet for a GPU NIC VPC
            assert networks[net]["spec"] == {"type": "Device", "parametersRef": {
                "group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": net}}
            assert params[net]["spec"] == {"vpc": net, "vpcSubnet": f"{net}-sub", "deviceMode": "NetDevice"}
        assert env["NCCL_FASTRAK_IFNAME"] == ",".join(f"eth{n}" for n in range(1, 9))
        assert env["NCCL_FASTRAK_CTRL_DEV"] == "eth0" and env["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
        assert env["NCCL_FASTRAK_LLCM_DEVICE_DIRECTORY"] == "/dev/aperture_devices"
        assert "devices.gke.io/container.tcpxo-daemon" in notes
    assert checked == 1  # gcp-prod's h100 job


def test_gpu_nic_networks_are_the_ones_the_platform_stack_creates(gcp, gcp_manifests, stacks):
    vpcs = {r["name"]: r for r in stacks["gcp-prod"]["resource"]["google_compute_network"].values()}
    subnets = {r["name"] for r in stacks["gcp-prod"]["resource"]["google_compute_subnetwork"].values()}
    params = [m for m in gcp_manifests if m["kind"] == "GKENetworkParamSet"]
    assert len(params) == max(gcp_catalog().get(p.instance_type).gpu_nics for p in gcp.node_pools)
    for obj in params:
        assert obj["spec"]["vpc"] in vpcs and vpcs[obj["spec"]["vpc"]]["mtu"] == gcp.gcp.network_mtu
        assert obj["spec"]["vpcSubnet"] in subnets


# ------------------------------------------------------------------ identity and storage
def test_workload_identity_and_filestore_match_the_platform_stack(gcp, gcp_manifests, stacks):
    platform = stacks["gcp-prod"]["resource"]
    sa = next(m for m in gcp_manifests if m["kind"] == "ServiceAccount")
    trainer = next(r for r in platform["google_service_account"].values() if r["account_id"].endswith("-trainer"))
    assert sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == \
        f"{trainer['account_id']}@{gcp.gcp.project}.iam.gserviceaccount.com"
    binding = next(r for r in platform["google_service_account_iam_member"].values()
                   if r["role"] == "roles/iam.workloadIdentityUser")
    assert binding["member"].endswith(f"[{sa['metadata']['namespace']}/{sa['metadata']['name']}]")
    bucket = next(iter(platform["google_storage_bucket"].values()))["name"]
    assert PlatformRefs.placeholders(gcp).checkpoint_bucket == bucket
    (fs,) = platform["google_filestore_instance"].values()
    pv = next(m for m in gcp_manifests if m["kind"] == "PersistentVolume")
    assert pv["spec"]["csi"]["driver"] == "filestore.csi.storage.gke.io"
    assert pv["spec"]["csi"]["volumeHandle"] == \
        f"modeInstance/{fs['location']}/{fs['name']}/{fs['file_shares']['name']}"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["capacity"]["storage"] == f"{gcp.storage.filestore.capacity_gib}Gi"


@pytest.mark.parametrize("prefix", ["trainyard-gcp-prod", "trainyard-a-very-long-environment-name"])
def test_trainer_account_id_matches_the_iam_construct(prefix):
    from infra.constructs.gcp.iam import account_id

    assert gcp_trainer_account_id(prefix) == account_id(prefix, "trainer")


# ------------------------------------------------------------------ labels, releases
def test_every_object_and_pod_carries_cost_labels(gcp, gcp_manifests):
    expected = cost_labels(gcp.cost_tags)
    for obj in gcp_manifests:
        assert expected.items() <= obj["metadata"]["labels"].items(), object_id(obj)
    for job in rayjobs(gcp_manifests).values():
        for role, template in pod_templates(job):
            assert expected.items() <= template["metadata"]["labels"].items(), role
            assert template["metadata"]["labels"][JOB_LABEL] == job["metadata"]["name"]
            for container in template["spec"]["containers"]:
                assert DIGEST.search(container["image"]), (role, container["image"])


def test_gke_helm_releases_skip_what_gke_provides(gcp):
    releases = {r.name: r for r in helm_releases(gcp, {})}
    assert set(releases) == {"kuberay-operator", "dcgm-exporter", "kube-prometheus-stack"}
    dcgm = releases["dcgm-exporter"].values
    assert dcgm["nodeSelector"] == {"trainyard.io/role": "gpu"}
    assert {"name": "nvidia-install-dir-host", "hostPath": "/home/kubernetes/bin/nvidia"} in dcgm["extraHostVolumes"]


# ------------------------------------------------------------------ the same job section on both clouds
def test_job_sections_of_prod_and_gcp_prod_differ_only_in_cloud_names():
    aws_jobs = yaml.safe_load(environment_path("prod").read_text())["jobs"]
    gcp_jobs = yaml.safe_load(environment_path("gcp-prod").read_text())["jobs"]
    assert [j["name"] for j in aws_jobs] == [j["name"] for j in gcp_jobs]
    same_kind = {"s3": "gcs", "fsx": "filestore"}  # object store / shared file system
    for a, g in zip(aws_jobs, gcp_jobs):
        assert set(a) == set(g), a["name"]
        assert same_kind[a["checkpoint_store"]] == g["checkpoint_store"]
        # Each cloud pulls from its own registry; the image is the same one: same digest.
        assert a["image"].split("@")[1] == g["image"].split("@")[1]
        rest = {k for k in a if k not in ("pool", "checkpoint_store", "image")}
        assert {k: a[k] for k in rest} == {k: g[k] for k in rest}, a["name"]
        assert a["pool"] in {p.name for p in load_environment("prod").node_pools}
        assert g["pool"] in {p.name for p in load_environment("gcp-prod").node_pools}


# ------------------------------------------------------------------ validation per cloud
def _gcp_data():
    return copy.deepcopy(yaml.safe_load(environment_path("gcp-prod").read_text()))


def _issues(data) -> dict[str, str]:
    with pytest.raises(SpecError) as exc:
        parse(data)
    return {issue.path: issue.message for issue in exc.value.issues}


def test_aws_checkpoint_store_on_gcp_is_rejected_with_the_gcp_names():
    data = _gcp_data()
    data["jobs"][0]["checkpoint_store"] = "s3"
    message = _issues(data)["jobs[0].checkpoint_store"]
    assert "'s3' is not available on gcp" in message and "'gcs'" in message and "'filestore'" in message


def test_filestore_checkpoints_need_storage_filestore():
    data = _gcp_data()
    del data["storage"]["filestore"]
    issues = _issues(data)
    assert "needs storage.filestore" in issues["jobs[1].checkpoint_store"]
    assert any("add storage.filestore" in m for m in issues.values())


def test_gcp_checkpoint_store_on_aws_is_rejected():
    data = copy.deepcopy(yaml.safe_load(environment_path("prod").read_text()))
    data["jobs"][0]["checkpoint_store"] = "gcs"
    assert "'gcs' is not available on aws" in _issues(data)["jobs[0].checkpoint_store"]


def test_default_checkpoint_store_is_the_clouds_object_store():
    data = _gcp_data()
    del data["jobs"][0]["checkpoint_store"]
    assert parse(data).jobs[0].checkpoint_store is CheckpointStore.gcs
    aws = copy.deepcopy(yaml.safe_load(environment_path("prod").read_text()))
    del aws["jobs"][0]["checkpoint_store"]
    assert parse(aws).jobs[0].checkpoint_store is CheckpointStore.s3


def test_gpus_per_worker_checked_against_the_gcp_catalog():
    data = _gcp_data()
    data["jobs"][1]["gpus_per_worker"] = 16
    assert "do not fit on one a2-ultragpu-8g node" in _issues(data)["jobs[1].gpus_per_worker"]


# ------------------------------------------------------------------ stack and CLI
def test_gcp_prod_workload_synthesizes_with_releases_and_manifests(gcp, stacks):
    stack = stacks["gcp-prod-workload"]
    assert (stack["//"]["trainyard"]["stack"], stack["//"]["trainyard"]["cloud"]) == ("workload", "gcp")
    releases = stack["resource"]["helm_release"]
    assert {f"helm-{r.name}" for r in helm_releases(gcp, {})} == set(releases)
    for release in helm_releases(gcp, {}):
        tf = releases[f"helm-{release.name}"]
        assert (tf["chart"], tf["version"], tf["repository"]) == (release.chart, release.version, release.repository)
    manifests = stack["resource"]["kubernetes_manifest"]
    rendered = workload_manifests(gcp, PlatformRefs.placeholders(gcp))
    assert set(manifests) == {object_id(m) for m in rendered}
    for m in rendered:
        tf = manifests[object_id(m)]
        if m["kind"] == "RayJob":
            assert tf["manifest"]["spec"]["rayClusterSpec"]["workerGroupSpecs"] == \
                m["spec"]["rayClusterSpec"]["workerGroupSpecs"]
        if m["apiVersion"].startswith(CUSTOM_GROUPS):  # CRDs: applied on the second deploy
            assert tf["count"] == "${var.custom_resources ? 1 : 0}"
    pv = manifests[f"persistentvolume-cluster-{gcp.resource_prefix}-filestore"]["manifest"]
    assert "data.google_filestore_instance.filestore.networks" in pv["spec"]["csi"]["volumeAttributes"]["ip"]


def test_gke_providers_come_from_the_cluster_data_sources(gcp, stacks):
    stack = stacks["gcp-prod-workload"]
    cluster = stack["data"]["google_container_cluster"]["cluster"]
    assert (cluster["name"], cluster["location"], cluster["project"]) == \
        (gcp.resource_prefix, gcp.region, gcp.gcp.project)
    assert "google_client_config" in stack["data"] and "aws" not in stack.get("provider", {})
    for conf in (stack["provider"]["kubernetes"][0], stack["provider"]["helm"][0]["kubernetes"]):
        assert conf["host"] == "https://${data.google_container_cluster.cluster.endpoint}"
        assert "data.google_client_config.client-config.access_token" in conf["token"]
        assert "master_auth[0].cluster_ca_certificate" in conf["cluster_ca_certificate"]
    assert set(stack["terraform"]["required_providers"]) == {"google", "helm", "kubernetes"}


def test_render_k8s_gcp_prod(tmp_path, gcp_manifests):
    assert cli_main(["render-k8s", "--env", "gcp-prod", "--out", str(tmp_path)]) == 0
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())
    assert index["stack"] == "gcp-prod-workload"
    assert len(index["objects"]) == len(gcp_manifests)
    assert {r["name"] for r in index["helm_releases"]} == {"kuberay-operator", "dcgm-exporter",
                                                           "kube-prometheus-stack"}
    rayjob = next(e for e in index["objects"] if e["kind"] == "RayJob" and e["name"] == "gpt-small-h100")
    doc = yaml.safe_load((tmp_path / rayjob["file"]).read_text())
    assert _worker(doc)["template"]["spec"]["initContainers"][0]["name"] == "tcpxo-daemon"


def test_a3_high_workers_carry_the_tcpx_sidecar_over_4_gpu_nics():
    data = _gcp_data()
    data["node_pools"][1]["instance_type"] = "a3-highgpu-8g"
    spec = parse(data)
    mtype = gcp_catalog().get("a3-highgpu-8g")
    manifests = workload_manifests(spec, PlatformRefs.placeholders(spec))
    template = _worker(rayjobs(manifests)["gpt-small-h100"])["template"]
    (daemon,) = template["spec"]["initContainers"]
    assert daemon["name"] == "tcpx-daemon" and daemon["restartPolicy"] == "Always" and PINNED_TAG.match(daemon["image"])
    interfaces = json.loads(template["metadata"]["annotations"][INTERFACES_ANNOTATION])
    assert len(interfaces) - 1 == mtype.gpu_nics == 4
    env = {e["name"]: e["value"] for e in template["spec"]["containers"][0]["env"]}
    assert env["NCCL_GPUDIRECTTCPX_SOCKET_IFNAME"] == "eth1,eth2,eth3,eth4"
    assert sum(1 for m in manifests if m["kind"] == "Network") == 4
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "PodTemplate",
                                  "metadata": {"name": "w", "namespace": "training"}, "template": template},
                                 k8s_version(spec), strict=True)
