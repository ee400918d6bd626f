"""Contracts of the operational extracts a provider sends each month (EPR referrals and contacts,
eRoster shifts, the ESR establishment) and of its team register, as `docs/operational_extracts.md`
specifies them. Each also reads as SystmOne, EMIS, RiO, HealthRoster, Rotamaster or ESR export it
(`contracts/layouts/`).

Times are `HH:MM` on the day of the row's date. An end after midnight is written past 24:00
(`31:30` is 07:30 the next morning, as GTFS timetables do), so an end is always after its start
and a length is plain arithmetic. NHS numbers, patient ids, staff ids, assignment numbers and
referral ids are identifiers: their values never appear in a violation (they are pseudonymised
once the file has passed). Every row's team must be in the provider's team register: the rule
reads the register through the lookup `teams` (`TEAMS_LOOKUP`), whose rows the lake asset
supplies from the accepted registers (`with_teams`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from contracts.layouts import layouts_of
from contracts.nhs_number import NHS_NUMBER_CHECK_SQL
from contracts.validation import Contract, Limits, Lookup, RowRule, validate_file

EXTRACTS = ("epr_referrals", "epr_contacts", "eroster_shifts", "esr_staff")
IDENTIFIERS = ("nhs_number", "patient_id", "staff_id", "assignment_number", "referral_id")
TEAM_CODE = r"^[A-Z0-9]{2,8}(-[A-Z0-9]{1,8}){0,2}$"  # such as RXA-DN1
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"
START_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
END_TIME = r"^([0-3]\d|4[0-7]):[0-5]\d$"  # up to 47:59, the next day's end
AFC_BAND = r"^([2-7]|8[a-d]|9)$"  # Agenda for Change band (band 1 closed in 2019)
MAX_SHIFT_MINUTES = 24 * 60
# the longest a single contact can be: longer is a keying error (an end typed before the start,
# read as the next day's), not a visit
MAX_CONTACT_MINUTES = 12 * 60
MAX_WTE = 1.5
DEPARTMENTS = ("community_nursing", "community_therapies")
REFERRAL_SOURCES = ("gp", "self", "acute", "community", "social_care", "other")
ACTIVITY_TYPES = (
    *("wound_care", "insulin", "diagnostics", "medication", "palliative", "continence"),
    *("venepuncture", "assessment", "rehabilitation", "other"),
)
ROLES = ("registered_nurse", "nursing_associate", "healthcare_assistant",
         "allied_health_professional", "therapy_assistant", "doctor", "admin_and_clerical",
         "manager")  # fmt: skip
NON_CLINICAL_ROLES = ("admin_and_clerical", "manager")
# A large provider records about 200,000 contacts a month; twenty times that is not an extract.
EXTRACT_LIMITS = Limits(max_bytes=2 << 30, max_rows=5_000_000)
REGISTER_LIMITS = Limits(max_bytes=5 << 20, max_rows=10_000)

NOT_A_DATE = "not a calendar date written YYYY-MM-DD"
NOT_A_DATETIME = "not a date and time written YYYY-MM-DD HH:MM"
UNKNOWN_TEAM = "team is not in the provider's team register (operational/<ORG>/teams.csv)"
# the teams every extract row is checked against: the provider's accepted register
TEAMS_LOOKUP = Lookup(
    "teams",
    pd.DataFrame({"organisation_code": pd.Series(dtype=str), "team_code": pd.Series(dtype=str)}),
    "teams.organisation_code = rows._submitter and teams.team_code = rows.team_code",
)

_identifier = pa.Column(str, pa.Check.str_length(min_value=1, max_value=64))
_optional_identifier = pa.Column(str, pa.Check.str_length(min_value=1, max_value=64), nullable=True)
_team = pa.Column(str, pa.Check.str_matches(TEAM_CODE, error="not a team code"))


def _date(nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(ISO_DATE, error=NOT_A_DATE), nullable=nullable)


def _datetime(nullable: bool = False) -> pa.Column:
    return pa.Column(
        str, pa.Check.str_matches(ISO_DATETIME, error=NOT_A_DATETIME), nullable=nullable
    )


def _time(pattern: str) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(pattern, error=f"not a time matching {pattern}"))


def _count() -> pa.Column:
    return pa.Column(int, pa.Check.ge(0))


def _code(values: tuple[str, ...], nullable: bool = False, required: bool = True) -> pa.Column:
    return pa.Column(str, pa.Check.isin(list(values)), nullable=nullable, required=required)


def _nhs_number() -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(r"^\d{10}$", error="not 10 digits"), nullable=True)


def _band(nullable: bool) -> pa.Column:
    return pa.Column(
        str, pa.Check.str_matches(AFC_BAND, error="not an AfC band"), nullable=nullable
    )


teams_schema = pa.DataFrameSchema(
    {
        "team_code": _team,
        "team_name": pa.Column(str, pa.Check.str_length(min_value=1, max_value=200)),
        "department": _code(DEPARTMENTS),
        "opened_on": _date(nullable=True),
        "closed_on": _date(nullable=True),
    },
    unique=["team_code"],
    strict=True,
    name="team register",
)

epr_referrals_schema = pa.DataFrameSchema(
    {
        "referral_id": _identifier,
        "patient_id": _identifier,
        "nhs_number": _nhs_number(),
        "team_code": _team,
        "referral_source": _code(REFERRAL_SOURCES),
        "priority": _code(("urgent", "routine")),
        "received_at": _datetime(),
        "accepted_on": _date(nullable=True),
        "first_contact_at": _datetime(nullable=True),
        "discharged_on": _date(nullable=True),
    },
    unique=["referral_id"],
    strict=True,
    name="EPR referrals extract",
)

epr_contacts_schema = pa.DataFrameSchema(
    {
        "contact_id": _identifier,
        "nhs_number": _nhs_number(),
        "patient_id": _identifier,
        "staff_id": _identifier,
        "team_code": _team,
        "contact_date": _date(),
        "start_time": _time(START_TIME),
        "end_time": _time(END_TIME),
        "contact_type": _code(("F2F", "telephone", "video")),
        "location": _code(("home", "clinic", "other")),
        "outcome": _code(("attended", "dna", "cancelled")),
        "travel_minutes": _count(),
        "interventions": _count(),
        "activity_type": _code(ACTIVITY_TYPES, nullable=True, required=False),
    },
    unique=["contact_id"],
    strict=True,
    name="EPR contacts extract",
)

eroster_shifts_schema = pa.DataFrameSchema(
    {
        "staff_id": _identifier,
        "team_code": _team,
        "shift_date": _date(),
        "start_time": _time(START_TIME),
        "end_time": _time(END_TIME),
        "break_minutes": _count(),
        "shift_type": _code(("clinical", "non_clinical", "training")),
        "employment_type": _code(("substantive", "bank", "agency")),
        "overtime": _code(("yes", "no")),
        "band": _band(nullable=True),
    },
    unique=["staff_id", "shift_date", "start_time"],
    strict=True,
    name="eRoster shifts extract",
)

esr_staff_schema = pa.DataFrameSchema(
    {
        "position_id": pa.Column(str, pa.Check.str_length(min_value=1, max_value=64)),
        "assignment_number": _optional_identifier,
        "team_code": _team,
        "role": _code(ROLES),
        "band": _band(nullable=False),
        "wte": pa.Column(float, pa.Check.in_range(0, MAX_WTE)),
        "budgeted_wte": pa.Column(float, pa.Check.in_range(0, MAX_WTE)),
        "start_date": _date(nullable=True),
        "leaving_date": _date(nullable=True),
        "sickness_absence_days": pa.Column(float, pa.Check.ge(0)),
    },
    unique=["position_id", "assignment_number"],
    strict=True,
    name="ESR establishment extract",
)

SCHEMAS = {
    "epr_referrals": epr_referrals_schema,
    "epr_contacts": epr_contacts_schema,
    "eroster_shifts": eroster_shifts_schema,
    "esr_staff": esr_staff_schema,
}
# what a system layout may rewrite: dates, times, date-times and H:MM durations as minutes
KINDS = {
    "contact_date": "date", "shift_date": "date", "accepted_on": "date",
    "discharged_on": "date", "start_date": "date", "leaving_date": "date", "opened_on": "date",
    "closed_on": "date", "start_time": "time", "end_time": "time", "received_at": "datetime",
    "first_contact_at": "datetime", "break_minutes": "minutes", "travel_minutes": "minutes",
}  # fmt: skip


KINDS_OF_REFERRAL_DAYS = ("received_at", "accepted_on", "first_contact_at", "discharged_on")


def minutes_sql(column: str) -> str:
    """`HH:MM` as minutes after the day's midnight (past 1440 for the next day)."""
    return (
        f"(cast(substr({column}, 1, 2) as integer) * 60 + cast(substr({column}, 4, 2) as integer))"
    )


