# Two commands on a fresh machine: `make report` and `make test`.
# Both build .venv/ from requirements.lock first (and skip that when it is current).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORPUS ?= corpus
OUT    ?= outputs

.PHONY: help venv report run test test-fast lab lock bench clean-outputs fixtures

help:
	@echo "make report   build the environment, run the main job and the HTML reports on the shipped corpus"
	@echo "make run      only the tables (python -m analysis run)"
	@echo "make test     build the environment and run the test suite"
	@echo "make lab      JupyterLab with the project's kernel"
	@echo "make bench    timing of the pipeline on a synthetic large corpus"
	@echo "make lock     regenerate requirements.lock from pyproject.toml"

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 not found; install python3.11 and retry" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (udsatte-analysis)" >/dev/null
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/python -m analysis report --corpus $(CORPUS) --out $(OUT)

run: $(STAMP)
	$(BIN)/python -m analysis run --corpus $(CORPUS) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	$(BIN)/python -m analysis bench

fixtures: $(STAMP)
	$(BIN)/python tests/fixtures/make_fixtures.py

lock:
	$(PYTHON) -m venv /tmp/udsatte-lock-venv
	/tmp/udsatte-lock-venv/bin/pip install --quiet pip-tools
	PIP_CONFIG_FILE=/dev/null /tmp/udsatte-lock-venv/bin/pip-compile --quiet --generate-hashes \
	    --allow-unsafe --extra dev --strip-extras --no-emit-find-links -o requirements.lock pyproject.toml
	$(PYTHON) tools/write_environment.py

clean-outputs:
	find $(OUT) -mindepth 1 ! -name README.md -exec rm -rf {} +
