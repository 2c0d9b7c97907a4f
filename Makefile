# Two commands: `make demo` runs the main job, `make test` runs ruff (lint and format check) and the tests.
# Both create .venv and install the project (with the sb3, dev and viz extras) if needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_OUT ?= demo_output

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[sb3,dev,viz]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m twin_env.cli demo --out $(DEMO_OUT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -n 2 -q

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -q -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/twin_throughput.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) build *.egg-info