DURATION = f"({minutes_sql('rows.end_time')} - {minutes_sql('rows.start_time')})"


def _day(column: str) -> str:
    """A date or date-time column's day (null where it is not one), converted as the lake's own
    `cast(... as date)` converts it (and faster than parsing it with a format: the rules run
    only on cells whose shape, YYYY-MM-DD, the column's check has vouched for)."""
    return f"try_cast(substr(rows.{column}, 1, 10) as date)"


def _month_bounds(month: str) -> tuple[str, str]:
    """The month's first day and the first day after it, as SQL dates."""
    first = pd.Period(month, freq="M")
    return (f"date '{first.start_time.date()}'", f"date '{(first + 1).start_time.date()}'")


def _real_day(column: str, rule: str) -> RowRule:
    """A date (or date-time) that has the shape but is no day of the calendar (2025-02-30), or,
    for a date-time, no time of the day (25:61): the lake types it, and a value that does not
    convert would stop the whole partition's ingest."""
    if KINDS.get(column) == "datetime":
        real = f"try_strptime(rows.{column}, '%Y-%m-%d %H:%M') is not null"
    else:
        real = f"{_day(column)} is not null"
    return RowRule(column, rule, f"rows.{column} is null or {real}")


def _dated_in(column: str, month: str) -> tuple[RowRule, RowRule]:
    first, after = _month_bounds(month)
    return (
        _real_day(column, NOT_A_DATE),
        RowRule(
            column,
            f"date is not in the extract's month {month}",
            f"{_day(column)} is null or ({_day(column)} >= {first} and {_day(column)} < {after})",
        ),
    )


