"""Operational extracts: contracts, pseudonymisation on ingest, the lake assets and the metrics.

The metric values expected from the tiny extracts below are worked out by hand in comments and
checked against what the lake assets and the dbt models make of them.
"""

import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import land_register

from assets.operational import epr_contacts, eroster_shifts
from assets.pseudonymisation import pseudonymise
from assets.reference import organisations
from contracts.nhs_number import is_valid_nhs_number
from contracts.operational_extracts import read_epr_contacts, read_eroster_shifts
from contracts.validation import ContractViolationError
from orchestration.demo_data.operational import write_operational_extracts
from orchestration.resources import dbt_resource, peerbench_resources
from orchestration.settings import get_settings

PARTITION = "2025-06-01"
CONTACTS_HEADER = (
    "contact_id,nhs_number,patient_id,staff_id,team_code,contact_date,start_time,end_time,"
    "contact_type,location,outcome,travel_minutes,interventions\n"
)
SHIFTS_HEADER = (
    "staff_id,team_code,shift_date,start_time,end_time,break_minutes,staff_group,"
    "employment_type,band\n"
)

# RXA, June 2025. Team DN1: staff 20000001 works a split shift (one shift day), 20000002 a night.
RXA_CONTACTS = (
    CONTACTS_HEADER
    + """\
C01,9434765919,P001,20000001,RXA-DN1,2025-06-02,09:00,09:30,F2F,home,attended,10,2
C02,9990000018,P002,20000001,RXA-DN1,2025-06-02,10:00,10:20,F2F,home,attended,15,1
C03,9990000050,P003,20000001,RXA-DN1,2025-06-02,11:00,11:30,F2F,home,dna,12,0
C04,4010232137,P004,20000001,RXA-DN1,2025-06-02,17:00,17:15,telephone,other,attended,0,1
C05,9434765919,P001,20000002,RXA-DN1,2025-06-02,21:00,21:40,F2F,home,attended,20,3
C06,9990000018,P002,20000002,RXA-DN1,2025-06-02,23:30,24:10,F2F,clinic,attended,0,1
C07,9990000050,P003,20000002,RXA-DN1,2025-06-02,22:00,22:30,F2F,home,cancelled,0,0
C08,4010232137,P004,20000003,RXA-TH1,2025-06-03,09:30,10:15,F2F,clinic,attended,0,2
C09,9434765919,P001,20000003,RXA-TH1,2025-06-03,11:00,11:45,F2F,home,attended,25,2
C10,,P005,20000003,RXA-TH1,2025-06-03,14:00,14:30,video,other,dna,0,0
"""
)
RXA_SHIFTS = (
    SHIFTS_HEADER
    + """\
20000001,RXA-DN1,2025-06-02,08:00,12:00,0,clinical,substantive,6
20000001,RXA-DN1,2025-06-02,16:00,20:00,0,clinical,substantive,6
20000002,RXA-DN1,2025-06-02,20:00,32:00,60,clinical,bank,5
20000003,RXA-TH1,2025-06-03,09:00,17:00,30,clinical,substantive,7
20000004,RXA-TH1,2025-06-03,09:00,17:00,30,non_clinical,agency,
"""
)
# RXB sent contacts but no rota this month; its patient 9434765919 is also RXA's C01.
RXB_CONTACTS = (
    CONTACTS_HEADER
    + """\
B01,9434765919,L77,30000001,RXB-DN1,2025-06-05,10:00,10:30,F2F,home,attended,10,1
B02,9990000018,L78,30000001,RXB-DN1,2025-06-05,11:00,11:30,F2F,home,dna,10,0
"""
)
NHS_NUMBERS = ["9434765919", "9990000018", "9990000050", "4010232137"]
STAFF_IDS = ["20000001", "20000002", "20000003", "20000004", "30000001"]

