"""Reference data: the register of participating organisations, and the window calendar."""

from datetime import datetime

import dagster as dg
import pandas as pd

from assets.lake import PartitionIngest, contract_check, ingest_partition, write_atomically
from contracts.organisation_register import read_organisation_register
from orchestration.calendar import window
from orchestration.collections import COLLECTIONS
from orchestration.partitions import month_label, quarter_months
from orchestration.settings import get_settings

REGISTER = "reference/organisations.csv"


@dg.asset(
    group_name="reference",
    check_specs=[dg.AssetCheckSpec("contract", asset="organisations")],
    kinds={"parquet", "pandas"},
)
def organisations(context: dg.AssetExecutionContext):
    """The membership register: every participating organisation's ODS code, name, type and
    region. A bad register is quarantined and the previous lake copy kept."""
    settings = get_settings()
    path = settings.landing / REGISTER
    ingest: PartitionIngest = ingest_partition(
        [path] if path.exists() else [],
        read_organisation_register,
        landing=settings.landing,
        quarantine=settings.quarantine,
        dataset="organisations",
        period="current",
        log=context.log,
    )
    if ingest.frames:
        write_atomically(ingest.frame, settings.lake / "organisations")
    yield dg.MaterializeResult(metadata={"rows": len(ingest.frame)})
    yield contract_check([ingest], dg.AssetKey("organisations"))


def window_calendar(now: datetime) -> pd.DataFrame:
    """Every collection's windows that have begun by `now`, one row per month they cover, so the
    mart can join a monthly value to the deadline of the window it was submitted to."""
    rows = []
    for collection in COLLECTIONS.values():
        for key in collection.partitions_def.get_partition_keys(current_time=now):
            window_ = window(collection.code, key)
            quarterly = window_.period_label != month_label(key)
            for month in quarter_months(key) if quarterly else [month_label(key)]:
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
def collection_windows() -> dg.MaterializeResult:
    """The window calendar as data: for each collection and month, the window it belongs to and
    the day that window closes (rules in seeds/collection_calendar.csv)."""
    settings = get_settings()
    frame = window_calendar(datetime.now())
    write_atomically(frame, settings.lake / "collection_windows")
    return dg.MaterializeResult(metadata={"rows": len(frame)})


defs = dg.Definitions(assets=[organisations, collection_windows])
