"""NHS England's RTT full CSV extract: the real April 2026 file (its first 5,000 rows) through the
contract and the lake asset. Expected figures come from Python's csv module reading the same
file: a code path that shares nothing with DuckDB or the contract."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from csv_edits import drop_column, rename_column, set_cell

from assets.national import nhse_rtt_pathways
from contracts.rtt import BAND_COLUMNS, LAKE_COLUMNS, rtt_contract
from contracts.validation import ContractViolationError, validate_file, validate_files
from orchestration.registry import partition_dir, recognise
from orchestration.resources import HomeResource
from orchestration.settings import get_settings

SAMPLE = "20260430-RTT-April-2026-full-extract-first5000.csv"
NAME = "20260430-RTT-April-2026-full-extract.csv"  # the name inside NHS England's zip
APRIL = "2026-04"


@pytest.fixture(scope="module")
def real_rtt(real_data: Path) -> Path:
    return real_data / "rtt" / SAMPLE


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def _column_sums(rows: list[list[str]]) -> dict[str, int]:
    header = rows[0]
    counts = [c for c in header if c in BAND_COLUMNS or c.startswith("Total") or "unknown" in c]
    return {c: sum(int(r[header.index(c)] or 0) for r in rows[1:]) for c in counts}


def test_the_real_extract_loads_whole_and_its_column_totals_agree(real_rtt):
    frame = validate_file(real_rtt, rtt_contract(APRIL))
    rows = _rows(real_rtt)
    assert len(frame) == len(rows) - 1 == 5_000
    expected = _column_sums(rows)
    assert len(expected) == 108  # 105 bands, Total, unknown clock starts, Total All
    assert {c: int(frame[c].sum()) for c in expected} == expected


def test_the_file_names_nhs_england_uses_are_recognised():
    for name, release in [(NAME, (0, ())), (NAME.replace(".csv", "-revised.csv"), (1, ()))]:
        found = recognise(f"nhse_rtt/{name}")
        assert found is not None and found.source.name == "nhse_rtt_pathways"
        assert (found.period, found.release) == (APRIL, release)
    assert recognise(f"nhse_rtt/{SAMPLE}") is None  # not a published name


def _materialize(partition_key: str = f"{APRIL}-01") -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [nhse_rtt_pathways],
        partition_key=partition_key,
        instance=dg.DagsterInstance.get(),
        resources={"home": HomeResource()},
    )


def _lake() -> pd.DataFrame:
    folder = partition_dir(get_settings().lake, "nhse_rtt_pathways", APRIL)
    return pd.read_parquet(folder / "data.parquet")


def test_the_lake_holds_every_row_with_the_published_counts(real_rtt, home):
    landing = get_settings().landing / "nhse_rtt"
    landing.mkdir(parents=True)
    shutil.copy(real_rtt, landing / NAME)

    result = _materialize()

    assert result.success
    lake = _lake()
    rows = _rows(real_rtt)
    assert len(lake) == 5_000 and (lake["period"] == APRIL).all()
    names = {published: name for published, name in LAKE_COLUMNS.items()}
    assert {names[c]: int(lake[names[c]].sum()) for c in _column_sums(rows)} == {
        names[c]: total for c, total in _column_sums(rows).items()
    }
    header = rows[0]
    providers = {r[header.index("Provider Org Code")] for r in rows[1:]}
    assert set(lake["organisation_code"]) == providers
    assert (lake["source_file"] == f"nhse_rtt/{NAME}").all()


def test_a_revised_release_replaces_the_original_exactly(real_rtt, home):
    landing = get_settings().landing / "nhse_rtt"
    rows = _rows(real_rtt)
    _write_rows(landing / NAME, rows[:1] + rows[1:101])  # an earlier, shorter release
    revised = NAME.replace(".csv", "-revised.csv")
    shutil.copy(real_rtt, landing / revised)

    _materialize()

    lake = _lake()
    assert len(lake) == 5_000 and (lake["source_file"] == f"nhse_rtt/{revised}").all()
    submissions = pd.read_parquet(
        get_settings().lake / "submissions" / "dataset=nhse_rtt_pathways" / f"period={APRIL}"
    )
    assert dict(zip(submissions["source_file"], submissions["status"], strict=True)) == {
        f"nhse_rtt/{NAME}": "superseded",
        f"nhse_rtt/{revised}": "accepted",
    }


@pytest.mark.parametrize(
    ("edit", "line", "column", "rule"),
    [
        (drop_column("Total All"), 1, "Total All", "expected column is missing"),
        (
            rename_column("RTT Part Type", "Part Type"),
            1,
            "RTT Part Type",
            "expected column is missing",
        ),
        (set_cell(40, "Gt 03 To 04 Weeks SUM 1", "n/a"), 40, "Gt 03 To 04 Weeks SUM 1", "coerce"),
        (set_cell(41, "Gt 03 To 04 Weeks SUM 1", "2.5"), 41, "Gt 03 To 04 Weeks SUM 1", "coerce"),
        (set_cell(2, "Total", "999999"), 2, "Total", "the week bands do not add up to Total"),
        (set_cell(7, "RTT Part Type", "Part_9"), 7, "RTT Part Type", "not an RTT part"),
        (set_cell(9, "Period", "RTT-March-2026"), 9, "Period", "period is not RTT-April-2026"),
    ],
    ids=[
        "missing column",
        "renamed header",
        "text in a count",
        "decimal count",
        "bands against Total",
        "unknown part",
        "wrong period",
    ],
)
def test_a_bad_variant_is_refused_with_a_located_error(
    real_rtt, tmp_path, edit, line, column, rule
):
    rows = _rows(real_rtt)
    edit(rows)
    path = _write_rows(tmp_path / NAME, rows)
    with pytest.raises(ContractViolationError) as refused:
        validate_file(path, rtt_contract(APRIL))
    first = refused.value.violations[0]
    assert (first.file, first.line, first.column) == (NAME, line, column)
    assert first.rule.startswith(rule)


def test_a_count_padded_with_spaces_keeps_its_value(real_rtt, tmp_path):
    """The first pass converts counts by DuckDB's own conversion and reads without DuckDB's
    insertion order (both faster): a count padded with spaces is flagged there, read again in
    the located pass, found good and kept with its value; the connection's setting is its own
    again afterwards."""
    rows = _rows(real_rtt)
    column = "Total All"
    line = next(n for n, row in enumerate(rows[1:], start=2) if int(row[rows[0].index(column)]))
    set_cell(line, column, f"  {rows[line - 1][rows[0].index(column)]} ")(rows)
    path = _write_rows(tmp_path / NAME, rows)
    setting = "select current_setting('preserve_insertion_order')"
    with duckdb.connect() as connection:
        before = connection.execute(setting).fetchall()
        result = validate_files(connection, {NAME: path}, rtt_contract(APRIL))  # as ingest does
        assert connection.execute(setting).fetchall() == before == [(True,)]
        frame = connection.execute(f"select * from {result.table}").df()
    assert result.accepted == [NAME]
    expected = _column_sums(_rows(real_rtt))
    assert {c: int(frame[c].sum()) for c in expected} == expected


def test_a_truncated_download_is_refused_and_leaves_the_lake_as_it_was(real_rtt, home):
    landing = get_settings().landing / "nhse_rtt"
    landing.mkdir(parents=True)
    shutil.copy(real_rtt, landing / NAME)
    _materialize()
    before = _lake()

    text = real_rtt.read_bytes()
    revised = landing / NAME.replace(".csv", "-revised.csv")
    revised.write_bytes(text[: len(text) // 2])  # cut off mid-line

    result = _materialize()

    pd.testing.assert_frame_equal(_lake(), before)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    [violations] = check.metadata["violations"].value.values()
    assert any("fewer fields than the header has columns" in v for v in violations)
