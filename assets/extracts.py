"""Data extracts of a publication: per organisation CSV, XLSX and Parquet, and the national
extract, all from the same disclosed rows.

Figures are rounded to two decimals and carry their unit and the organisation's name. A text
cell that a spreadsheet would run as a formula (it starts with `= + - @`, a tab or a carriage
return) is neutralised with a leading apostrophe in the CSV and the workbook. In Parquet a
suppressed figure is null, and the row's `suppressed` column names what was suppressed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from analysis.disclosure import MASK

PEER_STATISTICS = [
    "peer_n",
    "peer_mean",
    "peer_min",
    "peer_lower_quartile",
    "peer_median",
    "peer_upper_quartile",
    "peer_max",
]
# the organisation's nearest-neighbour group: itself and the members of its type whose
# catchments are most alike (size, deprivation, age); blank without one
NEIGHBOUR_STATISTICS = [
    "neighbours_n",
    "neighbours_median",
    "neighbours_rank",
    "neighbours_quartile_band",
]
EXTRACT_COLUMNS = [
    "organisation_code",
    "organisation_name",
    "metric_code",
    "metric_name",
    "domain",
    "unit",
    "polarity",
    "service_line",
    "service_line_name",
    "period",
    "peer_group_value",
    "numerator",
    "denominator",
    "value",
    "interval_lower",
    "interval_upper",
    "national_value",
    "against_national",
    "funnel_position",
    *PEER_STATISTICS,
    "peer_rank",
    "peer_percentile",
    "quartile_band",
    *NEIGHBOUR_STATISTICS,
    "difference_from_median",
    "previous_value",
    "change_from_previous",
    "spc_signal",
    "flags",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DECIMALS = 2


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, DECIMALS)
    return value


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Every figure to two decimals (counts stay whole; `*` stays `*`); text neutralised."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].round(DECIMALS)
        elif shown[column].dtype == object:
            shown[column] = shown[column].map(_round).map(neutralise)
        elif pd.api.types.is_string_dtype(shown[column]):
            shown[column] = shown[column].map(neutralise)
    return shown


def extract_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rounded(rows[EXTRACT_COLUMNS])


def parquet_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Typed columns for Parquet: a suppressed figure is null, and `suppressed` lists the
    columns that were (`numerator,value,...`), so a null is never mistaken for a missing value."""
    frame = rows[EXTRACT_COLUMNS].copy()
    masked = frame.eq(MASK).fillna(False).astype(bool)
    frame["suppressed"] = [
        ",".join(column for column, hidden in zip(EXTRACT_COLUMNS, row, strict=True) if hidden)
        for row in masked.to_numpy()
    ]
    for column in masked.columns[masked.any()]:
        frame[column] = pd.to_numeric(frame[column].where(~masked[column]), errors="coerce")
    for column in ("numerator", "denominator", "value", "interval_lower", "interval_upper"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def write_xlsx(extract: pd.DataFrame, summary: pd.DataFrame, path: Path, title: str) -> None:
    """A workbook for analysts from an organisation's extract rows (`extract_rows`): the summary
    first, then a sheet per domain with every column, then notes.
    Every text cell is written as text (never a formula) and neutralised too, so
    the workbook is safe when saved onward as CSV."""
    with xlsxwriter.Workbook(
        path, {"strings_to_formulas": False, "strings_to_urls": False}
    ) as book:
        header = book.add_format({"bold": True, "bg_color": "#e8edee", "text_wrap": True})
        bold = book.add_format({"bold": True, "font_size": 13})
        number = book.add_format({"num_format": "0.00"})
        _sheet(book, "Summary", rounded(summary), header, number, title, bold)
        for domain, part in extract.groupby("domain", sort=True):
            name = str(domain).replace("_", " ").capitalize()[:31]
            _sheet(book, name, part, header, number, f"{title}: {name}", bold)
        notes = book.add_worksheet("Notes")
        for i, line in enumerate(NOTES):
            notes.write_string(i, 0, line)
        notes.set_column(0, 0, 120)


NOTES = [
    "Figures are rounded to two decimals. `*` is a suppressed figure: for submitted data, a count "
    "of 1 to 7 is shown as *, other counts are rounded to the nearest 5, and a figure made from "
    "a suppressed count is suppressed too (NHS Digital's HES/ECDS rule, 2018).",
    "Peers are the organisation's own type. Quartiles interpolate between values (as Excel's "
    "QUARTILE.INC). The national figure is every organisation's numerators summed over their "
    "denominators.",
    "neighbours_n, neighbours_median, neighbours_rank, neighbours_quartile_band: the same "
    "against the organisation's nearest neighbours, itself and the members of its type whose "
    "catchments are most alike in population, deprivation (IMD 2019) and age profile (blank "
    "where it declares no local authorities, or fewer than 3 of the group have a value).",
    "interval_lower and interval_upper: the 95% confidence interval (Wilson for a proportion, "
    "Byar for a rate). against_national: better, worse (higher, lower for a neutral metric) "
    "when the interval excludes the national figure, otherwise similar.",
    "funnel_position: against 95% and 99.8% control limits around the national figure for the "
    "organisation's denominator. spc_signal: the Making Data Count reading of the monthly "
    "series (better, worse, higher, lower: special cause; common: common cause only; blank: "
    "fewer than 15 months in a row).",
    "A text cell starting with = + - or @ is prefixed with an apostrophe so that no spreadsheet "
    "runs it as a formula.",
]


def _sheet(
    book: xlsxwriter.Workbook,
    name: str,
    frame: pd.DataFrame,
    header: object,
    number: object,
    title: str,
    bold: object,
) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, title, bold)
    for column, heading in enumerate(frame.columns):
        sheet.write_string(2, column, str(heading).replace("_", " "), header)
        sheet.set_column(column, column, 14 if column else 18)
    for row, values in enumerate(frame.to_numpy(dtype=object).tolist(), start=3):
        for column, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(row, column, value)
            elif isinstance(value, bool):
                sheet.write_boolean(row, column, value)
            elif value is not None and not pd.isna(value):
                sheet.write_number(row, column, value, number if isinstance(value, float) else None)
    sheet.freeze_panes(3, 1)
    sheet.autofilter(2, 0, 2 + len(frame), len(frame.columns) - 1)
