"""Each contract rejects bad files with a message naming file, line, column and rule."""

from pathlib import Path

import pandera.pandas as pa
import pytest

from contracts.indicator_return import read_indicator_return
from contracts.metric_catalogue import load_metric_catalogue
from contracts.organisation_register import read_organisation_register
from contracts.validation import Contract, ContractViolationError, validate_file

COMMUNITY_HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
MHLDA_HEADER = "organisation_code,period,service_line,metric_code,numerator,denominator\n"
COMMUNITY = {"with_service_lines": False, "submitter": "RXA"}
MHLDA = {"with_service_lines": True, "submitter": "RXB"}


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _violations(excinfo: pytest.ExceptionInfo) -> list[tuple]:
    return [(v.file, v.line, v.column, v.rule) for v in excinfo.value.violations]


def test_a_good_community_return_is_read_and_typed(tmp_path):
    path = _write(tmp_path, "RXA_20240712T0930.csv",
                  COMMUNITY_HEADER + "RXA,2024-06,CI_DNA_RATE,12,300\n"
                  " RXA ,2024-06,CI_SICKNESS,310.5,6200\n")  # fmt: skip
    frame = read_indicator_return(path, "community_indicators", ["2024-06"], **COMMUNITY)
    assert frame["organisation_code"].tolist() == ["RXA", "RXA"]
    assert frame["numerator"].tolist() == [12.0, 310.5]


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("RXA,2024-06,CI_DNA_RATE,twelve,300", "numerator", "coerce_dtype('float64')"),
        ("RXA,2024-07,CI_DNA_RATE,12,300", "period", "period is not one of this window's"),
        ("RXA,2024-06,CI_NOT_A_METRIC,12,300", "metric_code", "metric is not in the"),
        ("rx,2024-06,CI_DNA_RATE,12,300", "organisation_code", "not an ODS-style"),
        ("RXA,2024-06,CI_DNA_RATE,-1,300", "numerator", "greater_than_or_equal_to(0)"),
        ("RXA,2024-06,CI_BED_OCCUPANCY,105,100", "numerator", "numerator is above denominator"),
        ("RXA,2024-06,CI_DNA_RATE,290,300", "numerator", "value is outside the catalogue's"),
        ("RXA,2024-06,CI_DNA_RATE,12,", "denominator", "a ratio metric needs a denominator"),
        ("RXA,2024-06,CI_DNA_RATE,12,0", "denominator", "greater_than(0)"),
    ],
)
def test_a_bad_community_row_is_located(tmp_path, row, column, rule):
    good = "RXA,2024-06,CI_SICKNESS,310,6200\n"
    path = _write(tmp_path, "RXA_20240712T0930.csv", COMMUNITY_HEADER + good + row + "\n")
    with pytest.raises(ContractViolationError) as excinfo:
        read_indicator_return(path, "community_indicators", ["2024-06"], **COMMUNITY)
    [(file, line, found_column, found_rule)] = _violations(excinfo)
    assert (file, line, found_column) == ("RXA_20240712T0930.csv", 3, column)
    assert found_rule.startswith(rule)
    assert f"RXA_20240712T0930.csv, line 3, column '{column}'" in str(excinfo.value)


def test_a_duplicate_row_is_reported_once_on_its_own_line(tmp_path):
    row = "RXA,2024-06,CI_DNA_RATE,12,300\n"
    path = _write(tmp_path, "RXA.csv", COMMUNITY_HEADER + row + row)
    with pytest.raises(ContractViolationError) as excinfo:
        read_indicator_return(path, "community_indicators", ["2024-06"], **COMMUNITY)
    assert _violations(excinfo) == [
        ("RXA.csv", 3, "organisation_code, period, metric_code", "duplicates an earlier row's key")
    ]


def test_a_missing_column_is_a_file_level_violation(tmp_path):
    path = _write(tmp_path, "RXA.csv", "organisation_code,period,metric_code,numerator\n"
                                       "RXA,2024-06,CI_DNA_RATE,12\n")  # fmt: skip
    with pytest.raises(ContractViolationError) as excinfo:
        read_indicator_return(path, "community_indicators", ["2024-06"], **COMMUNITY)
    assert ("RXA.csv", 1, "denominator", "expected column is missing") in _violations(excinfo)


