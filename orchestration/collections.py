"""The collections that publish benchmarks, derived from the source registry: each is the
source whose windows it publishes. The deadline rules live in `seeds/collection_calendar.csv`
(read by `orchestration.calendar`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.calendar import collection_rules
from orchestration.registry import SOURCES, Source, partition_dir


@dataclass(frozen=True)
class Collection:
    code: str
    source: Source

    @property
    def name(self) -> str:
        return collection_rules()[self.code].name

    @property
    def lake_dataset(self) -> str:
        return self.source.name

    @property
    def partitions_def(self) -> dg.TimeWindowPartitionsDefinition:
        assert self.source.partitions_def is not None
        return self.source.partitions_def

    def period_label(self, partition_key: str) -> str:
        return self.source.period_label(partition_key)

    def has_data(self, lake: Path, partition_key: str) -> bool:
        return partition_dir(lake, self.lake_dataset, self.period_label(partition_key)).is_dir()


COLLECTIONS = {
    source.collection: Collection(source.collection, source)
    for source in SOURCES.values()
    if source.collection
}
