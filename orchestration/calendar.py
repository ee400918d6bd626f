"""The window calendar: when each collection's data window for a period closes.

A window is (collection, period). It opens when the period ends and closes at the collection's
deadline, a rule over working days in England kept in `seeds/collection_calendar.csv`. Bank
holidays come from the maintained `holidays` library, not a hand-kept list. A window counts as
closed from the day after its deadline: submissions are accepted throughout the deadline day.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import holidays

from orchestration.partitions import month_label, quarter_label
from orchestration.settings import SEEDS_DIR

PUBLISH_WITHIN = timedelta(days=1)  # a closed window unpublished for longer is overdue
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class CollectionRule:
    collection: str
    name: str
    cadence: str  # "month" or "quarter"
    deadline_rule: str
    deadline_days: int
    deadline_weekday: str


@dataclass(frozen=True)
class Window:
    collection: str
    partition_key: str
    period_label: str
    closes_on: date

    def is_closed(self, today: date) -> bool:
        return today > self.closes_on

    def publication_overdue(self, today: date) -> bool:
        """Closed for longer than publication should take: a day (the daily schedule's tick
        after the deadline publishes it)."""
        return today > self.closes_on + PUBLISH_WITHIN


@cache
def collection_rules(
    path: Path = SEEDS_DIR / "collection_calendar.csv",
) -> dict[str, CollectionRule]:
    with path.open(newline="") as handle:
        return {
            row["collection"]: CollectionRule(
                collection=row["collection"],
                name=row["collection_name"],
                cadence=row["cadence"],
                deadline_rule=row["deadline_rule"],
                deadline_days=int(row["deadline_days"]),
                deadline_weekday=row["deadline_weekday"],
            )
            for row in csv.DictReader(handle)
        }


@cache
def _england_bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _england_bank_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (which itself is not counted)."""
    while count > 0:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def nth_weekday_of_month(year: int, month: int, n: int, weekday: str) -> date:
    first = date(year, month, 1)
    offset = (WEEKDAYS.index(weekday) - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def period_end(period_start: date, cadence: str) -> date:
    return _add_months(period_start, 3 if cadence == "quarter" else 1) - timedelta(days=1)


def closes_on(rule: CollectionRule, period_start: date) -> date:
    end = period_end(period_start, rule.cadence)
    if rule.deadline_rule == "working_days_after_period_end":
        return add_working_days(end, rule.deadline_days)
    later = {"nth_weekday_of_following_month": 0, "nth_weekday_of_month_after_next": 1}
    if rule.deadline_rule in later:
        month = _add_months(end + timedelta(days=1), later[rule.deadline_rule])
        return nth_weekday_of_month(
            month.year, month.month, rule.deadline_days, rule.deadline_weekday
        )
    raise ValueError(f"unknown deadline rule {rule.deadline_rule!r} for {rule.collection}")


def window(collection: str, partition_key: str) -> Window:
    rule = collection_rules()[collection]
    start = date.fromisoformat(partition_key)
    label = (
        quarter_label(partition_key) if rule.cadence == "quarter" else month_label(partition_key)
    )
    return Window(collection, partition_key, label, closes_on(rule, start))


def closed_windows(collection: str, partition_keys: list[str], today: date) -> list[Window]:
    """The windows among these partitions that have closed by `today`."""
    windows = (window(collection, key) for key in partition_keys)
    return [w for w in windows if w.is_closed(today)]
