"""Partitions shared by assets, jobs and schedules, and the period labels derived from them.

A partition key is Dagster's (the first day of the period, `2024-06-01`); the period label is what
people and folders use: `2024-06` for a month, `2024-25-Q1` for an NHS financial quarter.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import dagster as dg

CADENCES = ("month", "quarter")


@cache
def time_partitions(cadence: str, first_month: str) -> dg.TimeWindowPartitionsDefinition:
    """The partitions of a source that starts in `first_month` (`2020-04`); one object per
    (cadence, start), so sources that share them share a refresh job.

    Dagster has no quarterly class: a cron on the 1st of every third month from April gives NHS
    financial quarters (Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar)."""
    start = f"{first_month}-01"
    if cadence == "month":
        return dg.MonthlyPartitionsDefinition(start_date=start, end_offset=0)
    if cadence == "quarter":
        if (int(first_month[5:7]) - 4) % 3:
            raise ValueError(f"a quarterly source starts on a quarter's first month: {first_month}")
        return dg.TimeWindowPartitionsDefinition(
            cron_schedule="0 0 1 */3 *", start=start, fmt="%Y-%m-%d", end_offset=0
        )
    raise ValueError(f"no partitions for cadence {cadence!r}")


def financial_year(day: date) -> str:
    """NHS financial year label, April to March: 2024-06-01 -> '2024-25'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def financial_quarter(day: date) -> int:
    """1 for April-June through 4 for January-March."""
    return (day.month - 4) % 12 // 3 + 1


def month_label(key: str) -> str:
    return key[:7]


def quarter_label(key: str) -> str:
    day = date.fromisoformat(key)
    return f"{financial_year(day)}-Q{financial_quarter(day)}"


def period_label(cadence: str, key: str) -> str:
    """The label of the period of a cadence starting on the partition key's day."""
    return quarter_label(key) if cadence == "quarter" else month_label(key)


def months_of(cadence: str, key: str) -> list[str]:
    """The months of the period of a cadence starting on the partition key's day: three for a
    quarter."""
    return quarter_months(key) if cadence == "quarter" else [month_label(key)]


def quarter_months(key: str) -> list[str]:
    """The three month labels inside a quarter partition."""
    day = date.fromisoformat(key)
    months = []
    for offset in range(3):
        month_index = day.month - 1 + offset
        months.append(f"{day.year + month_index // 12}-{month_index % 12 + 1:02d}")
    return months
