"""`peerbench template <collection> <period> [--organisation CODE]`: the Excel form of a return.

The rows come from the metric catalogue (`contracts.indicator_workbook.template_rows`); this lays
them out with xlsxwriter: an instructions sheet with the return's collection, period and
organisation, then a sheet per domain. Every sheet is protected, leaving only the numerator and
denominator cells (and, in a template made without an organisation, its code) unlocked; those
cells carry data validation (a number not below zero, a denominator above zero, a percentage's
numerator not above its denominator). The protection has no password: it guards against slips,
and the reader checks the layout whatever happens to it.

The file is named as its landing file will be, `<ORG>_<YYYYMMDDTHHMM>.xlsx`, the stamp being the
time it was made. Without `--organisation` it is `ORGANISATION_<stamp>.xlsx`, a name no source
takes: the provider types its code on the instructions sheet and renames the file with it (and
the time of sending) before landing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from contracts.indicator_workbook import (
    DETAILS,
    FIRST_ROW,
    GUIDANCE_HEADERS,
    HEADER_ROW,
    INSTRUCTIONS,
    TemplateRow,
    by_sheet,
    headers,
    template_rows,
)
from contracts.metric_catalogue import metric_catalogue
from contracts.service_lines import service_line_name
from orchestration.registry import SOURCES, STAMP_FORMAT, Source, period_months

PLACEHOLDER = "ORGANISATION"  # the file name's code until the provider renames it
WIDTHS = {"Metric code": 20, "Metric name": 42, "Service line": 16, "Service line name": 34,
          "Period": 10,
          "Numerator": 14, "Denominator": 14, "Numerator definition": 50,
          "Denominator definition": 50, "Guidance": 60, "Unit": 14,
          "Plausible range": 36}  # fmt: skip


def template_sources() -> dict[str, Source]:
    """The collections providers return indicators to, by collection code."""
    return {
        s.collection: s
        for s in SOURCES.values()
        if s.family == "indicator_collections" and s.collection
    }


@dataclass(frozen=True)
class Template:
    """What one template holds: its collection, period, organisation (None: the provider fills
    it in) and rows, and the file name it goes by."""

    collection: str
    period: str
    organisation: str | None
    with_service_lines: bool
    rows: tuple[TemplateRow, ...]
    made: datetime

    @property
    def file_name(self) -> str:
        return f"{self.organisation or PLACEHOLDER}_{self.made:{STAMP_FORMAT}}.xlsx"

    @property
    def landing_folder(self) -> str:
        return f"{self.collection}/{self.period}"


def plan_template(
    collection: str, period: str, organisation: str | None, made: datetime
) -> Template:
    """The template of a collection's period, or ValueError for a period label the collection
    does not use (`YYYY-MM` monthly, `YYYY-YY-Qn` quarterly) or a code that is none."""
    source = template_sources()[collection]
    months = period_months(source.cadence)(period)
    if organisation is not None and not source.match(
        f"{collection}/{period}/{organisation}_{made:{STAMP_FORMAT}}.xlsx"
    ):
        raise ValueError(f"{organisation!r} is not an organisation code (3 to 5 capitals/digits)")
    rows = _rows(collection, tuple(months), source.service_lines)
    return Template(
        collection, period, organisation, source.service_lines, rows, made.replace(second=0)
    )


@cache
def _rows(collection: str, months: tuple[str, ...], service_lines: bool) -> tuple[TemplateRow, ...]:
    return tuple(template_rows(metric_catalogue(), collection, months, service_lines))


def _cell_value(row: TemplateRow, header: str) -> str | None:
    values = {
        "Metric code": row.metric_code,
        "Metric name": row.metric_name,
        "Service line": row.service_line,
        "Service line name": service_line_name(row.service_line) if row.service_line else None,
        "Period": row.period,
        "Numerator definition": row.numerator_definition,
        "Denominator definition": row.denominator_definition,
        "Guidance": row.guidance,
        "Unit": row.unit,
        "Plausible range": row.plausible_range,
    }
    return values.get(header)


INSTRUCTIONS_TEXT = (
    "Enter each metric's numerator and denominator in the yellow cells of the domain sheets; "
    "every other cell is locked.",
    "Leave both cells blank for a metric you do not submit: it is left out of the return.",
    "Numbers only, not below zero; a denominator above zero; for a percentage, a numerator not "
    "above its denominator. The value is numerator / denominator x the multiplier in 'Plausible "
    "range', which must fall in that range.",
    "Do not add, remove, rename or reorder sheets, rows or columns: the workbook is refused if "
    "its layout is not the template's.",
    "Save the file as <ORG>_<YYYYMMDDTHHMM>.xlsx (your organisation code and the time you send "
    "it) and place it in the collection's folder for the period, as with a CSV return.",
    "Check it before sending: peerbench validate <file> reports every problem by sheet, row "
    "and column.",
)


def _instructions(workbook: xlsxwriter.Workbook, template: Template, formats: dict) -> None:
    sheet = workbook.add_worksheet(INSTRUCTIONS)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 100)
    sheet.write(
        0, 0, f"peerbench return: {template.collection} {template.period}", formats["title"]
    )
    values = {
        "collection": template.collection,
        "period": template.period,
        "organisation_code": template.organisation,
    }
    for field, (row, label) in DETAILS.items():
        sheet.write(row - 1, 0, label, formats["bold"])
        if field == "organisation_code" and template.organisation is None:
            sheet.write_blank(row - 1, 1, None, formats["input"])
            sheet.data_validation(
                row - 1, 1, row - 1, 1,
                {"validate": "length", "criteria": "between", "minimum": 3, "maximum": 5,
                 "input_message": "Your ODS organisation code, as in the file's name"},
            )  # fmt: skip
        else:
            sheet.write_string(row - 1, 1, str(values[field]))
    line = max(r for r, _ in DETAILS.values()) + 1
    for number, text in enumerate(INSTRUCTIONS_TEXT, start=1):
        sheet.write_string(line + number - 1, 1, f"{number}. {text}", formats["wrap"])
    line += len(INSTRUCTIONS_TEXT) + 1
    sheet.write_string(line, 0, "Sheets", formats["bold"])
    for offset, name in enumerate(by_sheet(template.rows), start=1):
        sheet.write_string(line + offset, 1, name)
    sheet.protect()


# (metric code, service line or None, period) -> (numerator, denominator or None)
Values = Mapping[tuple[str, str | None, str], tuple[float, float | None]]


def _domain_sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    rows: Sequence[TemplateRow],
    template: Template,
    formats: dict,
    values: Values,
) -> None:
    sheet = workbook.add_worksheet(name)
    layout = headers(template.with_service_lines)
    title = f"{name}: {template.collection} {template.period}"
    sheet.write(0, 0, title, formats["title"])
    sheet.write(
        1, 0, "Enter numerators and denominators in the yellow cells; blank = not submitted."
    )
    for column, header in enumerate(layout):
        wrap = header in GUIDANCE_HEADERS
        sheet.set_column(column, column, WIDTHS[header], formats["wrap"] if wrap else None)
        sheet.write_string(HEADER_ROW - 1, column, header, formats["header"])
    numerator, denominator = layout.index("Numerator"), layout.index("Denominator")
    for index, row in enumerate(rows):
        at = FIRST_ROW - 1 + index
        filled = values.get((row.metric_code, row.service_line, row.period), (None, None))
        for column, header in enumerate(layout):
            value = _cell_value(row, header)
            if column in (numerator, denominator):
                number = filled[column != numerator]
                if number is None or pd.isna(number):
                    sheet.write_blank(at, column, None, formats["input"])
                else:
                    sheet.write_number(at, column, float(number), formats["input"])
            elif value is not None:
                sheet.write_string(at, column, value)
    _validations(sheet, [FIRST_ROW - 1 + i for i in range(len(rows))], rows, numerator, denominator)
    sheet.freeze_panes(FIRST_ROW - 1, 2)
    sheet.protect()


def _validations(
    sheet: Worksheet,
    at: Sequence[int],
    rows: Sequence[TemplateRow],
    numerator: int,
    denominator: int,
) -> None:
    """Data validation on the value cells, one rule per kind of cell (its formula relative to
    the first cell it covers, as Excel reads a rule over several cells): numerators not below
    zero, and a percentage's not above its denominator once that is given; denominators above
    zero."""

    def cells(column: int, indices: Sequence[int]) -> tuple[int, str]:
        return indices[0], " ".join(xl_rowcol_to_cell(i, column) for i in indices)

    for percent in (False, True):
        indices = [i for i, row in zip(at, rows, strict=True) if row.percent == percent]
        if not indices:
            continue
        first, multi_range = cells(numerator, indices)
        top, bottom = xl_rowcol_to_cell(first, numerator), xl_rowcol_to_cell(first, denominator)
        above = f",OR(ISBLANK({bottom}),{top}<={bottom})" if percent else ""
        sheet.data_validation(
            first, numerator, first, numerator,
            {"validate": "custom", "value": f"=AND(ISNUMBER({top}),{top}>=0{above})",
             "multi_range": multi_range, "error_title": "Numerator",
             "error_message": "A number not below zero"
             + (", and not above the denominator" if percent else "")},
        )  # fmt: skip
    first, multi_range = cells(denominator, list(at))
    sheet.data_validation(
        first, denominator, first, denominator,
        {"validate": "decimal", "criteria": ">", "value": 0, "multi_range": multi_range,
         "error_title": "Denominator", "error_message": "A number above zero"},
    )  # fmt: skip


def write_template(template: Template, folder: Path, values: Values | None = None) -> Path:
    """The template's workbook in `folder`, under its file name; blank, or with `values` filled
    in as a provider fills it (the demo's workbook returns)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / template.file_name
    with xlsxwriter.Workbook(path, {"in_memory": True}) as workbook:
        workbook.set_properties({"created": template.made})  # the same template, the same bytes
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "bold": workbook.add_format({"bold": True}),
            "header": workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True}),
            "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
            "input": workbook.add_format({"locked": False, "bg_color": "#FFF2CC", "border": 1}),
        }
        _instructions(workbook, template, formats)
        for name, rows in by_sheet(template.rows).items():
            _domain_sheet(workbook, name, rows, template, formats, values or {})
    return path
