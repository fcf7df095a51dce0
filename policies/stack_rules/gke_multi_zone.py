"""TY_STACK_010 — the GKE cluster is regional and its nodes span at least two zones.

The counterpart of TY_STACK_004: a zonal control plane (location = a zone) or node_locations in one
zone make a single zone outage take the platform down.
"""
from __future__ import annotations

import re

from policies.stack_rules import RuleResult
from policies.tfjson import Stack

RULE_ID = "TY_STACK_010"
NAME = "GKE cluster is regional and spans at least two zones"
CONTROL = "MOD-205 §11 resilience"
MIN_ZONES = 2
_ZONE_RE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")


def evaluate(stack: Stack) -> list[RuleResult]:
    if stack.cloud != "gcp":
        return []
    clusters = list(stack.of_type("google_container_cluster"))
    if not clusters:
        return [RuleResult("stack", "FAILED", "no google_container_cluster in the stack")]
    results = []
    for cluster in clusters:
        location = str(cluster.conf.get("location", ""))
        zones = sorted(set(cluster.conf.get("node_locations") or []))
        if not location or _ZONE_RE.match(location):
            results.append(RuleResult(cluster.address, "FAILED", f"location {location!r} is a zone (or unset): "
                                                                 "use the region for a regional control plane"))
        elif len(zones) < MIN_ZONES:
            results.append(RuleResult(cluster.address, "FAILED", f"node_locations {zones} span < {MIN_ZONES} zones"))
        else:
            results.append(RuleResult(cluster.address, "PASSED", f"regional ({location}), zones {', '.join(zones)}"))
    return results
