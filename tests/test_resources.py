"""The resources assets reach the outside world through."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.resources import (
    HomeResource,
    PseudonymKeyResource,
    WarehouseResource,
    peerbench_resources,
)


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
