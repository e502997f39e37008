# Two commands for a newcomer: `make run` (set up + run the main job on the demo) and
# `make test` (set up + lint + dbt parse/compile/docs + pytest). Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
UV_VERSION := 0.13.8
DBT := $(BIN)/dbt
DBT_ARGS := --project-dir dbt_project --profiles-dir dbt_project

.PHONY: setup run test test-e2e ui lint dbt-prepare lock bench docs clean-data help

help:
	@echo "make run    set up, generate the demo deliveries if data/raw is empty, run the pipeline"
	@echo "make test   set up, lint (ruff, sqlfluff), dbt parse/compile/docs, pytest (all but e2e)"
	@echo "make test-e2e  the long end-to-end tests: Spark cluster comparisons, killed nights (CI runs them)"
	@echo "make ui     the Dagster UI (webserver + daemon) on http://127.0.0.1:3000"
	@echo "make bench  the benchmark (see docs/performance.md)"
	@echo "make docs   dbt's documentation site beside the published database (analytics.docs/)"
	@echo "make lock   re-pin requirements.lock after editing pyproject.toml"

# The virtualenv is (re)built when requirements.lock or pyproject.toml change; otherwise no-op.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP) dbt-prepare

# dagster-dbt needs dbt's manifest; it is prepared here and by the tests, never at import time.
dbt-prepare: $(STAMP)
	@$(BIN)/nhcs dbt-prepare

# One line per step and a summary; the full logs go to the file `nhcs run` names.
run: setup
	@$(BIN)/nhcs generate --if-empty
	@$(BIN)/nhcs run

# dbt compile/docs need a DuckDB file to open: a scratch one, never the working warehouse.
DBT_SCRATCH := $(CURDIR)/$(VENV)/dbt-scratch.duckdb

# The developer's loop: every test but the long end-to-end runs (marker e2e), which take longer
# than the rest together (a Spark cluster on two cores; a night killed and restarted). CI runs
# both targets (.ci/run); the expensive demo warehouses are built once per run and shared by the
# two workers (tests/shared_builds.py). A test file goes to one worker whole (loadfile): with
# loadgroup, pytest-xdist set a module's fixtures up again for the first tests of a group.
test: setup lint
	NHCS_WAREHOUSE=$(DBT_SCRATCH) $(DBT) compile $(DBT_ARGS) --quiet
	NHCS_WAREHOUSE=$(DBT_SCRATCH) $(DBT) docs generate $(DBT_ARGS) --quiet --empty-catalog
	$(BIN)/pytest -n 2 --dist loadfile -m "not e2e"

test-e2e: setup
	$(BIN)/pytest -n 2 --dist loadgroup -m e2e

lint: $(STAMP)
	$(BIN)/ruff check pipelines tests
	$(BIN)/ruff format --check pipelines tests
	cd dbt_project && ../$(BIN)/sqlfluff lint models --processes 2

ui: setup
	$(BIN)/nhcs ui

bench: setup
	$(BIN)/nhcs bench

# dbt's documentation site (static_index.html: one self-contained file) beside the published
# database, from the working warehouse's catalog; under the warehouse writer lock (flock, the
# same lock the pipeline takes), so it waits for a running pipeline instead of failing.
WAREHOUSE := $(abspath $(or $(NHCS_WAREHOUSE),data/warehouse/warehouse.duckdb))
DOCS_DIR := $(dir $(WAREHOUSE))analytics.docs
docs: setup
	@test -f $(WAREHOUSE) || { echo "no warehouse at $(WAREHOUSE): run make run first"; exit 2; }
	NHCS_WAREHOUSE=$(WAREHOUSE) flock $(WAREHOUSE).writer.lock \
		$(DBT) docs generate $(DBT_ARGS) --static --target-path $(DOCS_DIR) --quiet
	@echo "dbt docs: $(DOCS_DIR)/static_index.html (open it in a browser; no server needed)"

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean-data:
	rm -rf data/raw/2* data/raw/_truth.json data/warehouse/*.duckdb* data/reports/2* data/quarantine
