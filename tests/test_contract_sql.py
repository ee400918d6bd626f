"""The SQL generated from a pandera declaration judges cells as pandera itself does.

pandera's own pandas backend is the independent computation: for random cells (hypothesis), a
row the SQL finds broken is exactly a row pandera's lazy validation reports; and random bytes in a
return never crash the set-wise reader: the file is accepted or quarantined with a located error.

The same for the operational extracts and team registers, each contract's cells against pandera,
and each file through the lake's own ingest (validation, typing, pseudonyms), in the canonical
layout or a system's: a broken file (random bytes, a column dropped or renamed, a bad cell, a
byte order mark, cp1252, another delimiter, a field of a megabyte, a formula) is accepted or
quarantined with located errors, never a crash, and its neighbour's rows are kept; a good file
written any valid way (columns in any order, CRLF, quoted, ...) gives the same rows.
"""

import copy
import csv
import io
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assets.lake import PartitionOutcome, ingest_partition, pseudonym_key_table, write_frame
from assets.operational import extract_select, teams_select
from contracts.indicator_return import indicator_return_contract
from contracts.operational_extracts import (
    epr_contacts_schema,
    epr_referrals_schema,
    eroster_shifts_schema,
    esr_staff_schema,
    teams_schema,
)
from contracts.validation import column_rules, staged_select, validate_files
from orchestration.registry import SOURCES, STATIC_PERIOD, partition_dir, scan_landing

SCHEMA = pa.DataFrameSchema(
    {
        "code": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{3,5}$")),
        "kind": pa.Column(str, pa.Check.isin(["a", "b"]), nullable=True),
        "count": pa.Column("int64", pa.Check.ge(0)),
        "share": pa.Column(float, [pa.Check.gt(0), pa.Check.le(100)], nullable=True),
        "name": pa.Column(str, pa.Check.str_length(min_value=2, max_value=6)),
    },
    coerce=True,
)
CELLS = {
    "code": st.sampled_from(["RXA", "rx", "RXAB12", "ZZ9", "", "R-1"]),
    "kind": st.sampled_from(["a", "b", "c", None]),
    # numbers that convert: pandera stops checking a column once a cell fails to convert, where
    # the SQL goes on and reports every broken cell (its coercion rules are tested elsewhere)
    "count": st.sampled_from(["0", "7", "-1", "12"]),
    "share": st.sampled_from(["0", "0.5", "100", "100.1", None, "50"]),
    "name": st.sampled_from(["x", "ok", "sixsix", "sevenXX", ""]),
}


def _pandera_broken_rows(frame: pd.DataFrame) -> set[int]:
    try:
        SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return {int(i) for i in errors.failure_cases["index"].dropna()}
    return set()


def _sql_broken_rows(schema: pa.DataFrameSchema, frame: pd.DataFrame, texts: bool) -> set[int]:
    """The rows the generated rules break: over each cell's text and typed value, as the located
    pass reads them, or (not `texts`) over the typed values and the row's flag of a cell that did
    not convert, as the first pass does. The row's number stands in for its line."""
    rules = " or ".join(f"({rule.broken})" for rule in column_rules(schema, texts=texts))
    rows = frame.assign(_file="f.csv", _submitter=None).reset_index(names="_line")
    staged = staged_select(schema, "cells", texts=texts)
    with duckdb.connect() as connection:
        connection.register("cells", rows)
        found = connection.execute(f"select _line from ({staged}) where {rules}").fetchall()
    return {row for (row,) in found}


@pytest.mark.parametrize("texts", [True, False], ids=["located pass", "first pass"])
@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=8))
def test_generated_sql_breaks_the_rows_pandera_breaks(texts, rows):
    frame = pd.DataFrame(rows, columns=list(CELLS)).replace({"": None})
    assert _sql_broken_rows(SCHEMA, frame, texts) == _pandera_broken_rows(frame.astype(object))


