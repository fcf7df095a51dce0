"""Runbook index, procedures, observability doc and the incident tabletop stay in step with the rules."""

from __future__ import annotations

import re
from pathlib import Path

import infra.monitoring as mon

REPO = Path(__file__).resolve().parents[2]
RUNBOOKS = REPO / "docs" / "runbooks"
PROCEDURES = ["gpu-node-failure", "nccl-efa-hang", "fsx-throughput-saturation", "az-outage",
              "budget-breach", "checkpoint-corruption"]
ALERT_NAMES = sorted({a["alert"] for a in mon.alert_rules()})


def test_procedures_exist():
    for name in PROCEDURES:
        text = (RUNBOOKS / f"{name}.md").read_text()
        assert text.startswith("# Procedure"), name
        assert re.search(r"^## Escalation", text, re.M), f"{name}.md has no escalation section"


def test_readme_indexes_every_runbook_and_links_resolve():
    readme = (RUNBOOKS / "README.md").read_text()
    pages = {p.name for p in RUNBOOKS.glob("*.md")} - {"README.md"}
    linked = set(re.findall(r"\]\(([a-z0-9-]+\.md)\)", readme))
    assert pages == linked, f"not indexed: {pages - linked}; dangling: {linked - pages}"
    for name in ALERT_NAMES:
        assert f"| {name} |" in readme, f"{name} missing from the runbook index"


def test_relative_links_in_docs_resolve():
    for page in [*RUNBOOKS.glob("*.md"), REPO / "docs" / "observability.md", REPO / "docs" / "incident-tabletop.md"]:
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).resolve().is_file(), f"{page.name}: broken link {target}"


def test_observability_doc_lists_every_alert_and_dashboard():
    text = (REPO / "docs" / "observability.md").read_text()
    for name in ALERT_NAMES:
        assert f"| {name} |" in text, f"{name} missing from docs/observability.md"
    for uid in mon.load_dashboards():
        assert f"`{uid}`" in text


def test_tabletop_uses_the_platform_commands():
    text = (REPO / "docs" / "incident-tabletop.md").read_text()
    for cmd in ("trainyard validate", "make synth", "cdktf deploy prod", "trainyard render-k8s --env prod --out",
                "kubectl", "python -m trainer train", "--checkpoint-uri", "stacks/environments/prod.yaml",
                "GPUNodeNotReady", "az-outage.md"):
        assert cmd in text, cmd
