"""Contract of an indicator return: the long CSV a provider submits to a collection.

One row per organisation, period, (service line,) and metric with its numerator and denominator.
Community Indicators returns have no service line; MHLDA returns carry one and three months.
The rules come from the metric catalogue, so a metric added there is accepted without new code.
Every row must belong to the organisation the file name names (`<ORG>_<stamp>.csv`): a provider
can submit only its own data. A return may also come as the Excel template
(`contracts.indicator_workbook`), read into this CSV with each row's sheet and sheet row, which
locate its violations; a CSV's are located by its line.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandera.pandas as pa

from contracts.metric_catalogue import metric_catalogue
from contracts.service_lines import collected_by
from contracts.validation import Contract, Limits, Lookup, RowRule, validate_file

ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"
# A return is a few hundred rows; a file far past that is a mistake or an attack, not a return.
RETURN_LIMITS = Limits(max_bytes=5 << 20, max_rows=20_000)


def key_columns(with_service_lines: bool) -> list[str]:
    service_line = ["service_line"] if with_service_lines else []
    return ["organisation_code", "period", *service_line, "metric_code"]


def return_columns(with_service_lines: bool) -> list[str]:
    return [*key_columns(with_service_lines), "numerator", "denominator"]


@cache
def indicator_return_contract(
    collection: str, periods: tuple[str, ...], with_service_lines: bool
) -> Contract:
    """The contract of one collection's returns covering `periods` (labels such as '2024-06')."""
    catalogue = metric_catalogue()
    metrics = catalogue.loc[catalogue["collection"] == collection, "metric_code"]
    columns = {
        "organisation_code": pa.Column(
            str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS-style organisation code")
        ),
        "period": pa.Column(
            str, pa.Check.isin(list(periods), error="period is not one of this window's")
        ),
        "metric_code": pa.Column(
            str,
            pa.Check.isin(list(metrics), error=f"metric is not in the {collection} catalogue"),
        ),
        "numerator": pa.Column(float, pa.Check.ge(0)),
        "denominator": pa.Column(float, pa.Check.gt(0), nullable=True),
    }
    if with_service_lines:
        columns["service_line"] = pa.Column(str, pa.Check.isin(collected_by(collection)))
    # where a row sits in a workbook return (`contracts.indicator_workbook`); a CSV has neither
    columns["sheet"] = pa.Column(str, nullable=True, required=False)
    columns["sheet_row"] = pa.Column("int64", nullable=True, required=False)
    schema = pa.DataFrameSchema(
        columns, unique=key_columns(with_service_lines), strict=True, name=f"{collection} return"
    )
    return Contract(
        schema=schema,
        row_rules=tuple(_row_rules(with_service_lines)),
        lookups=(Lookup("catalogue", catalogue, "catalogue.metric_code = rows.metric_code"),),
        limits=RETURN_LIMITS,
        located_by=("sheet", "sheet_row"),
    )


def _row_rules(with_service_lines: bool) -> list[RowRule]:
    """Rules across a row's columns, read from the catalogue entry of the row's metric."""
    value = "rows.numerator / rows.denominator * catalogue.multiplier"
    rules = [
        RowRule(
            "organisation_code",
            "the row is not the submitter's: the file name names another organisation",
            "rows.organisation_code = rows._submitter",
        ),
        RowRule(
            "denominator",
            "a ratio metric needs a denominator",
            "catalogue.aggregation <> 'ratio' or rows.denominator is not null",
        ),
        RowRule(
            "numerator",
            "numerator is above denominator for a percentage",
            "catalogue.unit <> 'percent' or rows.denominator is null "
            "or rows.numerator <= rows.denominator",
        ),
        RowRule(
            "numerator",
            "value is outside the catalogue's plausible range",
            f"rows.denominator is null or ({value}) between catalogue.plausible_min "
            "and catalogue.plausible_max",
        ),
    ]
    if with_service_lines:
        rules.append(
            RowRule(
                "service_line",
                "the metric is not collected for this service line",
                "catalogue.service_lines = 'all' "
                "or list_contains(string_split(catalogue.service_lines, '|'), rows.service_line)",
            )
        )
    return rules


def read_indicator_return(
    path: Path,
    collection: str,
    periods: Iterable[str],
    *,
    with_service_lines: bool,
    submitter: str,
):
    """Read and validate one submitted return; raise ContractViolationError if it is bad."""
    contract = indicator_return_contract(collection, tuple(periods), with_service_lines)
    frame = validate_file(path, contract, submitter=submitter)
    return frame[return_columns(with_service_lines)]
