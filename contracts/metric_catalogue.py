"""Contract of `seeds/metric_catalogue.csv`, the single source of truth for every metric."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from contracts.validation import Contract, Lookup, RowRule, validate_file

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CATALOGUE_PATH = SEEDS / "metric_catalogue.csv"
# the base measures operational metrics are made of (computed in dbt from the raw extracts)
MEASURES_PATH = SEEDS / "operational_measures.csv"
COLLECTIONS = (
    "community_indicators",
    "mhlda",
    "nhse_ae",
    "nhse_rtt",
    "nhse_mhsds",
    "nhse_cwt",
    "operational",
)
UNITS = ("percent", "rate_per_1000", "rate_per_10000", "rate_per_100000", "days", "hours",
         "minutes", "ratio", "count")  # fmt: skip
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
AGGREGATIONS = ("ratio", "sum")
# the confidence interval a value gets: Wilson for a proportion of counted events, Byar for a
# rate of counted events per population or activity, none where the parts are not counts of
# independent events (money, days, staff in post, occupied beds)
INTERVALS = ("wilson", "byar", "none")

_text = pa.Column(str, pa.Check.str_length(min_value=1))

metric_catalogue_contract = Contract(
    schema=pa.DataFrameSchema(
        {
            "metric_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z][A-Z0-9_]+$")),
            "metric_name": _text,
            "collection": pa.Column(str, pa.Check.isin(COLLECTIONS)),
            "domain": _text,
            "unit": pa.Column(str, pa.Check.isin(UNITS)),
            "polarity": pa.Column(str, pa.Check.isin(POLARITIES)),
            "multiplier": pa.Column(float, pa.Check.gt(0)),
            "aggregation": pa.Column(str, pa.Check.isin(AGGREGATIONS)),
            "interval": pa.Column(str, pa.Check.isin(INTERVALS)),
            "numerator_definition": _text,
            "denominator_definition": pa.Column(str, nullable=True),
            "plausible_min": pa.Column(float),
            "plausible_max": pa.Column(float),
            "service_lines": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+(\|[a-z0-9_]+)*$")),
            "source": _text,
            # how to count it: what a provider reads in the template and the report
            "guidance": _text,
            # an operational metric's numerator and denominator: base measures of the raw
            # extracts (seeds/operational_measures.csv), so a metric is a row, not code
            "numerator_measure": pa.Column(str, nullable=True),
            "denominator_measure": pa.Column(str, nullable=True),
        },
        unique=["metric_code"],
        strict=True,
        name="metric catalogue",
    ),
    row_rules=(
        RowRule(
            "plausible_max",
            "plausible_min is above plausible_max",
            "rows.plausible_min <= rows.plausible_max",
        ),
        RowRule(
            "denominator_definition",
            "a ratio metric needs a denominator definition",
            "rows.aggregation <> 'ratio' or rows.denominator_definition is not null",
        ),
        RowRule(
            "numerator_measure",
            "an operational metric names its numerator measure, and only it does",
            "(rows.collection = 'operational') = (rows.numerator_measure is not null)",
        ),
        RowRule(
            "numerator_measure",
            "not a measure of seeds/operational_measures.csv",
            "rows.numerator_measure is null or numerators.measure is not null",
        ),
        RowRule(
            "denominator_measure",
            "an operational ratio names its denominator measure (and a count none)",
            "rows.collection <> 'operational' "
            "or (rows.aggregation = 'ratio') = (rows.denominator_measure is not null)",
        ),
        RowRule(
            "denominator_measure",
            "not a measure of seeds/operational_measures.csv",
            "rows.denominator_measure is null or denominators.measure is not null",
        ),
    ),
    lookups=(
        Lookup(
            "numerators", pd.read_csv(MEASURES_PATH), "numerators.measure = rows.numerator_measure"
        ),
        Lookup(
            "denominators",
            pd.read_csv(MEASURES_PATH),
            "denominators.measure = rows.denominator_measure",
        ),
    ),
    lower_case_header=False,
)


def load_metric_catalogue(path: Path = CATALOGUE_PATH) -> pd.DataFrame:
    return validate_file(path, metric_catalogue_contract)


@cache
def metric_catalogue() -> pd.DataFrame:
    """The validated catalogue shipped with the code (read once per process)."""
    return load_metric_catalogue()
