"""`trainyard estimate` on gcp-prod: GCP machine types, Filestore and the GKE fee, from the synth or the spec."""
from __future__ import annotations

from pathlib import Path

from infra.spec import load
from policies.tfjson import load_stack
from scripts import cost_estimate as ce

REPO = Path(__file__).resolve().parents[2]


def test_estimate_from_synth_matches_spec_and_fits_budget(synth_dir: Path) -> None:
    from_stack = ce.estimate(ce.inputs_from_stack(load_stack(synth_dir / "gcp-prod" / "cdk.tf.json")))
    from_spec = ce.estimate(ce.inputs_from_spec(load(REPO / "stacks/environments/gcp-prod.yaml"), source="spec"))
    assert from_stack.ceiling.total_usd == from_spec.ceiling.total_usd
    keys = {i.key for i in from_stack.ceiling.items}
    assert {"nodes.a100", "nodes.h100", "gke.cluster_fee", "storage.filestore", "network.cloud_nat"} <= keys
    h100 = next(i for i in from_stack.ceiling.items if i.key == "nodes.h100")
    assert h100.quantity == 4 and "a3-megagpu-8g" in h100.description and h100.price_as_of
    assert from_stack.gate_status == "within_budget"
    assert from_stack.to_dict()["cloud"] == "gcp" and from_stack.to_dict()["prices"]["region"] == "us-central1"
