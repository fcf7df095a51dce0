"""Render a GateResult: a table for people, SARIF 2.1.0 for code scanning, JUnit XML for test reports,
and a small JSON document the PR comment reads."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from policies.gate import BUILTIN_CHECKS, SCAN_ERROR, Finding, GateResult, StackReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URI = "docs/policy.md"


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(Path(path).resolve(), Path.cwd()).replace(os.sep, "/")
    except ValueError:
        return str(path)


def summary_line(result: GateResult) -> str:
    stacks = len(result.stacks)
    resources = sum(s.resource_count for s in result.stacks)
    counts = {status: sum(len(s.with_status(status)) for s in result.stacks)
              for status in ("PASSED", "FAILED", "SUPPRESSED", "SKIPPED")}
    verdict = {0: "PASS", 1: "FAIL", 3: "SCAN ERROR"}[result.exit_code]
    return (f"policy gate: {verdict} — {stacks} stack(s), {resources} resources; {counts['FAILED']} failed, "
            f"{counts['PASSED']} passed, {counts['SUPPRESSED']} suppressed, {counts['SKIPPED']} skipped, "
            f"{result.scan_errors} scan error(s)")


def table(result: GateResult, *, verbose: bool = False) -> str:
    shown = ("PASSED", "FAILED", "SKIPPED", "SUPPRESSED", "ERROR") if verbose else ("FAILED", "ERROR", "SUPPRESSED",
                                                                                    "SKIPPED")
    rows = [("STATUS", "CHECK", "RESOURCE", "STACK", "DETAIL")]
    for stack in result.stacks:
        for f in stack.findings:
            if f.status in shown:
                rows.append((f.status, f.check_id, f.address, stack.environment, f.message or f.check_name))
    for error in result.errors:
        rows.append(("ERROR", SCAN_ERROR, "-", "-", error))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] for row in rows]
    if len(rows) == 1:
        lines = ["no findings"]
    return "\n".join([*lines, "", summary_line(result)])


def _rules(result: GateResult) -> list[dict[str, Any]]:
    seen: dict[str, str] = {}
    for stack in result.stacks:
        for f in stack.findings:
            seen.setdefault(f.check_id, f.check_name)
    if result.errors:
        seen.setdefault(SCAN_ERROR, "The policy scan could be trusted")
    return [{"id": cid, "name": cid, "shortDescription": {"text": name or cid},
             "helpUri": f"{DOCS_URI}#{cid.lower()}",
             "properties": {"control": BUILTIN_CHECKS.get(cid, "see docs/policy.md")}}
            for cid, name in sorted(seen.items())]


def _sarif_result(stack: StackReport, f: Finding) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ruleId": f.check_id,
        "level": "error",
        "message": {"text": f"{f.address}: {f.message or f.check_name}"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": _rel(stack.path)}, "region": {"startLine": max(1, f.line)}},
            "logicalLocations": [{"fullyQualifiedName": f.address, "kind": "resource"}],
        }],
        "properties": {"stack": stack.environment, "status": f.status},
    }
    if f.status == "SUPPRESSED":
        res["suppressions"] = [{"kind": "external", "justification": f.message}]
    return res


def sarif(result: GateResult) -> dict[str, Any]:
    results = [_sarif_result(s, f) for s in result.stacks for f in s.findings
               if f.status in ("FAILED", "ERROR", "SUPPRESSED")]
    results += [{"ruleId": SCAN_ERROR, "level": "error", "message": {"text": e}} for e in result.errors]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "trainyard-policy", "informationUri": "https://github.com/", "rules": _rules(result)}},
            "results": results,
        }],
    }


def junit(result: GateResult) -> str:
    suites = ET.Element("testsuites", name="trainyard-policy")
    for stack in result.stacks:
        suite = ET.SubElement(suites, "testsuite", name=f"policy.{stack.environment}", file=_rel(stack.path))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for f in stack.findings:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=f"{stack.environment}.{f.check_id}", name=f.address)
            if f.status == "FAILED":
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=f"{f.check_id} {f.address}", type=f.check_id).text = (
                    f.message or f.check_name)
            elif f.status == "ERROR":
                counts["errors"] += 1
                ET.SubElement(case, "error", message=f.message, type=SCAN_ERROR)
            elif f.status in ("SKIPPED", "SUPPRESSED"):
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f.message or f.status)
        suite.attrib.update({k: str(v) for k, v in counts.items()})
    if result.errors:
        suite = ET.SubElement(suites, "testsuite", name="policy.gate", tests=str(len(result.errors)),
                              failures="0", errors=str(len(result.errors)), skipped="0")
        for i, error in enumerate(result.errors):
            case = ET.SubElement(suite, "testcase", classname="gate", name=f"scan-{i}")
            ET.SubElement(case, "error", message=error, type=SCAN_ERROR)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def as_json(result: GateResult) -> dict[str, Any]:
    return {
        "exit_code": result.exit_code,
        "summary": summary_line(result),
        "errors": result.errors,
        "stacks": [{
            "path": _rel(s.path),
            "environment": s.environment,
            "resource_count": s.resource_count,
            "findings": [{"check_id": f.check_id, "address": f.address, "status": f.status, "message": f.message,
                          "check_name": f.check_name} for f in s.findings if f.status != "PASSED"],
            "passed": len(s.with_status("PASSED")),
        } for s in result.stacks],
    }


def write_json(path: Path, data: Any) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
