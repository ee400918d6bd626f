"""Contracts of the canonical operational extracts a provider sends each month: EPR contacts and
eRoster shifts. Vendor exports (SystmOne, EMIS, RiO, HealthRoster) are mapped onto these columns.

Times are `HH:MM` on the day of the row's date. An end after midnight is written past 24:00
(`31:30` is 07:30 the next morning, as GTFS timetables do), so an end is always after its start
and a shift's length is plain arithmetic. NHS numbers, patient ids and staff ids are identifiers:
their values never appear in a violation (they are pseudonymised once the file has passed).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from contracts.nhs_number import NHS_NUMBER_CHECK_SQL
from contracts.validation import Contract, Limits, RowRule, validate_file

IDENTIFIERS = ("nhs_number", "patient_id", "staff_id")
DATE_COLUMNS = {"epr_contacts": "contact_date", "eroster_shifts": "shift_date"}
TEAM_CODE = r"^[A-Z0-9]{2,8}(-[A-Z0-9]{1,8}){0,2}$"  # such as RXA-DN1
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
START_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
END_TIME = r"^([0-3]\d|4[0-7]):[0-5]\d$"  # up to 47:59, the next day's end
AFC_BAND = r"^([1-7]|8[a-d]|9)$"  # Agenda for Change band; empty for staff outside it
MAX_SHIFT_MINUTES = 24 * 60
# A large provider records about 200,000 contacts a month; twenty times that is not an extract.
EXTRACT_LIMITS = Limits(max_bytes=2 << 30, max_rows=5_000_000)

_identifier = pa.Column(str, pa.Check.str_length(min_value=1, max_value=64))


NOT_A_DATE = "not a calendar date written YYYY-MM-DD"


def _date() -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(ISO_DATE, error=NOT_A_DATE))


def _time(pattern: str) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(pattern, error=f"not a time matching {pattern}"))


def _count() -> pa.Column:
    return pa.Column(int, pa.Check.ge(0))


epr_contacts_schema = pa.DataFrameSchema(
    {
        "contact_id": _identifier,
        "nhs_number": pa.Column(
            str, pa.Check.str_matches(r"^\d{10}$", error="not 10 digits"), nullable=True
        ),
        "patient_id": _identifier,
        "staff_id": _identifier,
        "team_code": pa.Column(str, pa.Check.str_matches(TEAM_CODE, error="not a team code")),
        "contact_date": _date(),
        "start_time": _time(START_TIME),
        "end_time": _time(END_TIME),
        "contact_type": pa.Column(str, pa.Check.isin(["F2F", "telephone", "video"])),
        "location": pa.Column(str, pa.Check.isin(["home", "clinic", "other"])),
        "outcome": pa.Column(str, pa.Check.isin(["attended", "dna", "cancelled"])),
        "travel_minutes": _count(),
        "interventions": _count(),
    },
    unique=["contact_id"],
    strict=True,
    name="EPR contacts extract",
)

eroster_shifts_schema = pa.DataFrameSchema(
    {
        "staff_id": _identifier,
        "team_code": pa.Column(str, pa.Check.str_matches(TEAM_CODE, error="not a team code")),
        "shift_date": _date(),
        "start_time": _time(START_TIME),
        "end_time": _time(END_TIME),
        "break_minutes": _count(),
        "staff_group": pa.Column(str, pa.Check.isin(["clinical", "non_clinical"])),
        "employment_type": pa.Column(str, pa.Check.isin(["substantive", "bank", "agency"])),
        "band": pa.Column(
            str, pa.Check.str_matches(AFC_BAND, error="not an AfC band"), nullable=True
        ),
    },
    unique=["staff_id", "shift_date", "start_time"],
    strict=True,
    name="eRoster shifts extract",
)


def minutes_sql(column: str) -> str:
    """`HH:MM` as minutes after the day's midnight (past 1440 for the next day)."""
    return (
        f"(cast(substr({column}, 1, 2) as integer) * 60 + cast(substr({column}, 4, 2) as integer))"
    )


DURATION = f"({minutes_sql('rows.end_time')} - {minutes_sql('rows.start_time')})"


def _dated_in(column: str, month: str) -> tuple[RowRule, RowRule]:
    return (
        RowRule(column, NOT_A_DATE, f"try_strptime(rows.{column}, '%Y-%m-%d') is not null"),
        RowRule(
            column,
            f"date is not in the extract's month {month}",
            f"try_strptime(rows.{column}, '%Y-%m-%d') is null "
            f"or starts_with(rows.{column}, '{month}-')",
        ),
    )


_end_after_start = RowRule("end_time", "end is not after start", f"{DURATION} > 0")


def _not_an_nhs_number(column: str, what: str) -> RowRule:
    """Free-text codes kept in clear (team codes, the provider's own contact ids) may not hold
    anything shaped like an NHS number: one keyed into the wrong column (`943-476-5919` matches
    the team code pattern) would otherwise pass into the lake and the mart in clear."""
    return RowRule(
        column,
        f"an NHS number, not {what}",
        f"not regexp_full_match(rows.{column}, '[0-9]{{3}}[ -]?[0-9]{{3}}[ -]?[0-9]{{4}}')",
    )


_team_not_an_nhs_number = _not_an_nhs_number("team_code", "a team code")


@cache
def epr_contacts_contract(month: str) -> Contract:
    rules = (
        RowRule(
            "nhs_number",
            "NHS number fails the modulus 11 check",
            f"rows.nhs_number is null or ({NHS_NUMBER_CHECK_SQL.format(value='rows.nhs_number')})",
        ),
        _end_after_start,
        _team_not_an_nhs_number,
        _not_an_nhs_number("contact_id", "a contact id"),
        *_dated_in("contact_date", month),
    )
    return Contract(epr_contacts_schema, rules, IDENTIFIERS, limits=EXTRACT_LIMITS)


@cache
def eroster_shifts_contract(month: str) -> Contract:
    rules = (
        _end_after_start,
        _team_not_an_nhs_number,
        RowRule("end_time", "shift is over 24 hours", f"{DURATION} <= {MAX_SHIFT_MINUTES}"),
        RowRule(
            "break_minutes",
            "break is not shorter than the shift",
            f"{DURATION} <= 0 or rows.break_minutes < {DURATION}",
        ),
        *_dated_in("shift_date", month),
    )
    return Contract(eroster_shifts_schema, rules, IDENTIFIERS, limits=EXTRACT_LIMITS)


def typed_extract_sql(table: str, date_column: str) -> str:
    """The validated rows with their date typed and their length in minutes: what the lake keeps
    of an extract (identifiers are pseudonymised by the asset that writes it)."""
    duration = DURATION.replace("rows.", "")
    return (
        f"select * replace (cast({date_column} as date) as {date_column}), "
        f"{duration} as duration_minutes from {table}"
    )


def _read(path: Path, contract: Contract, date_column: str) -> pd.DataFrame:
    with duckdb.connect() as connection:
        connection.register("validated_rows", validate_file(path, contract))
        return connection.execute(typed_extract_sql("validated_rows", date_column)).df()


def read_epr_contacts(path: Path, month: str) -> pd.DataFrame:
    """One month's EPR contacts, validated, identifiers still in clear; raise if the file is bad."""
    return _read(path, epr_contacts_contract(month), DATE_COLUMNS["epr_contacts"])


def read_eroster_shifts(path: Path, month: str) -> pd.DataFrame:
    """One month's rostered shifts, validated, identifiers still in clear; raise if it is bad."""
    return _read(path, eroster_shifts_contract(month), DATE_COLUMNS["eroster_shifts"])
