"""Reference data: the register of participating organisations, and the window calendar."""

from datetime import datetime

import dagster as dg
import pandas as pd

from assets.lake import build_lake_asset, write_frame
from orchestration.calendar import window
from orchestration.collections import COLLECTIONS
from orchestration.registry import SOURCES, Source
from orchestration.resources import HomeResource


def register_select(source: Source, period: str) -> str:
    return (
        "select organisation_code, organisation_name, organisation_type, region_code, "
        "region_name, member_from, member_to from accepted"
    )


# A register that fails its contract is quarantined and the last accepted one stays in force.
organisations = build_lake_asset(SOURCES["organisations"], register_select)


def window_calendar(now: datetime) -> pd.DataFrame:
    """Every collection's windows that have begun by `now`, one row per month they cover, so the
    mart can join a monthly value to the deadline of the window it was submitted to."""
    rows = []
    for collection in COLLECTIONS.values():
        for key in collection.partitions_def.get_partition_keys(current_time=now):
            window_ = window(collection.code, key)
            for month in collection.source.months(key):
                rows.append(
                    {
                        "collection": collection.code,
                        "period_start": pd.Timestamp(f"{month}-01"),
                        "window_period": window_.period_label,
                        "window_closes_on": pd.Timestamp(window_.closes_on),
                    }
                )
    return pd.DataFrame(rows)


@dg.asset(group_name="reference", kinds={"parquet", "pandas"})
def collection_windows(home: HomeResource) -> dg.MaterializeResult:
    """The window calendar as data: for each collection and month, the window it belongs to and
    the day that window closes (rules in seeds/collection_calendar.csv)."""
    frame = window_calendar(datetime.now())
    write_frame(frame, home.settings.lake / "collection_windows")
    return dg.MaterializeResult(metadata={"rows": len(frame)})


defs = dg.Definitions(assets=[organisations, collection_windows])
