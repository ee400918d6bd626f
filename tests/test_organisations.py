"""Organisation types and mergers: NHS ODS's independent providers (ephp), GP practices
(epraccur) and successions (succ) through their contracts and the lake, and a mart built from
NHS England's real June 2024 A&E file and ODS's real trusts file (etr), with hand-built ephp,
epraccur and succ files in ODS's published layouts (no real ones are at hand).

Expected figures come from pandas and the csv module reading the same files; expected types are
written out by hand, one per rule of the precedence.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import land_register, use_home

from assets.reference import ods_successors
from contracts.ods_epraccur import ods_epraccur_contract
from contracts.ods_etr import ods_ephp_contract
from contracts.ods_succ import ods_succ_contract
from contracts.validation import ContractViolationError, validate_file
from orchestration.cli import main
from orchestration.registry import STATIC_PERIOD, partition_dir
from orchestration.resources import HomeResource
from orchestration.settings import get_settings

JUNE = "Monthly-AE-June-2024.csv"
CATALOGUE = Path(__file__).parents[1] / "seeds" / "metric_catalogue.csv"
NEW_TRUST = "R9X"  # the successor of a merger: a code the real etr does not hold
# RYJ and RQM merge into a new trust; RAL was taken over by R1K, which RJ1 took over in turn
SUCCESSIONS = [
    ["RYJ", NEW_TRUST, "", "20240401", ""],
    ["RQM", NEW_TRUST, "", "20240401", ""],
    ["RAL", "R1K", "", "20230401", ""],
    ["R1K", "RJ1", "", "20240401", ""],
]
MEMBER = "RPC"  # a specialist trust with a minor injuries unit only; a member, as acute


def _write(path: Path, rows: list[list[str]]) -> Path:
    """Rows as ODS writes them: no header, every field quoted, CRLF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return path


def _ods_row(columns: tuple[str, ...], **values: str) -> list[str]:
    row = dict.fromkeys(columns, "")
    row.update(values)
    return list(row.values())


def _ephp_rows() -> list[list[str]]:
    """Two independent providers; NL7 runs urgent treatment centres (type 3 only in A&E)."""
    columns = ods_ephp_contract.headerless
    common = {"address_line_1": "1 HIGH STREET", "postcode": "LS1 4AP", "open_date": "20100101"}
    return [
        _ods_row(columns, organisation_code="NL7", name="AN URGENT CARE LTD", **common,
                 amended_record_indicator="0"),
        _ods_row(columns, organisation_code="NT3", name="A HOSPITAL GROUP LTD",
                 national_grouping="Y63", high_level_health_geography="QWO", **common,
                 amended_record_indicator="0", gor_code="D"),
    ]  # fmt: skip


def _epraccur_rows() -> list[list[str]]:
    """A GP practice that runs a walk-in service (in A&E with type 3 only), and one that does
    not appear in national data; a closed walk-in centre practice."""
    columns = ods_epraccur_contract.headerless
    common = {
        "address_line_1": "THE SURGERY",
        "postcode": "B15 2TT",
        "open_date": "19740401",
        "amended_record_indicator": "0",
        "national_grouping": "Y60",
        "high_level_health_geography": "QHL",
        "commissioner_code": "15E",
    }
    return [
        _ods_row(columns, organisation_code="C82038", name="A PRACTICE", status_code="A",
                 organisation_sub_type_code="B", prescribing_setting="4", **common),
        _ods_row(columns, organisation_code="M85001", name="ANOTHER PRACTICE", status_code="A",
                 organisation_sub_type_code="B", prescribing_setting="4", **common),
        _ods_row(columns, organisation_code="Y02615", name="A WALK IN CENTRE", status_code="C",
                 close_date="20230331", prescribing_setting="1", **common),
    ]  # fmt: skip


