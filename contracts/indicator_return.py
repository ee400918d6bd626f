"""Contract of an indicator return: the long CSV a provider submits to a collection.

One row per organisation, period, (service line,) and metric with its numerator and denominator.
Community Indicators returns have no service line; MHLDA returns carry one and three months.
The rules come from the metric catalogue, so a metric added there is accepted without new code.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from contracts.metric_catalogue import metric_catalogue
from contracts.validation import RowRule, read_csv_text, validate

ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"
SERVICE_LINES = ("all", "adult_inpatient", "adult_community", "cyp_inpatient", "cyp_community",
                 "adult_ld", "child_ld")  # fmt: skip
COLLECTIONS_WITH_SERVICE_LINES = frozenset({"mhlda"})
KEY_TEXT_COLUMNS = ["organisation_code", "period", "service_line", "metric_code"]


def return_columns(collection: str) -> list[str]:
    service_line = ["service_line"] if collection in COLLECTIONS_WITH_SERVICE_LINES else []
    return ["organisation_code", "period", *service_line, "metric_code", "numerator", "denominator"]


@cache
def indicator_return_schema(collection: str, periods: tuple[str, ...]) -> pa.DataFrameSchema:
    """The schema for one collection's returns covering `periods` (labels such as '2024-06');
    built once per window, not once per file."""
    catalogue = metric_catalogue().set_index("metric_code")
    metrics = catalogue[catalogue["collection"] == collection]
    with_lines = collection in COLLECTIONS_WITH_SERVICE_LINES
    columns = {
        "organisation_code": pa.Column(
            str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS-style organisation code")
        ),
        "period": pa.Column(
            str, pa.Check.isin(list(periods), error="period is not one of this window's")
        ),
        "metric_code": pa.Column(
            str,
            pa.Check.isin(
                list(metrics.index), error=f"metric is not in the {collection} catalogue"
            ),
        ),
        "numerator": pa.Column(float, pa.Check.ge(0)),
        "denominator": pa.Column(float, pa.Check.gt(0), nullable=True),
    }
    if with_lines:
        columns["service_line"] = pa.Column(str, pa.Check.isin(SERVICE_LINES))

    key = ["organisation_code", "period", *(["service_line"] if with_lines else []), "metric_code"]
    return pa.DataFrameSchema(
        columns,
        unique=key,
        report_duplicates="exclude_first",
        strict=True,
        coerce=True,
        ordered=False,
        name=f"{collection} return",
    )


@cache
def indicator_return_rules(collection: str) -> list[RowRule]:
    """Rules across a row's columns, read from the catalogue entry of the row's metric."""
    catalogue = metric_catalogue().set_index("metric_code")

    def lookup(df: pd.DataFrame, field: str) -> pd.Series:
        return df["metric_code"].map(catalogue[field])

    def value(df: pd.DataFrame) -> pd.Series:
        return df["numerator"] / df["denominator"] * lookup(df, "multiplier")

    rules = [
        RowRule(
            "denominator",
            "a ratio metric needs a denominator",
            lambda df: (lookup(df, "aggregation") != "ratio") | df["denominator"].notna(),
        ),
        RowRule(
            "numerator",
            "numerator is above denominator for a percentage",
            lambda df: (lookup(df, "unit") != "percent") | ~(df["numerator"] > df["denominator"]),
        ),
        RowRule(
            "numerator",
            "value is outside the catalogue's plausible range",
            lambda df: (
                value(df).isna()
                | value(df).between(lookup(df, "plausible_min"), lookup(df, "plausible_max"))
            ),
        ),
    ]
    if collection in COLLECTIONS_WITH_SERVICE_LINES:
        rules.append(
            RowRule(
                "service_line",
                "the metric is not collected for this service line",
                lambda df: pd.Series(
                    [
                        lines == "all" or line in lines.split("|")
                        for line, lines in zip(
                            df["service_line"], lookup(df, "service_lines"), strict=True
                        )
                    ],
                    index=df.index,
                ),
            )
        )
    return rules


def read_indicator_return(path: Path, collection: str, periods: Iterable[str]) -> pd.DataFrame:
    """Read and validate one submitted return; raise ContractViolationError if it is bad."""
    frame = read_csv_text(path)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    for column in frame.columns.intersection(KEY_TEXT_COLUMNS):
        frame[column] = frame[column].str.strip()
    schema = indicator_return_schema(collection, tuple(periods))
    coerced = validate(frame, schema, path, row_rules=indicator_return_rules(collection))
    return coerced[return_columns(collection)]