# (metric, organisation, team) -> (numerator, denominator), by hand:
# RXA-DN1: booked C01-C07; attended C01 C02 C04 C05 C06 = 5, not attended C03 = 1 (C07 was
#   cancelled, so it is in neither). Clinical shift days: 20000001 on 2 June (two shifts, one
#   day) and 20000002 on 2 June = 2. Attended face to face: C01 C02 C05 C06 = 4, at home C01 C02
#   C05 = 3 (C06 was at a clinic).
# RXA-TH1: attended C08 C09 = 2, not attended C10 = 1; clinical shift days: 20000003 on 3 June
#   = 1 (20000004 is non-clinical); attended face to face C08 C09 = 2, at home C09 = 1.
# RXA: sums of its teams: 2 / 9 not attended (the mean of team rates would be 1/4), 7 / 3
#   contacts per shift day (not 2.25), 4 / 6 at home (not 0.625).
# RXB: 1 of 2 not attended, 1 of 1 at home; no rota, so no contacts per shift day at all.
EXPECTED = {
    ("OP_DNA_RATE", "RXA", "RXA-DN1"): (1, 6),
    ("OP_CONTACTS_PER_SHIFT_DAY", "RXA", "RXA-DN1"): (5, 2),
    ("OP_HOME_VISIT_SHARE", "RXA", "RXA-DN1"): (3, 4),
    ("OP_DNA_RATE", "RXA", "RXA-TH1"): (1, 3),
    ("OP_CONTACTS_PER_SHIFT_DAY", "RXA", "RXA-TH1"): (2, 1),
    ("OP_HOME_VISIT_SHARE", "RXA", "RXA-TH1"): (1, 2),
    ("OP_DNA_RATE", "RXA", None): (2, 9),
    ("OP_CONTACTS_PER_SHIFT_DAY", "RXA", None): (7, 3),
    ("OP_HOME_VISIT_SHARE", "RXA", None): (4, 6),
    ("OP_DNA_RATE", "RXB", "RXB-DN1"): (1, 2),
    ("OP_HOME_VISIT_SHARE", "RXB", "RXB-DN1"): (1, 1),
    ("OP_DNA_RATE", "RXB", None): (1, 2),
    ("OP_HOME_VISIT_SHARE", "RXB", None): (1, 1),
}
METRIC_COLUMNS = ["collection", "metric_code", "organisation_code", "reported_organisation_codes",
                  "team_code", "service_line", "period_start", "numerator", "denominator",
                  "source_file", "source_sha256", "submitted_at"]  # fmt: skip

RESOURCES = peerbench_resources()


def _land(home: Path, organisation: str, name: str, text: str, month: str = "2025-06") -> Path:
    path = home / "landing" / "operational" / organisation / month / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _land_tiny_extracts(home: Path) -> None:
    land_register(home, {"RXA": "community_provider", "RXB": "community_provider"})
    _land(home, "RXA", "epr_contacts", RXA_CONTACTS)
    _land(home, "RXA", "eroster_shifts", RXA_SHIFTS)
    _land(home, "RXB", "epr_contacts", RXB_CONTACTS)


def _materialize(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    if (get_settings().landing / "reference").exists():
        dg.materialize([organisations], instance=instance, resources=RESOURCES)
    return dg.materialize(
        [epr_contacts, eroster_shifts],
        partition_key=PARTITION,
        instance=instance,
        resources=RESOURCES,
    )


def _lake(home: Path, dataset: str) -> pd.DataFrame:
    return pd.read_parquet(home / "lake" / dataset / "period=2025-06" / "data.parquet")


def _identifiers_in(text: str) -> list[str]:
    """The test extracts' NHS numbers and staff ids found in `text`."""
    return [i for i in [*NHS_NUMBERS, *STAFF_IDS] if i in text]


def _nhs_numbers_in(text: str) -> list[str]:
    """Every standalone valid NHS number in `text`, whatever its origin."""
    numbers = re.findall(r"(?<![0-9A-Za-z.])\d{10}(?![0-9A-Za-z.])", text)
    return [number for number in numbers if is_valid_nhs_number(number)]


# NHS numbers and pseudonyms


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299 = 27*11 + 2; 11 - 2 = 9
        ("9434765919", True),
        ("9434765918", False),  # same stem, wrong check digit
        # 4*10 + 0 + 1*8 + 0 + 2*6 + 3*5 + 2*4 + 1*3 + 3*2 = 92 = 8*11 + 4; 11 - 4 = 7
        ("4010232137", True),
        # 9*10 + 9*9 + 9*8 + 1*2 = 245 = 22*11 + 3; 11 - 3 = 8
        ("9990000018", True),
        # 9*10 + 9*9 + 9*8 + 5*2 = 253 = 23*11 + 0; 11 - 0 = 11, written 0
        ("9990000050", True),
        # 9*10 + 9*9 + 9*8 = 243 = 22*11 + 1; 11 - 1 = 10: no valid number has this stem
        ("9990000000", False),
        ("943476591", False),  # nine digits
        ("94347659190", False),  # eleven digits
        ("943 476 5919", False),  # spaced, as printed on letters: not the canonical form
        ("943476591A", False),
        ("", False),
    ],
)
def test_nhs_number_validation(number, valid):
    assert is_valid_nhs_number(number) is valid


