"""Contract of NHS England's MHSDS community mental health 4-week waits file, one per monthly
performance release (`MHSDS_Data_4WW_<Mon>Perf_<YYYY>[_v<N>].csv`).

Long format: one row per reporting period, breakdown (England, 'ICB of GP Practice or
Residence', Provider), organisation (`PRIMARY_LEVEL`, a provider's ODS code) and measure. A release
holds two reporting periods, both ending on its month's last day: a rolling quarter for the
measures of spells that stopped, started or closed in it (MRS01, MRS01a, MRS04, MRS08...) and the
month for those still open at its end (MRS02, MRS06...). England's counts are exact; ICB and
provider counts are rounded to the nearest 5 and small ones suppressed as `*`, so a value is text
here (a number or `*`) and the lake keeps it as a number, null when suppressed, beside a
`suppressed` flag. Dates are DD/MM/YYYY, checked as text and converted in the lake.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import pandera.pandas as pa

from contracts.validation import Contract, Limits, RowRule

DATE_FORMAT = "%d/%m/%Y"
PROVIDER = "Provider"  # the breakdown whose PRIMARY_LEVEL is a provider's ODS code
SUPPRESSED = "*"
MEASURE_VALUE = r"^(\*|[0-9]+(\.[0-9]+)?)$"  # a number, or * where NHS England suppressed it

# published column -> lake column
COLUMNS = {
    "REPORTING_PERIOD_START": "reporting_period_start",
    "REPORTING_PERIOD_END": "reporting_period_end",
    "STATUS": "status",
    "BREAKDOWN": "breakdown",
    "PRIMARY_LEVEL": "primary_level",
    "PRIMARY_LEVEL_DESCRIPTION": "primary_level_description",
    "SECONDARY_LEVEL": "secondary_level",
    "SECONDARY_LEVEL_DESCRIPTION": "secondary_level_description",
    "MEASURE_ID": "measure_id",
    "MEASURE_NAME": "measure_name",
    "MEASURE_VALUE": "measure_value",
}
DATE_COLUMNS = ("REPORTING_PERIOD_START", "REPORTING_PERIOD_END")
KEY = [
    "REPORTING_PERIOD_START",
    "REPORTING_PERIOD_END",
    "BREAKDOWN",
    "PRIMARY_LEVEL",
    "SECONDARY_LEVEL",
    "MEASURE_ID",
]


def reporting_periods(month: str) -> tuple[date, date, date]:
    """A release's reporting periods as (the quarter's first day, the month's first day, the
    month's last day): '2024-04' -> 1 Feb 2024, 1 Apr 2024, 30 Apr 2024."""
    year, number = map(int, month.split("-"))
    first = date(year, number, 1)
    last = date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
    quarter = date(year - (number <= 2), (number - 3) % 12 + 1, 1)
    return quarter, first, last


def _day(column: str) -> str:
    """The row's DD/MM/YYYY text as a date; null where it is no date (say 31/02/2024)."""
    return f"cast(try_strptime(rows.\"{column}\", '{DATE_FORMAT}') as date)"


def _period_rules(month: str) -> tuple[RowRule, ...]:
    quarter, first, last = reporting_periods(month)
    return (
        RowRule(
            "REPORTING_PERIOD_END",
            f"the reporting period does not end on {last:%d/%m/%Y}, the release's month end",
            f"{_day('REPORTING_PERIOD_END')} = date '{last}'",
        ),
        RowRule(
            "REPORTING_PERIOD_START",
            f"the reporting period starts neither on {first:%d/%m/%Y} (the month) nor on "
            f"{quarter:%d/%m/%Y} (the rolling quarter)",
            f"{_day('REPORTING_PERIOD_START')} in (date '{first}', date '{quarter}')",
        ),
        RowRule(
            "PRIMARY_LEVEL",
            "a provider row's PRIMARY_LEVEL is not an ODS organisation code",
            f"rows.\"BREAKDOWN\" <> '{PROVIDER}' "
            "or regexp_full_match(rows.\"PRIMARY_LEVEL\", '[A-Z0-9]{3,6}')",
        ),
    )


@cache
def mhsds_contract(month: str) -> Contract:
    """The contract of one month's release, on the file's own (upper-case) headers."""
    columns = {name: pa.Column(str, pa.Check.str_length(min_value=1)) for name in COLUMNS}
    for name in DATE_COLUMNS:
        columns[name] = pa.Column(
            str, pa.Check.str_matches(r"^\d{2}/\d{2}/\d{4}$", error="not a date (DD/MM/YYYY)")
        )
    columns["MEASURE_ID"] = pa.Column(
        str, pa.Check.str_matches(r"^MRS\d{2}[a-z]?$", error="not a referral-spell measure (MRS)")
    )
    columns["MEASURE_VALUE"] = pa.Column(
        str, pa.Check.str_matches(MEASURE_VALUE, error="not a number or * (suppressed)")
    )
    schema = pa.DataFrameSchema(
        columns, unique=KEY, strict="filter", name="NHS England MHSDS 4-week waits"
    )
    return Contract(
        schema=schema,
        row_rules=_period_rules(month),
        lower_case_header=False,
        limits=Limits(max_bytes=100 << 20, max_rows=1_000_000),
    )
