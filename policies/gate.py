"""The MOD-205 policy gate: checkov (per resource) + whole-stack rules, failing closed.

Every way the scan could come back empty counts as a failure, never a pass:
a file that is missing, empty, not JSON or declares zero resources; checkov missing,
crashing, printing something other than its JSON report, or reporting parsing errors;
a custom check that failed to load; and any resource of the file that checkov did not
evaluate (CKV_TY_000 runs on every resource, so its results must cover them all).

All stacks go through ONE checkov run (it costs ~5-15 s to start), each as a sanitized
copy in its own folder of a temporary tree: see `tfjson.sanitized_for_checkov` for the
`terraform.required_version` trap.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from policies import stack_rules
from policies.suppressions import Suppression
from policies.tfjson import Stack, StackError, load_stack, sanitized_for_checkov

REPO = Path(__file__).resolve().parent.parent
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
DEFAULT_CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
COVERAGE_CHECK = "CKV_TY_000"
SCAN_ERROR = "TY_SCAN_ERROR"
CHECKOV_TIMEOUT_S = 900

# checkov's built-in checks that enforce a MOD-205 control (docs/policy.md). Only these
# run: the full built-in set includes opinions (cross-region replication, Lambda in VPC,
# ...) that MOD-205 does not require and that would train people to ignore the gate.
BUILTIN_CHECKS: dict[str, str] = {
    "CKV_AWS_58": "MOD-205 §1 EKS secrets encryption enabled",
    "CKV_AWS_26": "MOD-205 §1 SNS topic encrypted",
    "CKV_AWS_7": "MOD-205 §1 KMS key rotation enabled",
    "CKV_AWS_53": "MOD-205 §2 S3 block public ACLs",
    "CKV_AWS_54": "MOD-205 §2 S3 block public policy",
    "CKV_AWS_55": "MOD-205 §2 S3 ignore public ACLs",
    "CKV_AWS_56": "MOD-205 §2 S3 restrict public buckets",
    "CKV_AWS_38": "MOD-205 §3 EKS public endpoint not open to 0.0.0.0/0",
    "CKV_AWS_79": "MOD-205 §4 IMDSv1 disabled",
    "CKV_AWS_24": "MOD-205 §5 no SSH from 0.0.0.0/0",
    "CKV_AWS_25": "MOD-205 §5 no RDP from 0.0.0.0/0",
    "CKV_AWS_277": "MOD-205 §5 no all-ports ingress from 0.0.0.0/0",
    "CKV_AWS_100": "MOD-205 §5 node groups without SSH from 0.0.0.0/0",
    "CKV_AWS_62": "MOD-205 §8 no IAM full-admin policy",
    "CKV_AWS_45": "MOD-205 §8 no secrets in Lambda environment",
}

Status = Literal["PASSED", "FAILED", "SKIPPED", "SUPPRESSED", "ERROR"]
EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_SCAN_ERROR = 0, 1, 2, 3


class CheckovUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    address: str
    status: Status
    message: str = ""
    source: Literal["checkov", "stack-rule", "gate"] = "checkov"
    line: int = 1


@dataclass
class StackReport:
    path: Path
    environment: str
    resource_count: int = 0
    findings: list[Finding] = field(default_factory=list)

    def with_status(self, *statuses: Status) -> list[Finding]:
        return [f for f in self.findings if f.status in statuses]


@dataclass
class GateResult:
    stacks: list[StackReport]
    errors: list[str] = field(default_factory=list)  # not tied to one stack (checkov crash, expired suppression)

    @property
    def scan_errors(self) -> int:
        return len(self.errors) + sum(len(s.with_status("ERROR")) for s in self.stacks)

    @property
    def violations(self) -> int:
        return sum(len(s.with_status("FAILED")) for s in self.stacks)

    @property
    def exit_code(self) -> int:
        if self.scan_errors:
            return EXIT_SCAN_ERROR
        return EXIT_VIOLATIONS if self.violations else EXIT_OK


# --------------------------------------------------------------------------- checkov
def _resource_lines(text: str) -> dict[tuple[str, str], int]:
    """(type, name) → 1-based line of the resource's key, for pretty-printed JSON.

    checkov's terraform_json records name resources `resource.<name>` (the type is
    lost), so the gate maps them back through the line checkov reports.
    """
    lines: dict[tuple[str, str], int] = {}
    in_resource, rtype = False, None
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r'^  "resource": \{', line):
            in_resource = True
            continue
        if in_resource and re.match(r"^  \S", line):
            in_resource = False
        if not in_resource:
            continue
        if m := re.match(r'^    "(.+)": \{', line):
            rtype = m.group(1)
        elif (m := re.match(r'^      "(.+)": \{', line)) and rtype:
            lines[(rtype, m.group(1))] = number
    return lines


def locate(text: str, address: str) -> int:
    """Line of a resource in the original file (1 when it cannot be found, e.g. minified JSON)."""
    rtype, _, name = address.partition(".")
    start = text.find(f'"{rtype}"')
    pos = text.find(f'"{name}"', start) if start >= 0 else -1
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def _records(report: Any) -> list[dict[str, Any]]:
    reports = report if isinstance(report, list) else [report]
    out: list[dict[str, Any]] = []
    for rep in reports:
        if not isinstance(rep, dict):
            raise ValueError("report entry is not an object")
        results = rep.get("results")
        if results is None:  # checkov's "nothing scanned" shape: a bare summary
            if "passed" in rep and "failed" in rep:
                continue
            raise ValueError("report has neither results nor a summary")
        if results.get("parsing_errors"):
            raise ValueError(f"checkov could not parse: {', '.join(map(str, results['parsing_errors']))}")
        for key in ("passed_checks", "failed_checks", "skipped_checks"):
            out.extend(results.get(key) or [])
    return out


def run_checkov(stacks: list[Stack], checkov_bin: Path) -> tuple[dict[int, list[dict[str, Any]]], str]:
    """One checkov run over sanitized copies → {stack index: [records]}, stderr. Raises on failure."""
    if not Path(checkov_bin).exists():
        raise CheckovUnavailable(f"checkov not found at {checkov_bin}; run `make setup` (it creates .venv-checkov)")
    with tempfile.TemporaryDirectory(prefix="trainyard-policy-") as tmp:
        texts: dict[int, str] = {}
        for i, stack in enumerate(stacks):
            folder = Path(tmp) / f"s{i}"
            folder.mkdir()
            texts[i] = json.dumps(sanitized_for_checkov(stack.doc), indent=2)
            (folder / "cdk.tf.json").write_text(texts[i])
        cmd = [str(checkov_bin), "-d", tmp, "--framework", "terraform_json", "--external-checks-dir", str(CHECKS_DIR),
               "--skip-download", "-o", "json", "--check", ",".join([*BUILTIN_CHECKS, "CKV_TY*"])]
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_COLOR": "1"}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"checkov did not finish within {CHECKOV_TIMEOUT_S} s") from None
        except OSError as exc:
            raise CheckovUnavailable(f"cannot run checkov at {checkov_bin}: {exc.strerror}") from None
    if proc.returncode not in (0, 1):  # 1 = findings; anything else is checkov failing
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"checkov exited {proc.returncode}: {tail}")
    try:
        report = json.loads(proc.stdout)
        records = _records(report)
    except ValueError as exc:
        raise RuntimeError(f"checkov output is not a usable JSON report ({str(exc)[:200]})") from None
    by_stack: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(stacks))}
    lines = {i: {v: k for k, v in _resource_lines(t).items()} for i, t in texts.items()}
    for rec in records:
        m = re.match(r"^/?s(\d+)/cdk\.tf\.json$", str(rec.get("file_path", "")))
        if not m or int(m.group(1)) not in by_stack:
            raise RuntimeError(f"checkov reported an unknown file {rec.get('file_path')!r}")
        i = int(m.group(1))
        start = (rec.get("file_line_range") or [0])[0]
        rtype_name = lines[i].get(start)
        name = str(rec.get("resource", "")).split(".", 1)[-1]
        if rtype_name is None or rtype_name[1] != name:
            raise RuntimeError(f"cannot map checkov record {rec.get('resource')!r} (line {start}) to a resource")
        by_stack[i].append({**rec, "address": f"{rtype_name[0]}.{rtype_name[1]}"})
    return by_stack, proc.stderr


def _checkov_findings(stack: Stack, text: str, records: list[dict[str, Any]]) -> list[Finding]:
    findings, covered = [], set()
    for rec in records:
        address = rec["address"]
        if rec["check_id"] == COVERAGE_CHECK:
            covered.add(address)
            continue
        result = rec.get("check_result", {}).get("result", "FAILED")
        status: Status = result if result in ("PASSED", "FAILED", "SKIPPED") else "ERROR"
        findings.append(Finding(rec["check_id"], rec.get("check_name", ""), address, status,
                                line=locate(text, address)))
    missing = sorted(set(stack.resources) - covered)
    if missing:
        shown = ", ".join(missing[:5]) + (f" (+{len(missing) - 5} more)" if len(missing) > 5 else "")
        findings.append(Finding(SCAN_ERROR, "checkov evaluated every resource", "stack", "ERROR",
                                f"checkov evaluated {len(covered)} of {len(stack.resources)} resources; "
                                f"not evaluated: {shown}", source="gate"))
    return findings


# --------------------------------------------------------------------------- stack rules
def _rule_findings(stack: Stack, text: str) -> list[Finding]:
    findings = []
    kind = stack.meta.get("stack", "platform")  # "workload" stacks carry Kubernetes objects, not the platform
    for rule in stack_rules.all_rules():
        kinds = getattr(rule, "STACK_KINDS", ("platform",))
        if kind not in kinds:
            findings.append(Finding(rule.RULE_ID, rule.NAME, "stack", "SKIPPED",
                                    f"applies to {'/'.join(kinds)} stacks; this is a {kind} stack",
                                    source="stack-rule"))
            continue
        try:
            results = rule.evaluate(stack)
        except Exception as exc:  # a crashing rule proves nothing: fail closed
            findings.append(Finding(rule.RULE_ID, rule.NAME, "stack", "ERROR", f"rule crashed: {exc!r}",
                                    source="stack-rule"))
            continue
        for res in results:
            findings.append(Finding(rule.RULE_ID, rule.NAME, res.address, res.status, res.message,
                                    source="stack-rule", line=locate(text, res.address)))
    return findings


# --------------------------------------------------------------------------- gate
def apply_suppressions(report: StackReport, suppressions: list[Suppression], today: dt.date) -> None:
    for i, finding in enumerate(report.findings):
        if finding.status != "FAILED":
            continue
        for sup in suppressions:
            if sup.matches(finding.check_id, finding.address, report.environment) and not sup.expired(today):
                report.findings[i] = Finding(finding.check_id, finding.check_name, finding.address, "SUPPRESSED",
                                             f"suppressed until {sup.expires}: {sup.reason}", finding.source,
                                             finding.line)
                break


def run_gate(paths: list[Path], *, checkov_bin: Path | None = None, suppressions: list[Suppression] | None = None,
             today: dt.date | None = None) -> GateResult:
    today = today or dt.date.today()
    suppressions = suppressions or []
    checkov_bin = Path(checkov_bin or os.environ.get("TRAINYARD_CHECKOV") or DEFAULT_CHECKOV)
    result = GateResult(stacks=[])
    loaded: list[tuple[Stack, str, StackReport]] = []
    for path in paths:
        report = StackReport(path=Path(path), environment=Path(path).parent.name)
        result.stacks.append(report)
        try:
            stack = load_stack(path)
        except StackError as exc:
            report.findings.append(Finding(SCAN_ERROR, "stack file is a readable, non-empty stack", "stack", "ERROR",
                                           str(exc), source="gate"))
            continue
        report.environment, report.resource_count = stack.environment, len(stack.resources)
        loaded.append((stack, Path(path).read_text(encoding="utf-8"), report))

    if loaded:
        try:
            by_stack, stderr = run_checkov([s for s, _, _ in loaded], checkov_bin)
        except (CheckovUnavailable, RuntimeError) as exc:
            result.errors.append(str(exc))
            by_stack, stderr = {}, ""
        if "Cannot load external check" in stderr:
            broken = sorted(set(re.findall(r"Cannot load external check '([^']+)'", stderr)))
            result.errors.append(f"custom checks failed to load: {', '.join(broken)}")
        for i, (stack, text, report) in enumerate(loaded):
            if by_stack:
                report.findings.extend(_checkov_findings(stack, text, by_stack.get(i, [])))
            report.findings.extend(_rule_findings(stack, text))

    for report in result.stacks:
        apply_suppressions(report, suppressions, today)
    for sup in suppressions:
        if sup.expired(today):
            result.errors.append(f"suppression of {sup.check_id} on {sup.resource} expired on {sup.expires} "
                                 f"(policies/suppressions.yaml): review it again or fix the resource")
    return result
