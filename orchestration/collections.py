"""The collections that publish benchmarks, derived from the source registry: each is the set of
sources whose windows it publishes (one for a return or a national file; the four monthly
extracts for the operational programme, published by quarter). The cadence and deadline rules
live in `seeds/collection_calendar.csv` (read by `orchestration.calendar`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.calendar import collection_rules
from orchestration.partitions import months_of, period_label, quarter_label, time_partitions
from orchestration.registry import SOURCES, Source, partition_dir, period_months


@dataclass(frozen=True)
class Collection:
    code: str
    sources: tuple[Source, ...]  # the first leads: who submits, where its windows start

    @property
    def source(self) -> Source:
        return self.sources[0]

    @property
    def name(self) -> str:
        return collection_rules()[self.code].name

    @property
    def cadence(self) -> str:
        """The windows' length, by the calendar: a quarterly collection may gather monthly
        sources (the operational extracts)."""
        return collection_rules()[self.code].cadence

    @property
    def lake_dataset(self) -> str:
        return self.source.name

    @property
    def partitions_def(self) -> dg.TimeWindowPartitionsDefinition:
        return time_partitions(self.cadence, self.source.first_month)

    def period_label(self, partition_key: str) -> str:
        return period_label(self.cadence, partition_key)

    def months(self, partition_key: str) -> list[str]:
        """The months a window covers."""
        return months_of(self.cadence, partition_key)

    @property
    def gathers_months(self) -> bool:
        """Whether a window gathers several of its sources' periods (the operational quarter of
        monthly extracts): its values are the periods' aggregates, whose lineage is a digest of
        the files behind them, not the landing files themselves."""
        return any(s.cadence != self.cadence for s in self.sources)

    def source_periods(self, partition_key: str) -> list[tuple[Source, str]]:
        """The sources' lake partitions (dataset, period label) a window is made of."""
        if not self.gathers_months:
            return [(s, self.period_label(partition_key)) for s in self.sources]
        return [(s, month) for s in self.sources for month in self.months(partition_key)]

    def has_data(self, lake: Path, partition_key: str) -> bool:
        """Whether the lake holds the window: any of its sources' partition, or, for a window
        gathering months (the operational quarter), some source's partition of every month (a
        quarter is benchmarked only where all its months were sent)."""
        periods = self.source_periods(partition_key)
        present = {p for s, p in periods if partition_dir(lake, s.name, p).is_dir()}
        if not self.gathers_months:
            return bool(present)
        return present == set(self.months(partition_key))

    def window_of(self, source_period: str) -> str:
        """The window label a source's period falls in: a month's quarter, for the operational
        extracts; the period itself where the sources share the collection's cadence."""
        if self.gathers_months:
            return quarter_label(f"{source_period}-01")
        return source_period

    def partition_key_of(self, period: str) -> str:
        """The window's partition key of a period label (`2025-26-Q2`, `2025-07`); ValueError
        for a label of another shape."""
        return f"{period_months(self.cadence)(period)[0]}-01"


def _collections() -> dict[str, Collection]:
    members: dict[str, list[Source]] = {}
    for source in SOURCES.values():
        if source.collection:
            members.setdefault(source.collection, []).append(source)
    return {code: Collection(code, tuple(sources)) for code, sources in members.items()}


COLLECTIONS = _collections()
