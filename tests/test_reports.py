"""Pieces of a publication on their own: formula neutralisation in the extracts, SPC readings by
polarity, and the running footer's CSS string."""

import re
import zipfile

import pandas as pd
import pytest

from assets.extracts import EXTRACT_COLUMNS, extract_rows, neutralise, write_xlsx
from assets.reports import css_string, figure, figure_with_unit, with_signals


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 1234", "'+44 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("Leeds Community Healthcare", "Leeds Community Healthcare"),
        (-2.5, -2.5),
    ],
)
def test_text_a_spreadsheet_would_run_is_neutralised(text, shown):
    assert neutralise(text) == shown


def _rows(name: str) -> pd.DataFrame:
    row = dict.fromkeys(EXTRACT_COLUMNS, "")
    row.update(
        organisation_code="ZAA", organisation_name=name, metric_code="CI_DNA_RATE",
        domain="productivity", value=7.123456, numerator=40, denominator=560,
    )  # fmt: skip
    return pd.DataFrame([row])


def test_a_workbook_holds_no_formula_and_neutralised_text(tmp_path):
    """An organisation named like a formula is text in every sheet: no `<f>` (formula) element
    in any sheet's XML, the name with its apostrophe among the strings, figures to 2 decimals."""
    extract = extract_rows(_rows('=cmd|" /C calc"!A0'))
    assert extract["value"].iloc[0] == pytest.approx(7.12)
    summary = pd.DataFrame([{"metric": "=1+1", "value": 7.12}])
    path = tmp_path / "book.xlsx"
    write_xlsx(extract, summary, path, "=title")
    with zipfile.ZipFile(path) as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
        strings = book.read("xl/sharedStrings.xml").decode()
    assert not any("<f>" in sheet for sheet in sheets)
    assert "&apos;=cmd" in strings or "'=cmd" in strings
    assert re.search(r"<t[^>]*>('|&apos;)=1\+1</t>", strings)


def _history(values: list[float], polarity: str) -> pd.DataFrame:
    months = [str(pd.Period("2024-01", freq="M") + i) for i in range(len(values))]
    return pd.DataFrame(
        {
            "metric_code": "M", "service_line": "all", "organisation_code": "ZAA",
            "polarity": polarity, "period": months, "value": values,
        }
    )  # fmt: skip


@pytest.mark.parametrize(
    ("polarity", "reading"),
    [("higher_is_better", "better"), ("lower_is_better", "worse"), ("neutral", "higher")],
)
def test_a_spike_reads_by_polarity_and_a_missing_month_is_skipped(polarity, reading):
    """10 and 12 alternating with a 25 (beyond the upper limit, worked in test_statistics),
    with a month missing in the middle: the chart skips it and reads the 25 by polarity."""
    values = [10, 12] * 7 + [11]
    values[7] = 25
    history = _history([*values[:5], float("nan"), *values[5:]], polarity)
    history = history.dropna()  # the mart has no row for a month without a value
    months = [str(pd.Period("2024-01", freq="M") + i) for i in range(16)]
    signals = with_signals(history, months).set_index("period")["spc_signal"]
    assert signals.loc["2024-09"] == reading  # the 25: the 8th value, in the 9th month
    assert (signals.drop("2024-09") == "common").all()


def test_a_running_footer_is_a_css_string_of_the_plain_text():
    assert (
        css_string("NHS England A&amp;E &quot;x&quot; &lt;b&gt;")
        == '"NHS England A&E \\"x\\" \\3C b>"'
    )


def test_a_count_is_a_whole_number_with_separators_and_the_rest_keep_two_decimals():
    assert figure(1059246.0, "count") == "1,059,246"
    assert figure(72837, "count") == "72,837"
    assert figure(74.6123, "percent") == "74.61" == figure(74.6123)
    assert figure("*", "count") == "*"
    assert figure_with_unit(1234.0, "count") == "1,234"