def test_pseudonyms_are_keyed_domain_separated_and_stable():
    key, other_key = b"k" * 32, b"q" * 32
    values = pd.Series(["9434765919", None, "9434765919"])
    pseudonyms = pseudonymise(values, key, "nhs_number")
    assert pseudonyms[0] == pseudonyms[2] and pd.isna(pseudonyms[1])
    assert re.fullmatch(r"[0-9a-f]{32}", pseudonyms[0])
    assert pseudonymise(values, other_key, "nhs_number")[0] != pseudonyms[0]
    assert pseudonymise(values, key, "patient")[0] != pseudonyms[0]
    with pytest.raises(ValueError, match="unknown pseudonym domain"):
        pseudonymise(values, key, "nhs")


# contracts


def test_good_extracts_are_read_and_typed(tmp_path):
    contacts = read_epr_contacts(_land(tmp_path, "RXA", "epr_contacts", RXA_CONTACTS), "2025-06")
    shifts = read_eroster_shifts(_land(tmp_path, "RXA", "eroster_shifts", RXA_SHIFTS), "2025-06")
    assert len(contacts) == 10 and pd.isna(contacts.loc[9, "nhs_number"])
    assert contacts.loc[5, "duration_minutes"] == 40  # 23:30 to 00:10 the next day
    assert contacts.loc[0, "contact_date"] == pd.Timestamp("2025-06-02")
    assert shifts["duration_minutes"].tolist() == [240, 240, 720, 480, 480]
    assert pd.isna(shifts.loc[4, "band"])


CONTACT = "C01,9434765919,P001,20000001,RXA-DN1,2025-06-02,09:00,09:30,F2F,home,attended,10,2"
SHIFT = "20000001,RXA-DN1,2025-06-02,08:00,16:30,30,clinical,substantive,6"