def _by_month_end(column: str, month: str) -> RowRule:
    _, after = _month_bounds(month)
    return RowRule(
        column,
        f"after the extract's month {month}: not known at its end",
        f"{_day(column)} is null or {_day(column)} < {after}",
    )


def _not_before(column: str, earlier: str, words: str) -> RowRule:
    return RowRule(
        column,
        f"before {words}",
        f"{_day(column)} is null or {_day(earlier)} is null or {_day(column)} >= {_day(earlier)}",
    )


def _not_an_nhs_number(column: str, what: str) -> RowRule:
    """Values kept in clear (team codes and names, the provider's own contact ids, position
    numbers, counts without a bound) may not hold anything shaped like an NHS number, alone or
    within the value (`943-476-5919`, `DN-943-4765919`, `EV9434765919`, a travel time of
    9434765919 minutes): one keyed into the wrong column would otherwise pass into the lake and
    the mart in clear. The shape is the one messages mask (`contracts.validation.
    NHS_NUMBER_SHAPE`: no digit either side)."""
    shape = "(^|[^0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}([^0-9]|$)"
    text = f"cast(rows.{column} as varchar)"
    return RowRule(  # the shape has at least ten characters: shorter values skip the regex
        column,
        f"an NHS number, not {what}",
        f"{text} is null or length({text}) < 10 or not regexp_matches({text}, '{shape}')",
    )


