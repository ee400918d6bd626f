"""The mart is incremental by period: a late return rebuilds its month (and the month after, whose
change from the previous month it moves), and the result equals a full rebuild row for row.

The full rebuild (`refresh --full`) is the independent computation: it drops nothing in place and
recomputes every period from the lake.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import use_home

import orchestration.runs as refresh_runs
from assets.dbt import build_args, parse_state_for, window_env
from orchestration.cli import main
from orchestration.demo_data import DemoConfig, generate
from orchestration.resources import DBT_EXECUTABLE
from orchestration.runs import (
    FULL_WINDOW,
    RefreshPlan,
    mart_window,
    record_mart_built,
    record_mart_pending,
    reference_fingerprint,
)
from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR, Settings

DEMO = DemoConfig(
    rtt_start=None,  # RTT is tested in test_rtt and test_pipeline
    mhsds_start=None,  # and MHSDS in test_mhsds and test_pipeline
    cwt_start=None,  # and CWT in test_cwt and test_pipeline
    seed=11,
    community_start="2024-04",
    mhlda_start="2024-04",
    ae_start="2024-04",
    operational_start="2024-06",
    last_month="2024-07",
    community_providers=12,
    mental_health_trusts=6,
    operational_providers=2,
    contacts_per_month=300,
)
NOW = datetime(2024, 12, 1)
REFRESH = ["refresh", "--start", "2024-04", "--to", "2024-07"]
PUBLISH = ["publish", "--as-of", NOW.date().isoformat()]
TABLES = ("fct_metric_value", "fct_benchmark", "dim_organisation", "dim_period")


def _mart(home: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return {
            table: connection.sql(f"select * from marts.{table} order by all").df()
            for table in TABLES
        }


def _mart_windows() -> list[dict[str, str]]:
    """The period window of every mart build in the instance ($DAGSTER_HOME), oldest first."""
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="mart_refresh_job"))
    return [run.run_config["ops"]["mart_dbt_models"]["config"] for run in reversed(runs)]


def _parse_events(home: Path) -> set[str]:
    """The names of dbt's parse events (a full parse and why, or a partial one and its files) in
    the home's last dbt build, from the log dbt keeps in the home."""
    target = home / "dbt"
    results = json.loads((target / "run_results.json").read_text())
    invocation = results["metadata"]["invocation_id"]
    names = set()
    for log in target.glob("dbt.log*"):
        for line in log.read_text().splitlines():
            info = json.loads(line)["info"] if line.startswith("{") else {}
            if info.get("invocation_id") == invocation and "Pars" in info["name"]:
                names.add(info["name"])
    return names


def _resubmit(home: Path, organisation: str, month: str) -> tuple[str, float]:
    """A later return for one organisation and month whose first metric's numerator is halved;
    returns that metric and its new value, worked out here from the catalogue's definition."""
    folder = home / "landing" / "community_indicators" / month
    original = sorted(folder.glob(f"{organisation}_*.csv"))[-1]
    rows = pd.read_csv(original, dtype={"numerator": float, "denominator": float})
    metric = rows.loc[rows["denominator"] > 0, "metric_code"].iloc[0]
    rows.loc[rows["metric_code"] == metric, "numerator"] = (
        rows.loc[rows["metric_code"] == metric, "numerator"] // 2
    )
    rows.to_csv(folder / f"{organisation}_20240915T0900.csv", index=False)
    catalogue = pd.read_csv(Path(__file__).parents[1] / "seeds" / "metric_catalogue.csv")
    multiplier = catalogue.set_index("metric_code").loc[metric, "multiplier"]
    row = rows[rows["metric_code"] == metric].iloc[0]
    return metric, row["numerator"] / row["denominator"] * multiplier


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        generate(home / "landing", DEMO, now=NOW)
        assert main(REFRESH) == 0
        first_parse = _parse_events(home)
        assert main(PUBLISH) == 0
        before = _mart(home)
        organisation = (
            before["fct_metric_value"]
            .query("collection == 'community_indicators'")["organisation_code"]
            .min()
        )
        metric, value = _resubmit(home, organisation, "2024-05")
        assert main(REFRESH) == 0
        late_parse = _parse_events(home)
        late_build = tmp_path_factory.mktemp("late_build")
        shutil.copy(home / "warehouse.duckdb", late_build)
        shutil.copytree(home / "dbt" / "compiled", late_build / "compiled")
        assert main(PUBLISH) == 0
        incremental = _mart(home)
        assert main([*REFRESH, "--full"]) == 0
        full = _mart(home)
        windows = _mart_windows()
        yield {
            "windows": windows,
            "parses": (first_parse, late_parse),
            "home": home,
            "before": before,
            "incremental": incremental,
            "full": full,
            "organisation": organisation,
            "metric": metric,
            "value": value,
            "late_build": late_build,
        }


