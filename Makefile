# Every target creates .venv from the pinned requirements.lock when it is missing or stale.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8001
HOST ?= 127.0.0.1

.PHONY: venv build validate db site publish serve test test-fast screenshots loadtest audit bench bench-tracker clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/infratracker build

validate: $(STAMP)
	$(BIN)/infratracker validate

db: build
	$(BIN)/infratracker db

site: db
	$(BIN)/infratracker site

# build, db and site in one process: what a curator runs after reviewing an extract
publish: $(STAMP)
	$(BIN)/infratracker publish

serve: publish
	$(BIN)/infratracker serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The quick loop while editing: everything but the tests marked slow.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

screenshots: publish
	INFRATRACKER_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py

# Bounded load on loopback: LOADTEST_ARGS="--duration 20" is what CI runs (default 5 minutes).
loadtest: publish
	$(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

.venv-audit/.installed: requirements-audit.txt
	rm -rf .venv-audit
	$(PYTHON) -m venv .venv-audit
	.venv-audit/bin/pip install --quiet --disable-pip-version-check -r requirements-audit.txt
	touch .venv-audit/.installed

audit: .venv-audit/.installed
	.venv-audit/bin/python scripts/audit.py

bench: $(STAMP)
	$(BIN)/infratracker bench $(BENCH_ARGS)

# On demand, outside the default run: 100,000 articles shaped as a large tracker's sources
# (~20,000 projects, ~1 M citations); about 10 minutes on 2 cores.
bench-tracker: $(STAMP)
	$(BIN)/infratracker bench --shape tracker --sizes 100000 $(BENCH_ARGS)

clean:
	rm -rf build .venv-audit
