"""trainyard's custom checkov checks (MOD-205), one per file, loaded with --external-checks-dir.

These modules import checkov, which lives only in .venv-checkov: never import them from .venv.
"""
