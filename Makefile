# peerbench: `make demo` sets everything up and runs the platform on demo data; `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PEERBENCH_HOME ?= $(CURDIR)/var

.PHONY: setup demo test lint snapshot benchmark clean

# The lock is installed exactly (--no-deps): it leaves out sqlglotrs, which dagster-dbt still
# requests but sqlglot has replaced (sqlglotc) and which warns on import.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

setup: $(BIN)/.installed  ## create the virtual environment and prepare the dbt manifest
	$(BIN)/peerbench prepare

demo: setup  ## generate demo data, run every asset through Dagster, publish every closed window
	$(BIN)/peerbench demo

test: setup  ## run the test suite (each test builds the platform in a temporary home)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

snapshot: setup  ## accept a deliberate change of the asset graph
	$(BIN)/pytest tests/test_definitions.py --snapshot-update

benchmark: setup  ## national scale against a bare DuckDB and a pandas script (SCALE=small to try it)
	$(BIN)/python benchmarks/national.py --scale $(or $(SCALE),full)

clean:
	rm -rf $(VENV) var dbt_project/target
