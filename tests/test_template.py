"""`peerbench template` and Excel returns: the template's rows come from the catalogue; a filled
template lands beside the CSV returns and ingests, through the lake asset, to exactly the rows the
same values give as a long CSV (both collections); its protection and data validation are there
when Excel opens it; a tampered workbook is quarantined with errors located by sheet, row and
column; and `peerbench validate` gives a workbook the violations ingest gives it."""

from datetime import datetime
from pathlib import Path

import dagster as dg
import openpyxl
import pandas as pd
import pytest
from conftest import land_register

from assets.indicators import community_indicator_returns, mhlda_indicator_returns
from assets.reference import organisations
from contracts.indicator_workbook import template_rows
from contracts.metric_catalogue import CATALOGUE_PATH, metric_catalogue
from contracts.validation import ContractViolationError
from orchestration.cli import main
from orchestration.registry import SOURCES, recognise
from orchestration.resources import HomeResource
from orchestration.settings import get_settings
from orchestration.template import plan_template, write_template
from orchestration.validate import validate

MADE = datetime(2024, 7, 3, 9, 0)
MEMBERS = {"ZAF": "community_provider", "ZBB": "community_provider",
           "ZAC": "community_provider", "ZAD": "community_provider",
           "ZAE": "community_provider", "ZMH": "mental_health_trust"}  # fmt: skip
# collection -> (period, partition key, lake asset, organisation, has service lines)
COLLECTIONS = {
    "community_indicators": ("2024-06", "2024-06-01", community_indicator_returns, "ZAF", False),
    "mhlda": ("2024-25-Q1", "2024-04-01", mhlda_indicator_returns, "ZMH", True),
}
LINEAGE = ["source_file", "source_sha256", "submitted_at"]


# the rows a template holds, from the catalogue


def test_a_community_template_has_a_sheet_per_domain_and_a_row_per_metric():
    rows = template_rows(metric_catalogue(), "community_indicators", ["2024-06"], False)
    shipped = pd.read_csv(CATALOGUE_PATH).query("collection == 'community_indicators'")
    access = shipped.loc[shipped["domain"] == "access", "metric_code"].tolist()
    assert [r.metric_code for r in rows if r.domain == "access"] == access
    assert access[:2] == ["CI_REFERRALS", "CI_WAIT_18WK"]
    assert len(rows) == len(shipped) >= 40 and {r.period for r in rows} == {"2024-06"}
    assert {r.service_line for r in rows} == {None}
    wait = next(r for r in rows if r.metric_code == "CI_WAIT_18WK")
    assert wait.metric_name == "Patients seen within 18 weeks of referral"
    assert wait.denominator_definition == "Patients with a first contact in the month"
    assert wait.plausible_range == "0 to 100 (numerator / denominator x 100)"
    assert wait.percent and not next(r for r in rows if r.metric_code == "CI_REFERRALS").percent


def test_an_mhlda_template_has_a_row_per_service_line_and_month_of_the_quarter():
    months = ["2024-04", "2024-05", "2024-06"]
    rows = template_rows(metric_catalogue(), "mhlda", months, True)
    occupancy = [(r.service_line, r.period) for r in rows if r.metric_code == "MH_BED_OCCUPANCY"]
    assert occupancy == [(line, m) for line in ("adult_inpatient", "cyp_inpatient") for m in months]
    assert [(r.service_line, r.period) for r in rows if r.metric_code == "MH_VACANCY"] == [
        ("all", m) for m in months
    ]
    shipped = pd.read_csv(CATALOGUE_PATH).query("collection == 'mhlda'")
    assert len(shipped) >= 30
    lines = shipped["service_lines"].str.count(r"\|") + 1  # a row per service line and month
    assert len(rows) == lines.sum() * 3
    learning_disability = {r.metric_code for r in rows if r.service_line == "child_ld"}
    assert {"MH_DNA_RATE", "MH_CONTACTS", "MH_CASELOAD"} <= learning_disability


def test_the_template_is_named_as_its_landing_file_and_the_placeholder_is_not_landable():
    named = plan_template("community_indicators", "2024-06", "ZAF", MADE)
    assert named.file_name == "ZAF_20240703T0900.xlsx"
    assert recognise(f"community_indicators/2024-06/{named.file_name}") is not None
    blank = plan_template("mhlda", "2024-25-Q1", None, MADE)
    assert blank.file_name == "ORGANISATION_20240703T0900.xlsx"
    assert recognise(f"mhlda/2024-25-Q1/{blank.file_name}") is None
    with pytest.raises(ValueError, match="YYYY-YY-Qn"):
        plan_template("mhlda", "2024-06", None, MADE)
    with pytest.raises(ValueError, match="not an organisation code"):
        plan_template("community_indicators", "2024-06", "zaf", MADE)


