"""What the two baseline scripts (`baseline_duckdb.py`, `baseline_pandas.py`) share.

The baselines answer one question for `benchmarks/national.py`: how long does the platform's work
take when written as one plain script, without Dagster, dbt or pandera? To be a fair yardstick
each must do the same work as `peerbench refresh`, so both read the same landing files (listed
here once), apply the same contract rules (their constants are here; each script writes the
rules in its own language), and write the same outputs under `<home>/baseline_<engine>/`:

- `lake/<dataset>/period=<period>/*.parquet`: accepted rows, the latest return per organisation
  and period, identifiers replaced by keyed HMAC-SHA256 pseudonyms (each computed once per
  distinct value); the operational extracts (referrals, contacts, shifts, ESR establishment)
  per month, and `lake/operational_teams/data.parquet`, the accepted team registers every
  extract row's team is checked against;
- `quarantine.csv`: every violation of every rejected file (file, line, column, rule);
- `mart/fct_metric_value.parquet`, `mart/fct_benchmark.parquet` (peer statistics and ranks) and
  `mart/operational_team_month.parquet` (per-team monthly operational metrics).

`--operational-only` ingests the register's providers' operational extracts only and stops at
`operational_team_month.parquet` (`benchmarks/operational.py` times that).

They deliberately do not import the platform (`contracts`, `assets`, `orchestration`): a baseline
is what a competent analyst would write from the README and the metric catalogue alone.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "seeds" / "metric_catalogue.csv"
REGIONS = ROOT / "seeds" / "nhs_regions.csv"  # NHS England's parent organisation -> region

# The contract rules' constants (the platform keeps its own in `contracts/`).
ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"
AE_ORGANISATION_CODE = r"^[A-Z0-9]{3,6}$"
TEAM_CODE = r"^[A-Z0-9]{2,8}(-[A-Z0-9]{1,8}){0,2}$"
START_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
END_TIME = r"^([0-3]\d|4[0-7]):[0-5]\d$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"
AFC_BAND = r"^([2-7]|8[a-d]|9)$"  # band 1 closed in 2019
NHS_NUMBER = r"^\d{10}$"
WHOLE_NUMBER = r"^[+-]?[0-9]+$"
# anything shaped like an NHS number, alone or within a value kept in clear (team codes and
# names, contact ids, position numbers, counts): refused there
NHS_NUMBER_WITHIN = r"(?:^|[^0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?:[^0-9]|$)"
MAX_SHIFT_MINUTES = 24 * 60
MAX_CONTACT_MINUTES = 12 * 60  # longer is a keying error, not one contact
MAX_WTE = 1.5
SERVICE_LINES = ("all", "adult_inpatient", "adult_community", "cyp_inpatient", "cyp_community",
                 "adult_ld", "child_ld")  # fmt: skip
SUBMISSION_NAME = re.compile(r"^(?P<org>[A-Z0-9]{3,5})_(?P<stamp>\d{8}T\d{4})\.csv$")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip

# Expected columns of each landing format, and the register type that may submit it.
RETURN_COLUMNS = ["organisation_code", "period", "metric_code", "numerator", "denominator"]
COLLECTIONS = {  # collection: (lake dataset, columns, organisation type in the register)
    "community_indicators": ("community_indicator_returns", RETURN_COLUMNS, "community_provider"),
    "mhlda": ("mhlda_indicator_returns", [*RETURN_COLUMNS, "service_line"], "mental_health_trust"),
}

# The operational extracts (docs/operational_extracts.md): a provider's team register,
# `operational/<ORG>/teams.csv`, and its four monthly extracts,
# `operational/<ORG>/<YYYY-MM>/<extract>.csv`, sent by a community provider of the register.
OPERATIONAL_SUBMITTER = "community_provider"
TEAM_COLUMNS = ["team_code", "team_name", "department", "opened_on", "closed_on"]
DEPARTMENTS = ("community_nursing", "community_therapies")
REFERRAL_COLUMNS = ["referral_id", "patient_id", "nhs_number", "team_code", "referral_source",
                    "priority", "received_at", "accepted_on", "first_contact_at",
                    "discharged_on"]  # fmt: skip
REFERRAL_SOURCES = ("gp", "self", "acute", "community", "social_care", "other")
PRIORITIES = ("urgent", "routine")
CONTACT_COLUMNS = ["contact_id", "nhs_number", "patient_id", "staff_id", "team_code",
                   "contact_date", "start_time", "end_time", "contact_type", "location",
                   "outcome", "travel_minutes", "interventions", "activity_type"]  # fmt: skip
OPTIONAL_COLUMNS = ("activity_type",)  # a file may leave these out (its values are then missing)
CONTACT_TYPES, LOCATIONS = ("F2F", "telephone", "video"), ("home", "clinic", "other")
OUTCOMES = ("attended", "dna", "cancelled")
ACTIVITY_TYPES = ("wound_care", "insulin", "diagnostics", "medication", "palliative",
                  "continence", "venepuncture", "assessment", "rehabilitation",
                  "other")  # fmt: skip
SHIFT_COLUMNS = ["staff_id", "team_code", "shift_date", "start_time", "end_time",
                 "break_minutes", "shift_type", "employment_type", "overtime",
                 "band"]  # fmt: skip
SHIFT_TYPES = ("clinical", "non_clinical", "training")
EMPLOYMENT = ("substantive", "bank", "agency")
OVERTIME = ("yes", "no")
STAFF_COLUMNS = ["position_id", "assignment_number", "team_code", "role", "band", "wte",
                 "budgeted_wte", "start_date", "leaving_date",
                 "sickness_absence_days"]  # fmt: skip
ROLES = ("registered_nurse", "nursing_associate", "healthcare_assistant",
         "allied_health_professional", "therapy_assistant", "doctor", "admin_and_clerical",
         "manager")  # fmt: skip
# extract: (columns, key within a file); in the order the scripts ingest them
EXTRACTS = {
    "epr_referrals": (REFERRAL_COLUMNS, ["referral_id"]),
    "epr_contacts": (CONTACT_COLUMNS, ["contact_id"]),
    "eroster_shifts": (SHIFT_COLUMNS, ["staff_id", "shift_date", "start_time"]),
    "esr_staff": (STAFF_COLUMNS, ["position_id", "assignment_number"]),
}
# the three operational metrics the scripts compute (the platform computes 62, by team,
# department, band and activity, per month, quarter and rolling 12 months)
OPERATIONAL_METRICS = ("OP_DNA_RATE", "OP_HOME_VISIT_SHARE", "OP_CONTACTS_PER_SHIFT_DAY")

# NHS England's A&E file: published header -> column name.
AE_TEXT = {"Period": "period", "Org Code": "organisation_code", "Parent Org": "parent_org",
           "Org name": "organisation_name"}  # fmt: skip
AE_COUNTS = {
    "A&E attendances Type 1": "att_t1",
    "A&E attendances Type 2": "att_t2",
    "A&E attendances Other A&E Department": "att_other",
    "A&E attendances Booked Appointments Type 1": "booked_t1",
    "A&E attendances Booked Appointments Type 2": "booked_t2",
    "A&E attendances Booked Appointments Other Department": "booked_other",
    "Attendances over 4hrs Type 1": "over_t1",
    "Attendances over 4hrs Type 2": "over_t2",
    "Attendances over 4hrs Other Department": "over_other",
    "Attendances over 4hrs Booked Appointments Type 1": "over_booked_t1",
    "Attendances over 4hrs Booked Appointments Type 2": "over_booked_t2",
    "Attendances over 4hrs Booked Appointments Other Department": "over_booked_other",
    "Patients who have waited 4-12 hs from DTA to admission": "dta_4_12",
    "Patients who have waited 12+ hrs from DTA to admission": "dta_12",
    "Emergency admissions via A&E - Type 1": "adm_t1",
    "Emergency admissions via A&E - Type 2": "adm_t2",
    "Emergency admissions via A&E - Other A&E department": "adm_other",
    "Other emergency admissions": "adm_elsewhere",
}
AE_OVER_WITHIN = [("over_t1", "att_t1"), ("over_t2", "att_t2"), ("over_other", "att_other"),
                  ("over_booked_t1", "booked_t1"), ("over_booked_t2", "booked_t2"),
                  ("over_booked_other", "booked_other")]  # fmt: skip
_ALL = ["att_t1", "att_t2", "att_other", "booked_t1", "booked_t2", "booked_other"]
_OVER = ["over_t1", "over_t2", "over_other", "over_booked_t1", "over_booked_t2",
         "over_booked_other"]  # fmt: skip
# metric: (numerator as (added, subtracted) columns, denominator columns, type 1 sites only)
AE_METRICS = {
    "AE_4HR_ALL": ((_ALL, _OVER), _ALL, False),
    "AE_4HR_TYPE1": (
        (["att_t1", "booked_t1"], ["over_t1", "over_booked_t1"]),
        ["att_t1", "booked_t1"],
        True,
    ),
    "AE_4HR_TYPE2": (
        (["att_t2", "booked_t2"], ["over_t2", "over_booked_t2"]),
        ["att_t2", "booked_t2"],
        False,
    ),
    "AE_4HR_DTA": ((["dta_4_12", "dta_12"], []), ["adm_t1", "adm_t2", "adm_other"], False),
    "AE_12HR_DTA": ((["dta_12"], []), ["adm_t1", "adm_t2", "adm_other"], False),
    "AE_ADMISSION_CONVERSION": ((["adm_t1"], []), ["att_t1", "booked_t1"], True),
    "AE_ADMISSIONS_VIA_AE": (
        (["adm_t1", "adm_t2", "adm_other"], []),
        ["adm_t1", "adm_t2", "adm_other", "adm_elsewhere"],
        False,
    ),
    # a count (the catalogue's aggregation 'sum'): no denominator, the value is the numerator
    "AE_EMERGENCY_ADMISSIONS": (
        (["adm_t1", "adm_t2", "adm_other", "adm_elsewhere"], []),
        [],
        False,
    ),
}


@dataclass
class Job:
    """One baseline run: where to read and write, which months, and the pseudonym key."""

    home: Path
    engine: str
    months: list[str]
    key: bytes
    operational_only: bool = False  # the operational extracts only: no returns, A&E or benchmark
    returns: dict[str, list[Path]] = field(default_factory=dict)  # collection -> files
    ae: list[tuple[str, Path]] = field(default_factory=list)  # (month, file)
    teams: list[Path] = field(default_factory=list)  # every provider's team register
    # extract -> month -> files (one per provider)
    extracts: dict[str, dict[str, list[Path]]] = field(default_factory=dict)

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def out(self) -> Path:
        return self.home / f"baseline_{self.engine}"


def parse_job(engine: str, description: str) -> Job:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--home", type=Path, default=os.environ.get("PEERBENCH_HOME", "var"))
    parser.add_argument("--start", required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", required=True, help="last month, YYYY-MM")
    parser.add_argument(
        "--operational-only",
        action="store_true",
        help="ingest the operational extracts (and the register) only, and compute only their "
        "per-team monthly metrics (benchmarks/operational.py)",
    )
    args = parser.parse_args()
    key = os.environ.get("PEERBENCH_PSEUDONYM_KEY", "")
    if len(key) < 16:
        parser.error("PEERBENCH_PSEUDONYM_KEY is not set (or shorter than 16 characters)")
    job = Job(args.home.resolve(), engine, months_between(args.start, args.to), key.encode())
    job.operational_only = args.operational_only
    _find_landing_files(job)
    return job


def months_between(first: str, last: str) -> list[str]:
    months = pd.period_range(first, last, freq="M")
    return [str(month) for month in months]


def quarter_label(month: str) -> str:
    """NHS financial quarter of a month: '2024-06' -> '2024-25-Q1'."""
    year, number = map(int, month.split("-"))
    start = year if number >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}-Q{(number - 4) % 12 // 3 + 1}"


def window_months(collection: str, window: str) -> list[str]:
    """The months a landing folder's returns may report: its month, or its quarter's three."""
    if collection != "mhlda":
        return [window]
    start, quarter = int(window[:4]), int(window[-1])
    first = pd.Period(f"{start}-04", freq="M") + 3 * (quarter - 1)
    return [str(first + offset) for offset in range(3)]


def ae_file_stem(month: str) -> str:
    year, number = month.split("-")
    return f"Monthly-AE-{MONTH_NAMES[int(number) - 1]}-{year}"


def nhse_period(month: str) -> str:
    year, number = month.split("-")
    return f"MSitAE-{MONTH_NAMES[int(number) - 1].upper()}-{year}"


def _find_landing_files(job: Job) -> None:
    """Every landing file of the run's months, as the platform's refresh would pick them."""
    quarters = [quarter_label(m) for m in job.months if m[5:] in ("01", "04", "07", "10")]
    windows = {"community_indicators": job.months, "mhlda": quarters}
    for collection, labels in windows.items():
        folders = [job.landing / collection / label for label in labels]
        job.returns[collection] = [path for f in folders for path in sorted(f.glob("*.csv"))]
    for month in job.months:
        stem = job.landing / "nhse_ae" / ae_file_stem(month)
        releases = [Path(f"{stem}-revised.csv"), Path(f"{stem}.csv")]  # a revision wins
        job.ae += [(month, path) for path in releases if path.is_file()][:1]
        for extract in EXTRACTS:
            files = sorted(job.landing.glob(f"operational/*/{month}/{extract}.csv"))
            job.extracts.setdefault(extract, {})[month] = files
    job.teams = sorted(job.landing.glob("operational/*/teams.csv"))


def operational_months(job: Job) -> list[str]:
    """The run's months in which any provider sent an operational extract."""
    return [m for m in job.months if any(job.extracts[e][m] for e in EXTRACTS)]


def submission(path: Path) -> tuple[str | None, datetime | None]:
    """The organisation and submission time a return's file name states, if it is well formed."""
    match = SUBMISSION_NAME.match(path.name)
    if not match:
        return None, None
    return match["org"], datetime.strptime(match["stamp"], "%Y%m%dT%H%M")


def pseudonymiser(key: bytes, domain: str) -> Callable[[str], str]:
    """The platform's pseudonym of a value: HMAC-SHA256 of '<domain>\\x1f<value>' under the key,
    as 32 hex characters."""
    keyed = hmac.new(key, f"{domain}\x1f".encode(), hashlib.sha256)

    def pseudonym(value: str) -> str:
        digest = keyed.copy()
        digest.update(value.encode())
        return digest.hexdigest()[:32]

    return pseudonym


def file_sha256(path: Path) -> str:
    """A landing file's SHA-256, its identity in the lineage (the platform records it too)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_header(path: Path, lower: bool = False) -> tuple[str, ...]:
    """A CSV file's header, each name stripped (and in lower case if `lower`)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        names = (column.strip() for column in next(csv.reader(handle), []))
        return tuple(name.lower() if lower else name for name in names)