def test_a_late_return_rebuilds_only_its_month_and_the_month_after(runs):
    first, late, full = runs["windows"]
    assert first == {"min_date": "1900-01-01", "max_date": "2999-12-31", "full_refresh": True}
    assert late == {"min_date": "2024-05-01", "max_date": "2024-06-01", "full_refresh": False}
    assert full == first


def test_the_incremental_mart_equals_a_full_rebuild(runs):
    for table in TABLES:
        incremental, full = (
            runs[build][table].drop(columns="refreshed_at", errors="ignore")
            for build in ("incremental", "full")
        )
        pd.testing.assert_frame_equal(incremental, full, obj=table)


def _everyone(benchmark: pd.DataFrame) -> pd.DataFrame:
    """The benchmark among all peers, one row per metric, organisation and month."""
    return benchmark[benchmark["peer_group"] == "all"].set_index(
        ["metric_code", "organisation_code", "period_start"]
    )


def test_the_late_value_reaches_its_month_and_the_next_months_change(runs):
    values = _everyone(runs["incremental"]["fct_benchmark"])
    key = (runs["metric"], runs["organisation"])
    may = values.loc[(*key, pd.Timestamp("2024-05-01"))]
    june = values.loc[(*key, pd.Timestamp("2024-06-01"))]
    assert may["value"] == pytest.approx(runs["value"])
    assert june["previous_value"] == pytest.approx(runs["value"])
    before = _everyone(runs["before"]["fct_benchmark"])
    assert before.loc[(*key, pd.Timestamp("2024-05-01")), "value"] != pytest.approx(runs["value"])


def _rebuilt(rows: pd.DataFrame, months: list[str]) -> pd.Series:
    """The rows a refresh of May rewrites: the months named, and the operational quarters and
    rolling 12 months ending from May on (those holding May, or comparing with one that does)."""
    monthly = rows["grain"] == "month"
    longer_from_may = ~monthly & (rows["period_end"] >= pd.Timestamp(months[0]))
    return (monthly & rows["period_start"].isin(pd.to_datetime(months))) | longer_from_may


@pytest.mark.parametrize(
    ("table", "rebuilt"),
    [
        ("fct_metric_value", ["2024-05-01", "2024-06-01", "2024-07-01"]),
        ("fct_benchmark", ["2024-05-01", "2024-06-01"]),
    ],
)
def test_rows_outside_the_window_are_left_in_place(runs, table, rebuilt):
    """Each build stamps the rows it writes; the late return's build rewrote only May and, for
    the values, the 12 months after (here June and July), whose quality flags judge May's value
    as history, and for the benchmark June, whose change from May it moved."""
    before, after = runs["before"][table], runs["incremental"][table]
    first_build = before["refreshed_at"].unique()
    assert len(first_build) == 1
    in_window = _rebuilt(after, rebuilt)
    assert (after.loc[~in_window, "refreshed_at"] == first_build[0]).all()
    assert (after.loc[in_window, "refreshed_at"] > first_build[0]).all()
    assert in_window.any() and (~in_window).any()
    kept = ~_rebuilt(before, rebuilt)
    pd.testing.assert_frame_equal(
        before[kept].reset_index(drop=True), after[~in_window].reset_index(drop=True), obj=table
    )


def _failures(warehouse: Path, compiled: Path, model: str, test: str) -> list[tuple]:
    """What the dbt test `test` of `model`, as the late return's build compiled it, finds in
    `warehouse` (a copy named like the warehouse, so the compiled names resolve)."""
    folder = next((compiled / "peerbench" / "models").rglob(f"{model}.yml"))
    (sql,) = [path.read_text() for path in folder.glob(f"{test}*.sql")]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(f"select * from ({sql}) order by all").fetchall()