def test_the_command_writes_the_template_and_refuses_a_bad_period(tmp_path, capsys):
    assert main(["template", "mhlda", "2024-25-Q1", "--organisation", "ZMH",
                 "--output", str(tmp_path)]) == 0  # fmt: skip
    [written] = tmp_path.glob("ZMH_*.xlsx")
    assert recognise(f"mhlda/2024-25-Q1/{written.name}") is not None
    assert main(["template", "community_indicators", "2024-25-Q1"]) == 2
    assert "not a month, YYYY-MM" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["template", "nhse_ae", "2024-06"])  # not a collection providers return


# the workbook as Excel opens it


def test_only_the_numerator_and_denominator_cells_are_unlocked_and_they_are_validated(tmp_path):
    path = write_template(plan_template("community_indicators", "2024-06", None, MADE), tmp_path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        "Instructions", "Access", "Patient safety", "Quality", "Productivity", "Workforce",
        "Finance",
    ]  # fmt: skip
    for sheet in workbook.worksheets:
        assert sheet.protection.sheet, sheet.title
    instructions = workbook["Instructions"]
    assert [instructions.cell(r, 1).value for r in (3, 4, 5)] == [
        "Collection", "Period", "Organisation code"
    ]  # fmt: skip
    assert (
        instructions["B3"].value == "community_indicators" and instructions["B4"].protection.locked
    )
    assert instructions["B5"].value is None and not instructions["B5"].protection.locked
    access = workbook["Access"]
    assert [c.value for c in access[3]][:6] == [
        "Metric code", "Metric name", "Period", "Numerator", "Denominator", "Numerator definition"
    ]  # fmt: skip
    codes = [access.cell(r, 1).value for r in range(4, access.max_row + 1)]
    assert codes[:2] == ["CI_REFERRALS", "CI_WAIT_18WK"]
    unlocked = {
        cell.coordinate
        for row in access.iter_rows(min_row=1, max_row=access.max_row, max_col=12)
        for cell in row
        if not cell.protection.locked
    }
    assert unlocked == {f"{column}{r}" for column in "DE" for r in range(4, 4 + len(codes))}

    def rule(cell: str):
        [found] = [v for v in access.data_validations.dataValidation if cell in v.sqref]
        return found

    # one rule a kind of cell, its formula relative to the first cell it covers (D4, D5)
    assert rule("D4").type == "custom" and rule("D4").formula1 == "AND(ISNUMBER(D4),D4>=0)"
    # CI_WAIT_18WK is a percentage: its numerator may not exceed its denominator
    assert rule("D5").formula1 == "AND(ISNUMBER(D5),D5>=0,OR(ISBLANK(E5),D5<=E5))"
    percent = {r for r in range(4, 4 + len(codes)) if "D5" in rule(f"D{r}").sqref}
    units = pd.read_csv(CATALOGUE_PATH).set_index("metric_code")["unit"]
    assert percent == {r for r, code in enumerate(codes, start=4) if units[code] == "percent"}
    assert (rule("E5").type, rule("E5").operator, rule("E5").formula1) == (
        "decimal", "greaterThan", "0"
    )  # fmt: skip
    assert all(f"E{r}" in rule("E4").sqref for r in range(4, 4 + len(codes)))


def test_an_mhlda_template_names_each_service_line_beside_its_code(tmp_path):
    path = write_template(plan_template("mhlda", "2024-25-Q1", "ZMH", MADE), tmp_path)
    sheet = openpyxl.load_workbook(path)["Capacity"]
    header = [c.value for c in sheet[3]]
    assert header[2:5] == ["Service line", "Service line name", "Period"]
    shown = {(row[2], row[3]) for row in sheet.iter_rows(min_row=4, values_only=True)}
    names = pd.read_csv(Path(__file__).parents[1] / "seeds" / "service_lines.csv")
    assert shown == {
        (code, name)
        for code, name in zip(names["service_line"], names["service_line_name"], strict=True)
        if code in ("adult_inpatient", "cyp_inpatient")
    }


# filled, landed and ingested