@pytest.mark.parametrize(
    ("extract", "row", "column", "rule"),
    [
        ("epr_contacts", CONTACT.replace("2025-06-02", "2025-06-31"), "contact_date",
         "not a calendar date written YYYY-MM-DD"),
        ("epr_contacts", CONTACT.replace("2025-06-02", "02/06/2025"), "contact_date",
         "not a calendar date written YYYY-MM-DD"),
        ("epr_contacts", CONTACT.replace("2025-06-02", "2025-07-01"), "contact_date",
         "date is not in the extract's month 2025-06"),
        ("epr_contacts", CONTACT.replace("09:00,09:30", "09:30,09:00"), "end_time",
         "end is not after start"),
        ("epr_contacts", CONTACT.replace("9434765919", "9434765918"), "nhs_number",
         "NHS number fails the modulus 11 check"),
        ("epr_contacts", CONTACT.replace("9434765919", "943476591"), "nhs_number",
         "not 10 digits"),
        ("epr_contacts", CONTACT.replace("attended", "no_show"), "outcome", "isin"),
        ("epr_contacts", CONTACT.replace(",10,2", ",-5,2"), "travel_minutes",
         "greater_than_or_equal_to(0)"),
        ("eroster_shifts", SHIFT.replace("08:00,16:30", "08:00,33:00"), "end_time",
         "shift is over 24 hours"),
        ("eroster_shifts", SHIFT.replace("08:00,16:30", "16:30,08:00"), "end_time",
         "end is not after start"),
        ("eroster_shifts", SHIFT.replace("16:30,30", "16:30,600"), "break_minutes",
         "break is not shorter than the shift"),
        ("eroster_shifts", SHIFT.replace("2025-06-02", "2025-13-02"), "shift_date",
         "not a calendar date written YYYY-MM-DD"),
        ("eroster_shifts", SHIFT.replace("clinical", "medical"), "staff_group", "isin"),
    ],
)  # fmt: skip
def test_a_bad_row_is_located_without_showing_identifiers(tmp_path, extract, row, column, rule):
    header, good, read = {
        "epr_contacts": (CONTACTS_HEADER, CONTACT.replace("C01", "C00"), read_epr_contacts),
        "eroster_shifts": (SHIFTS_HEADER, SHIFT.replace(",08:00,", ",07:00,"), read_eroster_shifts),
    }[extract]
    path = _land(tmp_path, "RXA", extract, header + good + "\n" + row + "\n")
    with pytest.raises(ContractViolationError) as excinfo:
        read(path, "2025-06")
    [violation] = excinfo.value.violations
    assert (violation.file, violation.line, violation.column) == (f"{extract}.csv", 3, column)
    assert violation.rule.startswith(rule)
    assert f"{extract}.csv, line 3, column '{column}'" in str(excinfo.value)
    assert _identifiers_in(str(excinfo.value)) == _nhs_numbers_in(str(excinfo.value)) == []


# the lake assets


def test_the_lake_holds_pseudonyms_and_no_identifier(home):
    _land_tiny_extracts(home)
    assert _materialize().success
    contacts, shifts = _lake(home, "epr_contacts"), _lake(home, "eroster_shifts")
    for frame in (contacts, shifts):
        assert not {"nhs_number", "patient_id", "staff_id"} & set(frame.columns)
        text = frame.astype(str).to_csv()
        assert _identifiers_in(text) == _nhs_numbers_in(text) == []
    assert len(contacts) == 12 and len(shifts) == 5
    assert contacts["organisation_code"].tolist() == ["RXA"] * 10 + ["RXB"] * 2
    patient = contacts.set_index("contact_id")["patient_pseudonym"]
    assert patient["C01"] == patient["C05"] == patient["C09"] == patient["B01"]  # across files
    assert patient["C10"] not in set(patient.drop("C10"))  # the local id stands in for it
    staff = contacts.set_index("contact_id")["staff_pseudonym"]
    assert staff["C01"] in set(shifts["staff_pseudonym"])  # links contacts to the rota


def test_the_key_is_read_at_run_time_and_changes_every_pseudonym(home, monkeypatch):
    _land_tiny_extracts(home)
    _materialize()
    before = _lake(home, "epr_contacts")["patient_pseudonym"]
    monkeypatch.setenv("PEERBENCH_PSEUDONYM_KEY", "another-secret-key-of-32-chars!!")
    _materialize()
    after = _lake(home, "epr_contacts")["patient_pseudonym"]
    assert not set(before) & set(after)


def test_a_run_without_the_key_fails_clearly_and_writes_nothing(home, monkeypatch):
    _land_tiny_extracts(home)
    monkeypatch.delenv("PEERBENCH_PSEUDONYM_KEY")
    # the resource reads the key through dg.EnvVar: the run is refused before any step starts
    with pytest.raises(dg.DagsterInvalidConfigError, match=r"PEERBENCH_PSEUDONYM_KEY.*not set"):
        _materialize()
    assert not (home / "lake" / "epr_contacts").exists()


def test_a_guessable_key_is_refused_and_nothing_written(home, monkeypatch):
    _land_tiny_extracts(home)
    monkeypatch.setenv("PEERBENCH_PSEUDONYM_KEY", "short")
    with pytest.raises(RuntimeError, match="shorter than 16 characters"):
        _materialize()
    assert not (home / "lake" / "epr_contacts").exists()


