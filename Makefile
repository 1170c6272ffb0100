# Two commands do all the set-up: `make run` and `make test` create the virtual environment
# (.venv, Python >= 3.12) and install into it what they need, when it is missing or out of date:
# `make run` only what running needs, `make test` the test tools and the optional extras too.
# `make run` installs with uv (fetched from PyPI into .venv; three times faster than pip here),
# or pip when uv cannot be had (INSTALLER=pip forces it). `make test` adds the extras with pip:
# uv's resolver backtracks for 45 s over the cluster extra's old botocore releases, pip does not.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DASHBOARD_STAMP := $(VENV)/.installed-dashboard
DOCS_STAMP := $(VENV)/.installed-docs
# The site `make test` builds to check it (broken links and missing pages fail); gitignored.
SITE_DIR := build/site
ARGS ?=
# Optional extras `make test` installs: dev (tests, lint), cluster (Ray, Slurm launchers),
# analysis (escalation-analyze: EMA Workbench, SALib), dashboard (escalation-dashboard),
# calibrate (escalation-calibrate, escalation-backtest --refit: pyABC, Dask), parquet
# (sim.tables=parquet: pyarrow) and docs (the site).
EXTRAS ?= dev,cluster,analysis,dashboard,calibrate,parquet,docs
INSTALLER ?= uv
# $(call install,ARGS): install into .venv with uv when it is there, else with pip. uv compiles
# the bytecode as pip does (it does not by default): without it, where PYTHONDONTWRITEBYTECODE is
# set (CI), every run would compile pandas, Mesa and matplotlib again (3.0 s instead of 1.1 s).
install = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(1); \
	else $(BIN)/python -m pip install --quiet $(1); fi

.PHONY: run test dashboard docs clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "escalation needs Python >= 3.12; found " + sys.version.split()[0] + " (set PYTHON=/path/to/python3.12)")'
	$(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ]; then $(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
		|| echo "uv could not be installed; installing with pip"; fi

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(call install,-e .)
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(TEST_STAMP)

# One extra on top of the run install, for `make dashboard` and `make docs`.
$(DASHBOARD_STAMP): pyproject.toml | $(RUN_STAMP)
	$(call install,-e '.[dashboard]')
	touch $(DASHBOARD_STAMP)

$(DOCS_STAMP): pyproject.toml | $(RUN_STAMP)
	$(call install,-e '.[docs]')
	touch $(DOCS_STAMP)

run: $(RUN_STAMP)  ## run a scenario: make run ARGS="scenario=instructors policy.posture=red_lines"
	$(BIN)/escalation $(ARGS)

test: $(TEST_STAMP)  ## lint, the stages' import contract, then the whole test suite on every core
	$(BIN)/ruff check src tests experiments benchmarks docs/hooks
	$(BIN)/ruff format --check src tests experiments benchmarks docs/hooks
	$(BIN)/lint-imports
	$(BIN)/mkdocs build --strict --quiet --site-dir $(SITE_DIR)
	$(BIN)/python -m pytest -n auto --dist worksteal

dashboard: $(DASHBOARD_STAMP)  ## the classroom dashboard on http://127.0.0.1:8501 (Ctrl-C stops it)
	$(BIN)/escalation-dashboard --server.address 127.0.0.1 $(ARGS)

docs: $(DOCS_STAMP)  ## the documentation site on http://127.0.0.1:8000 (Ctrl-C stops it)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

clean:
	rm -rf $(VENV) build dist site src/*.egg-info outputs multirun
