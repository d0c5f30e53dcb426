# store-edge: `make demo` runs a whole demo store; `make test` runs every test.
# Both set up everything they need on a fresh machine (virtualenv, packages, libzbar0).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data

.PHONY: demo test bench setup system-deps clean dist

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

setup: system-deps $(STAMP)

system-deps:
	@sh packaging/system-deps.sh

demo: setup
	@$(VENV)/bin/store-edge demo --data-dir $(DEMO_DIR)

test: setup
	@$(PY) -m pytest -q -p no:cacheprovider -n 2

# the one artifact a store PC installs (packaging/install.sh): dist/store_edge-<version>-py3-none-any.whl
# (pip of any Python 3.11+ builds it: no virtualenv needed)
dist:
	@PYTHON=$(PYTHON) sh packaging/build.sh dist

bench: setup
	@$(PY) -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) bench/out dist build
