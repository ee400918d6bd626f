"""The resources assets reach the outside world through."""

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import dagster as dg
import dagster_dbt.core.resource
import duckdb
import pytest

from assets.dbt import duckdb_vars
from orchestration.cli import main
from orchestration.resources import (
    DBT_EXECUTABLE,
    HomeResource,
    PseudonymKeyResource,
    WarehouseResource,
    dbt_resource,
    peerbench_resources,
)
from orchestration.settings import DBT_PROJECT_DIR


def test_the_warehouse_resource_reads_and_never_writes(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as writer:
        writer.execute("create table mart as select 42 as answer")
    warehouse = WarehouseResource(home=str(tmp_path))
    with warehouse.get_connection() as connection:
        assert connection.execute("select answer from mart").fetchall() == [(42,)]
        with pytest.raises(duckdb.Error, match="Cannot execute statement"):
            connection.execute("create table leak as select 1")


def test_the_home_resource_follows_peerbench_home(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PEERBENCH_HOME", str(tmp_path / "elsewhere"))
    assert HomeResource().settings.lake == tmp_path / "elsewhere" / "lake"
    assert HomeResource(home=str(tmp_path)).settings.warehouse == tmp_path / "warehouse.duckdb"


def test_the_key_comes_from_the_environment_and_a_short_one_is_refused(monkeypatch):
    monkeypatch.setenv("PEERBENCH_PSEUDONYM_KEY", "k" * 32)
    assert peerbench_resources()["pseudonym_key"].key == dg.EnvVar("PEERBENCH_PSEUDONYM_KEY")
    with pytest.raises(RuntimeError, match="shorter than 16 characters"):
        PseudonymKeyResource(key="short").value()
    assert PseudonymKeyResource(key="k" * 32).value() == b"k" * 32


def test_duckdb_memory_limit_and_spill_folder_reach_the_lake_and_dbts_connection(
    tmp_path: Path, monkeypatch
):
    """PEERBENCH_DUCKDB_MEMORY_LIMIT bounds DuckDB in the lake's ingest and in dbt's build (which
    spill into the home beyond it): read back from a connection of each."""
    monkeypatch.setenv("PEERBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("PEERBENCH_DUCKDB_MEMORY_LIMIT", "1GB")
    settings = HomeResource().settings
    assert settings.duckdb_scratch == tmp_path / "duckdb_scratch"
    one_gb = "953.6 MiB"  # DuckDB's way of writing 10^9 bytes
    with duckdb.connect(config=settings.duckdb_config) as lake:
        assert lake.execute("select current_setting('memory_limit')").fetchall() == [(one_gb,)]
    operation = ["run-operation", "print_duckdb_setting", "--args", "{name: memory_limit}"]
    apart = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    done = subprocess.run(
        [DBT_EXECUTABLE, *operation, "--vars", json.dumps(duckdb_vars(settings)), *apart],
        cwd=DBT_PROJECT_DIR,
        env=os.environ | {"DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"memory_limit={one_gb}" in done.stdout.splitlines()


def test_a_memory_limit_that_is_not_a_size_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.setenv("PEERBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("PEERBENCH_DUCKDB_MEMORY_LIMIT", "lots")
    assert main(["status"]) == 1
    assert capsys.readouterr().err.strip() == (
        "peerbench: PEERBENCH_DUCKDB_MEMORY_LIMIT='lots' is not a size such as 2GB, 500MB or 50%"
    )
    assert not (tmp_path / "dagster").exists() and not (tmp_path / "lake").exists()
    for size in ("512MB", "1.5GiB", "50%", " 2gb "):
        monkeypatch.setenv("PEERBENCH_DUCKDB_MEMORY_LIMIT", size)
        with duckdb.connect(config=HomeResource().settings.duckdb_config) as connection:
            assert connection.execute("select current_setting('memory_limit')").fetchall()


def test_the_dbt_resource_knows_dbts_version_without_running_dbt(monkeypatch):
    """dagster-dbt runs `dbt --version` before each invocation (3.4 s here); the resource reads
    the version of the dbt-core installed beside it instead, which is what `dbt --version`
    prints."""
    printed = subprocess.run(
        [DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True
    ).stdout
    installed = re.search(r"installed: (\d+\.\d+\.\d+)", printed)
    assert installed, printed

    def no_subprocess(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"dbt was run: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    assert str(dbt_resource()._cli_version) == installed.group(1)


def test_the_installed_packages_are_compiled_to_bytecode():
    """Set-up compiles the installed packages' bytecode once (`make setup`): uv does not, and
    where PYTHONDONTWRITEBYTECODE is set Python never caches it, so every process (each
    command, each dbt build) compiled dagster, dbt and pandas from source again."""
    import dbt.cli.main
    import pandas

    for module in (dg, dagster_dbt.core.resource, dbt.cli.main, pandas, duckdb):
        source = module.__file__
        assert source is not None and "site-packages" in source
        assert Path(importlib.util.cache_from_source(source)).exists(), module.__name__
