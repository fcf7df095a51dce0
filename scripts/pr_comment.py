"""Render the single trainyard PR comment: plan summary per environment, policy result, cost diff.

The first line is a hidden marker; pr.yml looks for a comment carrying it and edits that
comment instead of adding a new one on every push.

    python -m scripts.pr_comment --plan prod=out/prod.plan.json --policy out/policy.json \
        --cost prod=out/prod.cost.json [--run-url URL] > comment.md

--plan takes `terraform show -json` output; --policy `trainyard policy --json`;
--cost `trainyard estimate --json --against BASE`. Exit 2 on unreadable input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scripts import plan_summary as ps

MARKER = "<!-- trainyard:pr-comment -->"


def _pairs(values: list[str], flag: str) -> dict[str, Path]:
    out = {}
    for value in values:
        env, sep, path = value.partition("=")
        if not sep or not env or not path:
            raise ValueError(f"{flag} {value!r}: expected ENV=FILE")
        out[env] = Path(path)
    return out


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def _policy_section(policy: dict[str, Any] | None) -> list[str]:
    if policy is None:
        return ["### Policy (MOD-205)", "", "_not run_"]
    verdict = {0: "✅ passed", 1: "❌ violations", 3: "⛔ scan error (failed closed)"}.get(policy.get("exit_code"),
                                                                                         "❓ unknown")
    out = ["### Policy (MOD-205)", "", f"**{verdict}** — {policy.get('summary', '')}", ""]
    rows = [(s["environment"], f) for s in policy.get("stacks", []) for f in s.get("findings", [])
            if f["status"] in ("FAILED", "ERROR")]
    rows += [("-", {"status": "ERROR", "check_id": "TY_SCAN_ERROR", "address": "-", "message": e})
             for e in policy.get("errors", [])]
    if rows:
        out += ["| env | status | check | resource | detail |", "|---|---|---|---|---|"]
        for env, f in rows[:50]:
            detail = (f.get("message") or f.get("check_name") or "").replace("|", "\\|")
            out.append(f"| {env} | {f['status']} | `{f['check_id']}` | `{f['address']}` | {detail} |")
        if len(rows) > 50:
            out.append(f"\n_…and {len(rows) - 50} more; see the SARIF upload in code scanning._")
    return out


def _cost_section(costs: dict[str, dict[str, Any]]) -> list[str]:
    out = ["### Cost (monthly, on-demand)", ""]
    if not costs:
        return out + ["_not run_"]
    out += ["| env | ceiling | Δ ceiling | desired | budget | gate |", "|---|---:|---:|---:|---:|---|"]
    for env, est in sorted(costs.items()):
        diff = est.get("diff", {}).get("ceiling", {})
        delta = diff.get("delta_usd")
        gate = {"within_budget": "✅ within", "accepted_over_budget": "⚠️ over (accepted)",
                "over_budget": "❌ over budget"}.get(est["gate"]["status"], est["gate"]["status"])
        out.append(f"| {env} | ${est['ceiling']['total_usd']:,.2f} | "
                   f"{'n/a' if delta is None else f'{delta:+,.2f}'} | ${est['desired']['total_usd']:,.2f} | "
                   f"${est['budget']['monthly_limit_usd']:,.2f} | {gate} |")
    changed = [(env, row) for env, est in sorted(costs.items())
               for row in est.get("diff", {}).get("ceiling", {}).get("changed_items", [])]
    if changed:
        out += ["", "<details><summary>ceiling items that changed</summary>", "",
                "| env | item | base | head | Δ |", "|---|---|---:|---:|---:|"]
        out += [f"| {env} | `{r['key']}` | {r['base_usd']:,.2f} | {r['head_usd']:,.2f} | {r['delta_usd']:+,.2f} |"
                for env, r in changed]
        out += ["", "</details>"]
    prices = next(iter(costs.values())).get("prices", {})
    out += ["", f"_Prices: catalog {prices.get('region', '?')} as of {prices.get('as_of', '?')}; ceiling = every "
                "pool at max size in every zone (docs/cost.md)._"]
    return out


def render(plans: dict[str, ps.PlanSummary], policy: dict[str, Any] | None, costs: dict[str, dict[str, Any]],
           run_url: str | None = None) -> str:
    danger = [(env, c) for env, s in plans.items() for c in s.dangerous]
    out = [MARKER, "## trainyard plan review", ""]
    if danger:
        out += ["> [!CAUTION]", "> **Stateful resources will be destroyed or replaced:** " +
                ", ".join(f"`{env}:{c.address}` ({c.action})" for env, c in danger), ""]
    out += ["### Plan", ""]
    if not plans:
        out.append("_no environment changed_")
    for env, summary in sorted(plans.items()):
        out += [ps.render_markdown(summary, env), ""]
    out += [""] + _policy_section(policy) + [""] + _cost_section(costs)
    if run_url:
        out += ["", f"[workflow run and plan artifacts]({run_url})"]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.pr_comment", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", action="append", default=[], metavar="ENV=FILE")
    parser.add_argument("--policy", metavar="FILE")
    parser.add_argument("--cost", action="append", default=[], metavar="ENV=FILE")
    parser.add_argument("--run-url")
    args = parser.parse_args(argv)
    try:
        plans = {env: ps.load(path) for env, path in _pairs(args.plan, "--plan").items()}
        policy = _json(Path(args.policy)) if args.policy else None
        costs = {env: _json(path) for env, path in _pairs(args.cost, "--cost").items()}
    except (ValueError, ps.PlanError) as exc:
        print(f"pr_comment: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(plans, policy, costs, args.run_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
