"""The input side of the operational extracts (issue 14): the five formats as providers send them.

- The same small extract, hand-written in the canonical layout and in each system's own (SystmOne,
  EMIS, RiO; HealthRoster, Rotamaster; ESR), ingested by the real Dagster lake assets, gives the
  same lake rows; the layouts' SQL and their wording of errors are tested on their own too.
- Malformed extracts are quarantined whole with every error located (file, line, column, rule),
  in the export's own terms for a system's file, while the provider's other files and the other
  providers' files are kept; a refused register or extract leaves the previous one in force.
- Pseudonyms are the keyed HMAC of the identifier (computed here with `hmac`, independently of
  the SQL that writes the lake): one person, one pseudonym across extracts and months; another
  key, other pseudonyms; another kind of identifier, another pseudonym.
- After a run over every format, with NHS numbers misplaced into code columns, team codes and
  names, counts and columns no layout reads, no identifier is anywhere under the home outside
  `landing/`: lake, quarantine reports, Dagster run storage and compute logs, console.

Two homes are built once each (module fixtures): `equivalent` (every format, two months, a
second key) and `malformed` (one provider per malformed file, two runs).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import land_register, use_home

from assets.operational import extract_assets, operational_teams
from assets.reference import organisations
from contracts.layouts import ColumnMap, Layout, layouts_of, read_layouts
from contracts.operational_extracts import CONTRACTS, IDENTIFIERS
from contracts.validation import Violation, layout_for
from orchestration.resources import peerbench_resources

RESOURCES = peerbench_resources()
MONTH, JUNE, JULY = "2025-06", "2025-06-01", "2025-07-01"
KEY = "issue-14-test-key-" + "a" * 46
OTHER_KEY = "issue-14-other-key-" + "b" * 45
LINEAGE = ["source_file", "source_sha256", "submitted_at"]
DATASETS = ("epr_referrals", "epr_contacts", "eroster_shifts", "esr_staff")

# Valid NHS numbers (modulus 11, weights 10 down to 2 over the first nine digits):
# 9434765919: 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299 = 27*11 + 2; 11 - 2 = 9
# 4010232137: 4*10 + 0 + 1*8 + 0 + 2*6 + 3*5 + 2*4 + 1*3 + 3*2 = 92 = 8*11 + 4; 11 - 4 = 7
# 9990000018: 9*10 + 9*9 + 9*8 + 1*2 = 245 = 22*11 + 3; 11 - 3 = 8
# 9990000050: 9*10 + 9*9 + 9*8 + 5*2 = 253 = 23*11 + 0; 11 - 0 = 11, written 0
NHS_NUMBERS = ("9434765919", "4010232137", "9990000018", "9990000050")
PATIENT_IDS = ("PT7731001", "PT7731002", "PT7731003")
STAFF_IDS = ("28765432-3", "28765433-1", "BANK-0042")  # assignment numbers, a roster's own id
REFERRAL_IDS = ("RF-55001", "RF-55002", "RF-55003")
SURNAMES = ("Quarrington", "Pemberton")  # a column SystmOne exports and no layout reads

TEAMS = """\
team_code,team_name,department,opened_on,closed_on
DN-1,District Nursing North,community_nursing,2019-04-01,
TH-1,Community Therapy,community_therapies,,
"""

# The canonical extracts. Contact EV1002 ends after midnight (24:10) and has neither an NHS
# number nor an activity; the shift 20:00-32:00 ends at 08:00 the next day; BANK-0042 is an
# agency worker with no band; POS-002 is vacant.
CANONICAL = {
    "epr_contacts": """\
contact_id,nhs_number,patient_id,staff_id,team_code,contact_date,start_time,end_time,contact_type,\
location,outcome,travel_minutes,interventions,activity_type
EV1001,9434765919,PT7731001,28765432-3,DN-1,2025-06-02,09:00,09:30,F2F,home,attended,10,2,wound_care
EV1002,,PT7731002,28765432-3,DN-1,2025-06-02,23:30,24:10,telephone,other,attended,0,1,
EV1003,4010232137,PT7731003,28765433-1,TH-1,2025-06-03,14:00,14:45,video,clinic,dna,0,0,assessment
""",
    "epr_referrals": """\
referral_id,patient_id,nhs_number,team_code,referral_source,priority,received_at,accepted_on,\
first_contact_at,discharged_on
RF-55001,PT7731001,9434765919,DN-1,gp,urgent,2025-05-28 14:05,2025-05-29,2025-06-02 09:00,
RF-55002,PT7731002,,TH-1,self,routine,2025-06-10 08:30,,,2025-06-12
RF-55003,PT7731003,4010232137,DN-1,social_care,routine,2025-06-20 16:45,2025-06-21,,
""",
    "eroster_shifts": """\
staff_id,team_code,shift_date,start_time,end_time,break_minutes,shift_type,employment_type,\
overtime,band
28765432-3,DN-1,2025-06-02,08:00,16:30,30,clinical,substantive,no,6
28765432-3,DN-1,2025-06-03,20:00,32:00,60,clinical,substantive,yes,6
BANK-0042,TH-1,2025-06-03,09:00,17:00,30,non_clinical,agency,no,
""",
    "esr_staff": """\
