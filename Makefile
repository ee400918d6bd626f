# peerbench: `make demo` sets everything up and runs the platform on demo data; `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PEERBENCH_HOME ?= $(CURDIR)/var

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system demo test lint snapshot benchmark benchmark-operational clean

# Debian packages, installed only when missing: pango (WeasyPrint's PDFs), a font, and chromium
# (the browser the tests open every report type in).
system:
	@if ! ldconfig -p | grep -q libpango-1.0 || ! command -v chromium >/dev/null \
	    || ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; then \
	  echo "installing Debian packages: pango, fonts, chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core chromium >/dev/null; \
	fi

# The lock is installed exactly (--no-deps): it leaves out sqlglotrs, which dagster-dbt still
# requests but sqlglot has replaced (sqlglotc) and which warns on import. Its bytecode is
# compiled once, here: uv does not by default, and where PYTHONDONTWRITEBYTECODE is set Python
# never caches it either, so every process (each command, each dbt build, each test's
# subprocess) compiled its imports from source, half of the 5 s that importing dagster,
# dagster-dbt, pandas, DuckDB and pandera takes.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps \
	    -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

setup: system $(BIN)/.installed  ## install what is missing, create the venv, prepare dbt
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

benchmark-operational: setup  ## issue 14: the operational stage at 40M contacts against bare scripts (SCALE=small)
	$(BIN)/python benchmarks/operational.py --scale $(or $(SCALE),full)

clean:
	rm -rf $(VENV) var dbt_project/target
