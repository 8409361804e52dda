# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_DATA ?= $(abspath ../shared/data)
export CHAINSLEUTH_HOME ?= $(abspath data)

.PHONY: run test setup lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: setup
	SHARED_DATA=$(SHARED_DATA) VENV=$(VENV) bash scripts/run-sample.sh

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

test: setup lint
	bash scripts/ensure-postgres.sh
	CHAINSLEUTH_SHARED_DATA=$(SHARED_DATA) $(PY) -m pytest

bench: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m benchmarks.bench_chain
	$(PY) -m benchmarks.bench_graph
	$(PY) -m benchmarks.bench_lookup

clean:
	rm -rf data build .pytest_cache .mypy_cache .ruff_cache