def test_hand_built_ephp_and_epraccur_files_pass_their_contracts(tmp_path):
    ephp = validate_file(_write(tmp_path / "ephp.csv", _ephp_rows()), ods_ephp_contract)
    practices = validate_file(
        _write(tmp_path / "epraccur.csv", _epraccur_rows()), ods_epraccur_contract
    )
    assert ephp["organisation_code"].tolist() == ["NL7", "NT3"]
    assert practices["prescribing_setting"].tolist() == ["4", "4", "1"]


def _set(line: int, column: str, value: str, columns: tuple[str, ...]):
    def edit(rows: list[list[str]]) -> None:
        rows[line - 1][columns.index(column)] = value

    return edit


@pytest.mark.parametrize(
    ("rows", "contract", "line", "column", "rule"),
    [
        (_epraccur_rows, ods_epraccur_contract, 2, "status_code", "isin"),
        (_epraccur_rows, ods_epraccur_contract, 1, "organisation_code", "not a GP practice"),
        (_epraccur_rows, ods_epraccur_contract, 3, "close_date", "not a day of the calendar"),
        (_ephp_rows, ods_ephp_contract, 2, "postcode", "not a UK postcode"),
    ],
    ids=["epraccur status", "epraccur trust code", "epraccur 31 April", "ephp postcode"],
)
def test_a_bad_ods_file_is_refused_with_a_located_error(
    tmp_path, rows, contract, line, column, rule
):
    value = {"status_code": "X", "organisation_code": "RJ1", "close_date": "20230431",
             "postcode": "LEEDS"}[column]  # fmt: skip
    edited = rows()
    _set(line, column, value, contract.headerless)(edited)
    with pytest.raises(ContractViolationError) as refused:
        validate_file(_write(tmp_path / "ods.csv", edited), contract)
    first = refused.value.violations[0]
    assert (first.line, first.column) == (line, column)
    assert first.rule.startswith(rule)


SUCC_COLUMNS = ods_succ_contract.headerless


def _drop_indicator(rows: list[list[str]]) -> None:
    for row in rows:
        del row[-1]


def _append(*row: str) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows.append(list(row))

    return edit


@pytest.mark.parametrize(
    ("edit", "line", "column", "rule"),
    [
        (_drop_indicator, 1, "indicator", "expected column is missing"),
        (_set(2, "effective_date", "2024-04-01", SUCC_COLUMNS), 2, "effective_date", "not a date"),
        (_set(3, "effective_date", "20230230", SUCC_COLUMNS), 3, "effective_date", "not a day"),
        (_set(1, "successor_code", "RYJ", SUCC_COLUMNS), 1, "successor_code", "an organisation"),
        (_append("RJ1", "RAL", "", "20250401", ""), 3, "successor_code", "the successions"),
        (_append("R9X", "RQM", "", "20250401", ""), 2, "successor_code", "the successions"),
    ],
    ids=[
        "missing column",
        "date with dashes",
        "30 February",
        "succeeds itself",
        "cycle of three",
        "cycle of two",
    ],
)
def test_a_bad_succession_file_is_refused_with_a_located_error(tmp_path, edit, line, column, rule):
    rows = [list(row) for row in SUCCESSIONS]
    edit(rows)
    with pytest.raises(ContractViolationError) as refused:
        validate_file(_write(tmp_path / "succ.csv", rows), ods_succ_contract)
    first = refused.value.violations[0]
    assert (first.file, first.line, first.column) == ("succ.csv", line, column)
    located = [v for v in refused.value.violations if (v.line, v.column) == (line, column)]
    assert any(v.rule.startswith(rule) for v in located)


def test_every_row_of_a_cycle_is_named(tmp_path):
    rows = [*SUCCESSIONS, ["RJ1", "RAL", "", "20250401", ""]]
    with pytest.raises(ContractViolationError) as refused:
        validate_file(_write(tmp_path / "succ.csv", rows), ods_succ_contract)
    assert [(v.line, v.column) for v in refused.value.violations] == [
        (3, "successor_code"),
        (4, "successor_code"),
        (5, "successor_code"),
    ]


def _succ_lake() -> pd.DataFrame:
    folder = partition_dir(get_settings().lake, "ods_successors", STATIC_PERIOD)
    return pd.read_parquet(folder / "data.parquet")


