"""Indicator collections: the returns providers submit to the Community Indicators (monthly) and
MHLDA Indicators (quarterly, three monthly values) collections.

Landing layout, one folder per window: `landing/<collection>/<period>/<ORG>_<YYYYMMDDTHHMM>.csv`,
the stamp being the submission time (a resubmission is a new file, never an overwrite).
"""

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.lake import LakeDataset, build_lake_asset
from contracts.indicator_return import read_indicator_return
from orchestration.partitions import (
    month_label,
    monthly_partition,
    nhs_quarter_partition,
    quarter_label,
    quarter_months,
)

GROUP = "indicator_collections"


def _submitted_returns(collection: str, label: Callable[[str], str]):
    def files(landing: Path, partition_key: str) -> list[Path]:
        return sorted((landing / collection / label(partition_key)).glob("*.csv"))

    return files


def _months_of(collection: str) -> Callable[[str], list[str]]:
    return quarter_months if collection == "mhlda" else lambda key: [month_label(key)]


def _reader(collection: str) -> Callable[[Path, str], pd.DataFrame]:
    months = _months_of(collection)

    def read(path: Path, partition_key: str) -> pd.DataFrame:
        return read_indicator_return(path, collection, months(partition_key))

    return read


community_indicator_returns = build_lake_asset(
    LakeDataset(
        name="community_indicator_returns",
        description="Monthly Community Indicators returns, validated, one lake file per month.",
        group=GROUP,
        partitions_def=monthly_partition,
        period_label=month_label,
        landing_files=_submitted_returns("community_indicators", month_label),
        read=_reader("community_indicators"),
    )
)

mhlda_indicator_returns = build_lake_asset(
    LakeDataset(
        name="mhlda_indicator_returns",
        description="Quarterly MHLDA Indicators returns of three monthly values, by service line.",
        group=GROUP,
        partitions_def=nhs_quarter_partition,
        period_label=quarter_label,
        landing_files=_submitted_returns("mhlda", quarter_label),
        read=_reader("mhlda"),
    )
)

defs = dg.Definitions(assets=[community_indicator_returns, mhlda_indicator_returns])