def _fill(path: Path, skip: int = 3) -> list[dict[str, object]]:
    """Numerator and denominator in every domain sheet's rows but every `skip`-th (left blank:
    not submitted), each value mid-way in its plausible range; the long CSV's rows of them."""
    catalogue = metric_catalogue().set_index("metric_code")
    workbook = openpyxl.load_workbook(path)
    organisation = workbook["Instructions"]["B5"].value
    filled = []
    for sheet in workbook.worksheets[1:]:
        header = [c.value for c in sheet[3]]
        at = {name: header.index(name) + 1 for name in header}
        for number in range(4, sheet.max_row + 1):
            code = sheet.cell(number, at["Metric code"]).value
            if number % skip == 0:
                continue
            entry = catalogue.loc[code]
            denominator = 200 + number
            middle = (entry["plausible_min"] + entry["plausible_max"]) / 2
            numerator = round(middle / entry["multiplier"] * denominator, 2)
            sheet.cell(number, at["Numerator"]).value = numerator
            sheet.cell(number, at["Denominator"]).value = denominator
            row = {
                "organisation_code": organisation,
                "period": sheet.cell(number, at["Period"]).value,
            }
            if "Service line" in at:
                row["service_line"] = sheet.cell(number, at["Service line"]).value
            row |= {"metric_code": code, "numerator": numerator, "denominator": denominator}
            filled.append(row)
    workbook.save(path)
    return filled


def _ingest(home: Path, asset: dg.AssetsDefinition, partition: str) -> None:
    resources = {"home": HomeResource()}
    with dg.instance_for_test() as instance:
        dg.materialize([organisations], instance=instance, resources=resources)
        dg.materialize([asset], partition_key=partition, instance=instance, resources=resources)


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_filled_template_ingests_to_the_rows_of_the_same_values_as_csv(home, collection):
    period, partition, asset, code, lines = COLLECTIONS[collection]
    land_register(home, MEMBERS)
    landing = home / "landing" / collection / period
    workbook = write_template(plan_template(collection, period, code, MADE), landing)
    filled = _fill(workbook)
    as_csv = landing / f"{code}_20240703T0800.csv"  # the same values, an hour earlier
    pd.DataFrame(filled).to_csv(as_csv, index=False)
    dataset = asset.key.path[-1]

    held = home / workbook.name
    workbook.rename(held)
    _ingest(home, asset, partition)  # the CSV alone
    from_csv = pd.read_parquet(home / "lake" / dataset / f"period={period}" / "data.parquet")
    held.rename(workbook)
    _ingest(home, asset, partition)  # the workbook too: stamped later, it counts now
    from_workbook = pd.read_parquet(home / "lake" / dataset / f"period={period}" / "data.parquet")

    assert set(from_workbook["source_file"]) == {f"{collection}/{period}/{workbook.name}"}
    assert set(from_csv["source_file"]) == {f"{collection}/{period}/{as_csv.name}"}
    key = ["period", *(["service_line"] if lines else []), "metric_code"]
    pd.testing.assert_frame_equal(
        from_workbook.drop(columns=LINEAGE).sort_values(key, ignore_index=True),
        from_csv.drop(columns=LINEAGE).sort_values(key, ignore_index=True),
    )
    expected = pd.DataFrame(filled).astype({"numerator": float, "denominator": float})
    pd.testing.assert_frame_equal(
        from_workbook.drop(columns=LINEAGE).sort_values(key, ignore_index=True),
        expected.sort_values(key, ignore_index=True),
        check_dtype=False,
    )
    submissions = home / "lake/submissions" / f"dataset={dataset}" / f"period={period}"
    statuses = pd.read_parquet(submissions / "data.parquet").set_index("source_file")["status"]
    assert statuses.to_dict() == {
        f"{collection}/{period}/{as_csv.name}": "superseded",
        f"{collection}/{period}/{workbook.name}": "accepted",
    }


# tampered workbooks


def _tampered(landing: Path, code: str, change) -> Path:
    path = write_template(plan_template("community_indicators", "2024-06", code, MADE), landing)
    _fill(path)
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    workbook.save(path)
    return path


def _set(sheet: str, cell: str, value: object):
    def change(workbook: openpyxl.Workbook) -> None:
        workbook[sheet][cell].value = value

    return change


