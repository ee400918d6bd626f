"""The sample trend (issue 13): per metric, service line and month, the statistics of the whole
sample, every organisation with a value that month (fct_benchmark's `all` peer group, whatever
its type or region), read from the mart for a publication.

- Community Indicators: each organisation's trend runs from the collection's first month with
  data (April 2021 in the demo, found in the mart, not declared) to the window, against the
  sample's median and interquartile range month by month; the publication carries the same
  statistics as `sample_trend.csv` and `.parquet` (n, lower quartile, median, upper quartile).
- MHLDA: each report shows the last six months of the national mean (the mean of the
  organisations' values, not the pooled national figure) beside the organisation's own value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from assets.extracts import rounded

SAMPLE_PEER_GROUP = "all"  # fct_benchmark's group of every organisation with a value
# collections whose reports draw the sample's trend from the collection's first month, and whose
# publications carry it as an extract
SAMPLE_TREND_COLLECTIONS = frozenset({"community_indicators"})
# collections whose reports show the national mean beside the own value: how many months
NATIONAL_MEAN_MONTHS = {"mhlda": 6}
SAMPLE_TREND_FILE = "sample_trend"
SAMPLE_QUERY = f"""
    select
        b.metric_code, m.metric_name, m.unit, b.service_line,
        coalesce(s.service_line_name, b.service_line) as service_line_name,
        strftime(b.period_start, '%Y-%m') as period, b.peer_group_value,
        any_value(b.peer_n) as peer_n,
        any_value(b.peer_lower_quartile) as peer_lower_quartile,
        any_value(b.peer_median) as peer_median,
        any_value(b.peer_upper_quartile) as peer_upper_quartile,
        any_value(b.peer_mean) as peer_mean,
        any_value(b.national_value) as national_value
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    left join marts.dim_service_line as s using (service_line)
    where b.collection = ? and b.peer_group = '{SAMPLE_PEER_GROUP}'
      and b.period_start >= cast(? as date) and b.period_start < cast(? as date)
    group by all
    order by b.metric_code, b.service_line, period
"""
FIRST_MONTH_QUERY = """
    select strftime(min(period_start), '%Y-%m') from marts.fct_benchmark
    where collection = ? and period_start < cast(? as date)
"""
SAMPLE_COLUMNS = [  # SAMPLE_QUERY's
    "metric_code",
    "metric_name",
    "unit",
    "service_line",
    "service_line_name",
    "period",
    "peer_group_value",
    "peer_n",
    "peer_lower_quartile",
    "peer_median",
    "peer_upper_quartile",
    "peer_mean",
    "national_value",
]
# the extract's columns, from the mart's names
EXTRACT_NAMES = {
    "metric_code": "metric_code",
    "metric_name": "metric_name",
    "unit": "unit",
    "service_line": "service_line",
    "service_line_name": "service_line_name",
    "period": "period",
    "peer_n": "n",
    "peer_lower_quartile": "lower_quartile",
    "peer_median": "median",
    "peer_upper_quartile": "upper_quartile",
}


@dataclass(frozen=True)
class TrendPlan:
    """What a collection's organisation reports draw over time, for one window."""

    months: list[str]  # the trend chart's months, YYYY-MM
    window_months: list[str]  # the window's months, shaded
    sample_band: bool  # the band is the whole sample's, not the organisation's peer group's
    mean_months: list[str]  # months of the national mean beside the own value (none: no table)


def month_range(first: str, last: str) -> list[str]:
    """Every month (YYYY-MM) from `first` to `last`, both included."""
    return [str(m) for m in pd.period_range(first, last, freq="M")]


def trend_plan(
    collection: str, first_month: str | None, window_months: list[str], recent_months: int
) -> TrendPlan:
    """A sample-trend collection's trend runs from its first month with data (`first_month`)
    to the window's end; any other's over its last `recent_months` (by its cadence)."""
    last = window_months[-1]
    sample_band = collection in SAMPLE_TREND_COLLECTIONS and first_month is not None
    start = first_month if sample_band else str(pd.Period(last, freq="M") - (recent_months - 1))
    mean = NATIONAL_MEAN_MONTHS.get(collection, 0)
    mean_months = month_range(str(pd.Period(last, freq="M") - (mean - 1)), last) if mean else []
    return TrendPlan(month_range(str(start), last), window_months, sample_band, mean_months)


def first_month(warehouse: duckdb.DuckDBPyConnection, collection: str, end: object) -> str | None:
    """The collection's first month with a benchmarked value before `end` (a date)."""
    row = warehouse.execute(FIRST_MONTH_QUERY, [collection, end]).fetchone()
    return row[0] if row else None


def read_sample(
    warehouse: duckdb.DuckDBPyConnection, collection: str, months: list[str]
) -> pd.DataFrame:
    """The sample's statistics per metric, service line and month over `months` (in order)."""
    if not months:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    start = pd.Period(months[0], freq="M").start_time.date()
    end = (pd.Period(months[-1], freq="M") + 1).start_time.date()
    return warehouse.execute(SAMPLE_QUERY, [collection, start, end]).df()


def sample_extract(sample: pd.DataFrame) -> pd.DataFrame:
    """The published sample trend: one row per metric, service line and month."""
    return sample[list(EXTRACT_NAMES)].rename(columns=EXTRACT_NAMES).reset_index(drop=True)


def write_sample_trend(folder: Path, sample: pd.DataFrame) -> list[str]:
    """`sample_trend.csv` (figures to two decimals, as every extract) and `.parquet` (as
    computed)."""
    extract = sample_extract(sample)
    rounded(extract).to_csv(folder / f"{SAMPLE_TREND_FILE}.csv", index=False)
    extract.to_parquet(folder / f"{SAMPLE_TREND_FILE}.parquet", index=False)
    return [f"{SAMPLE_TREND_FILE}.csv", f"{SAMPLE_TREND_FILE}.parquet"]
