"""MOD-205 policy-as-code: checkov custom checks, whole-stack rules and the fail-closed gate."""
