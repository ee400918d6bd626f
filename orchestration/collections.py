"""The collections that publish benchmarks: their partitions and the lake dataset behind each.

The deadline rules live in `seeds/collection_calendar.csv` (read by `orchestration.calendar`);
this module ties each collection to the Dagster partitions and lake folder its windows cover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.calendar import collection_rules
from orchestration.partitions import (
    month_label,
    monthly_partition,
    nhs_quarter_partition,
    quarter_label,
)


@dataclass(frozen=True)
class Collection:
    code: str
    lake_dataset: str  # the lake dataset whose periods the collection's windows cover
    partitions_def: dg.TimeWindowPartitionsDefinition
    period_label: Callable[[str], str]

    @property
    def name(self) -> str:
        return collection_rules()[self.code].name

    def has_data(self, lake: Path, partition_key: str) -> bool:
        folder = lake / self.lake_dataset / f"period={self.period_label(partition_key)}"
        return folder.is_dir()


COLLECTIONS = {
    collection.code: collection
    for collection in (
        Collection(
            "community_indicators", "community_indicator_returns", monthly_partition, month_label
        ),
        Collection("mhlda", "mhlda_indicator_returns", nhs_quarter_partition, quarter_label),
        Collection("nhse_ae", "nhse_ae_attendances", monthly_partition, month_label),
    )
}