@pytest.mark.parametrize(
    ("model", "test", "key", "in_place", "rewritten"),
    [
        # a mart: the rows the build stamped with its refreshed_at
        ("fct_metric_value", "unique_fct_metric_value_metric_value_id", "metric_value_id",
         "period_end < date '2024-05-01'", "period_end >= date '2024-05-01'"),
        # an incremental intermediate model: its partition window (May)
        ("int_community_metric_values", "not_null_columns", "organisation_code",
         "period_start = date '2024-04-01'", "period_start = date '2024-05-01'"),
    ],
)  # fmt: skip
def test_an_incremental_builds_tests_check_the_rows_it_wrote(
    runs, tmp_path, model, test, key, in_place, rewritten
):
    """The late return's build rewrote May's window and left April in place (tested when the
    first build wrote it): its tests check what it wrote, not 40M rows of history again. A
    break in a rewritten row is found and named; one in a row left in place is not looked at."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(runs["late_build"] / "warehouse.duckdb", warehouse)
    compiled = runs["late_build"] / "compiled"
    table = f"{'marts' if model.startswith('fct') else 'intermediate'}.{model}"
    assert _failures(warehouse, compiled, model, test) == []

    def break_one(where: str) -> None:
        with duckdb.connect(str(warehouse)) as connection:
            if test.startswith("unique"):  # a second copy of one row
                one = f"select * from {table} where {where} limit 1"
                connection.execute(f"insert into {table} ({one})")
            else:
                connection.execute(
                    f"update {table} set {key} = null where rowid = "
                    f"(select min(rowid) from {table} where {where})"
                )

    break_one(in_place)
    assert _failures(warehouse, compiled, model, test) == []
    break_one(rewritten)
    (found,) = _failures(warehouse, compiled, model, test)
    # unique: the key and its two rows; not_null_columns: the column and its one null
    assert found[1] == 2 if test.startswith("unique") else found == (key, 1)


def test_a_tables_tests_check_every_row(runs, tmp_path):
    """int_operational_measures is a table, rebuilt whole: a null anywhere in it is found, with
    the column named and the rows counted, one finding per column."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(runs["late_build"] / "warehouse.duckdb", warehouse)
    compiled = runs["late_build"] / "compiled"
    model = "int_operational_measures"
    assert _failures(warehouse, compiled, model, "not_null_columns") == []
    with duckdb.connect(str(warehouse)) as connection:
        first = connection.execute(
            f"select min(period_start) from intermediate.{model}"
        ).fetchall()[0][0]
        connection.execute(
            f"update intermediate.{model} set value = null, grain = null "
            f"where rowid in (select rowid from intermediate.{model} "
            f"where period_start = '{first}' limit 3)"
        )
    assert _failures(warehouse, compiled, model, "not_null_columns") == [
        ("grain", 3),
        ("value", 3),
    ]


def _plan(first: str, end: str) -> RefreshPlan:
    return RefreshPlan({"month": [first[:7]], "quarter": []}, first, end)


NOTHING = RefreshPlan({"month": [], "quarter": []}, "1900-01-01", "1900-01-01")


@pytest.fixture
def built_home(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path, real_data_dir=tmp_path)
    register = tmp_path / "lake" / "organisations" / "data.parquet"
    register.parent.mkdir(parents=True)
    register.write_bytes(b"register v1")
    settings.warehouse.write_bytes(b"")
    record_mart_built(settings, reference_fingerprint(settings))
    return settings


def test_an_up_to_date_mart_needs_no_build_and_a_changed_month_only_its_window(built_home):
    assert mart_window(built_home, NOTHING, full=False) is None
    assert mart_window(built_home, _plan("2024-05-01", "2024-06-01"), full=False) == (
        "2024-05-01",
        "2024-06-01",
    )
    assert mart_window(built_home, NOTHING, full=True) == FULL_WINDOW


def test_a_build_that_never_finished_is_owed_to_the_next_refresh(built_home):
    record_mart_pending(built_home, ("2024-03-01", "2024-04-01"))  # then killed or failed
    assert mart_window(built_home, NOTHING, full=False) == ("2024-03-01", "2024-04-01")
    assert mart_window(built_home, _plan("2024-07-01", "2024-08-01"), full=False) == (
        "2024-03-01",
        "2024-08-01",
    )
    record_mart_built(built_home, reference_fingerprint(built_home))
    assert mart_window(built_home, NOTHING, full=False) is None