TAMPERED = {  # submitter: (the change, the violations expected: sheet, row, column, rule's words)
    "ZBB": (_set("Access", "A5", "CI_REFERRALS"),
            [("Access", 5, "Metric code", "not a row of the template")]),
    "ZAC": (lambda w: w.remove(w["Workforce"]), [("Workforce", None, None, "sheet is missing")]),
    "ZAD": (_set("Productivity", "D4", "lots"),
            [("Productivity", 4, "numerator", "not a number")]),
    "ZAE": (_set("Instructions", "B5", "ZAF"),
            [("Instructions", 5, "B", "organisation code is not the file's (ZAE)")]),
}  # fmt: skip


@pytest.fixture
def tampered(home: Path) -> Path:
    land_register(home, MEMBERS)
    landing = home / "landing" / "community_indicators" / "2024-06"
    for code, (change, _) in TAMPERED.items():
        _tampered(landing, code, change)
    write_template(plan_template("community_indicators", "2024-06", "ZAF", MADE), landing)
    _fill(landing / "ZAF_20240703T0900.xlsx")
    _ingest(home, community_indicator_returns, "2024-06-01")
    return home


def _reports(home: Path) -> dict[str, list[dict]]:
    folder = home / "quarantine" / "community_indicator_returns" / "period=2024-06"
    return {
        p.name.split("__")[-1][:3]: pd.read_json(p, typ="series")["violations"]
        for p in folder.glob("*.json")
    }


def test_a_tampered_workbook_is_quarantined_with_located_errors(tampered):
    reports = _reports(tampered)
    assert set(reports) == set(TAMPERED)
    for code, (_, expected) in TAMPERED.items():
        got = [(v["sheet"], v["line"], v["column"], v["rule"]) for v in reports[code]]
        assert len(got) == len(expected), (code, got)
        for (sheet, line, column, rule), (want_sheet, want_line, want_column, words) in zip(
            got, expected, strict=True
        ):
            assert (sheet, line, column) == (want_sheet, want_line, want_column), code
            assert words in rule, (code, rule)
    lake = pd.read_parquet(
        tampered / "lake/community_indicator_returns/period=2024-06/data.parquet"
    )
    assert set(lake["organisation_code"]) == {"ZAF"}  # the untouched one is accepted


def test_validate_gives_a_workbook_the_violations_ingest_gives_it(tampered, capsys):
    reports = _reports(tampered)
    landing = tampered / "landing" / "community_indicators" / "2024-06"
    for code in TAMPERED:
        path = landing / f"{code}_20240703T0900.xlsx"
        verdict = validate(path, get_settings(), named_as=None, register_path=None)
        assert [v.as_dict() for v in verdict.violations] == reports[code], code
    path = landing / "ZAD_20240703T0900.xlsx"
    assert main(["validate", str(path)]) == 1
    assert "sheet 'Productivity', row 4, column 'numerator': " in capsys.readouterr().out
    assert main(["validate", str(landing / "ZAF_20240703T0900.xlsx")]) == 0


def test_a_template_made_without_an_organisation_is_read_once_its_code_is_typed_in(tmp_path):
    reader = SOURCES["community_indicator_returns"].reader
    made = write_template(plan_template("community_indicators", "2024-06", None, MADE), tmp_path)
    _fill(made)
    landed = made.rename(tmp_path / "ZBC_20240711T1520.xlsx")  # renamed, the code not typed in
    with pytest.raises(ContractViolationError) as refused:
        reader(landed, tmp_path)
    [violation] = refused.value.violations
    assert (violation.sheet, violation.line, violation.column) == ("Instructions", 5, "B")
    assert "organisation code is blank" in violation.rule
    workbook = openpyxl.load_workbook(landed)
    workbook["Instructions"]["B5"] = "ZBC"
    workbook.save(landed)
    rows = pd.read_csv(reader(landed, tmp_path))
    assert set(rows["organisation_code"]) == {"ZBC"}
    assert rows[["sheet", "sheet_row", "metric_code"]].head(2).values.tolist() == [
        ["Access", 4, "CI_REFERRALS"], ["Access", 5, "CI_WAIT_18WK"]
    ]  # fmt: skip


def test_a_file_that_is_no_workbook_is_refused_and_a_csv_is_read_as_it_stands(tmp_path):
    reader = SOURCES["community_indicator_returns"].reader
    fake = tmp_path / "ZAF_20240711T1520.xlsx"
    fake.write_text("organisation_code,period\n")
    with pytest.raises(ContractViolationError, match="not a readable Excel workbook"):
        reader(fake, tmp_path)
    csv = tmp_path / "ZAF_20240711T1520.csv"
    csv.write_text("organisation_code,period\n")
    assert reader(csv, tmp_path) == csv
