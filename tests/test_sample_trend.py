"""The sample trend's pieces on their own (issue 13): the trend chart over five years labelled by
year, a year's trend labelled by month, and what each collection's reports draw over time.

The published extract, the community report's trend from the first month and the MHLDA
report's six months of national mean are checked in test_pipeline.py, on the home its module
fixture builds and publishes once (a second home here would cost minutes of suite time)."""

import re

import duckdb
import pandas as pd
import pytest

from assets.charts import AXIS, TREND_HEIGHT, WIDTH, trend_chart
from assets.reports import peer_series
from assets.sample_trend import SAMPLE_COLUMNS, read_sample, trend_plan


def _months(first: str, last: str) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


def _chart(months: list[str]) -> str:
    values = [float(i % 7) for i in range(len(months))]
    values[3] = None  # a month without a value: no point
    return trend_chart(
        months,
        values,
        [3.0] * len(months),
        [2.0] * len(months),
        [4.0] * len(months),
        [3.5] * len(months),
        ["better" if i == 5 else "" for i in range(len(months))],
        shaded=months[-1:],
        label="a metric",
    )


def _axis_labels(svg: str) -> list[tuple[float, str]]:
    """The texts on the time axis (the chart's bottom line), with their x."""
    y = TREND_HEIGHT - 10
    return [
        (float(x), text)
        for x, text in re.findall(rf'<text x="([\d.]+)" y="{y}"[^>]*>([^<]+)</text>', svg)
    ]


def test_a_five_year_trend_is_labelled_by_year_between_januaries():
    """April 2021 to September 2026, 66 months: a line at each January (2022 to 2026), each
    year's label centred on its months, no month labels; a point per known month, titled."""
    months = _months("2021-04", "2026-09")
    svg = _chart(months)
    step = (WIDTH - 12 - AXIS) / len(months)
    labels = _axis_labels(svg)
    assert [text for _, text in labels] == ["2021", "2022", "2023", "2024", "2025", "2026"]
    # 2021 is April (index 0) to December (index 8): its middle is 4.5 months in
    assert labels[0][0] == pytest.approx(AXIS + step * 4.5, abs=0.05)
    januaries = [i for i, month in enumerate(months) if month.endswith("-01")]
    assert len(januaries) == 5
    lines = re.findall(r'<line x1="([\d.]+)" x2="\1" y1="10"', svg)
    assert [float(x) for x in lines] == pytest.approx(
        [AXIS + step * i for i in januaries], abs=0.05
    )
    titles = re.findall(r"<title>([^<:]+):", svg)
    assert len(titles) == len(months) - 1
    assert (titles[0], titles[-1]) == ("Apr 21", "Sep 26")
    assert "May 21" not in [text for _, text in labels]


def test_a_years_trend_labels_every_month():
    months = _months("2025-10", "2026-09")
    labels = [text for _, text in _axis_labels(_chart(months))]
    assert labels == [pd.Period(m, freq="M").strftime("%b %y") for m in months]
    assert labels[0] == "Oct 25"


def test_a_year_with_fewer_than_three_months_on_the_axis_is_left_unlabelled():
    """November 2021 to March 2023: 2021 has two months, too narrow for its label."""
    labels = [text for _, text in _axis_labels(_chart(_months("2021-11", "2023-03")))]
    assert labels == ["2022", "2023"]


@pytest.mark.parametrize(
    ("collection", "first", "window", "months", "sample_band", "mean_months"),
    [
        # Community Indicators: from the first month with data to the window, the sample's band
        ("community_indicators", "2021-04", ["2026-09"], ("2021-04", "2026-09"), True, None),
        # MHLDA: its last six months, and the national mean over them
        (
            "mhlda",
            "2020-04",
            ["2026-04", "2026-05", "2026-06"],
            ("2026-01", "2026-06"),
            False,
            ("2026-01", "2026-06"),
        ),
        # A&E: its last twelve months against its peer group
        ("nhse_ae", "2016-04", ["2026-09"], ("2025-10", "2026-09"), False, None),
    ],
)
def test_each_collection_draws_its_trend_over_its_own_months(
    collection, first, window, months, sample_band, mean_months
):
    recent = {"community_indicators": 12, "mhlda": 6, "nhse_ae": 12}[collection]
    plan = trend_plan(collection, first, window, recent)
    assert plan.months == _months(*months)
    assert plan.window_months == window
    assert plan.sample_band is sample_band
    assert plan.mean_months == (_months(*mean_months) if mean_months else [])


def test_a_collection_with_no_data_yet_falls_back_to_its_recent_months():
    plan = trend_plan("community_indicators", None, ["2026-09"], 12)
    assert plan.months == _months("2025-10", "2026-09")
    assert not plan.sample_band


def test_a_collection_without_a_sample_reads_none_but_its_columns():
    """A&E draws no sample: its reports index an empty frame with the sample query's columns."""
    with duckdb.connect() as connection:
        sample = read_sample(connection, "nhse_ae", [])
    assert sample.columns.tolist() == SAMPLE_COLUMNS
    assert peer_series(sample) == {}