# cells that do not convert to their column's type, and ones that do
NOT_WHOLE_NUMBERS = ["1.5", "1e3", "0x10", " 12", "1_000", "twelve", "nan", "inf", "", None]


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "code": st.just("RXA"),
                "kind": st.sampled_from(["a", None]),
                "count": st.sampled_from(["0", "7", *NOT_WHOLE_NUMBERS]),
                "share": st.sampled_from(["0.5", "50", *NOT_WHOLE_NUMBERS]),
                "name": st.just("ok"),
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_first_pass_breaks_the_rows_the_located_pass_breaks(rows):
    """The first pass keeps no text of a number column, only whether it converted (by DuckDB's
    own conversion, which takes `1.5`, `1e3`, `0x10` and `1_000` as whole numbers, and the
    characters of the row's whole numbers): it must still break every row the located pass
    breaks (a cell that is no whole number, a missing count), and no other, or a broken file
    would be kept or a good one read twice. The other cells are good, so a row breaks for its
    numbers alone."""
    frame = pd.DataFrame(rows, columns=list(CELLS)).replace({"": None})
    first_pass = _sql_broken_rows(SCHEMA, frame, texts=False)
    assert first_pass == _sql_broken_rows(SCHEMA, frame, texts=True)


HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
GOOD = "ZBB,2024-06,CI_DNA_RATE,12,300\n"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(str.encode),
        st.sampled_from(
            [
                b"\xef\xbb\xbf" + (HEADER + GOOD).encode(),  # a BOM
                (HEADER + GOOD).encode("cp1252"),
                (HEADER + "ZBB,2024-06,CI_DNA_RATE,12,300 \xa3\n").encode("cp1252"),
                (HEADER + GOOD).replace(",", ";").encode(),  # another delimiter
                (HEADER + GOOD).replace("denominator", "denom").encode(),  # renamed column
                (HEADER + '"=HYPERLINK(""x"")",2024-06,CI_DNA_RATE,1,2\n').encode(),  # formula
                (HEADER + "ZBB,2024-06,CI_DNA_RATE," + "9" * 100_000 + ",300\n").encode(),
                (HEADER.replace(",denominator", "") + "ZBB,2024-06,CI_DNA_RATE,12\n").encode(),
            ]
        ),
    )
)
@example(content=b"\r\x00")  # found by hypothesis: a lone CR ended the header line
def test_any_bytes_are_accepted_or_quarantined_with_a_location(tmp_path: Path, content: bytes):
    contract = indicator_return_contract("community_indicators", ("2024-06",), False)
    path = tmp_path / "ZBB_20240705T0900.csv"
    path.write_bytes(content)
    good = tmp_path / "ZAF_20240705T0900.csv"
    good.write_text(HEADER + GOOD.replace("ZBB", "ZAF"))
    files = {path.name: path, good.name: good}
    with duckdb.connect() as connection:
        result = validate_files(
            connection, files, contract, submitters={path.name: "ZBB", good.name: "ZAF"}
        )
        kept = connection.execute("select distinct _file from validated").fetchall()
    assert good.name in result.accepted
    assert (good.name,) in kept  # a bad neighbour never costs a good file its rows
    for violation in result.violations[path.name]:
        assert violation.file == path.name and violation.rule
    if not result.violations[path.name]:
        assert result.rows[path.name] >= 1


# The operational extracts and team register (issue 14): the same two properties for each of
# their contracts, the second through the lake's own ingest (validation, typing, pseudonyms).

