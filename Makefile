# Two commands: `make demo` runs the main job, `make test` runs ruff (lint and format check) and the tests.
# Both create .venv and install the project (with the sb3, dev, viz, rllib and minari extras) if needed.
# `make test-matrix` runs the core tests (no torch, RLlib or Minari) on every python3.10..3.13 the machine has.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_OUT ?= demo_output

.PHONY: demo test test-all test-matrix lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[sb3,dev,viz,rllib,minari]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m twin_env.cli demo --out $(DEMO_OUT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# `make test` (what CI runs) skips the tests marked slow (calibrations, trial reproductions, population
# figures on large cohorts: about 15 minutes more on 2 cores); `make test-all` runs everything.
test: lint
	$(PY) -m pytest -n 2 -q -m "not slow"

test-all: lint
	$(PY) -m pytest -n 2 -q

# One venv per Python under .venv-matrix/ (core dependencies and dev only), found on PATH or under pyenv's versions;
# a missing Python is a line, not a failure.
MATRIX_PYTHONS ?= python3.10 python3.11 python3.12 python3.13
MATRIX_PYTEST_ARGS ?= -m "not slow"
test-matrix:
	@for py in $(MATRIX_PYTHONS); do \
	  exe=""; \
	  if $$py -c pass >/dev/null 2>&1; then exe=$$py; \
	  elif command -v pyenv >/dev/null 2>&1; then exe=$$(ls -d "$$(pyenv root)"/versions/$${py#python}.*/bin/$$py 2>/dev/null | tail -1); fi; \
	  if [ -z "$$exe" ]; then echo "test-matrix: $$py not found, skipped"; continue; fi; \
	  env=.venv-matrix/$$py; \
	  test -x $$env/bin/python || $$exe -m venv $$env || exit 1; \
	  $$env/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]" || exit 1; \
	  echo "test-matrix: $$py ($$($$env/bin/python -V))"; \
	  $$env/bin/python -m pytest -q $(MATRIX_PYTEST_ARGS) || exit 1; \
	done

bench: $(STAMP)
	$(PY) benchmarks/twin_throughput.py

clean:
	rm -rf $(VENV) .venv-matrix $(DEMO_OUT) build *.egg-info
