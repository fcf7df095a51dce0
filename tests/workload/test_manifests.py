"""Rendered workload objects (schema-validated in test_schemas.py) match prod's pools.
Expectations come from the spec and the catalog, never from constants."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from infra.catalog import aws_catalog
from infra.cli import main as cli_main
from infra.monitoring import JOB_LABEL, POOL_LABEL
from infra.spec_jobs import TRAINER_MODELS, CheckpointStore
from infra.workload import helm_releases, object_id
from infra.workload.labels import cost_labels
from tests.workload.rendered import DIGEST, pod_templates, rayjobs


def test_gpu_efa_requests_selectors_and_tolerations_match_the_pools(prod, prod_manifests):
    catalog = aws_catalog()
    jobs = rayjobs(prod_manifests)
    assert set(jobs) == {job.name for job in prod.jobs}
    for job in prod.jobs:
        pool = next(p for p in prod.node_pools if p.name == job.pool)
        itype = catalog.get(pool.instance_type)
        groups = jobs[job.name]["spec"]["rayClusterSpec"]["workerGroupSpecs"]
        assert len(groups) == 1
        group = groups[0]
        assert (group["minReplicas"], group["maxReplicas"]) == (job.workers_min, job.workers_max)
        assert group["rayStartParams"]["num-gpus"] == str(job.gpus_per_worker)
        pod = group["template"]["spec"]
        assert pod["nodeSelector"] == {POOL_LABEL: pool.name}
        expected_tolerations = [{"key": t.key, "effect": t.effect.value,
                                 **({"operator": "Equal", "value": t.value} if t.value else {"operator": "Exists"})}
                                for t in pool.taints]
        assert pod["tolerations"] == expected_tolerations
        container = pod["containers"][0]
        for bound in ("requests", "limits"):
            res = container["resources"][bound]
            assert res["nvidia.com/gpu"] == str(job.gpus_per_worker)
            if pool.use_efa:  # a whole-node worker gets every EFA interface of the node, a partial one its share
                share = itype.efa_interface_count * job.gpus_per_worker // itype.gpu_count
                assert res["vpc.amazonaws.com/efa"] == str(max(1, share))
                if job.gpus_per_worker == itype.gpu_count:
                    assert res["vpc.amazonaws.com/efa"] == str(itype.efa_interface_count)
            else:
                assert "vpc.amazonaws.com/efa" not in res
        assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in container["ports"]
        head = jobs[job.name]["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
        assert "nvidia.com/gpu" not in head["containers"][0]["resources"]["requests"]


def test_entrypoint_flags_come_from_the_job_and_catalog(prod, prod_manifests):
    jobs = rayjobs(prod_manifests)
    for job in prod.jobs:
        pool = next(p for p in prod.node_pools if p.name == job.pool)
        itype = aws_catalog().get(pool.instance_type)
        argv = jobs[job.name]["spec"]["entrypoint"].split()
        flags = dict(zip(argv[4::2], argv[5::2]))
        assert argv[:4] == ["python", "-m", "trainer", "train"]
        assert flags["--metrics-host"] == "0.0.0.0" and flags["--metrics-port"] == "9464"
        assert float(flags["--budget-usd"]) == job.budget_usd
        assert float(flags["--gpu-hour-usd"]) == pytest.approx(itype.on_demand_usd_per_hour / itype.gpu_count, rel=1e-3)
        lo, hi = (int(x) for x in flags["--workers"].split(":"))
        assert (lo, hi) == (job.workers_min * job.gpus_per_worker, job.workers_max * job.gpus_per_worker)
        assert flags["--model"] == job.model and flags["--max-steps"] == str(job.max_steps)
        if job.checkpoint_store is CheckpointStore.s3:
            bucket = f"{prod.resource_prefix}-checkpoints"
            assert flags["--checkpoint-uri"].startswith(f"s3://{bucket}/{prod.storage.checkpoints.prefix}")
        else:
            assert flags["--checkpoint-uri"].startswith("/fsx/")


def test_every_object_and_pod_carries_cost_labels(prod, prod_manifests):
    expected = cost_labels(prod.cost_tags)
    assert {k for k in expected if k.startswith("trainyard.io/cost-")} == \
        {f"trainyard.io/cost-{k.lower()}" for k in prod.cost_tags}
    for obj in prod_manifests:
        labels = obj["metadata"]["labels"]
        assert expected.items() <= labels.items(), object_id(obj)
    for job in rayjobs(prod_manifests).values():
        for role, template in pod_templates(job):
            labels = template["metadata"]["labels"]
            assert expected.items() <= labels.items(), role
            assert labels[JOB_LABEL] == job["metadata"]["name"]


def test_pdb_priority_class_and_digest_pinned_images(prod, prod_manifests):
    by_kind: dict[str, dict] = {}
    for obj in prod_manifests:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    for job in prod.jobs:
        pdb = by_kind["PodDisruptionBudget"][job.name]
        assert pdb["spec"]["selector"]["matchLabels"] == {JOB_LABEL: job.name}
        assert pdb["spec"]["maxUnavailable"] == 0
        pc = by_kind["PriorityClass"][f"{prod.resource_prefix}-{job.name}"]
        assert pc["value"] == job.priority
        for role, template in pod_templates(rayjobs(prod_manifests)[job.name]):
            assert template["spec"]["priorityClassName"] == pc["metadata"]["name"]
            assert template["spec"]["serviceAccountName"] == prod.iam.trainer_service_account
            for container in template["spec"]["containers"]:
                assert DIGEST.search(container["image"]), (role, container["image"])


def test_service_account_irsa_and_fsx_volume(prod, prod_manifests):
    sa = next(m for m in prod_manifests if m["kind"] == "ServiceAccount")
    assert sa["metadata"]["namespace"] == prod.iam.trainer_namespace
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == \
        f"arn:aws:iam::444455556666:role/{prod.resource_prefix}-trainer"
    pv = next(m for m in prod_manifests if m["kind"] == "PersistentVolume")
    assert pv["spec"]["csi"]["driver"] == "fsx.csi.aws.com"
    assert pv["spec"]["capacity"]["storage"] == f"{prod.storage.fsx.size_gib}Gi"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"


def test_monitoring_objects_are_included(prod_manifests):
    kinds = {m["kind"] for m in prod_manifests}
    assert {"PrometheusRule", "ServiceMonitor", "PodMonitor"} <= kinds
    assert any(m["kind"] == "ConfigMap" and m["metadata"]["labels"].get("grafana_dashboard") == "1"
               for m in prod_manifests)


def test_helm_releases_pinned_and_conditional(prod):
    releases = {r.name: r for r in helm_releases(prod, {})}
    assert {"kuberay-operator", "nvidia-device-plugin", "dcgm-exporter", "kube-prometheus-stack"} <= set(releases)
    assert ("aws-efa-k8s-device-plugin" in releases) == any(p.use_efa for p in prod.node_pools)
    assert ("aws-fsx-csi-driver" in releases) == (prod.storage.fsx is not None)
    for r in releases.values():
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", r.version), r
        assert r.repository.startswith("https://")
    ksm = releases["kube-prometheus-stack"].values["kube-state-metrics"]["metricLabelsAllowlist"]
    assert any("trainyard.io/pool" in entry for entry in ksm)


def test_trainer_models_match_the_trainer():
    # infra must not import the trainer; compare the source text instead.
    import ast

    tree = ast.parse((Path(__file__).resolve().parents[2] / "trainer" / "config.py").read_text())
    models = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                  and any(getattr(t, "id", None) == "MODELS" for t in node.targets))
    assert tuple(models) == TRAINER_MODELS


def test_render_k8s_writes_one_file_per_object(tmp_path, prod, prod_manifests, capsys):
    assert cli_main(["render-k8s", "--env", "prod", "--out", str(tmp_path), "--account-id", "444455556666"]) == 0
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())
    assert len(index["objects"]) == len(prod_manifests)
    files = sorted(p.name for p in tmp_path.glob("[0-9][0-9]-*.yaml"))
    assert files == sorted(o["file"] for o in index["objects"])
    for entry in index["objects"]:
        doc = yaml.safe_load((tmp_path / entry["file"]).read_text())
        assert (doc["kind"], doc["metadata"]["name"]) == (entry["kind"], entry["name"])
    assert "&id" not in (tmp_path / files[0]).read_text()


@pytest.mark.parametrize("argv, needle", [
    (["--env", "nope"], "file not found"),
    (["--env", "local"], "has no workload stack"),
])
def test_render_k8s_bad_input_exits_2(tmp_path, capsys, argv, needle):
    assert cli_main(["render-k8s", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_workers_sharing_a_node_split_its_efa_interfaces(prod):
    import copy

    from infra.spec import environment_path, parse
    from infra.workload import PlatformRefs, workload_manifests

    data = yaml.safe_load(environment_path("prod").read_text())
    data = copy.deepcopy(data)
    job = data["jobs"][1]
    pool = next(p for p in prod.node_pools if p.name == job["pool"])
    itype = aws_catalog().get(pool.instance_type)
    job["gpus_per_worker"] = itype.gpu_count // 2
    spec = parse(data)
    rayjob = rayjobs(workload_manifests(spec, PlatformRefs.placeholders(spec)))[job["name"]]
    res = rayjob["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["resources"]
    assert res["requests"]["nvidia.com/gpu"] == str(itype.gpu_count // 2)
    assert res["requests"]["vpc.amazonaws.com/efa"] == str(itype.efa_interface_count // 2)
