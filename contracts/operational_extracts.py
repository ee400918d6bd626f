"""Contracts of the canonical operational extracts a provider sends each month: EPR contacts and
eRoster shifts. Vendor exports (SystmOne, EMIS, RiO, HealthRoster) are mapped onto these columns.

Times are `HH:MM` on the day of the row's date. An end after midnight is written past 24:00
(`31:30` is 07:30 the next morning, as GTFS timetables do), so an end is always after its start
and a shift's length is plain arithmetic. NHS numbers, patient ids and staff ids are identifiers:
their values never appear in a violation (they are pseudonymised once the file has passed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from contracts.nhs_number import is_valid_nhs_number
from contracts.validation import RowRule, read_csv_text, validate

IDENTIFIERS = ("nhs_number", "patient_id", "staff_id")
TEAM_CODE = r"^[A-Z0-9]{2,8}(-[A-Z0-9]{1,8}){0,2}$"  # such as RXA-DN1
START_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
END_TIME = r"^([0-3]\d|4[0-7]):[0-5]\d$"  # up to 47:59, the next day's end
AFC_BAND = r"^([1-7]|8[a-d]|9)$"  # Agenda for Change band; empty for staff outside it
MAX_SHIFT_MINUTES = 24 * 60

_identifier = pa.Column(str, pa.Check.str_length(min_value=1, max_value=64))


def _iso_date() -> pa.Check:
    return pa.Check(
        lambda s: (
            s.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
            & pd.to_datetime(s, format="%Y-%m-%d", errors="coerce").notna()
        ),
        error="not a calendar date written YYYY-MM-DD",
    )


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
        "contact_date": pa.Column(str, _iso_date()),
        "start_time": _time(START_TIME),
        "end_time": _time(END_TIME),
        "contact_type": pa.Column(str, pa.Check.isin(["F2F", "telephone", "video"])),
        "location": pa.Column(str, pa.Check.isin(["home", "clinic", "other"])),
        "outcome": pa.Column(str, pa.Check.isin(["attended", "dna", "cancelled"])),
        "travel_minutes": _count(),
        "interventions": _count(),
    },
    unique=["contact_id"],
    report_duplicates="exclude_first",
    strict=True,
    coerce=True,
    ordered=False,
    name="EPR contacts extract",
)

eroster_shifts_schema = pa.DataFrameSchema(
    {
        "staff_id": _identifier,
        "team_code": pa.Column(str, pa.Check.str_matches(TEAM_CODE, error="not a team code")),
        "shift_date": pa.Column(str, _iso_date()),
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
    report_duplicates="exclude_first",
    strict=True,
    coerce=True,
    ordered=False,
    name="eRoster shifts extract",
)


def _minutes(times: pd.Series) -> pd.Series:
    """`HH:MM` as minutes after the day's midnight (past 1440 for the next day)."""
    return times.str.slice(0, 2).astype(int) * 60 + times.str.slice(3, 5).astype(int)


def _duration(frame: pd.DataFrame) -> pd.Series:
    return _minutes(frame["end_time"]) - _minutes(frame["start_time"])


def _in_month(column: str, month_label: str) -> RowRule:
    return RowRule(
        column,
        f"date is not in the extract's month {month_label}",
        lambda df: df[column].str.startswith(f"{month_label}-"),
    )


_end_after_start = RowRule("end_time", "end is not after start", lambda df: _duration(df) > 0)


def epr_contacts_rules(month_label: str) -> list[RowRule]:
    return [
        RowRule(
            "nhs_number",
            "NHS number fails the modulus 11 check",
            lambda df: (
                df["nhs_number"].isna() | df["nhs_number"].fillna("").map(is_valid_nhs_number)
            ),
        ),
        _end_after_start,
        _in_month("contact_date", month_label),
    ]


def eroster_shifts_rules(month_label: str) -> list[RowRule]:
    return [
        _end_after_start,
        RowRule(
            "end_time",
            "shift is over 24 hours",
            lambda df: _duration(df) <= MAX_SHIFT_MINUTES,
        ),
        RowRule(
            "break_minutes",
            "break is not shorter than the shift",
            lambda df: (_duration(df) <= 0) | (df["break_minutes"] < _duration(df)),
        ),
        _in_month("shift_date", month_label),
    ]


def _read(
    path: Path, schema: pa.DataFrameSchema, rules: list[RowRule], date_column: str
) -> pd.DataFrame:
    """Read, trim, validate; then type the date and add the length in minutes."""
    frame = read_csv_text(path)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    coerced = validate(frame, schema, path, row_rules=rules, withheld_columns=IDENTIFIERS)
    return coerced[list(schema.columns)].assign(
        **{date_column: pd.to_datetime(coerced[date_column], format="%Y-%m-%d").dt.date},
        duration_minutes=_duration(coerced),
    )


def read_epr_contacts(path: Path, month_label: str) -> pd.DataFrame:
    """One month's EPR contacts, validated, identifiers still in clear; raise if the file is bad."""
    return _read(path, epr_contacts_schema, epr_contacts_rules(month_label), "contact_date")


def read_eroster_shifts(path: Path, month_label: str) -> pd.DataFrame:
    """One month's rostered shifts, validated, identifiers still in clear; raise if it is bad."""
    return _read(path, eroster_shifts_schema, eroster_shifts_rules(month_label), "shift_date")
