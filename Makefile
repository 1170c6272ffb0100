# Two commands do all the set-up: `make run` and `make test` create the virtual environment
# (.venv, Python >= 3.12) and install the project into it when it is missing or out of date.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
# Optional extras installed with the project: dev (tests, lint), cluster (Ray, Slurm launchers),
# analysis (escalation-analyze: EMA Workbench, SALib) and dashboard (escalation-dashboard).
EXTRAS ?= dev,cluster,analysis,dashboard

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "escalation needs Python >= 3.12; found " + sys.version.split()[0] + " (set PYTHON=/path/to/python3.12)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

run: $(STAMP)  ## run a scenario: make run ARGS="scenario=instructors policy.posture=red_lines"
	$(BIN)/escalation $(ARGS)

test: $(STAMP)  ## lint, then the whole test suite
	$(BIN)/ruff check src tests experiments benchmarks
	$(BIN)/ruff format --check src tests experiments benchmarks
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info outputs multirun
