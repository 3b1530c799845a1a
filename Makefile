# AI FinOps Workbench — the two commands: `make report` and `make test`.
# Each creates .venv with python3 -m venv when missing, installs what it needs once
# (re-installing only when pyproject.toml changes), then does its job.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
JOBS   ?= 2
ARGS   ?=
APP_PORT ?= 8866
# Seconds an idle kernel with no page connected lives before it is shut down (app, lab).
CULL_IDLE ?= 900
LAB_CULL_IDLE ?= 3600
# Jupyter refuses to run as root unless told; containers usually run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: report test lab app lint format bench clean help

help:
	@echo "make report  - render every business case and the scenario comparison into outputs/"
	@echo "make test    - run the whole test suite"
	@echo "make lab     - open JupyterLab in the project's virtual environment"
	@echo "make app     - serve the interactive explorer with Voila on http://127.0.0.1:$(APP_PORT)/"
	@echo "make bench   - run the speed and memory benchmarks"
	@echo "make lint    - ruff and mypy"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamps record what is installed; they are rebuilt only when pyproject.toml changes.
# rfc3987-syntax arrives through jupyter-events' jsonschema[format-nongpl] extra; it only checks
# the 'iri' format of Jupyter event schemas, and importing it costs 1-2 s in every notebook
# kernel (python-jsonschema #1392), so it is removed after installing.
DROP := rfc3987-syntax

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[reports,app]'
	-$(PIP) uninstall --quiet --yes $(DROP)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[test]'
	-$(PIP) uninstall --quiet --yes $(DROP)
	@touch $(VENV)/.installed $@

report: $(VENV)/.installed
	$(BIN)/finops render --jobs $(JOBS) $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(ARGS)

# JupyterLab settings of the project: never fetch news or check for updates (works offline).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(LAB_SETTINGS): tools/jupyterlab/overrides.json | $(BIN)/python
	@mkdir -p $(dir $@)
	cp $< $@

lab: $(VENV)/.installed $(LAB_SETTINGS)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 --no-browser $(ROOT_FLAG) \
		--ServerApp.allow_remote_access=False \
		--MappingKernelManager.cull_idle_timeout=$(LAB_CULL_IDLE) --MappingKernelManager.cull_interval=60 \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

app: $(VENV)/.installed $(LAB_SETTINGS)
	@echo "explorer: http://127.0.0.1:$(APP_PORT)/  (Ctrl-C to stop)"
	$(BIN)/python -m finops_model.explore.app notebooks/explore.ipynb --port=$(APP_PORT) --cull-idle=$(CULL_IDLE)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy finops_model

format: $(VENV)/.installed-test
	$(BIN)/ruff format finops_model tests benchmarks

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf outputs/runs outputs/latest .pytest_cache .hypothesis