def test_an_unreadable_file_is_a_violation(tmp_path):
    path = tmp_path / "RXA.csv"
    path.write_bytes(b"")
    with pytest.raises(ContractViolationError, match=r"RXA\.csv: file is empty"):
        read_indicator_return(path, "community_indicators", ["2024-06"], **COMMUNITY)


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("RXB,2024-04,adult_inpatient,MH_DNA_RATE,5,100", "service_line", "the metric is not"),
        ("RXB,2024-04,adult_wards,MH_BED_OCCUPANCY,90,100", "service_line", "isin("),
        ("RXB,2024-07,adult_inpatient,MH_BED_OCCUPANCY,90,100", "period", "period is not"),
    ],
)
def test_a_bad_mhlda_row_is_located(tmp_path, row, column, rule):
    good = "RXB,2024-05,adult_community,MH_DNA_RATE,5,100\n"
    path = _write(tmp_path, "RXB.csv", MHLDA_HEADER + good + row + "\n")
    with pytest.raises(ContractViolationError) as excinfo:
        read_indicator_return(path, "mhlda", ["2024-04", "2024-05", "2024-06"], **MHLDA)
    [(_, line, found_column, found_rule)] = _violations(excinfo)
    assert (line, found_column) == (3, column)
    assert found_rule.startswith(rule)


def test_the_shipped_metric_catalogue_honours_its_contract():
    catalogue = load_metric_catalogue()
    counts = catalogue["collection"].value_counts()
    assert counts["community_indicators"] >= 8 and counts["mhlda"] >= 8
    assert counts["nhse_ae"] >= 4 and counts["operational"] >= 2


def test_a_bad_metric_catalogue_is_located(tmp_path):
    source = Path(__file__).parents[1] / "seeds" / "metric_catalogue.csv"
    lines = source.read_text().splitlines()
    lines[2] = lines[2].replace(",higher_is_better,", ",better,")
    path = _write(tmp_path, "metric_catalogue.csv", "\n".join(lines) + "\n")
    with pytest.raises(ContractViolationError) as excinfo:
        load_metric_catalogue(path)
    [(file, line, column, rule)] = _violations(excinfo)
    assert (file, line, column) == ("metric_catalogue.csv", 3, "polarity")
    assert rule.startswith("isin(")


def test_a_bad_organisation_register_is_located(tmp_path):
    path = _write(tmp_path, "organisations.csv",
                  "organisation_code,organisation_name,organisation_type,region_code,region_name\n"
                  "RXA,Ashby Community Healthcare NHS Trust,community_provider,Y60,Midlands\n"
                  "RXB,Corfe Trust,hospice,Y60,Midlands\n")  # fmt: skip
    with pytest.raises(ContractViolationError) as excinfo:
        read_organisation_register(path)
    [(file, line, column, _)] = _violations(excinfo)
    assert (file, line, column) == ("organisations.csv", 3, "organisation_type")


HEADERLESS = Contract(
    schema=pa.DataFrameSchema(
        {
            "code": pa.Column(str, pa.Check.str_matches(r"^R[A-Z0-9]{2}$")),
            "opened": pa.Column("int64"),
            "note": pa.Column(str, nullable=True),
        },
        strict=True,
    ),
    headerless=("code", "opened", "note"),
)


def test_a_headerless_file_is_read_from_its_first_line_with_the_contract_s_columns(tmp_path):
    path = _write(tmp_path, "trusts.csv", '"RXA","1994",""\n"RXB","2001","merged"\n')
    frame = validate_file(path, HEADERLESS)
    assert frame["code"].tolist() == ["RXA", "RXB"]  # the first line is data
    assert frame["opened"].tolist() == [1994, 2001]


@pytest.mark.parametrize(
    ("text", "line", "column", "rule"),
    [
        ('"RXA","1994",""\n"XX","2001",""\n', 2, "code", "str_matches("),
        ('"RXA","1994"\n"RXB","2001"\n', 1, "note", "expected column is missing"),
        ('"RXA","1994","","x"\n', 1, None, "4 fields, more than the contract's 3 columns"),
        ('"RXA","1994",""\n"RXB","2001"\n', 2, "note", "fewer fields than"),
    ],
    ids=["bad value on line 2", "a column too few", "a column too many", "a short line"],
)
def test_a_bad_headerless_file_is_located_by_its_own_line_numbers(
    tmp_path, text, line, column, rule
):
    path = _write(tmp_path, "trusts.csv", text)
    with pytest.raises(ContractViolationError) as excinfo:
        validate_file(path, HEADERLESS)
    [(file, found_line, found_column, found_rule)] = _violations(excinfo)
    assert (file, found_line, found_column) == ("trusts.csv", line, column)
    assert found_rule.startswith(rule)