_nhs_number_check = RowRule(
    "nhs_number",
    "NHS number fails the modulus 11 check",
    f"rows.nhs_number is null or ({NHS_NUMBER_CHECK_SQL.format(value='rows.nhs_number')})",
)
_team_not_an_nhs_number = _not_an_nhs_number("team_code", "a team code")
_known_team = RowRule("team_code", UNKNOWN_TEAM, "teams.team_code is not null")
_end_after_start = RowRule("end_time", "end is not after start", f"{DURATION} > 0")


def _extract(name: str, rules: tuple[RowRule, ...]) -> Contract:
    return Contract(
        SCHEMAS[name],
        (_known_team, _team_not_an_nhs_number, *rules),
        IDENTIFIERS,
        lookups=(TEAMS_LOOKUP,),
        limits=EXTRACT_LIMITS,
        layouts=layouts_of(name),
        kinds=KINDS,
    )


@cache
def teams_contract(_: str = "") -> Contract:
    rules = (
        _team_not_an_nhs_number,
        _not_an_nhs_number("team_name", "a team name"),  # free text, kept in clear
        _real_day("opened_on", NOT_A_DATE),
        _real_day("closed_on", NOT_A_DATE),
        _not_before("closed_on", "opened_on", "the team opened"),
    )
    return Contract(teams_schema, rules, IDENTIFIERS, limits=REGISTER_LIMITS, kinds=KINDS)


@cache
def epr_referrals_contract(month: str) -> Contract:
    first, _ = _month_bounds(month)
    return _extract(
        "epr_referrals",
        (
            _nhs_number_check,
            _real_day("received_at", NOT_A_DATETIME),
            _real_day("accepted_on", NOT_A_DATE),
            _real_day("first_contact_at", NOT_A_DATETIME),
            _real_day("discharged_on", NOT_A_DATE),
            *(_by_month_end(c, month) for c in KINDS_OF_REFERRAL_DAYS),
            _not_before("accepted_on", "received_at", "the referral was received"),
            _not_before("discharged_on", "received_at", "the referral was received"),
            RowRule(
                "first_contact_at",
                "before the referral was received",
                "rows.first_contact_at is null or rows.first_contact_at >= rows.received_at",
            ),
            RowRule(
                "discharged_on",
                f"discharged before {month}: the referral was not open in the month",
                f"{_day('discharged_on')} is null or {_day('discharged_on')} >= {first}",
            ),
        ),
    )


@cache
def epr_contacts_contract(month: str) -> Contract:
    return _extract(
        "epr_contacts",
        (
            _nhs_number_check,
            _end_after_start,
            RowRule(
                "end_time",
                "contact is over 12 hours: not one contact",
                f"{DURATION} <= {MAX_CONTACT_MINUTES}",
            ),
            _not_an_nhs_number("contact_id", "a contact id"),
            _not_an_nhs_number("travel_minutes", "minutes of travel"),
            _not_an_nhs_number("interventions", "a count of interventions"),
            *_dated_in("contact_date", month),
        ),
    )


@cache
def eroster_shifts_contract(month: str) -> Contract:
    return _extract(
        "eroster_shifts",
        (
            _end_after_start,
            RowRule("end_time", "shift is over 24 hours", f"{DURATION} <= {MAX_SHIFT_MINUTES}"),
            RowRule(
                "break_minutes",
                "break is not shorter than the shift",
                f"{DURATION} <= 0 or rows.break_minutes < {DURATION}",
            ),
            *_dated_in("shift_date", month),
        ),
    )


