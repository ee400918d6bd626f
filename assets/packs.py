"""Packs: the formats people open, made from a report's own sections and extract rows.

- `<ORG>.pdf`: the report on A4 pages (WeasyPrint, from the same HTML: the summary on page one,
  no metric split across pages, page numbers in the footer).
- `<ORG>.pptx`: a deck with the summary table and the key charts (metrics significantly
  different from national, with an SPC signal, or in the best or worst quarter).
- `<ORG>.xlsx`: the extract as a workbook (`assets.extracts.write_xlsx`).
- `<ORG>/charts/<metric>-distribution.svg|png` and `-trend.svg|png`: every chart, for a paper's
  own layout (PNG at twice the size, for print).

A pack costs about a second per organisation, mostly the PDF, so a publication makes packs for
recent windows only (`Settings.pack_days`); every window keeps its HTML, CSV and Parquet.
"""

from __future__ import annotations

import io
from pathlib import Path

import vl_convert
import weasyprint
from pptx import Presentation
from pptx.util import Emu, Inches, Pt

from assets.cores import on_every_core
from assets.extracts import write_xlsx
from assets.reports import PackJob, Section, among_peers, figure, summary_rows

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
SUMMARY_ROWS_PER_SLIDE = 12
KEY_CHARTS = 12
NOTABLE = {"better", "worse", "higher", "lower"}


def write_packs(jobs: list[PackJob]) -> list[str]:
    """Every organisation's pack, on all the machine's cores."""
    return [file for files in on_every_core(write_pack, jobs) for file in files]


def write_pdfs(pages: list[Path]) -> None:
    """Each HTML page as a PDF beside it (`<page>.pdf`), on all the machine's cores."""
    on_every_core(write_pdf, pages)


def write_pdf(page: Path) -> Path:
    """The page on A4 (the page's own print styles: running footer, page numbers)."""
    pdf = page.with_suffix(".pdf")
    weasyprint.HTML(filename=page).write_pdf(pdf)
    return pdf


def write_pack(job: PackJob) -> list[str]:
    """The PDF, deck, workbook and chart files of one organisation's report."""
    folder, name, sections, title = job.folder, job.name, job.sections, job.title
    charts = folder / name / "charts"
    charts.mkdir(parents=True)
    pngs: dict[str, bytes] = {}
    for section in sections:
        for kind, svg in (("distribution", section.strip), ("trend", section.trend)):
            stem = f"{section.chart_name}-{kind}"
            pngs[stem] = bytes(vl_convert.svg_to_png(str(svg), scale=2))
            (charts / f"{stem}.svg").write_text(str(svg))
            (charts / f"{stem}.png").write_bytes(pngs[stem])
    write_pdf(folder / f"{name}.html")
    write_deck(folder / f"{name}.pptx", sections, pngs, title)
    write_xlsx(job.extract, summary_rows(sections), folder / f"{name}.xlsx", title)
    files = [f"{name}/charts/{stem}.{suffix}" for stem in pngs for suffix in ("svg", "png")]
    return [*files, f"{name}.pdf", f"{name}.pptx", f"{name}.xlsx"]


def key_sections(sections: list[Section]) -> list[Section]:
    """The metrics a board should see first: significantly different from national, with a
    special-cause signal, or in the best or worst quarter; otherwise the first few."""
    notable = [
        s
        for s in sections
        if s.latest["against_national"] in NOTABLE
        or s.latest["spc_signal"] in NOTABLE
        or "among the" in among_peers(s.latest)
    ]
    return (notable or sections)[:KEY_CHARTS]


def write_deck(path: Path, sections: list[Section], pngs: dict[str, bytes], title: str) -> None:
    """Slides for a board paper: a cover, the summary table, then a slide per key metric with
    its reading and its two charts (`pngs`, by chart file stem)."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = title
    cover.placeholders[1].text = "Benchmarking summary and key charts"
    summary = summary_rows(sections)
    columns = [
        "metric",
        "month",
        "value",
        "peer_median",
        "national",
        "among_peers",
        "against_national",
        "trend",
    ]
    for start in range(0, len(summary), SUMMARY_ROWS_PER_SLIDE):
        part = summary.iloc[start : start + SUMMARY_ROWS_PER_SLIDE]
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = "Summary"
        table = slide.shapes.add_table(
            len(part) + 1, len(columns), Inches(0.4), Inches(1.4), Inches(12.5), Inches(5.6)
        ).table
        for j, column in enumerate(columns):
            _cell(table.cell(0, j), column.replace("_", " ").capitalize(), bold=True)
        for i, row in enumerate(part.itertuples(index=False), start=1):
            for j, column in enumerate(columns):
                value = getattr(row, column)
                text = value if isinstance(value, str) else figure(value).replace("&ndash;", "-")
                _cell(table.cell(i, j), text)
        table.columns[0].width = Inches(4.3)
    for section in key_sections(sections):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = section.label
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
        box = slide.shapes.add_textbox(Inches(0.5), Inches(1.3), Inches(12.3), Inches(1.0))
        box.text_frame.word_wrap = True
        box.text_frame.text = section.reading
        box.text_frame.paragraphs[0].font.size = Pt(14)
        slide.shapes.add_picture(
            io.BytesIO(pngs[f"{section.chart_name}-trend"]),
            Inches(0.5),
            Inches(2.4),
            width=Inches(8.0),
        )
        slide.shapes.add_picture(
            io.BytesIO(pngs[f"{section.chart_name}-distribution"]),
            Inches(0.5),
            Inches(5.5),
            width=Inches(8.0),
        )
    deck.save(str(path))


def _cell(cell: object, text: str, bold: bool = False) -> None:
    frame = cell.text_frame  # type: ignore[attr-defined]
    frame.text = text
    font = frame.paragraphs[0].font
    font.size, font.bold = Pt(11), bold
    cell.margin_left = cell.margin_right = Emu(45720)  # type: ignore[attr-defined]