OPERATIONAL_SCHEMAS = {
    "operational_teams": teams_schema,
    "epr_referrals": epr_referrals_schema,
    "epr_contacts": epr_contacts_schema,
    "eroster_shifts": eroster_shifts_schema,
    "esr_staff": esr_staff_schema,
}
_IDENTIFIER = ["A1", "P-0001", "x" * 65, None]
_DATE = ["2025-06-02", "02/06/2025", "2025-6-2", "2025-06-02x", None]
_DATETIME = ["2025-06-02 09:00", "2025-06-02T09:00", "2025-06-02 9:00", None]
# cells of each column, good and bad; numbers only ones that convert (see CELLS above)
OPERATIONAL_CELLS: dict[str, list[str | None]] = {
    "team_code": ["DN-1", "dn-1", "RXA-DN1-A1", "RXA-DN1-A1-B", "D", None],
    "team_name": ["North", "x" * 201, None],
    "department": ["community_nursing", "podiatry", None],
    "opened_on": _DATE,
    "closed_on": _DATE,
    "referral_id": _IDENTIFIER,
    "patient_id": _IDENTIFIER,
    "staff_id": _IDENTIFIER,
    "contact_id": _IDENTIFIER,
    "position_id": _IDENTIFIER,
    "assignment_number": _IDENTIFIER,
    "nhs_number": ["9434765919", "943476591", "943 476 5919", None],
    "referral_source": ["gp", "GP", "social_care", None],
    "priority": ["urgent", "routine", "soon", None],
    "received_at": _DATETIME,
    "accepted_on": _DATE,
    "first_contact_at": _DATETIME,
    "discharged_on": _DATE,
    "contact_date": _DATE,
    "shift_date": _DATE,
    "start_date": _DATE,
    "leaving_date": _DATE,
    "start_time": ["09:00", "23:59", "24:00", "9:00", None],
    "end_time": ["09:30", "47:59", "48:00", "9:30", None],
    "contact_type": ["F2F", "f2f", "video", None],
    "location": ["home", "clinic", "ward", None],
    "outcome": ["attended", "dna", "DNA", None],
    "activity_type": ["wound_care", "insulin", "knitting", None],
    "shift_type": ["clinical", "training", "admin", None],
    "employment_type": ["bank", "agency", "locum", None],
    "overtime": ["yes", "no", "Y", None],
    "band": ["5", "8a", "8e", "1", None],
    "role": ["registered_nurse", "doctor", "nurse", None],
    "travel_minutes": ["0", "15", "-1"],
    "interventions": ["0", "3", "-2"],
    "break_minutes": ["0", "30", "-5"],
    "wte": ["0", "0.5", "1.5", "1.6", "-0.1"],
    "budgeted_wte": ["0", "1", "1.5", "2"],
    "sickness_absence_days": ["0", "2.5", "31", "-1"],
}


