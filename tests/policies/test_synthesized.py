"""`trainyard policy` on the project's own synthesized environments."""
from __future__ import annotations


def test_project_stacks_pass_the_gate(synth_gate) -> None:
    problems = [(s.environment, f.check_id, f.address, f.message) for s in synth_gate.stacks
                for f in s.with_status("FAILED", "ERROR")]
    assert not synth_gate.errors, synth_gate.errors
    assert problems == []
    assert {s.environment for s in synth_gate.stacks} >= {"local", "dev", "prod"}


def test_emulated_exceptions_are_explicit(synth_gate) -> None:
    local = next(s for s in synth_gate.stacks if s.environment == "local")
    assert all("emulat" in f.message for f in local.with_status("SKIPPED"))
    for stack in synth_gate.stacks:
        if stack.environment == "local":
            continue
        skipped = stack.with_status("SKIPPED")
        if stack.path.parent.name.endswith("-workload"):
            # Whole-stack platform rules (budget, cluster AZs, GPU ceiling) say why they don't apply here.
            assert skipped and all("this is a workload stack" in f.message for f in skipped), stack.path
        else:
            assert skipped == [], stack.environment