@cache
def esr_staff_contract(month: str) -> Contract:
    first, _ = _month_bounds(month)
    days = pd.Period(month, freq="M").days_in_month
    return _extract(
        "esr_staff",
        (
            _not_an_nhs_number("position_id", "a position number"),
            _real_day("start_date", NOT_A_DATE),
            _real_day("leaving_date", NOT_A_DATE),
            _by_month_end("start_date", month),
            _not_before("leaving_date", "start_date", "the assignment started"),
            RowRule(
                "leaving_date",
                f"left before {month}: not on the establishment in the month",
                f"{_day('leaving_date')} is null or {_day('leaving_date')} >= {first}",
            ),
            RowRule(
                "wte",
                "a vacant position (no assignment number) has a WTE or a start date",
                "rows.assignment_number is not null or (rows.wte = 0 and rows.start_date is null)",
            ),
            RowRule(
                "start_date",
                "an assignment has no start date",
                "rows.assignment_number is null or rows.start_date is not null",
            ),
            RowRule(
                "sickness_absence_days",
                f"more days of sickness than {month} has ({days})",
                f"rows.sickness_absence_days <= {days}",
            ),
            RowRule(
                "sickness_absence_days",
                f"more WTE days of sickness than the assignment's WTE over {month}'s {days} days",
                f"rows.sickness_absence_days > {days} "  # told by the rule above
                # to the hundredth, as the figures are written: 0.6 x 31 is 18.6, not a float
                # a hair below it
                f"or rows.sickness_absence_days <= round(rows.wte * {days}, 2)",
            ),
            RowRule(
                "leaving_date",
                "a vacant position (no assignment number) has a leaving date",
                "rows.assignment_number is not null or rows.leaving_date is null",
            ),
        ),
    )


def with_teams(contract: Contract, teams: pd.DataFrame) -> Contract:
    """The contract checking rows against these registers (organisation_code, team_code; no
    rows when none has been accepted)."""
    frame = TEAMS_LOOKUP.frame if teams.empty else teams[["organisation_code", "team_code"]]
    lookups = tuple(
        replace(lookup, frame=frame) if lookup.alias == TEAMS_LOOKUP.alias else lookup
        for lookup in contract.lookups
    )
    return replace(contract, lookups=lookups)


def typed_extract_sql(table: str, schema: pa.DataFrameSchema) -> str:
    """The validated rows with their dates and date-times typed and, where the rows have times,
    their length in minutes: what the lake keeps of an extract (identifiers are pseudonymised by
    the asset that writes it)."""
    typed = [
        f"cast({column} as date) as {column}"
        if KINDS.get(column) == "date"
        else f"strptime({column}, '%Y-%m-%d %H:%M') as {column}"
        for column in schema.columns
        if KINDS.get(column) in ("date", "datetime")
    ]
    replaced = f" replace ({', '.join(typed)})" if typed else ""
    duration = ""
    if "start_time" in schema.columns:
        duration = f", {DURATION.replace('rows.', '')} as duration_minutes"
    return f"select *{replaced}{duration} from {table}"


def read_extract(
    path: Path, extract: str, month: str, organisation: str, teams: list[str]
) -> pd.DataFrame:
    """One month's extract of one provider, validated against its team register, identifiers
    still in clear; raises ContractViolationError if the file is bad."""
    contract = CONTRACTS[extract](month)
    register = pd.DataFrame({"organisation_code": organisation, "team_code": teams})
    with duckdb.connect() as connection:
        frame = validate_file(
            path, with_teams(contract, register), submitter=organisation, connection=connection
        )
        connection.register("validated_rows", frame)
        return connection.execute(typed_extract_sql("validated_rows", contract.schema)).df()


CONTRACTS = {
    "epr_referrals": epr_referrals_contract,
    "epr_contacts": epr_contacts_contract,
    "eroster_shifts": eroster_shifts_contract,
    "esr_staff": esr_staff_contract,
}


comparators_schema = pa.DataFrameSchema(
    {
        "organisation_code": pa.Column(
            str, pa.Check.str_matches(r"^[A-Z0-9]{3,5}$", error="not an ODS organisation code")
        ),
    },
    unique=["organisation_code"],
    strict=True,
    name="comparator set",
)


@cache
def comparators_contract(_: str = "") -> Contract:
    """The providers a provider names to be benchmarked against besides the whole programme
    (`operational/<ORG>/comparators.csv`): a code per row."""
    return Contract(comparators_schema, (), limits=REGISTER_LIMITS)