def test_a_bad_extract_is_quarantined_and_nothing_identifying_is_reported(home):
    land_register(home, {"RXA": "community_provider", "RXB": "community_provider"})
    _land(home, "RXA", "epr_contacts", RXA_CONTACTS)
    bad = RXB_CONTACTS.replace("B02,9990000018", "B02,9990000017").replace(
        "2025-06-05,10:00", "2025-06-31,10:00"
    )  # line 3: an invalid NHS number; line 2: a valid NHS number on a row with a bad date
    _land(home, "RXB", "epr_contacts", bad)
    with dg.instance_for_test() as instance:
        result = _materialize(instance)
        logs = "\n".join(dg.serialize_value(entry) for entry in instance.all_logs(result.run_id))
    [check] = [
        c for c in result.get_asset_check_evaluations() if c.asset_key.path == ["epr_contacts"]
    ]
    assert not check.passed
    assert _lake(home, "epr_contacts")["organisation_code"].unique().tolist() == ["RXA"]
    [report_path] = (home / "quarantine/epr_contacts/period=2025-06").glob("*.violations.json")
    report = json.loads(report_path.read_text())
    assert [(v["file"], v["line"], v["column"]) for v in report["violations"]] == [
        ("operational/RXB/2025-06/epr_contacts.csv", 2, "contact_date"),
        ("operational/RXB/2025-06/epr_contacts.csv", 3, "nhs_number"),
    ]
    report_text = report_path.read_text()
    assert "9990000017" not in report_text
    assert _identifiers_in(report_text) == _nhs_numbers_in(report_text) == []
    assert "quarantined operational/RXB/2025-06/epr_contacts.csv" in logs
    assert "9990000017" not in logs and _identifiers_in(logs) == []


# the metrics


def test_metrics_per_team_and_provider_match_the_hand_computed_values(home, tmp_path):
    _land_tiny_extracts(home)
    assert _materialize().success
    upstream = "+int_operational_metric_values"  # the model and the staging views it reads
    dbt_resource().cli(["build", "--select", upstream], target_path=tmp_path / "dbt").wait()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        values = connection.sql("select * from intermediate.int_operational_metric_values").df()
    assert values.columns.tolist() == METRIC_COLUMNS
    found = {
        (row.metric_code, row.organisation_code, None if pd.isna(row.team_code) else row.team_code):
        (row.numerator, row.denominator)
        for row in values.itertuples()
    }  # fmt: skip
    assert found == EXPECTED
    assert set(values["collection"]) == {"operational"} and set(values["service_line"]) == {"all"}
    assert set(values["period_start"].astype(str)) == {"2025-06-01"}
    per_shift_day = values[values["metric_code"] == "OP_CONTACTS_PER_SHIFT_DAY"]
    assert set(per_shift_day["source_file"]) == {
        "operational/RXA/2025-06/epr_contacts.csv + operational/RXA/2025-06/eroster_shifts.csv"
    }


# the demo extracts


def test_demo_extracts_pass_their_contracts_and_look_like_the_national_figures(tmp_path):
    providers, months = ["RXA", "RXB", "RXC", "RXD", "RXE"], ["2025-05", "2025-06"]
    written = write_operational_extracts(tmp_path, providers, months, np.random.default_rng(5))
    assert written == 2 * len(providers) * len(months)
    for organisation in providers:
        folder = tmp_path / "operational" / organisation
        by_month = {
            month: read_epr_contacts(folder / month / "epr_contacts.csv", month) for month in months
        }
        shifts = read_eroster_shifts(folder / "2025-06" / "eroster_shifts.csv", "2025-06")
        contacts = by_month["2025-06"]
        outcome = contacts["outcome"].value_counts()
        clinical = shifts[shifts["staff_group"] == "clinical"]
        shift_days = len(clinical[["staff_id", "shift_date"]].drop_duplicates())
        assert 1_000 < len(contacts) < 10_000
        assert 3 <= shifts["team_code"].nunique() <= 5
        assert 0.02 < outcome["dna"] / (outcome["attended"] + outcome["dna"]) < 0.11
        assert 7 < outcome["attended"] / shift_days < 9
        recurring = set(by_month["2025-05"]["nhs_number"]) & set(contacts["nhs_number"])
        assert len(recurring) > contacts["nhs_number"].nunique() / 2