def _pandera_broken_cells(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> set[int]:
    """Rows pandera finds a broken cell in (its key check is the SQL's too, apart)."""
    coercing = copy.deepcopy(schema)
    coercing.coerce = True
    try:
        coercing.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cells = cases[~cases["check"].astype(str).str.contains("uniqueness")]
        return {int(i) for i in cells["index"].dropna()}
    return set()


@pytest.mark.parametrize("texts", [True, False], ids=["located pass", "first pass"])
@pytest.mark.parametrize("dataset", list(OPERATIONAL_SCHEMAS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_generated_sql_breaks_the_cells_pandera_breaks_in_operational_extracts(
    dataset, texts, data
):
    schema = OPERATIONAL_SCHEMAS[dataset]
    cells = {column: st.sampled_from(OPERATIONAL_CELLS[column]) for column in schema.columns}
    rows = data.draw(st.lists(st.fixed_dictionaries(cells), min_size=1, max_size=6))
    frame = pd.DataFrame(rows, columns=list(schema.columns)).astype(object)
    assert _sql_broken_rows(schema, frame, texts) == _pandera_broken_cells(schema, frame)


# Each contract's good file (two rows, one provider's), as the canonical layout writes it.
GOOD_FILES = {
    "operational_teams": """\
team_code,team_name,department,opened_on,closed_on
DN-1,District Nursing North,community_nursing,2019-04-01,
TH-1,Community Therapy,community_therapies,,
""",
    "epr_referrals": """\
referral_id,patient_id,nhs_number,team_code,referral_source,priority,received_at,accepted_on,\
first_contact_at,discharged_on
RF-1,PT1,9434765919,DN-1,gp,urgent,2025-05-28 14:05,2025-05-29,2025-06-02 09:00,
RF-2,PT2,,TH-1,self,routine,2025-06-10 08:30,,,2025-06-12
""",
    "epr_contacts": """\
contact_id,nhs_number,patient_id,staff_id,team_code,contact_date,start_time,end_time,contact_type,\
location,outcome,travel_minutes,interventions,activity_type
EV1,9434765919,PT1,S1,DN-1,2025-06-02,09:00,09:30,F2F,home,attended,10,2,wound_care
EV2,,PT2,S1,TH-1,2025-06-02,23:30,24:10,telephone,other,attended,0,1,
""",
    "eroster_shifts": """\
staff_id,team_code,shift_date,start_time,end_time,break_minutes,shift_type,employment_type,\
overtime,band
S1,DN-1,2025-06-02,08:00,16:30,30,clinical,substantive,no,6
B1,TH-1,2025-06-03,20:00,32:00,60,non_clinical,agency,yes,
""",
    "esr_staff": """\
position_id,assignment_number,team_code,role,band,wte,budgeted_wte,start_date,leaving_date,\
sickness_absence_days
POS-1,S1,DN-1,registered_nurse,6,1.0,1.0,2019-09-01,,2.5
POS-2,,TH-1,healthcare_assistant,3,0,1.0,,,0
""",
}
# The same files as systems export them (contracts/layouts/): the same lake rows.
SYSTEM_FILES = {
    "epr_referrals": [
        """\
Referral ID,Patient ID,NHS Number,Team Code,Referral Source,Urgency,Referral Received,\
Accepted Date,First Contact,Discharge Date
RF-1,PT1,943 476 5919,DN-1,GP,Urgent,28/05/2025 14:05,29/05/2025,02/06/2025 09:00,
RF-2,PT2,,TH-1,Self Referral,Routine,10/06/2025 08:30,,,12/06/2025
""",
        """\
ReferralId,PatientNumber,NHSNumber,TeamCode,SourceOfReferral,Priority,ReceivedDateTime,\
AcceptedDate,FirstSeenDateTime,DischargeDate
RF-1,PT1,9434765919,DN-1,GP,U,28-May-2025 14:05,29-May-2025,02-Jun-2025 09:00,
RF-2,PT2,,TH-1,SELF,R,10-Jun-2025 08:30,,,12-Jun-2025
""",
        """\
Referral Reference,Client ID,NHS Number,Team Code,Referral Source,Referral Urgency,\
Referral Received Date Time,Referral Accepted Date,First Attended Contact Date Time,\
Referral Closed Date
RF-1,PT1,9434765919,DN-1,General Practitioner,Urgent,2025-05-28T14:05:00,2025-05-29,\
2025-06-02T09:00:00,
RF-2,PT2,,TH-1,Self,Routine,2025-06-10T08:30:00,,,2025-06-12
""",
    ],
    "epr_contacts": [
        """\
Event ID,Patient ID,NHS Number,Staff ID,Team Code,Event Date,Start Time,End Time,Contact Method,\
Location,Outcome,Travel Time (mins),Interventions,Activity
EV1,PT1,943 476 5919,S1,DN-1,02/06/2025,09:00,09:30,Face to face,Patient's Home,Attended,10,2,\
Wound Care
EV2,PT2,,S1,TH-1,02/06/2025,23:30,00:10,Telephone,Other,Attended,0,1,
""",
        """\
AppointmentId,PatientNumber,NHSNumber,UserId,TeamCode,AppointmentDate,StartTime,EndTime,\
ConsultationType,Venue,Status,TravelMinutes,InterventionCount,ActivityCode
EV1,PT1,9434765919,S1,DN-1,02-Jun-2025,09:00:00,09:30:00,F2F,HOME,Seen,10,2,WNDC
EV2,PT2,,S1,TH-1,02-Jun-2025,23:30:00,00:10:00,TEL,OTHER,Seen,0,1,
""",
        """\
Appointment Reference,Client ID,NHS Number,HCP Code,Team Code,Start Date Time,End Date Time,\
Contact Mode,Location Type,Attendance Status,Travel Time,Number of Interventions,Care Activity
EV1,PT1,9434765919,S1,DN-1,2025-06-02T09:00:00,2025-06-02T09:30:00,Face To Face,Home Visit,\
Attended,0:10,2,Wound Management
EV2,PT2,,S1,TH-1,2025-06-02T23:30:00,2025-06-03T00:10:00,Telephone,Other,Attended,0:00,1,
""",
    ],
    "eroster_shifts": [
        """\
Person Ref,Unit Code,Duty Date,Duty Start,Duty End,Unpaid Break,Duty Type,Staff Type,Overtime,\
Grade
S1,DN-1,02/06/2025,08:00,16:30,0:30,Clinical,Substantive,N,Band 6
B1,TH-1,03/06/2025,20:00,08:00,1:00,Admin,Agency,Y,
""",
        """\
Employee ID,Team,Date,Start,Finish,Break (mins),Shift Category,Contract,Overtime,Band
S1,DN-1,2025-06-02,08:00,16:30,30,Patient Care,Permanent,FALSE,6
B1,TH-1,2025-06-03,20:00,08:00,60,Non Clinical,Agency,TRUE,
""",
    ],
    "esr_staff": [
        """\
Position Number,Assignment Number,Team Code,Job Role,Pay Band,Assignment FTE,Budgeted FTE,\
Assignment Start Date,Termination Date,Sickness FTE Days
POS-1,S1,DN-1,Registered Nurse,Band 6,1,1,01/09/2019,,2.5
POS-2,,TH-1,Healthcare Assistant,Band 3,0,1,,,0
""",
    ],
    "operational_teams": [],
}
MONTH = "2025-06"
KEY = b"property-test-key-" + b"k" * 20
REGISTER = pd.DataFrame(
    {"organisation_code": ["ZBA", "ZBB"], "organisation_type": "community_provider",
     "member_from": None, "member_to": None}
)  # fmt: skip
TEAMS = pd.DataFrame({"organisation_code": ["ZBA", "ZBA", "ZBB", "ZBB"],
                      "team_code": ["DN-1", "TH-1", "DN-1", "TH-1"]})  # fmt: skip


def _relative(dataset: str, organisation: str) -> str:
    if dataset == "operational_teams":
        return f"operational/{organisation}/teams.csv"
    return f"operational/{organisation}/{MONTH}/{dataset}.csv"


def _ingest(home: Path, dataset: str, files: dict[str, bytes]) -> tuple[PartitionOutcome, Path]:
    """The files through the lake asset's own ingest of one partition; its lake file."""
    for relative, content in files.items():
        path = home / "landing" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    source = SOURCES[dataset]
    period = STATIC_PERIOD if source.cadence == "static" else MONTH
    if source.checked_against:
        write_frame(TEAMS, home / "lake" / source.checked_against)
    select = teams_select if dataset == "operational_teams" else extract_select
    with duckdb.connect() as connection:
        pseudonym_key_table(connection, KEY)
        outcome = ingest_partition(
            connection,
            source,
            period,
            scan_landing(home / "landing").of(source, period),
            select,
            landing=home / "landing",
            lake=home / "lake",
            quarantine=home / "quarantine",
            register=REGISTER,
            now=datetime.now(),
        )
    return outcome, partition_dir(home / "lake", dataset, period) / "data.parquet"


def _csv(rows: list[list[str]], delimiter: str = ",", quote_all: bool = False) -> str:
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\n").writerows(rows)
    return out.getvalue()


BAD_CELLS = ["", "x", "-1", "1.5", "nan", "inf", "1e400", '=HYPERLINK("http://x","y")', "+SUM(A1)",
             "@cmd", "-2+3", "9" * 100_000, "9434765919", "943 476 5919", "a,b", 'say "hi"',
             "line\nbreak", "é", "\x00", " DN-1 "]  # fmt: skip


@st.composite
def _mutated(draw: st.DrawFn, good: str) -> bytes:
    """The good file, broken in one of the ways a provider's file is."""
    rows = list(csv.reader(io.StringIO(good)))
    width = len(rows[0])
    column = draw(st.integers(0, width - 1))
    kind = draw(
        st.sampled_from(
            ["bytes", "text", "drop", "rename", "cell", "bom", "cp1252", "delimiter", "huge"]
        )
    )
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "text":
        return draw(st.text(max_size=200)).encode()
    if kind == "drop":
        return _csv([row[:column] + row[column + 1 :] for row in rows]).encode()
    if kind == "rename":
        name = draw(st.text(st.characters(codec="utf-8"), min_size=0, max_size=12))
        rows[0][column] = name
        return _csv(rows).encode()
    if kind == "cell":
        row = draw(st.integers(1, len(rows) - 1))
        rows[row][column] = draw(st.sampled_from(BAD_CELLS) | st.text(max_size=20))
        return _csv(rows).encode()
    if kind == "bom":
        return b"\xef\xbb\xbf" + good.encode()
    if kind == "cp1252":
        rows[1][column] = rows[1][column] + " \u00a3\u00e9"
        return _csv(rows).encode("cp1252")
    if kind == "delimiter":
        return _csv(rows, delimiter=draw(st.sampled_from([";", "\t", "|"]))).encode()
    rows[1][column] = "y" * 1_000_000  # huge: a field of a megabyte
    return _csv(rows).encode()


@pytest.mark.parametrize("dataset", list(GOOD_FILES))
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_operational_file_is_accepted_or_quarantined_located_and_its_neighbour_kept(
    dataset, data
):
    base = data.draw(st.sampled_from([GOOD_FILES[dataset], *SYSTEM_FILES[dataset]]))
    content = data.draw(_mutated(base))
    bad, good = _relative(dataset, "ZBA"), _relative(dataset, "ZBB")
    with tempfile.TemporaryDirectory(prefix="peerbench-property-") as scratch:
        home = Path(scratch)
        outcome, lake = _ingest(home, dataset, {bad: content, good: GOOD_FILES[dataset].encode()})
        kept = pd.read_parquet(lake)
        reports = [p.read_text() for p in (home / "quarantine").rglob("*.json")]
    assert outcome.statuses[good] == "accepted"
    assert (kept["organisation_code"] == "ZBB").sum() == 2  # a bad neighbour costs nothing
    lines = content.count(b"\n") + content.count(b"\r") + 1
    for violation in outcome.violations[bad]:
        assert violation.file == bad and violation.rule
        assert violation.line is None or 1 <= violation.line <= lines
    if outcome.statuses[bad] == "accepted":
        assert (kept["organisation_code"] == "ZBA").sum() >= 1
    else:
        assert outcome.statuses[bad] == "quarantined" and outcome.violations[bad]
        assert (kept["organisation_code"] == "ZBA").sum() == 0
        assert len(reports) == 1
        assert "9434765919" not in reports[0] and "943 476 5919" not in reports[0]


def _variant(good: str, order: list[int], bom: bool, crlf: bool, quote_all: bool,
             shouting: bool, blank_lines: int) -> bytes:  # fmt: skip
    rows = list(csv.reader(io.StringIO(good)))
    rows = [[row[i] for i in order] for row in rows]
    if shouting:
        rows[0] = [f" {name.upper()} " for name in rows[0]]
    text = _csv(rows, quote_all=quote_all) + "\n" * blank_lines
    if crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


@pytest.mark.parametrize("dataset", list(GOOD_FILES))
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_good_file_written_any_valid_way_gives_the_same_lake_rows(dataset, data):
    """In the canonical layout or a system's, columns in any order, a byte order mark, CRLF,
    every cell quoted, a header in capitals with spaces, blank lines at the end: the canonical
    file's rows, none lost."""
    good = GOOD_FILES[dataset]
    base = data.draw(st.sampled_from([good, *SYSTEM_FILES[dataset]]))
    width = len(base.splitlines()[0].split(","))
    variant = _variant(
        base,
        data.draw(st.permutations(list(range(width)))),
        *data.draw(st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())),
        data.draw(st.integers(0, 2)),
    )
    plain, written = _relative(dataset, "ZBA"), _relative(dataset, "ZBB")
    with tempfile.TemporaryDirectory(prefix="peerbench-property-") as scratch:
        outcome, lake = _ingest(Path(scratch), dataset, {plain: good.encode(), written: variant})
        rows = pd.read_parquet(lake).drop(columns=["source_file", "source_sha256", "submitted_at"])
    assert outcome.statuses == {plain: "accepted", written: "accepted"}
    by_provider = [
        rows[rows["organisation_code"] == code].drop(columns="organisation_code")
        for code in ("ZBA", "ZBB")
    ]
    assert len(by_provider[0]) == 2
    pd.testing.assert_frame_equal(*(frame.reset_index(drop=True) for frame in by_provider))