def test_new_reference_data_or_a_missing_warehouse_rebuild_everything(built_home):
    (built_home.lake / "organisations" / "data.parquet").write_bytes(b"register v2")
    assert mart_window(built_home, NOTHING, full=False) == FULL_WINDOW
    record_mart_built(built_home, reference_fingerprint(built_home))
    built_home.warehouse.unlink()
    assert mart_window(built_home, NOTHING, full=False) == FULL_WINDOW


def test_the_dbt_build_arguments_carry_a_full_refresh_only_when_asked_and_the_window_apart():
    duckdb = {"duckdb_memory_limit": "1GB"}
    unit_tests_out = ["--exclude-resource-type", "unit_test"]
    assert build_args(duckdb) == ["build", *unit_tests_out, "--vars", json.dumps(duckdb)]
    assert build_args(duckdb, full_refresh=True)[-1] == "--full-refresh"
    assert build_args() == ["build", *unit_tests_out]
    # the names macros/partition_window.sql reads
    macros = (DBT_PROJECT_DIR / "macros" / "partition_window.sql").read_text()
    read = set(re.findall(r"env_var\('(PEERBENCH_WINDOW_\w+)'", macros))
    assert window_env("2024-05-01", "2024-06-01") == {
        "PEERBENCH_WINDOW_START": "2024-05-01",
        "PEERBENCH_WINDOW_END": "2024-06-01",
    }
    assert read == set(window_env("", ""))


def test_a_build_after_another_parses_only_the_models_that_read_the_window(runs):
    """dbt parses the whole project again when its --vars or its profile change: the window
    travels in the environment instead, and each home keeps dbt's parse state, so the late
    return's build parses again only the files that read the window. (A new home's first build
    parses everything: the detector sees a full parse when there is one.)"""
    first, late = runs["parses"]
    assert "UnableToPartialParse" in first
    assert "PartialParsingEnabled" in late and "UnableToPartialParse" not in late


