"""Suspicious but valid values in a return, for data-quality review before it is sent: the rule
the mart applies (`fct_metric_value.quality_flag`), rendered from the same dbt macro file
(`dbt_project/macros/suspicious_values.sql`, plain Jinja for this reason) and run over the
return's values against the history and peers in the warehouse, opened read-only.

The history the return is judged against is the mart's values as ingest would leave them: the
submitter's own values for the return's months are replaced by the return's (the latest return
counts), so a value is flagged here exactly when the mart will flag it once the return is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import jinja2

from contracts.validation import LINE_COLUMN, location, mask_identifiers
from orchestration.registry import LandingFile
from orchestration.settings import DBT_PROJECT_DIR

MACROS = DBT_PROJECT_DIR / "macros"
ACCEPTED = "accepted"  # the table `assets.lake.check_files` leaves the accepted rows in
WAREHOUSE = "warehouse"  # the alias the warehouse is attached under


@dataclass(frozen=True)
class Review:
    """One value flagged for review: where it sits in the file, what it is, and why."""

    file: str
    line: int | None
    sheet: str | None
    metric_code: str
    service_line: str
    period: str
    flag: str

    def __str__(self) -> str:
        where = location(self.file, self.sheet, self.line)
        what = f"{self.metric_code}, service line {self.service_line}, {self.period}"
        return mask_identifiers(f"{', '.join(where)}: {what}: {self.flag}")


@cache
def _macros(name: str) -> jinja2.environment.TemplateModule:
    """The macros of one of dbt's macro files, as jinja2 renders them."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return environment.from_string((MACROS / f"{name}.sql").read_text()).module


def judged(connection: duckdb.DuckDBPyConnection, collection: str) -> bool:
    """Whether the mart judges this collection's values (`suspicious_value_collections`)."""
    collections = _macros("suspicious_values").suspicious_value_collections()
    return bool(connection.execute(f"select ? in ({collections})", [collection]).fetchone()[0])


def review(
    connection: duckdb.DuckDBPyConnection, file: LandingFile, warehouse: Path
) -> tuple[list[Review], str | None]:
    """The return's accepted rows (in `accepted`) judged against the warehouse: the values for
    review, and a note when they could not be judged (no warehouse yet, or one being written)."""
    if not judged(connection, file.source.collection or ""):
        return [], None
    if not warehouse.exists():
        return [], "no warehouse yet: values not compared with history or peers"
    path = str(warehouse).replace("'", "''")
    try:
        connection.execute(f"attach '{path}' as {WAREHOUSE} (read_only)")
    except duckdb.IOException as error:
        first = str(error).splitlines()[0]
        return [], f"the warehouse could not be opened ({first}): values not compared"
    try:
        return _flagged(connection, file), None
    except duckdb.CatalogException:
        return [], "the warehouse has no mart yet: values not compared with history or peers"
    finally:
        connection.execute(f"detach {WAREHOUSE}")


def _flagged(connection: duckdb.DuckDBPyConnection, file: LandingFile) -> list[Review]:
    """The flagged values of `accepted`: its rows shaped as the mart's (a return without service
    lines is the whole organisation's, 'all'; the value by the catalogue, `metric_value`), judged
    against the mart's values of the collection with the submitter's months taken from the
    return instead, each located by its line, or its sheet and row in a workbook."""
    columns = {row[0] for row in connection.execute(f"describe {ACCEPTED}").fetchall()}
    service_line = "rows.service_line" if "service_line" in columns else "'all'"
    sheet = "rows.sheet" if "sheet" in columns else "cast(null as varchar)"
    row = "rows.sheet_row" if "sheet_row" in columns else "cast(null as bigint)"
    value = _macros("metric_value").metric_value("rows", "metrics")
    connection.execute(
        f"""
        create or replace temporary table _judged as
        select
            ? as collection, rows.organisation_code, rows.metric_code,
            {service_line} as service_line, cast(rows.period || '-01' as date) as period_start,
            {value} as value, {sheet} as sheet, coalesce({row}, rows.{LINE_COLUMN}) as line
        from {ACCEPTED} as rows
        inner join {WAREHOUSE}.marts.dim_metric as metrics using (metric_code)
        """,
        [file.source.collection],
    )
    months = [f"{month}-01" for month in file.source.months_of_period(file.period)]
    connection.execute(
        f"""
        create or replace temporary table _history as
        select organisation_code, metric_code, service_line, period_start, value
        from {WAREHOUSE}.marts.fct_metric_value
        where team_code is null and collection = ?
            and not (organisation_code = ? and list_contains(?::date[], period_start))
        union all
        select organisation_code, metric_code, service_line, period_start, value from _judged
        """,
        [file.source.collection, file.submitter, months],
    )
    flags = _macros("suspicious_values").suspicious_values("_judged", "_history")
    found = connection.execute(
        f"""
        select line, sheet, metric_code, service_line, strftime(period_start, '%Y-%m'),
            quality_flag
        from ({flags})
        where quality_flag is not null
        order by sheet nulls first, line, metric_code, service_line, period_start
        """
    ).fetchall()
    return [Review(file.relative, *found_row) for found_row in found]