position_id,assignment_number,team_code,role,band,wte,budgeted_wte,start_date,leaving_date,\
sickness_absence_days
POS-001,28765432-3,DN-1,registered_nurse,6,1.0,1.0,2019-09-01,,2.5
POS-002,,DN-1,healthcare_assistant,3,0,1.0,,,0
POS-003,28765433-1,TH-1,allied_health_professional,7,0.6,0.8,2021-01-04,2025-06-20,0
""",
}

# The same extracts as each system exports them: its columns (in its own order, with columns no
# layout reads), its date and time formats, its codes in any case, SystmOne's spaced NHS numbers,
# an end after midnight written as the clock shows it (RiO: the next day's date and time).
SYSTMONE_CONTACTS = """\
Event ID,Event Date,Start Time,End Time,Patient ID,Patient Surname,NHS Number,Staff ID,Team Code,\
Contact Method,Location,Outcome,Travel Time (mins),Interventions,Activity,Comments
EV1001,02/06/2025,09:00,09:30,PT7731001,Quarrington,943 476 5919,28765432-3,DN-1,face TO face,\
Patient's Home,Attended,10,2,Wound Care,carer's NHS number 999 000 0018
EV1002,02/06/2025,23:30,00:10,PT7731002,Quarrington,,28765432-3,DN-1,TELEPHONE,other,attended,0,1,,
EV1003,03/06/2025,14:00,14:45,PT7731003,Pemberton,401 023 2137,28765433-1,TH-1,Video Consultation,\
CLINIC,Did Not Attend,0,0,Assessment,
"""
EMIS_CONTACTS = """\
AppointmentId,PatientNumber,NHSNumber,UserId,TeamCode,AppointmentDate,StartTime,EndTime,\
ConsultationType,Venue,Status,TravelMinutes,InterventionCount,ActivityCode
EV1001,PT7731001,9434765919,28765432-3,DN-1,02-Jun-2025,09:00:00,09:30:00,f2f,Home,SEEN,10,2,wndc
EV1002,PT7731002,,28765432-3,DN-1,02-JUN-2025,23:30:00,00:10:00,TEL,OTHER,Seen,0,1,
EV1003,PT7731003,4010232137,28765433-1,TH-1,03-Jun-2025,14:00:00,14:45:00,VID,Clinic,dna,0,0,ASMT
"""
RIO_CONTACTS = """\
Appointment Reference,Client ID,NHS Number,HCP Code,Team Code,Start Date Time,End Date Time,\
Contact Mode,Location Type,Attendance Status,Travel Time,Number of Interventions,Care Activity
EV1001,PT7731001,9434765919,28765432-3,DN-1,2025-06-02T09:00:00,2025-06-02T09:30:00,Face To Face,\
Home Visit,Attended,0:10,2,Wound Management
EV1002,PT7731002,,28765432-3,DN-1,2025-06-02T23:30:00,2025-06-03T00:10:00,telephone,OTHER,\
attended,0:00,1,
EV1003,PT7731003,4010232137,28765433-1,TH-1,2025-06-03T14:00:00,2025-06-03T14:45:00,Video Call,\
clinic,Did not attend,00:00,0,assessment
"""
SYSTMONE_REFERRALS = """\
Referral ID,Patient ID,NHS Number,Team Code,Referral Source,Urgency,Referral Received,\
Accepted Date,First Contact,Discharge Date
RF-55001,PT7731001,943 476 5919,DN-1,gp,URGENT,28/05/2025 14:05,29/05/2025,02/06/2025 09:00,
RF-55002,PT7731002,,TH-1,Self Referral,Routine,10/06/2025 08:30,,,12/06/2025
RF-55003,PT7731003,401 023 2137,DN-1,social services,routine,20/06/2025 16:45,21/06/2025,,
"""
EMIS_REFERRALS = """\
ReferralId,PatientNumber,NHSNumber,TeamCode,SourceOfReferral,Priority,ReceivedDateTime,\
AcceptedDate,FirstSeenDateTime,DischargeDate
RF-55001,PT7731001,9434765919,DN-1,GP,u,28-May-2025 14:05,29-May-2025,02-Jun-2025 09:00,
RF-55002,PT7731002,,TH-1,self,R,10-Jun-2025 08:30,,,12-Jun-2025
RF-55003,PT7731003,4010232137,DN-1,SocCare,R,20-Jun-2025 16:45,21-Jun-2025,,
"""
RIO_REFERRALS = """\
Referral Reference,Client ID,NHS Number,Team Code,Referral Source,Referral Urgency,\
Referral Received Date Time,Referral Accepted Date,First Attended Contact Date Time,\
Referral Closed Date
RF-55001,PT7731001,9434765919,DN-1,General Practitioner,Urgent,2025-05-28T14:05:00,2025-05-29,\
2025-06-02T09:00:00,
RF-55002,PT7731002,,TH-1,SELF,routine,2025-06-10T08:30:00,,,2025-06-12
RF-55003,PT7731003,4010232137,DN-1,Local Authority,Routine,2025-06-20T16:45:00,2025-06-21,,
"""
HEALTHROSTER_SHIFTS = """\
Person Ref,Unit Code,Duty Date,Duty Start,Duty End,Unpaid Break,Duty Type,Staff Type,Overtime,Grade
28765432-3,DN-1,02/06/2025,08:00,16:30,0:30,Clinical,Substantive,N,Band 6
28765432-3,DN-1,03/06/2025,20:00,08:00,1:00,clinical,SUBSTANTIVE,y,band 6
BANK-0042,TH-1,03/06/2025,09:00,17:00,00:30,Admin,Agency,N,
"""
ROTAMASTER_SHIFTS = """\
Employee ID,Team,Date,Start,Finish,Break (mins),Shift Category,Contract,Overtime,Band
28765432-3,DN-1,2025-06-02,08:00,16:30,30,Patient Care,Permanent,FALSE,6
28765432-3,DN-1,2025-06-03,20:00,08:00,60,patient care,permanent,True,6
BANK-0042,TH-1,2025-06-03,09:00,17:00,30,NON CLINICAL,Agency,false,
"""
ESR_STAFF = """\
Position Number,Assignment Number,Team Code,Job Role,Pay Band,Assignment FTE,Budgeted FTE,\
Assignment Start Date,Termination Date,Sickness FTE Days
POS-001,28765432-3,DN-1,REGISTERED NURSE,Band 6,1,1,01/09/2019,,2.5
POS-002,,DN-1,Healthcare Assistant,band 3,0,1,,,0
POS-003,28765433-1,TH-1,Allied Health Professional,Band 7,0.60,0.8,04/01/2021,20/06/2025,0
"""
# provider -> extract -> its file: RXA canonical, the others each a system's layout
EQUIVALENT = {
    "RXA": CANONICAL,
    "RXB": {
        "epr_contacts": SYSTMONE_CONTACTS,
        "epr_referrals": SYSTMONE_REFERRALS,
        "eroster_shifts": HEALTHROSTER_SHIFTS,
        "esr_staff": ESR_STAFF,
    },
    "RXC": {
        "epr_contacts": EMIS_CONTACTS,
        "epr_referrals": EMIS_REFERRALS,
        "eroster_shifts": ROTAMASTER_SHIFTS,
    },
    "RXD": {"epr_contacts": RIO_CONTACTS, "epr_referrals": RIO_REFERRALS},
}
LAYOUT_OF = {  # the system each vendor file is read in, as the submission record names it
    ("RXB", "epr_contacts"): "systmone",
    ("RXB", "epr_referrals"): "systmone",
    ("RXB", "eroster_shifts"): "healthroster",
    ("RXB", "esr_staff"): "esr",
    ("RXC", "epr_contacts"): "emis",
    ("RXC", "epr_referrals"): "emis",
    ("RXC", "eroster_shifts"): "rotamaster",
    ("RXD", "epr_contacts"): "rio",
    ("RXD", "epr_referrals"): "rio",
}
# July, RXA: the same nurse and patients a month later, and a patient (no NHS number) whose
# local id happens to read like the nurse's assignment number: another domain, another pseudonym.
JULY_CONTACTS = """\
contact_id,nhs_number,patient_id,staff_id,team_code,contact_date,start_time,end_time,contact_type,\
location,outcome,travel_minutes,interventions,activity_type
EV2001,9434765919,PT7731001,28765432-3,DN-1,2025-07-01,10:00,10:20,F2F,home,attended,5,1,insulin
EV2002,,28765432-3,28765432-3,DN-1,2025-07-01,11:00,11:30,F2F,home,attended,5,1,
EV2003,,PT7731002,28765433-1,TH-1,2025-07-02,09:00,09:40,F2F,clinic,attended,0,1,
"""

# RXE sends every format with NHS numbers keyed into code columns (each file is quarantined);
# RXF's team register carries an NHS number as a team code, RXG's one in a team's name.
MISPLACED = {
    "epr_contacts": SYSTMONE_CONTACTS.replace("Patient's Home", "943 476 5919"),
    "epr_referrals": EMIS_REFERRALS.replace("SocCare", "9990000050"),
    "eroster_shifts": HEALTHROSTER_SHIFTS.replace("Admin", "999-000-0050"),
    "esr_staff": ESR_STAFF.replace("Healthcare Assistant", "4010232137"),
}
RXF_TEAMS = TEAMS.replace("DN-1,", "943-476-5919,")
RXG_TEAMS = TEAMS.replace("Community Therapy", "Therapy (ask for 401 023 2137)")
# RXH's contacts: one NHS number keyed as a travel time, one as a count of interventions
RXH_CONTACTS = (
    CANONICAL["epr_contacts"]
    .replace(",attended,10,2,", ",attended,9990000050,2,")
    .replace(",dna,0,0,", ",dna,0,4010232137,")
)


def pseudonym(key: str, domain: str, value: str) -> str:
    """HMAC-SHA256(key, domain, 0x1F, value), its first 32 hex digits: computed here, apart from
    the SQL that writes the lake."""
    return hmac.new(key.encode(), f"{domain}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]


def land(home: Path, relative: str, content: str | bytes) -> Path:
    path = home / "landing" / "operational" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def materialize(instance: dg.DagsterInstance | None, *partitions: str) -> None:
    """The register and team registers, then each month's four extracts: one run each."""
    for result in [
        dg.materialize([organisations, operational_teams], instance=instance, resources=RESOURCES),
        *(
            dg.materialize(
                extract_assets, partition_key=key, instance=instance, resources=RESOURCES
            )
            for key in partitions
        ),
    ]:
        assert result.success


def lake(home: Path, dataset: str, month: str | None = MONTH) -> pd.DataFrame:
    folder = home / "lake" / dataset / (f"period={month}" if month else "")
    return pd.read_parquet(folder / "data.parquet")


def of(frame: pd.DataFrame, organisation: str) -> pd.DataFrame:
    return frame[frame["organisation_code"] == organisation]


def submissions(home: Path, dataset: str, month: str | None = MONTH) -> pd.DataFrame:
    period = f"period={month}" if month else ""
    folder = home / "lake" / "submissions" / f"dataset={dataset}" / period
    return pd.read_parquet(folder / "data.parquet").set_index("source_file")


@contextlib.contextmanager
def console_into(sink: Path) -> Iterator[None]:
    """Everything written to the console (Python's streams and file descriptors 1 and 2)."""
    with sink.open("w") as out:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                yield
        finally:
            out.flush()
            for descriptor, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, descriptor)
                os.close(copy)


# 1. every format, one home