def _materialize_successors() -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [ods_successors], instance=dg.DagsterInstance.get(), resources={"home": HomeResource()}
    )


def test_a_bad_succession_file_leaves_the_previous_one_in_force(home):
    landed = _write(home / "landing" / "ods" / "succ.csv", SUCCESSIONS)
    assert _materialize_successors().success
    before = _succ_lake()
    assert sorted(before["predecessor_code"]) == sorted(row[0] for row in SUCCESSIONS)
    effective = before.set_index("predecessor_code")["effective_date"]
    assert str(effective["RYJ"])[:10] == "2024-04-01"

    _write(landed, [*SUCCESSIONS, ["RJ1", "RAL", "", "20250401", ""]])  # a cycle
    result = _materialize_successors()

    pd.testing.assert_frame_equal(_succ_lake(), before)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    [violations] = check.metadata["violations"].value.values()
    assert violations[0].startswith("ods/succ.csv, line 3, column 'successor_code': the succ")


@pytest.fixture(scope="module")
def mart(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Iterator[dict]:
    """A home with a one-member register, the real June 2024 A&E file and etr, and hand-built
    ephp, epraccur and succ files; the mart built once for the module."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        land_register(home, {MEMBER: "acute_trust"})
        landing = home / "landing"
        (landing / "nhse_ae").mkdir()
        shutil.copy(real_data / "ae_monthly" / JUNE, landing / "nhse_ae")
        (landing / "ods").mkdir()
        shutil.copy(real_data / "ods" / "etr.csv", landing / "ods")
        _write(landing / "ods" / "ephp.csv", _ephp_rows())
        _write(landing / "ods" / "epraccur.csv", _epraccur_rows())
        _write(landing / "ods" / "succ.csv", SUCCESSIONS)
        assert main(["refresh", "--start", "2024-06", "--to", "2024-06"]) == 0
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
            yield {
                table: warehouse.sql(f"select * from marts.{table}").df()
                for table in ("fct_metric_value", "dim_organisation")
            }


def _published(real_data: Path) -> pd.DataFrame:
    rows = pd.read_csv(real_data / "ae_monthly" / JUNE)
    return rows[rows["Org Code"] != "TOTAL"].set_index("Org Code")


def _four_hour(rows: pd.DataFrame) -> tuple[float, float]:
    """All-types 4-hour performance's parts, from the published columns: attendances of every
    type, booked ones included, less those over 4 hours; over all attendances."""
    attendances = rows.filter(like="A&E attendances").to_numpy().sum()
    over = rows.filter(like="Attendances over 4hrs").to_numpy().sum()
    return float(attendances - over), float(attendances)


def _multiplier(metric: str) -> float:
    with CATALOGUE.open(newline="") as handle:
        return next(
            float(r["multiplier"]) for r in csv.DictReader(handle) if r["metric_code"] == metric
        )


def _value(mart: dict, metric: str, organisation: str) -> pd.Series:
    values = mart["fct_metric_value"]
    [row] = values[
        (values["metric_code"] == metric) & (values["organisation_code"] == organisation)
    ].to_dict("records")
    return pd.Series(row)


def test_a_merged_trusts_june_value_is_its_predecessors_combined(mart, real_data):
    published = _published(real_data)
    with (real_data / "ods" / "etr.csv").open(newline="") as handle:
        assert NEW_TRUST not in {row[0] for row in csv.reader(handle)}

    numerator, denominator = _four_hour(published.loc[["RYJ", "RQM"]])
    merged = _value(mart, "AE_4HR_ALL", NEW_TRUST)

    assert (merged["numerator"], merged["denominator"]) == (numerator, denominator)
    assert merged["value"] == pytest.approx(numerator / denominator * _multiplier("AE_4HR_ALL"))
    assert merged["reported_organisation_codes"] == "RQM,RYJ"
    assert merged["source_file"] == f"nhse_ae/{JUNE}"
    reported = set(mart["fct_metric_value"]["organisation_code"])
    assert not reported & {"RYJ", "RQM", "RAL", "R1K"}  # each under the one carrying it now


def test_a_chain_of_takeovers_reports_under_the_last(mart, real_data):
    published = _published(real_data)
    numerator, denominator = _four_hour(published.loc[["RAL", "R1K", "RJ1"]])
    type1 = published.loc[["RAL", "R1K", "RJ1"]]
    type1_attendances = (
        type1["A&E attendances Type 1"] + type1["A&E attendances Booked Appointments Type 1"]
    ).sum()

    carried = _value(mart, "AE_4HR_ALL", "RJ1")

    assert (carried["numerator"], carried["denominator"]) == (numerator, denominator)
    assert carried["reported_organisation_codes"] == "R1K,RAL,RJ1"
    assert _value(mart, "AE_4HR_TYPE1", "RJ1")["denominator"] == type1_attendances
    organisations = mart["dim_organisation"].set_index("organisation_code")
    assert organisations.loc["RAL", "successor_code"] == "RJ1"
    assert str(organisations.loc["RAL", "succeeded_on"])[:10] == "2023-04-01"
    assert organisations.loc["R1K", "successor_code"] == "RJ1"
    assert organisations.loc["RJ1", "predecessor_codes"] == "R1K,RAL"
    assert organisations.loc[NEW_TRUST, "predecessor_codes"] == "RQM,RYJ"
    assert pd.isna(organisations.loc["RJ1", "successor_code"])


def test_england_is_unchanged_by_the_mapping(mart, real_data):
    values = mart["fct_metric_value"]
    england = values[values["metric_code"] == "AE_4HR_ALL"]
    numerator, denominator = _four_hour(_published(real_data))
    assert (england["numerator"].sum(), england["denominator"].sum()) == (numerator, denominator)
    assert round(numerator / denominator * 100, 1) == 74.6  # NHS England's published figure


@pytest.mark.parametrize(
    ("code", "organisation_type", "evidence"),
    [
        (MEMBER, "acute_trust", "register"),  # else community: an NHS trust, type 3 only
        ("RYF", "ambulance_trust", "ods_name_ambulance"),  # though it has type 3 attendances
        ("RJ1", "acute_trust", "ae_type1_attendances"),
        (NEW_TRUST, "acute_trust", "ae_type1_attendances"),  # its predecessors' evidence
        ("C82038", "walk_in_centre", "ae_type3_only"),  # though epraccur lists a GP practice
        ("NL7", "walk_in_centre", "ae_type3_only"),  # though ephp lists it
        ("Y02615", "walk_in_centre", "ae_type3_only"),
        ("RY7", "community_provider", "nhs_trust_type3_only"),
    ],
)
def test_types_follow_the_precedence(mart, code, organisation_type, evidence):
    organisations = mart["dim_organisation"].set_index("organisation_code")
    assert organisations.loc[code, "organisation_type"] == organisation_type
    assert organisations.loc[code, "organisation_type_evidence"] == evidence


def test_regions_come_from_the_real_trusts_files_national_grouping(mart, real_data):
    with (real_data / "ods" / "etr.csv").open(newline="") as handle:
        grouping = {row[0]: row[2] for row in csv.reader(handle)}  # the third field
    organisations = mart["dim_organisation"].set_index("organisation_code")
    trusts = [
        code
        for code in _published(real_data).index
        if code in grouping and code != MEMBER and grouping[code].startswith("Y")
    ]
    assert len(trusts) > 100
    assert {c: organisations.loc[c, "region_code"] for c in trusts} == {
        c: grouping[c] for c in trusts
    }
    assert organisations.loc[MEMBER, "region_code"] == "Y60"  # the register's, not ODS's Y59
    assert organisations.loc["NL7", "region_code"] == "Y60"  # no ODS region: its A&E parent's
    assert set(organisations["organisation_type"]) <= set(
        pd.read_csv(Path(__file__).parents[1] / "seeds" / "organisation_types.csv")[
            "organisation_type"
        ]
    )
