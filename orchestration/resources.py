"""Resources: what assets and schedules reach the outside world through.

- `home`: the home folder every path derives from (`PEERBENCH_HOME`, read when a run starts);
- `pseudonym_key`: the HMAC key for identifiers, from `PEERBENCH_PSEUDONYM_KEY` via `dg.EnvVar`,
  so it is never written into run configuration or the event log;
- `warehouse`: the mart, opened read-only through dagster-duckdb's `DuckDBResource` (dbt is
  its only writer);
- `dbt`: the dbt project and CLI.

The dbt project is kept apart from the dbt assets so that the manifest can be prepared
(`peerbench prepare`) before anything that needs it is imported.
"""

import importlib.metadata
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource
from packaging import version

from orchestration.settings import (
    DBT_PROJECT_DIR,
    PSEUDONYM_KEY_ENV,
    Settings,
    checked_key,
    get_settings,
)

# dbt installed beside this interpreter, so a run works without the virtualenv on PATH
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
READ_ONLY = {"access_mode": "READ_ONLY"}


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class PeerbenchDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI without what it does before each invocation that these assets never
    use: `dbt --version` (3.4 s here, as long as parsing the whole project; the dbt it runs is
    `DBT_EXECUTABLE`, the dbt-core installed beside this interpreter, so its version is that
    package's), and a dbt adapter built in the run's own process (about 3 s: importing dbt and
    its DuckDB adapter, loading project and profile again), which dagster-dbt needs only to
    fetch row counts and column metadata, and these assets ask for neither."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    return PeerbenchDbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)


def prepare_manifest() -> None:
    """`dbt parse`: writes the manifest the dbt assets need when the definitions load."""
    dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project().target_path).wait()


class HomeResource(dg.ConfigurableResource):
    """The home folder: landing, lake, quarantine, warehouse and publications all live in it.
    Unset, it is `PEERBENCH_HOME` (or `./var`) as the run finds it."""

    home: str | None = None

    @property
    def settings(self) -> Settings:
        return get_settings() if self.home is None else get_settings(Path(self.home))


class PseudonymKeyResource(dg.ConfigurableResource):
    """The secret key of the keyed hash that pseudonymises patient and staff identifiers (and
    gives peers their stable anonymous codes)."""

    key: str

    def value(self) -> bytes:
        return checked_key(self.key)


class WarehouseResource(HomeResource):
    """The mart for readers: a read-only DuckDB connection to the home's warehouse. It is a home
    of its own (same `home` field) rather than a nested resource, whose initialisation calls a
    deprecated Dagster API."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        database = str(self.settings.warehouse)
        with DuckDBResource(database=database, connection_config=READ_ONLY).get_connection() as c:
            yield c


def peerbench_resources() -> dict[str, dg.ConfigurableResource]:
    """Every resource, as the code location binds them (tests bind the same)."""
    return {
        "home": HomeResource(),
        "pseudonym_key": PseudonymKeyResource(key=dg.EnvVar(PSEUDONYM_KEY_ENV)),
        "warehouse": WarehouseResource(),
        "dbt": dbt_resource(),
    }