@pytest.fixture(scope="module")
def equivalent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """June in every format (RXA-RXD), July's contacts of RXA, the misplaced NHS numbers of
    RXE to RXH; run with a Dagster instance in the home and the console captured. Then
    the same landing in a second home under another key."""
    home = tmp_path_factory.mktemp("equivalent")
    console = tmp_path_factory.mktemp("console") / "console.txt"
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        patch.setenv("PEERBENCH_PSEUDONYM_KEY", KEY)
        providers = ["RXA", "RXB", "RXC", "RXD", "RXE", "RXF", "RXG", "RXH"]
        land_register(home, dict.fromkeys(providers, "community_provider"))
        for organisation in ["RXA", "RXB", "RXC", "RXD", "RXE", "RXH"]:
            land(home, f"{organisation}/teams.csv", TEAMS)
        land(home, "RXF/teams.csv", RXF_TEAMS)
        land(home, "RXG/teams.csv", RXG_TEAMS)
        for organisation, files in EQUIVALENT.items():
            for extract, text in files.items():
                land(home, f"{organisation}/{MONTH}/{extract}.csv", text)
        for extract, text in MISPLACED.items():
            land(home, f"RXE/{MONTH}/{extract}.csv", text)
        land(home, f"RXH/{MONTH}/epr_contacts.csv", RXH_CONTACTS)
        land(home, "RXA/2025-07/epr_contacts.csv", JULY_CONTACTS)
        with console_into(console), dg.DagsterInstance.get() as instance:
            materialize(instance, JUNE, JULY)
        other = tmp_path_factory.mktemp("other_key")
        use_home(other, patch)
        patch.setenv("PEERBENCH_PSEUDONYM_KEY", OTHER_KEY)
        shutil.copytree(home / "landing", other / "landing")
        materialize(None, JUNE)
    yield {"home": home, "other": other, "console": console}


# RXA's canonical June rows in the lake, by hand (their pseudonyms are tested apart, below)
CONTACT_ROWS = [
    # contact_id, team, date, start, end, duration, type, location, outcome, travel, interventions,
    # activity
    ("EV1001", "DN-1", "2025-06-02", "09:00", "09:30", 30, "F2F", "home", "attended", 10, 2,
     "wound_care"),
    ("EV1002", "DN-1", "2025-06-02", "23:30", "24:10", 40, "telephone", "other", "attended", 0, 1,
     None),
    ("EV1003", "TH-1", "2025-06-03", "14:00", "14:45", 45, "video", "clinic", "dna", 0, 0,
     "assessment"),
]  # fmt: skip
CONTACT_COLUMNS = ["contact_id", "team_code", "contact_date", "start_time", "end_time",
                   "duration_minutes", "contact_type", "location", "outcome", "travel_minutes",
                   "interventions", "activity_type"]  # fmt: skip
SHIFT_ROWS = [  # by date and start
    # staff, team, date, start, end, duration, break, type, employment, overtime, band
    ("28765432-3", "DN-1", "2025-06-02", "08:00", "16:30", 510, 30, "clinical", "substantive",
     "no", "6"),
    ("BANK-0042", "TH-1", "2025-06-03", "09:00", "17:00", 480, 30, "non_clinical", "agency", "no",
     None),
    ("28765432-3", "DN-1", "2025-06-03", "20:00", "32:00", 720, 60, "clinical", "substantive",
     "yes", "6"),
]  # fmt: skip
SHIFT_COLUMNS = ["team_code", "shift_date", "start_time", "end_time", "duration_minutes",
                 "break_minutes", "shift_type", "employment_type", "overtime", "band"]  # fmt: skip