def test_a_changed_model_rebuilds_everything(built_home, tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    for part in ("models", "macros"):
        shutil.copytree(DBT_PROJECT_DIR / part, project / part)
    shutil.copy(DBT_PROJECT_DIR / "dbt_project.yml", project)
    monkeypatch.setattr(refresh_runs, "DBT_PROJECT_DIR", project)
    record_mart_built(built_home, reference_fingerprint(built_home))
    assert mart_window(built_home, NOTHING, full=False) is None
    model = project / "models" / "marts" / "fct_benchmark.sql"
    model.write_text(model.read_text() + "\n-- a new column, say\n")
    assert mart_window(built_home, NOTHING, full=False) == FULL_WINDOW


# a late return after publication: the next version


def _versions(home: Path) -> dict[str, list[str]]:
    published = home / "published"
    return {
        folder.relative_to(published).as_posix(): sorted(v.name for v in folder.glob("v*"))
        for folder in sorted(published.glob("*/*"))
    }


def test_a_late_return_after_publication_is_published_as_the_next_version(runs):
    """May's late return republishes May, and June, whose reports show May as the previous
    value and the change from it; nothing else changes."""
    home, organisation = runs["home"], runs["organisation"]
    versions = _versions(home)
    assert versions.pop("community_indicators/2024-05") == ["v1", "v2"]
    assert versions.pop("community_indicators/2024-06") == ["v1", "v2"]
    assert set(map(tuple, versions.values())) == {("v1",)}
    may = home / "published" / "community_indicators" / "2024-05"
    manifest = json.loads((may / "v2" / "manifest.json").read_text())
    superseded = sorted(
        (home / "landing" / "community_indicators" / "2024-05").glob(f"{organisation}_*")
    )
    assert manifest["replaces"] == "v1"
    assert manifest["reason"] == {
        "added": [f"community_indicators/2024-05/{superseded[-1].name}"],
        "superseded": [f"community_indicators/2024-05/{superseded[0].name}"],
    }
    assert json.loads((may / "v1" / "manifest.json").read_text())["version"] == 1


def test_peer_codes_differ_between_two_publications(runs):
    may = runs["home"] / "published" / "community_indicators" / "2024-05"
    codes = {
        version: set(re.findall(r'class="bar-label">(P[0-9A-F]{6})<', page.read_text()))
        for version in ("v1", "v2")
        for page in [may / version / "distributions" / "community_provider.html"]
    }
    assert len(codes["v1"]) == len(codes["v2"]) >= 10
    assert not codes["v1"] & codes["v2"]


def test_publications_are_readable_by_others_and_leave_no_staging(runs):
    published = runs["home"] / "published"
    for path in published.rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode == (0o755 if path.is_dir() else 0o644) or path.name == ".lock", path
        assert not path.name.startswith(".v"), path


def test_the_landing_sensor_loads_a_late_return_and_republishes_its_windows(runs, tmp_path):
    """In a copy of the published home, a late June return: the sensor's ticks run the lake job
    over June, then one dbt build over June (which also moves July's change from June), then
    publish June and July again as the next version, and then find nothing to do."""
    from orchestration.definitions import defs
    from orchestration.runs import run_job
    from orchestration.sensors import LANDING_SENSOR

    home = tmp_path / "home"
    shutil.copytree(runs["home"], home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBENCH_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        patch.setenv("PEERBENCH_PSEUDONYM_KEY", "a key for the copied home only")
        _resubmit(home, runs["organisation"], "2024-06")
        sensor = defs.resolve_sensor_def(LANDING_SENSOR)
        started: list[tuple[str, str]] = []
        with dg.DagsterInstance.get() as instance:
            for _ in range(6):
                with dg.build_sensor_context(
                    instance=instance,
                    repository_def=defs.get_repository_def(),
                    resources=dict(defs.resources or {}),
                ) as context:
                    result = sensor.evaluate_tick(context)
                if not result.run_requests:
                    break
                for request in result.run_requests:
                    outcome = run_job(
                        defs, request.job_name, instance, partition_key=request.partition_key,
                        tags=request.tags, run_config=request.run_config,
                    )  # fmt: skip
                    assert outcome.success, outcome
                    started.append((request.job_name, outcome.partitions))
            mart_runs = instance.get_runs(
                filters=dg.RunsFilter(job_name="mart_refresh_job"), limit=1
            )
    assert started[0] == ("monthly_from_2020_04_refresh_job", "2024-06-01...2024-06-01")
    assert started[1] == ("mart_refresh_job", "-")
    assert sorted(started[2:]) == [
        ("publish_community_indicators_job", "2024-06-01"),
        ("publish_community_indicators_job", "2024-07-01"),
    ]
    assert "up to date" in (result.skip_message or "")
    versions = _versions(home)
    assert versions["community_indicators/2024-06"] == ["v1", "v2", "v3"]
    assert versions["community_indicators/2024-07"] == ["v1", "v2"]
    june = json.loads(
        (home / "published" / "community_indicators" / "2024-06" / "v3" / "manifest.json")
        .read_text()
    )  # fmt: skip
    assert june["replaces"] == "v2"
    assert june["reason"]["added"] == [
        f"community_indicators/2024-06/{runs['organisation']}_20240915T0900.csv"
    ]
    config = mart_runs[0].run_config["ops"]["mart_dbt_models"]["config"]
    assert (config["min_date"], config["max_date"]) == ("2024-06-01", "2024-07-01")


def test_a_home_built_by_a_project_elsewhere_parses_afresh(tmp_path, monkeypatch):
    """dbt's saved parse state holds the project's absolute paths, which dbt does not check: a
    home built by an installation elsewhere, since removed, would load its seeds from the gone
    folder. The build drops state parsed from another project folder (`parse_state_for`)."""
    use_home(tmp_path / "home", monkeypatch)
    target = tmp_path / "home" / "dbt"
    projects = []
    for name in ("old", "new"):
        ignored = shutil.ignore_patterns("target", "logs")
        shutil.copytree(DBT_PROJECT_DIR, tmp_path / name / "dbt_project", ignore=ignored)
        shutil.copytree(SEEDS_DIR, tmp_path / name / "seeds")
        projects.append(tmp_path / name / "dbt_project")

    def seed(project: Path) -> subprocess.CompletedProcess:
        parse_state_for(target, project)
        folders = ["--target-path", str(target), "--log-path", str(target)]
        return subprocess.run(
            [DBT_EXECUTABLE, "seed", "--select", "organisation_types", *folders],
            cwd=project,
            env=os.environ | {"DBT_PROFILES_DIR": str(project)},
            capture_output=True,
            text=True,
        )

    first = seed(projects[0])
    assert first.returncode == 0, first.stdout
    assert (target / "partial_parse.msgpack").exists()
    shutil.rmtree(tmp_path / "old")
    second = seed(projects[1])
    assert second.returncode == 0, second.stdout