def _plain(value: object) -> object:
    """A lake value as written by hand: dates as YYYY-MM-DD, numbers as Python's, missing None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(map(_plain, row)) for row in frame[columns].itertuples(index=False)]


def test_canonical_contacts_reach_the_lake_as_written(equivalent: dict):
    contacts = of(lake(equivalent["home"], "epr_contacts"), "RXA").sort_values("contact_id")
    assert _rows(contacts, CONTACT_COLUMNS) == CONTACT_ROWS
    assert set(contacts["period"]) == {MONTH}
    assert set(contacts["source_file"]) == {"operational/RXA/2025-06/epr_contacts.csv"}
    expected_sha = hashlib.sha256(CANONICAL["epr_contacts"].encode()).hexdigest()
    assert set(contacts["source_sha256"]) == {expected_sha}


def test_canonical_shifts_reach_the_lake_as_written(equivalent: dict):
    shifts = of(lake(equivalent["home"], "eroster_shifts"), "RXA")
    shifts = shifts.sort_values(["shift_date", "start_time"])
    assert _rows(shifts, SHIFT_COLUMNS) == [row[1:] for row in SHIFT_ROWS]
    staff = [pseudonym(KEY, "staff", row[0]) for row in SHIFT_ROWS]
    assert shifts["staff_pseudonym"].tolist() == staff


REFERRAL_ROWS = [
    # team, source, priority, received, accepted, first contact, discharged
    ("DN-1", "gp", "urgent", "2025-05-28T14:05:00", "2025-05-29", "2025-06-02T09:00:00", None),
    ("TH-1", "self", "routine", "2025-06-10T08:30:00", None, None, "2025-06-12"),
    ("DN-1", "social_care", "routine", "2025-06-20T16:45:00", "2025-06-21", None, None),
]
REFERRAL_COLUMNS = ["team_code", "referral_source", "priority", "received_at", "accepted_on",
                    "first_contact_at", "discharged_on"]  # fmt: skip
POSITION_ROWS = [
    # position, team, role, band, WTE, budgeted, start, leaving, sickness days
    ("POS-001", "DN-1", "registered_nurse", "6", 1.0, 1.0, "2019-09-01", None, 2.5),
    ("POS-002", "DN-1", "healthcare_assistant", "3", 0.0, 1.0, None, None, 0.0),
    ("POS-003", "TH-1", "allied_health_professional", "7", 0.6, 0.8, "2021-01-04", "2025-06-20",
     0.0),
]  # fmt: skip
POSITION_COLUMNS = ["position_id", "team_code", "role", "band", "wte", "budgeted_wte",
                    "start_date", "leaving_date", "sickness_absence_days"]  # fmt: skip


def test_canonical_referrals_and_establishment_reach_the_lake_as_written(equivalent: dict):
    referrals = of(lake(equivalent["home"], "epr_referrals"), "RXA").sort_values("received_at")
    assert _rows(referrals, REFERRAL_COLUMNS) == REFERRAL_ROWS
    positions = of(lake(equivalent["home"], "esr_staff"), "RXA").sort_values("position_id")
    assert _rows(positions, POSITION_COLUMNS) == POSITION_ROWS
    for frame in (referrals, positions):  # identifiers are pseudonyms only
        assert not set(IDENTIFIERS) & set(frame.columns)


@pytest.mark.parametrize(("organisation", "dataset"), list(LAYOUT_OF))
def test_every_system_layout_gives_the_canonical_lake_rows(
    equivalent: dict, organisation: str, dataset: str
):
    home = equivalent["home"]
    rows = lake(home, dataset)
    key = {
        "epr_contacts": ["contact_id"],
        "epr_referrals": ["referral_pseudonym"],
        "eroster_shifts": ["shift_date", "start_time"],
        "esr_staff": ["position_id"],
    }[dataset]

    def comparable(organisation: str) -> pd.DataFrame:
        frame = of(rows, organisation).drop(columns=["organisation_code", *LINEAGE])
        return frame.sort_values(key).reset_index(drop=True)

    canonical, vendor = comparable("RXA"), comparable(organisation)
    assert len(canonical) == 3
    pd.testing.assert_frame_equal(vendor, canonical)
    record = submissions(home, dataset).loc[f"operational/{organisation}/{MONTH}/{dataset}.csv"]
    assert (record["status"], record["rows"]) == ("accepted", 3)


def test_columns_no_layout_reads_never_reach_the_lake(equivalent: dict):
    """SystmOne's export has the patient's surname and a free-text comment: ignored, not read."""
    contacts = lake(equivalent["home"], "epr_contacts")
    assert not {"patient_surname", "comments", "Patient Surname"} & set(contacts.columns)
    text = contacts.astype(str).to_csv()
    assert not [word for word in (*SURNAMES, "carer") if word in text]


def test_the_system_a_file_is_read_in_is_told_by_its_header():
    for (organisation, extract), system in LAYOUT_OF.items():
        header = EQUIVALENT[organisation][extract].splitlines()[0].lower().split(",")
        found = layout_for(header, CONTRACTS[extract](MONTH))
        assert found is not None and found.system == system, (organisation, extract)
    canonical = CANONICAL["epr_contacts"].splitlines()[0].split(",")
    assert layout_for(canonical, CONTRACTS["epr_contacts"](MONTH)) is None


# 4. pseudonyms


def test_pseudonyms_are_the_keyed_hmac_of_each_identifier_in_its_domain(equivalent: dict):
    home = equivalent["home"]
    contacts = of(lake(home, "epr_contacts"), "RXA").set_index("contact_id")
    assert contacts.loc[["EV1001", "EV1002", "EV1003"], "patient_pseudonym"].tolist() == [
        pseudonym(KEY, "nhs_number", "9434765919"),
        pseudonym(KEY, "patient", "PT7731002"),  # no NHS number: the EPR's own patient id
        pseudonym(KEY, "nhs_number", "4010232137"),
    ]
    assert contacts.loc[["EV1001", "EV1002", "EV1003"], "staff_pseudonym"].tolist() == [
        pseudonym(KEY, "staff", "28765432-3"),
        pseudonym(KEY, "staff", "28765432-3"),
        pseudonym(KEY, "staff", "28765433-1"),
    ]
    referrals = of(lake(home, "epr_referrals"), "RXA").sort_values("received_at")
    assert referrals["referral_pseudonym"].tolist() == [
        pseudonym(KEY, "referral", referral) for referral in REFERRAL_IDS
    ]
    assert referrals["patient_pseudonym"].tolist() == [
        pseudonym(KEY, "nhs_number", "9434765919"),
        pseudonym(KEY, "patient", "PT7731002"),
        pseudonym(KEY, "nhs_number", "4010232137"),
    ]
    staff = of(lake(home, "esr_staff"), "RXA").set_index("position_id")["staff_pseudonym"]
    assert staff["POS-001"] == pseudonym(KEY, "staff", "28765432-3")
    assert staff["POS-003"] == pseudonym(KEY, "staff", "28765433-1")
    assert pd.isna(staff["POS-002"])  # vacant


def test_one_person_has_one_pseudonym_across_extracts_and_months(equivalent: dict):
    home = equivalent["home"]
    nurse = pseudonym(KEY, "staff", "28765432-3")
    june = of(lake(home, "epr_contacts"), "RXA").set_index("contact_id")
    july = of(lake(home, "epr_contacts", "2025-07"), "RXA").set_index("contact_id")
    shifts = of(lake(home, "eroster_shifts"), "RXA")
    establishment = of(lake(home, "esr_staff"), "RXA").set_index("position_id")
    assert june.loc["EV1001", "staff_pseudonym"] == nurse  # the EPR's staff id
    assert july.loc["EV2001", "staff_pseudonym"] == nurse  # a month later
    assert shifts["staff_pseudonym"].tolist().count(nurse) == 2  # the roster
    assert establishment.loc["POS-001", "staff_pseudonym"] == nurse  # ESR's assignment
    referrals = of(lake(home, "epr_referrals"), "RXA")
    patient = june.loc["EV1001", "patient_pseudonym"]
    assert july.loc["EV2001", "patient_pseudonym"] == patient
    assert patient in set(referrals["patient_pseudonym"])  # the referral and its contacts
    # without an NHS number, the local id links July's contact to June's too
    assert july.loc["EV2003", "patient_pseudonym"] == june.loc["EV1002", "patient_pseudonym"]


def test_identifiers_of_different_kinds_never_share_a_pseudonym(equivalent: dict):
    """July's EV2002: a patient whose local id reads like the nurse's assignment number."""
    july = of(lake(equivalent["home"], "epr_contacts", "2025-07"), "RXA").set_index("contact_id")
    patient, staff = july.loc["EV2002", ["patient_pseudonym", "staff_pseudonym"]]
    assert patient == pseudonym(KEY, "patient", "28765432-3")
    assert staff == pseudonym(KEY, "staff", "28765432-3")
    assert patient != staff


def test_another_key_gives_other_pseudonyms_and_the_same_rows(equivalent: dict):
    for dataset in DATASETS:
        first = lake(equivalent["home"], dataset).drop(columns=LINEAGE)
        second = lake(equivalent["other"], dataset).drop(columns=LINEAGE)
        pseudonyms = [column for column in first.columns if column.endswith("_pseudonym")]
        assert pseudonyms
        pd.testing.assert_frame_equal(
            first.drop(columns=pseudonyms), second.drop(columns=pseudonyms)
        )
        for column in pseudonyms:
            before, after = set(first[column].dropna()), set(second[column].dropna())
            assert before and after and not before & after, (dataset, column)
    contacts = of(lake(equivalent["other"], "epr_contacts"), "RXA").set_index("contact_id")
    assert contacts.loc["EV1001", "patient_pseudonym"] == pseudonym(
        OTHER_KEY, "nhs_number", "9434765919"
    )


# 5. privacy: nothing identifying outside landing


def _spellings(number: str) -> list[str]:
    """An NHS number as people write it: 9434765919, 943 476 5919, 943-476-5919."""
    return [
        number,
        f"{number[:3]} {number[3:6]} {number[6:]}",
        f"{number[:3]}-{number[3:6]}-{number[6:]}",
    ]


SECRETS = [
    *(spelling for number in NHS_NUMBERS for spelling in _spellings(number)),
    *PATIENT_IDS,
    *STAFF_IDS,
    *REFERRAL_IDS,
    *SURNAMES,
]


def _secrets_in(data: bytes) -> list[str]:
    return [secret for secret in SECRETS if secret.encode() in data]


def _nhs_numbers_in(text: str) -> list[str]:
    """Any valid NHS number standing alone in `text`, spaced or not, whatever its origin (not
    a run of digits within a hash or a longer number)."""
    found = []
    for match in re.finditer(
        r"(?<![0-9A-Za-z.])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![0-9A-Za-z.])", text
    ):
        digits = [int(d) for d in "".join(match.groups())]
        check = (
            11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
        ) % 11
        if check == digits[9]:
            found.append(match.group())
    return found


def test_the_search_for_nhs_numbers_finds_them_as_written():
    text = "seen 943 476 5919, 9434765918 and 401-023-2137; hash 9f9990000018ab; 99900000181"
    assert _nhs_numbers_in(text) == ["943 476 5919", "401-023-2137"]


def test_the_landing_files_do_hold_every_identifier_looked_for(equivalent: dict):
    """The search below would find them: every one is in landing."""
    landing = b"".join(p.read_bytes() for p in (equivalent["home"] / "landing").rglob("*.csv"))
    for number in NHS_NUMBERS:
        assert any(spelling.encode() in landing for spelling in _spellings(number)), number
    for identifier in (*PATIENT_IDS, *STAFF_IDS, *REFERRAL_IDS, *SURNAMES):
        assert identifier.encode() in landing, identifier


def test_no_identifier_is_anywhere_in_the_home_outside_landing(equivalent: dict):
    home = equivalent["home"]
    scanned: list[str] = []
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home).as_posix()
        if not path.is_file() or relative.startswith("landing/"):
            continue
        assert _secrets_in(path.read_bytes()) == [], relative
        scanned.append(relative)
    assert any(r.startswith("lake/epr_contacts/") for r in scanned)
    assert any(r.startswith("quarantine/epr_contacts/") for r in scanned)
    assert any(r.startswith("dagster/") for r in scanned)


def test_no_identifier_is_in_the_lake_as_duckdb_reads_it(equivalent: dict):
    """Parquet compresses its pages: read back as text, too."""
    with duckdb.connect() as connection:
        for path in sorted((equivalent["home"] / "lake").rglob("*.parquet")):
            rows = connection.execute(f"select * from read_parquet('{path}')").fetchall()
            text = "\n".join(map(str, rows))
            assert text and _secrets_in(text.encode()) == [] and _nhs_numbers_in(text) == [], path


def test_the_run_storage_and_console_hold_the_quarantines_and_no_identifier(equivalent: dict):
    home = equivalent["home"]
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        assert len(runs) == 3
        logs = "\n".join(
            dg.serialize_value(entry) for run in runs for entry in instance.all_logs(run.run_id)
        )
    assert "quarantined operational/RXE/2025-06/epr_contacts.csv" in logs
    assert "quarantined operational/RXF/teams.csv" in logs
    assert _secrets_in(logs.encode()) == []
    compute_logs = list((home / "dagster" / "storage").glob("*/compute_logs/*.err"))
    assert any(b"quarantined operational/RXE" in log.read_bytes() for log in compute_logs)
    assert [log for log in compute_logs if _secrets_in(log.read_bytes())] == []
    console = equivalent["console"].read_text()
    assert "quarantined operational/RXE/2025-06/esr_staff.csv" in console
    assert _secrets_in(console.encode()) == [] and _nhs_numbers_in(console) == []


def test_misplaced_nhs_numbers_are_quarantined_and_masked_in_the_reports(equivalent: dict):
    home = equivalent["home"]
    reports = {
        path.name: json.loads(path.read_text())
        for path in (home / "quarantine").rglob("*.violations.json")
    }
    located = {
        name: [(v["line"], v["column"], v["value"]) for v in report["violations"]]
        for name, report in reports.items()
        if any(organisation in name for organisation in ("RXE", "RXF", "RXG", "RXH"))
    }
    masked = "<masked: NHS number shape>"
    assert [name for name, report in reports.items() if _nhs_numbers_in(json.dumps(report))] == []
    assert located == {
        "operational__RXE__2025-06__epr_contacts.csv.violations.json": [(2, "Location", masked)],
        "operational__RXE__2025-06__epr_referrals.csv.violations.json": [
            (4, "SourceOfReferral", masked)
        ],
        "operational__RXE__2025-06__eroster_shifts.csv.violations.json": [(4, "Duty Type", masked)],
        "operational__RXE__2025-06__esr_staff.csv.violations.json": [(3, "Job Role", masked)],
        "operational__RXF__teams.csv.violations.json": [(2, "team_code", masked)],
        "operational__RXG__teams.csv.violations.json": [
            (3, "team_name", f"Therapy (ask for {masked})")
        ],
        "operational__RXH__2025-06__epr_contacts.csv.violations.json": [
            (2, "travel_minutes", masked),
            (4, "interventions", masked),
        ],
    }
    registers = lake(home, "operational_teams", None)
    assert sorted(set(registers["organisation_code"])) == ["RXA", "RXB", "RXC", "RXD", "RXE", "RXH"]


# 1b. the layouts on their own

TEST_LAYOUT = Layout(
    "testsys",
    "TestSys",
    "epr_contacts",
    (
        ColumnMap("contact_date", "Visit Date", format="%d/%m/%Y"),
        ColumnMap("start_time", "From", format="%H:%M"),
        ColumnMap("end_time", "To", format="%H:%M", after="start_time"),
        ColumnMap("outcome", "Result", values={"Seen": "attended", "DNA": "dna"}),
        ColumnMap("nhs_number", "NHS No", remove=" -"),
        ColumnMap("travel_minutes", "Travel", format="%H:%M"),
        ColumnMap("location", value="home"),
    ),
)
TEST_KINDS = {"contact_date": "date", "start_time": "time", "end_time": "time",
              "travel_minutes": "minutes"}  # fmt: skip


def test_a_layout_selects_canonical_text_from_the_exports_columns():
    rows = [  # visit date, from, to, result, NHS no, travel: as the export writes them
        ("02/06/2025", "23:30", "00:10", " seen ", "943 476-5919", "1:05"),
        ("02/06/2025", "09:00", "09:45", "DNA", "", "0:00"),
        ("31/06/2025", "9 o'clock", "10:00", "Unknown", "12345", None),
        ("01/06/2025", "23:00", "23:00", "SEEN", " 4010232137 ", "00:30"),
    ]
    select = TEST_LAYOUT.select(TEST_KINDS, "r")
    with duckdb.connect() as connection:
        connection.execute(
            'create table r ("visit date" varchar, "from" varchar, "to" varchar, '
            '"result" varchar, "nhs no" varchar, "travel" varchar)'
        )
        connection.executemany("insert into r values (?, ?, ?, ?, ?, ?)", rows)
        found = connection.execute(
            "select "
            + ", ".join(f'{sql} as "{column}"' for column, sql in select.items())
            + " from r"
        ).fetchall()
    assert found == [
        # date, start, end, outcome, NHS number, travel minutes, location (a constant)
        ("2025-06-02", "23:30", "24:10", "attended", "9434765919", "65", "home"),
        ("2025-06-02", "09:00", "09:45", "dna", None, "0", "home"),
        # what does not convert is passed on as written, for the contract to refuse
        ("31/06/2025", "9 o'clock", "10:00", "Unknown", "12345", None, "home"),
        # an end at the start's clock time is a day later (a 24-hour shift; for a contact, the
        # contract's 12 hours refuse it)
        ("2025-06-01", "23:00", "47:00", "attended", "4010232137", "30", "home"),
    ]


def test_a_date_time_end_is_on_the_day_its_date_says():
    """A clock time earlier than the start is the next day's; a date-time carries its own day,
    so an end the same day before the start, or days later, is not turned into a next-day end."""
    layout = Layout(
        "testsys",
        "TestSys",
        "epr_contacts",
        (
            ColumnMap("start_time", "Starts", format="%Y-%m-%dT%H:%M:%S"),
            ColumnMap("end_time", "Ends", format="%Y-%m-%dT%H:%M:%S", after="start_time"),
        ),
    )
    rows = [
        ("2025-06-02T23:30:00", "2025-06-03T00:10:00"),
        ("2025-06-02T10:00:00", "2025-06-02T09:30:00"),
        ("2025-06-02T10:00:00", "2025-06-04T10:30:00"),
        ("2025-06-02T10:00:00", "2025-06-01T11:00:00"),
        ("2025-06-02T10:00:00", "soon"),
        ("whenever", "2025-06-02T11:00:00"),
    ]
    select = layout.select(TEST_KINDS, "r")
    with duckdb.connect() as connection:
        connection.execute('create table r ("starts" varchar, "ends" varchar)')
        connection.executemany("insert into r values (?, ?)", rows)
        found = connection.execute(
            f"select {select['start_time']}, {select['end_time']} from r"
        ).fetchall()
    assert found == [
        ("23:30", "24:10"),  # the next day
        ("10:00", "09:30"),  # earlier the same day: the contract refuses it
        ("10:00", "58:30"),  # two days later: past the contract's 47:59
        ("10:00", "00:00"),  # the day before: no later than the start, refused
        ("10:00", "soon"),
        ("whenever", "2025-06-02T11:00:00"),  # no start to count from: as written
    ]


@pytest.mark.parametrize(
    ("column", "rule", "shown_column", "shown_rule"),
    [
        ("contact_date", "not a calendar date written YYYY-MM-DD", "Visit Date",
         "not a calendar date written YYYY-MM-DD (this export writes it DD/MM/YYYY)"),
        ("end_time", "end is not after start", "To",
         "end is not after start (this export writes it HH:MM)"),
        ("outcome", "isin(['attended', 'dna', 'cancelled'])", "Result",
         "not one of TestSys's codes: Seen, DNA"),
        ("nhs_number", "not 10 digits", "NHS No", "not 10 digits"),
        # neither a column of the export nor one column: as the contract words it
        ("location", "isin(['home', 'clinic', 'other'])", "location",
         "isin(['home', 'clinic', 'other'])"),
        ("contact_id", "duplicates an earlier row's key", "contact_id",
         "duplicates an earlier row's key"),
        # a key of several columns: each the export's, where it has it
        ("contact_date, start_time, contact_id", "duplicates an earlier row's key",
         "Visit Date, From, contact_id", "duplicates an earlier row's key"),
        (None, "file has a header but no data rows: nothing to accept", None,
         "file has a header but no data rows: nothing to accept"),
    ],
)  # fmt: skip
def test_a_layout_words_a_violation_in_the_exports_terms(column, rule, shown_column, shown_rule):
    violation = Violation("operational/RXB/2025-06/epr_contacts.csv", 3, column, rule, "x")
    explained = TEST_LAYOUT.explain(violation)
    assert (explained.column, explained.rule) == (shown_column, shown_rule)
    assert (explained.file, explained.line, explained.value) == (violation.file, 3, "x")


def test_the_configured_layouts_word_formats_as_people_read_them():
    [emis] = [lay for lay in layouts_of("epr_referrals") if lay.system == "emis"]
    assert emis.of("received_at").described_format() == "DD-Mon-YYYY HH:MM"
    [roster] = [lay for lay in layouts_of("eroster_shifts") if lay.system == "healthroster"]
    violation = Violation("f.csv", 2, "break_minutes", "break is not shorter than the shift")
    assert roster.explain(violation) == Violation(
        "f.csv",
        2,
        "Unpaid Break",
        "break is not shorter than the shift (this export writes it HH:MM)",
    )
    [esr] = layouts_of("esr_staff")
    assert esr.explain(Violation("f.csv", 2, "role", "isin(['doctor'])")).rule == (
        "not one of ESR's codes: Registered Nurse, Nursing Associate, Healthcare Assistant, "
        "Allied Health Professional, Therapy Assistant, Medical, Administrative and Clerical, "
        "Manager"
    )


def test_each_extract_has_its_systems_layouts_and_each_maps_every_required_column():
    systems = {extract: [lay.system for lay in layouts_of(extract)] for extract in DATASETS}
    assert systems == {
        "epr_referrals": ["emis", "rio", "systmone"],
        "epr_contacts": ["emis", "rio", "systmone"],
        "eroster_shifts": ["healthroster", "rotamaster"],
        "esr_staff": ["esr"],
    }
    for extract in DATASETS:
        schema = CONTRACTS[extract](MONTH).schema
        required = {name for name, column in schema.columns.items() if column.required}
        for layout in layouts_of(extract):
            targets = {column.target for column in layout.columns}
            assert required <= targets <= set(schema.columns), layout.system


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("contact_id: {column: A, value: B}", "contact_id needs either a column or a value"),
        ("contact_id: {colum: A}", "contact_id must be a column name or a mapping"),
    ],
)
def test_a_layout_file_with_a_mistake_is_refused_when_read(tmp_path: Path, spec: str, message):
    path = tmp_path / "broken.yml"
    path.write_text(f"label: Broken\nextracts:\n  epr_contacts:\n    {spec}\n")
    with pytest.raises(ValueError, match=message):
        read_layouts(path)


def test_a_layout_whose_end_follows_no_column_is_refused():
    layout = Layout("x", "X", "epr_contacts", (ColumnMap("end_time", "To", "%H:%M", "start_time"),))
    with pytest.raises(ValueError, match="'after: start_time' names no column"):
        layout.select(TEST_KINDS)


# 2 and 3. malformed extracts: quarantined whole, every error located, the rest kept


def on_line(text: str, line: int, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` on one line (the header is line 1)."""
    lines = text.splitlines(keepends=True)
    assert old in lines[line - 1], (line, old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "".join(lines)


def canonical(extract: str, old: str, new: str) -> str:
    """The canonical extract with its third line (second row) changed."""
    return on_line(TEAMS if extract == "teams" else CANONICAL[extract], 3, old, new)


UNKNOWN_TEAM = "team is not in the provider's team register (operational/<ORG>/teams.csv)"
NOT_A_DATE = "not a calendar date written YYYY-MM-DD"
NOT_A_DATETIME = "not a date and time written YYYY-MM-DD HH:MM"
SHIFT_3 = "28765432-3,DN-1,2025-06-03,20:00,32:00,60,clinical,substantive,yes,6"
POSITION_3 = "POS-002,,DN-1,healthcare_assistant,3,0,1.0,,,0"
REFERRAL_3 = "RF-55002,PT7731002,,TH-1,self,routine,2025-06-10 08:30,,,2025-06-12"
TEAM_3 = "TH-1,Community Therapy,community_therapies,,"
# name -> (extract, file, [(line, column, rule)]): each sent by a provider of its own, whose
# other extracts are good
MALFORMED: dict[str, tuple[str, str, list[tuple[int, str | None, str]]]] = {
    # EPR contacts
    "contact dated 2025-02-30": (
        "epr_contacts",
        canonical("epr_contacts", "2025-06-02", "2025-02-30"),
        [(3, "contact_date", NOT_A_DATE)],
    ),
    "contact in another month": (
        "epr_contacts",
        canonical("epr_contacts", "2025-06-02", "2025-07-01"),
        [(3, "contact_date", "date is not in the extract's month 2025-06")],
    ),
    "contact of no minutes": (
        "epr_contacts",
        canonical("epr_contacts", "23:30,24:10", "23:30,23:30"),
        [(3, "end_time", "end is not after start")],
    ),
    "contact ending before it starts": (
        "epr_contacts",
        canonical("epr_contacts", "23:30,24:10", "23:30,22:00"),
        [(3, "end_time", "end is not after start")],
    ),
    "contact with negative travel": (
        "epr_contacts",
        canonical("epr_contacts", ",0,1,", ",-5,1,"),
        [(3, "travel_minutes", "greater_than_or_equal_to(0)")],
    ),
    "contact of an unknown team": (
        "epr_contacts",
        canonical("epr_contacts", ",DN-1,", ",DN-9,"),
        [(3, "team_code", UNKNOWN_TEAM)],
    ),
    "contact of another provider's team": (  # NT-7 is in RXA's register only
        "epr_contacts",
        canonical("epr_contacts", ",DN-1,", ",NT-7,"),
        [(3, "team_code", UNKNOWN_TEAM)],
    ),
    "contact id repeated": (
        "epr_contacts",
        canonical("epr_contacts", "EV1002", "EV1001"),
        [(3, "contact_id", "duplicates an earlier row's key")],
    ),
    "NHS number failing modulus 11": (
        "epr_contacts",
        canonical("epr_contacts", "EV1002,,", "EV1002,9434765918,"),
        [(3, "nhs_number", "NHS number fails the modulus 11 check")],
    ),
    "NHS number written with spaces": (
        "epr_contacts",
        canonical("epr_contacts", "EV1002,,", "EV1002,943 476 5919,"),
        [(3, "nhs_number", "not 10 digits")],
    ),
    "NHS number as minutes of travel": (
        "epr_contacts",
        canonical("epr_contacts", ",attended,0,1,", ",attended,9434765919,1,"),
        [(3, "travel_minutes", "an NHS number, not minutes of travel")],
    ),
    "NHS number as a contact id": (
        "epr_contacts",
        canonical("epr_contacts", "EV1002", "9434765919"),
        [(3, "contact_id", "an NHS number, not a contact id")],
    ),
    "NHS number within a contact id": (
        "epr_contacts",
        canonical("epr_contacts", "EV1002", "EV9434765919"),
        [(3, "contact_id", "an NHS number, not a contact id")],
    ),
    "NHS number as a team code": (
        "epr_contacts",
        canonical("epr_contacts", ",DN-1,", ",943-476-5919,"),
        [(3, "team_code", "an NHS number, not a team code"), (3, "team_code", UNKNOWN_TEAM)],
    ),
    "NHS number within a team code": (
        "epr_contacts",
        canonical("epr_contacts", ",DN-1,", ",DN-943-4765919,"),
        [(3, "team_code", "an NHS number, not a team code"), (3, "team_code", UNKNOWN_TEAM)],
    ),
    # eRoster shifts
    "shift over 24 hours": (
        "eroster_shifts",
        canonical("eroster_shifts", "20:00,32:00", "20:00,44:01"),
        [(3, "end_time", "shift is over 24 hours")],
    ),
    "shift ending at no time": (
        "eroster_shifts",
        canonical("eroster_shifts", "20:00,32:00", "20:00,ab:cd"),
        [(3, "end_time", r"not a time matching ^([0-3]\d|4[0-7]):[0-5]\d$")],
    ),
    "shift ending before it starts": (
        "eroster_shifts",
        canonical("eroster_shifts", "20:00,32:00", "20:00,08:00"),
        [(3, "end_time", "end is not after start")],
    ),
    "shift of no minutes": (
        "eroster_shifts",
        canonical("eroster_shifts", "20:00,32:00", "20:00,20:00"),
        [(3, "end_time", "end is not after start")],
    ),
    "break as long as the shift": (
        "eroster_shifts",
        canonical("eroster_shifts", "32:00,60,", "32:00,720,"),
        [(3, "break_minutes", "break is not shorter than the shift")],
    ),
    "break longer than the shift": (
        "eroster_shifts",
        canonical("eroster_shifts", "32:00,60,", "32:00,900,"),
        [(3, "break_minutes", "break is not shorter than the shift")],
    ),
    "shift key repeated": (
        "eroster_shifts",
        canonical("eroster_shifts", SHIFT_3, SHIFT_3.replace("06-03,20:00", "06-02,08:00")),
        [(3, "staff_id, shift_date, start_time", "duplicates an earlier row's key")],
    ),
    "shift in month 13": (
        "eroster_shifts",
        canonical("eroster_shifts", "2025-06-03", "2025-13-03"),
        [(3, "shift_date", NOT_A_DATE)],
    ),
    "shift of an unknown team": (
        "eroster_shifts",
        canonical("eroster_shifts", ",DN-1,", ",ZZ-1,"),
        [(3, "team_code", UNKNOWN_TEAM)],
    ),
    # ESR establishment
    "vacant position with a WTE": (
        "esr_staff",
        canonical("esr_staff", POSITION_3, POSITION_3.replace(",3,0,", ",3,0.5,")),
        [(3, "wte", "a vacant position (no assignment number) has a WTE or a start date")],
    ),
    "sickness over the month's days": (
        "esr_staff",
        canonical("esr_staff", POSITION_3, "POS-002,,DN-1,healthcare_assistant,3,0,1.0,,,30.5"),
        [(3, "sickness_absence_days", "more days of sickness than 2025-06 has (30)")],
    ),
    "contact over 12 hours": (
        "epr_contacts",
        canonical("epr_contacts", "23:30,24:10", "09:30,21:31"),
        [(3, "end_time", "contact is over 12 hours: not one contact")],
    ),
    "vacant position with sickness and a leaving date": (
        "esr_staff",
        canonical(
            "esr_staff", POSITION_3, "POS-002,,DN-1,healthcare_assistant,3,0,1.0,,2025-06-10,1"
        ),
        [
            (3, "leaving_date", "a vacant position (no assignment number) has a leaving date"),
            (
                3,
                "sickness_absence_days",
                "more WTE days of sickness than the assignment's WTE over 2025-06's 30 days",
            ),
        ],
    ),
    "part-time sickness over its WTE's days": (
        "esr_staff",
        CANONICAL["esr_staff"].replace(
            "registered_nurse,6,1.0,1.0,2019-09-01,,2.5",
            "registered_nurse,6,0.5,1.0,2019-09-01,,15.5",
        ),
        [
            (
                2,
                "sickness_absence_days",
                "more WTE days of sickness than the assignment's WTE over 2025-06's 30 days",
            )
        ],
    ),
    "position and assignment repeated": (
        "esr_staff",
        canonical(
            "esr_staff",
            POSITION_3,
            "POS-001,28765432-3,DN-1,registered_nurse,6,1.0,1.0,2019-09-01,,2.5",
        ),
        [(3, "position_id, assignment_number", "duplicates an earlier row's key")],
    ),
    "NHS number as a position id": (
        "esr_staff",
        canonical("esr_staff", "POS-002", "943 476 5919"),
        [(3, "position_id", "an NHS number, not a position number")],
    ),
    "WTE over 1.5": (
        "esr_staff",
        canonical(
            "esr_staff",
            POSITION_3,
            "POS-002,28765439-1,DN-1,nursing_associate,4,1.6,1,2024-01-01,,0",
        ),
        [(3, "wte", "in_range(0, 1.5)")],
    ),
    "assignment that ended before the month": (
        "esr_staff",
        canonical(
            "esr_staff",
            POSITION_3,
            "POS-002,28765439-1,DN-1,nursing_associate,4,1,1,2024-01-01,2025-05-31,0",
        ),
        [(3, "leaving_date", "left before 2025-06: not on the establishment in the month")],
    ),
    # EPR referrals
    "referral received after the month": (
        "epr_referrals",
        canonical(
            "epr_referrals", REFERRAL_3, "RF-55002,PT7731002,,TH-1,self,routine,2025-07-02 09:00,,,"
        ),
        [(3, "received_at", "after the extract's month 2025-06: not known at its end")],
    ),
    "referral accepted after the month": (
        "epr_referrals",
        canonical("epr_referrals", "08:30,,,2025-06-12", "08:30,2025-07-01,,"),
        [(3, "accepted_on", "after the extract's month 2025-06: not known at its end")],
    ),
    "referral discharged before the month": (
        "epr_referrals",
        canonical(
            "epr_referrals", "2025-06-10 08:30,,,2025-06-12", "2025-05-10 08:30,,,2025-05-31"
        ),
        [(3, "discharged_on", "discharged before 2025-06: the referral was not open in the month")],
    ),
    "referral discharged before it was received": (
        "epr_referrals",
        canonical("epr_referrals", "2025-06-12", "2025-06-09"),
        [(3, "discharged_on", "before the referral was received")],
    ),
    "referral first seen after the month": (
        "epr_referrals",
        canonical("epr_referrals", "08:30,,,2025-06-12", "08:30,2025-06-11,2025-07-01 10:00,"),
        [(3, "first_contact_at", "after the extract's month 2025-06: not known at its end")],
    ),
    "referral id repeated": (
        "epr_referrals",
        canonical("epr_referrals", "RF-55002", "RF-55001"),
        [(3, "referral_id", "duplicates an earlier row's key")],
    ),
    "referral received on 2025-02-30": (
        "epr_referrals",
        canonical("epr_referrals", "2025-06-10 08:30", "2025-02-30 08:30"),
        [(3, "received_at", NOT_A_DATETIME)],
    ),
    "referral received at 25:61": (
        "epr_referrals",
        canonical("epr_referrals", "2025-06-10 08:30", "2025-06-10 25:61"),
        [(3, "received_at", NOT_A_DATETIME)],
    ),
    "shifts with mixed line endings": (  # saved on Windows, a line added on Linux
        "eroster_shifts",
        CANONICAL["eroster_shifts"].replace("\n", "\r\n", 2),
        [
            (
                3,
                None,
                "line ends with LF, the lines before with CR LF: one kind of line ending "
                "throughout (save the file again as CSV)",
            )
        ],
    ),
    "contacts with a carriage return starting a line": (
        "epr_contacts",
        canonical("epr_contacts", "EV1002", "\rEV1002"),
        [
            (
                3,
                None,
                "a carriage return (CR) inside the line: lines end with one kind of line "
                "ending (save the file again as CSV)",
            )
        ],
    ),
    # team registers
    "team code repeated": (
        "teams",
        canonical("teams", TEAM_3, TEAM_3.replace("TH-1", "DN-1")),
        [(3, "team_code", "duplicates an earlier row's key")],
    ),
    "team closed before it opened": (
        "teams",
        canonical(
            "teams", TEAM_3, "TH-1,Community Therapy,community_therapies,2024-01-01,2023-12-31"
        ),
        [(3, "closed_on", "before the team opened")],
    ),
    "team of no department": (
        "teams",
        canonical("teams", "community_therapies", "podiatry"),
        [(3, "department", "isin(['community_nursing', 'community_therapies'])")],
    ),
    # a system's export: errors in its own terms
    "SystmOne date that is no day": (
        "epr_contacts",
        on_line(SYSTMONE_CONTACTS, 3, "02/06/2025", "31/06/2025"),
        [(3, "Event Date", f"{NOT_A_DATE} (this export writes it DD/MM/YYYY)")],
    ),
    "SystmOne code it does not have": (
        "epr_contacts",
        on_line(SYSTMONE_CONTACTS, 3, "TELEPHONE", "Carrier Pigeon"),
        [
            (
                3,
                "Contact Method",
                "not one of SystmOne's codes: Face to face, Telephone, Video Consultation",
            )
        ],
    ),
    "SystmOne header lacking columns": (
        "epr_contacts",
        on_line(on_line(SYSTMONE_CONTACTS, 1, ",Outcome,", ",Result,"), 1, ",Team Code,", ",Team,"),
        [
            (1, "Team Code", "expected column of the SystmOne layout is missing"),
            (1, "Outcome", "expected column of the SystmOne layout is missing"),
        ],
    ),
    "RiO header lacking a column read twice": (
        "epr_contacts",
        on_line(RIO_CONTACTS, 1, "Start Date Time", "Start"),
        [(1, "Start Date Time", "expected column of the RiO layout is missing")],
    ),
    "EMIS date that is no day": (
        "epr_contacts",
        on_line(EMIS_CONTACTS, 3, "02-JUN-2025", "31-Jun-2025"),
        [(3, "AppointmentDate", f"{NOT_A_DATE} (this export writes it DD-Mon-YYYY)")],
    ),
    "RiO contact ending before it starts": (
        "epr_contacts",
        on_line(RIO_CONTACTS, 3, "2025-06-03T00:10:00", "2025-06-02T23:00:00"),
        [
            (
                3,
                "End Date Time",
                "end is not after start (this export writes it YYYY-MM-DDTHH:MM:SS)",
            )
        ],
    ),
    "RiO contact ending two days later": (
        "epr_contacts",
        on_line(RIO_CONTACTS, 3, "2025-06-03T00:10:00", "2025-06-04T00:10:00"),
        [
            (
                3,
                "End Date Time",
                r"not a time matching ^([0-3]\d|4[0-7]):[0-5]\d$ (this export writes it "
                "YYYY-MM-DDTHH:MM:SS)",
            )
        ],
    ),
    "RiO contact ending the day before it starts": (
        "epr_contacts",
        on_line(RIO_CONTACTS, 3, "2025-06-03T00:10:00", "2025-06-01T23:40:00"),
        [
            (
                3,
                "End Date Time",
                "end is not after start (this export writes it YYYY-MM-DDTHH:MM:SS)",
            )
        ],
    ),
    "HealthRoster break in words": (
        "eroster_shifts",
        on_line(HEALTHROSTER_SHIFTS, 3, ",1:00,", ",1 hour,"),
        [
            (
                3,
                "Unpaid Break",
                "coerce_dtype('int64'): not a whole number (this export writes it HH:MM)",
            )
        ],
    ),
    "HealthRoster shift repeated": (
        "eroster_shifts",
        on_line(HEALTHROSTER_SHIFTS, 3, "03/06/2025,20:00,08:00", "02/06/2025,08:00,12:00"),
        [(3, "Person Ref, Duty Date, Duty Start", "duplicates an earlier row's key")],
    ),
    "ESR band 1": (
        "esr_staff",
        on_line(ESR_STAFF, 3, "band 3", "Band 1"),
        [(3, "Pay Band", "not an AfC band")],
    ),
    "canonical header lacking a column": (
        "epr_contacts",
        CANONICAL["epr_contacts"].replace(",interventions,", ",").replace(",0,1,\n", ",0,\n"),
        [(1, "interventions", "expected column is missing")],
    ),
}
# name -> (extract, file): at the edge of a rule, and accepted
EDGES: dict[str, tuple[str, str]] = {
    "shift of exactly 24 hours": (
        "eroster_shifts",
        canonical("eroster_shifts", "20:00,32:00", "20:00,44:00"),
    ),
    "break a minute shorter than the shift": (
        "eroster_shifts",
        canonical("eroster_shifts", "32:00,60,", "32:00,719,"),
    ),
    "sickness every day of the month": (
        "esr_staff",
        CANONICAL["esr_staff"].replace("1.0,1.0,2019-09-01,,2.5", "1.0,1.0,2019-09-01,,30"),
    ),
    # 0.18 WTE sick every day: 5.4 WTE days, though 0.18 x 30 in floating point is a hair less
    "part-time sickness every day of the month": (
        "esr_staff",
        CANONICAL["esr_staff"].replace("1.0,1.0,2019-09-01,,2.5", "0.18,1.0,2019-09-01,,5.4"),
    ),
    "referral discharged on the month's first day": (
        "epr_referrals",
        canonical(
            "epr_referrals", "2025-06-10 08:30,,,2025-06-12", "2025-05-10 08:30,,,2025-06-01"
        ),
    ),
    "RiO contact ending the next day": ("epr_contacts", RIO_CONTACTS),
    # a clock time as the export writes it, ending at its start's time: 24 hours, the longest
    "HealthRoster shift of 24 hours": (
        "eroster_shifts",
        on_line(HEALTHROSTER_SHIFTS, 3, "03/06/2025,20:00,08:00", "03/06/2025,20:00,20:00"),
    ),
    "contact of exactly 12 hours": (
        "epr_contacts",
        canonical("epr_contacts", "23:30,24:10", "09:30,21:30"),
    ),
    # a post refilled the month its holder left: the leaver's row and the successor's
    "position with its leaver and its successor": (
        "esr_staff",
        canonical(
            "esr_staff",
            POSITION_3,
            "POS-001,28765432-9,DN-1,registered_nurse,6,1.0,1.0,2025-06-16,,0",
        ).replace(
            "POS-001,28765432-3,DN-1,registered_nurse,6,1.0,1.0,2019-09-01,,2.5",
            "POS-001,28765432-3,DN-1,registered_nurse,6,1.0,1.0,2019-09-01,2025-06-15,2.5",
        ),
    ),
}
# RXR: a register and a contacts file accepted in a first run, each replaced by a broken one
# for the second; its second run's shifts (a new file) name a team only the old register has.
RXR_BROKEN_TEAMS = TEAMS.replace("TH-1,Community Therapy", "DN-1,Community Therapy")
RXR_BROKEN_CONTACTS = canonical("epr_contacts", "2025-06-02", "2025-06-31")
RXR_NEW_SHIFTS = canonical("eroster_shifts", ",60,", ",45,")


def _provider(index: int) -> str:
    return f"Q{index:03d}"


SENDERS = {name: _provider(index) for index, name in enumerate([*MALFORMED, *EDGES])}


def _relative(organisation: str, extract: str) -> str:
    if extract == "teams":
        return f"operational/{organisation}/teams.csv"
    return f"operational/{organisation}/{MONTH}/{extract}.csv"


@pytest.fixture(scope="module")
def malformed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """RXA's and RXR's good files, run; then RXR's register and contacts replaced by broken ones
    and every malformed and edge file landed, each from a provider of its own, run again."""
    home = tmp_path_factory.mktemp("malformed")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        land_register(home, dict.fromkeys(["RXA", "RXR", *SENDERS.values()], "community_provider"))
        land(home, "RXA/teams.csv", TEAMS + "NT-7,Night Team,community_nursing,2024-01-01,\n")
        land(home, "RXR/teams.csv", TEAMS)
        for organisation in ("RXA", "RXR"):
            for extract, text in CANONICAL.items():
                land(home, f"{organisation}/{MONTH}/{extract}.csv", text)
        materialize(None, JUNE)
        first = {dataset: lake(home, dataset) for dataset in DATASETS}
        first["operational_teams"] = lake(home, "operational_teams", None)
        land(home, "RXR/teams.csv", RXR_BROKEN_TEAMS)
        land(home, f"RXR/{MONTH}/epr_contacts.csv", RXR_BROKEN_CONTACTS)
        land(home, f"RXR/{MONTH}/eroster_shifts.csv", RXR_NEW_SHIFTS)
        for name, (extract, text, *_) in [*MALFORMED.items(), *EDGES.items()]:
            organisation = SENDERS[name]
            land(home, f"{organisation}/teams.csv", text if extract == "teams" else TEAMS)
            if extract == "teams":
                continue  # a provider without a register has no extract accepted
            for other, good in CANONICAL.items():
                land(
                    home, f"{organisation}/{MONTH}/{other}.csv", text if other == extract else good
                )
        materialize(None, JUNE)
        yield {"home": home, "first": first}


def _report(home: Path, extract: str, relative: str) -> list[tuple]:
    dataset = "operational_teams" if extract == "teams" else extract
    folder = home / "quarantine" / dataset / ("" if extract == "teams" else f"period={MONTH}")
    path = folder / f"{relative.replace('/', '__')}.violations.json"
    if not path.exists():
        return []
    return [
        (v["file"], v["line"], v["column"], v["rule"])
        for v in json.loads(path.read_text())["violations"]
    ]


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_file_is_quarantined_with_every_error_located(malformed: dict, name: str):
    home, (extract, _, expected) = malformed["home"], MALFORMED[name]
    organisation = SENDERS[name]
    relative = _relative(organisation, extract)
    assert _report(home, extract, relative) == [(relative, *error) for error in expected]
    dataset = "operational_teams" if extract == "teams" else extract
    month = None if extract == "teams" else MONTH
    assert submissions(home, dataset, month).loc[relative, "status"] == "quarantined"
    rows = lake(home, dataset, month)
    assert of(rows, organisation).empty
    assert len(of(rows, "RXA")) == 3  # others' files stand
    if extract != "teams":  # and so do the provider's own other files
        for other in set(DATASETS) - {extract}:
            assert len(of(lake(home, other), organisation)) == 3, other


@pytest.mark.parametrize("name", list(EDGES))
def test_a_file_at_the_edge_of_a_rule_is_accepted(malformed: dict, name: str):
    home, (extract, _) = malformed["home"], EDGES[name]
    relative = _relative(SENDERS[name], extract)
    assert _report(home, extract, relative) == []
    assert submissions(home, extract).loc[relative, ["status", "rows"]].tolist() == ["accepted", 3]
    assert len(of(lake(home, extract), SENDERS[name])) == 3


def test_the_edge_files_reach_the_lake_with_their_lengths(malformed: dict):
    shifts = of(lake(malformed["home"], "eroster_shifts"), SENDERS["shift of exactly 24 hours"])
    assert sorted(shifts["duration_minutes"]) == [480, 510, 1440]
    contacts = of(
        lake(malformed["home"], "epr_contacts"), SENDERS["RiO contact ending the next day"]
    )
    assert contacts.set_index("contact_id").loc[
        "EV1002", ["end_time", "duration_minutes"]
    ].tolist() == [
        "24:10",
        40,
    ]


def test_a_refused_team_register_leaves_the_previous_one_in_force(malformed: dict):
    home, first = malformed["home"], malformed["first"]
    assert _report(home, "teams", "operational/RXR/teams.csv") == [
        ("operational/RXR/teams.csv", 3, "team_code", "duplicates an earlier row's key")
    ]
    teams = of(lake(home, "operational_teams", None), "RXR").reset_index(drop=True)
    assert teams["team_code"].tolist() == ["DN-1", "TH-1"]
    pd.testing.assert_frame_equal(
        teams, of(first["operational_teams"], "RXR").reset_index(drop=True)
    )
    # the new shifts name TH-1, which only the register in force has: accepted
    shifts = of(lake(home, "eroster_shifts"), "RXR")
    assert sorted(shifts["break_minutes"]) == [30, 30, 45]
    assert set(shifts["source_sha256"]) == {hashlib.sha256(RXR_NEW_SHIFTS.encode()).hexdigest()}


def test_a_refused_extract_replaced_in_place_keeps_the_months_previous_rows(malformed: dict):
    home, first = malformed["home"], malformed["first"]
    relative = f"operational/RXR/{MONTH}/epr_contacts.csv"
    assert _report(home, "epr_contacts", relative) == [(relative, 3, "contact_date", NOT_A_DATE)]
    assert submissions(home, "epr_contacts").loc[relative, "status"] == "quarantined"
    kept = of(lake(home, "epr_contacts"), "RXR").reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, of(first["epr_contacts"], "RXR").reset_index(drop=True))
    assert set(kept["source_sha256"]) == {
        hashlib.sha256(CANONICAL["epr_contacts"].encode()).hexdigest()
    }
