"""Suspicious but valid values are flagged for data-quality review, never dropped: one rule
(dbt_project/macros/suspicious_values.sql) in the mart (`fct_metric_value.quality_flag`), in
`peerbench validate` and in the published report and extracts.

A small home of hand-made Community Indicators returns, seven community providers, January to
July 2024, every value per 1,000 so a value in % is the numerator / 10:

- CI_DNA_RATE, January to June, every provider but ZAB in June (its June return arrives late,
  after the first refresh): 10, 10.5, 9.5, 10, 10, 11 (%). Median 10, absolute deviations 0,
  0.5, 0.5, 0, 0, 1, MAD 0.25; the scale is max(1.4826 x 0.25 = 0.37, 10% of 10 = 1) = 1, so
  July is far from its history beyond |value - 10| > 4. Each of those months every provider has
  the same value: the peers' IQR is its floor (10% of the median) and nobody is outside.
- CI_DNA_RATE, July: ZAA 14.5 (4.5 away: flagged), ZAB 15 (5 away, but with 5 months of
  history it is not judged until its June arrives: then flagged), ZAC 13.9 (3.9 away: just
  inside), ZAD 10.2, ZAE 9.8, ZAF 10.4, ZAG 30. ZAG's peers, 9.8, 10.2, 10.4, 13.9, 14.5, 15:
  Q1 10.2 + 0.25 x 0.2 = 10.25, Q3 13.9 + 0.75 x 0.6 = 14.35, IQR 4.1, upper fence 14.35 +
  12.3 = 26.65: 30 is outside them and 20 from its history, so both. ZAB's peers (ZAG's 30 in
  place of its 15) have the same Q1 and Q3: 15 is inside; everyone else's fences are wider.
- CI_VIRTUAL_CONTACTS, July only (no history): ZAA to ZAE 20, 21, 22, 23, 24, ZAF 31, ZAG 40.
  ZAF's peers 20, 21, 22, 23, 24, 40 and ZAG's 20, 21, 22, 23, 24, 31 both have Q1 21.25,
  median 22.5, Q3 23.75, IQR 2.5 (above its floor 2.25), upper fence 23.75 + 7.5 = 31.25:
  ZAG's 40 is outside, ZAF's 31 just inside.
"""

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from conftest import land_register, use_home

from assets.reports import quality_flags
from orchestration.cli import main
from orchestration.template import plan_template, write_template

HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
MEMBERS = ["ZAA", "ZAB", "ZAC", "ZAD", "ZAE", "ZAF", "ZAG"]
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"]
HISTORY = [100, 105, 95, 100, 100, 110]  # per 1,000, January to June, every member
JULY = {  # per 1,000
    "CI_DNA_RATE": dict(zip(MEMBERS, [145, 150, 139, 102, 98, 104, 300], strict=True)),
    "CI_VIRTUAL_CONTACTS": dict(zip(MEMBERS, [200, 210, 220, 230, 240, 310, 400], strict=True)),
}
LATE = ("ZAB", "2024-06", "20240902T0900")  # the return that arrives after the first refresh
OWN = "far from its own history (median 10.00)"
PEERS = "outside the peers' usual range"
# (organisation, metric, month): flag, worked by hand above; every other value has none
EXPECTED = {
    ("ZAA", "CI_DNA_RATE", "2024-07"): OWN,
    ("ZAB", "CI_DNA_RATE", "2024-07"): OWN,
    ("ZAG", "CI_DNA_RATE", "2024-07"): f"{OWN}; {PEERS}",
    ("ZAG", "CI_VIRTUAL_CONTACTS", "2024-07"): PEERS,
}
BEFORE_LATE = {key: flag for key, flag in EXPECTED.items() if key[0] != "ZAB"}
AS_OF = "2024-12-01"  # every window closed


def land_return(landing: Path, code: str, month: str, stamp: str | None = None) -> Path:
    """A member's return for the month, stamped on the 5th of the month after unless `stamp`."""
    after = pd.Period(month, freq="M") + 1
    name = f"{code}_{stamp or after.strftime('%Y%m') + '05T0900'}.csv"
    if month == "2024-07":
        rows = [f"{code},{month},{m},{by[code]},1000\n" for m, by in JULY.items()]
    else:
        rows = [f"{code},{month},CI_DNA_RATE,{HISTORY[MONTHS.index(month)]},1000\n"]
    path = landing / "community_indicators" / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(rows))
    return path


def _mart_flags(home: Path) -> dict[tuple[str, str, str], str | None]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        rows = warehouse.execute(
            "select organisation_code, metric_code, strftime(period_start, '%Y-%m'), quality_flag "
            "from marts.fct_metric_value"
        ).fetchall()
    return {(code, metric, month): flag for code, metric, month, flag in rows}


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The home refreshed, then ZAB's late June return landed and the mart refreshed again (June
    only has changed in the lake), then published (its windows closed); the mart's flags after
    each refresh. The environment is kept for the module's tests."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        land_register(home, dict.fromkeys(MEMBERS, "community_provider"))
        for month in MONTHS:
            for code in MEMBERS:
                if (code, month) != LATE[:2]:
                    land_return(home / "landing", code, month)
        assert main(["refresh", "--start", MONTHS[0], "--to", MONTHS[-1]]) == 0
        before = _mart_flags(home)
        land_return(home / "landing", *LATE)
        assert main(["refresh", "--start", MONTHS[0], "--to", MONTHS[-1]]) == 0
        assert main(["publish", "--as-of", AS_OF]) == 0
        yield {"home": home, "before": before, "after": _mart_flags(home)}


def _raised(flags: dict[tuple[str, str, str], str | None]) -> dict[tuple[str, str, str], str]:
    return {key: flag for key, flag in flags.items() if flag is not None}


def test_the_mart_flags_exactly_the_values_worked_by_hand_and_keeps_every_value(flagged):
    assert len(flagged["before"]) == 8 * len(MEMBERS) - 1  # nothing dropped
    assert _raised(flagged["before"]) == BEFORE_LATE
    assert len(flagged["after"]) == 8 * len(MEMBERS)
    assert _raised(flagged["after"]) == EXPECTED


def test_a_late_return_restates_the_flags_of_the_months_after_it(flagged):
    """ZAB's late June gives its July six months of history: the refresh of June (the only
    partition that changed) rebuilt July's values too, as a full rebuild would."""
    home = flagged["home"]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        (first,) = warehouse.execute(
            "select min(refreshed_at) from marts.fct_metric_value"
        ).fetchone()
        stamps = {
            month: (builds, rebuilt)
            for month, builds, rebuilt in warehouse.execute(
                "select strftime(period_start, '%Y-%m'), count(distinct refreshed_at), "
                "max(refreshed_at) > ? from marts.fct_metric_value group by all",
                [first],
            ).fetchall()
        }
    assert flagged["before"][("ZAB", "CI_DNA_RATE", "2024-07")] is None
    assert flagged["after"][("ZAB", "CI_DNA_RATE", "2024-07")] == OWN
    assert stamps == {month: (1, month >= "2024-06") for month in MONTHS}


WARNING = re.compile(
    r"^  warning: (?P<file>[^,]+), (?:sheet '(?P<sheet>[^']+)', row|line) (?P<line>\d+): "
    r"(?P<metric>\w+), service line (?P<service_line>\w+), (?P<month>\d{4}-\d\d): (?P<flag>.+)$"
)


def _warnings(output: str) -> list[dict[str, str]]:
    return [match.groupdict() for line in output.splitlines() if (match := WARNING.match(line))]


@pytest.mark.parametrize("month", ["2024-06", "2024-07"])
def test_validate_warns_of_the_values_the_mart_flags_and_accepts_the_return(flagged, month, capsys):
    """Every member's return of the month, checked again as if about to be sent: the warnings
    name the values the mart flagged, with the same words, at their lines (July's rows are
    CI_DNA_RATE on line 2, CI_VIRTUAL_CONTACTS on line 3), and the return is accepted."""
    home = flagged["home"]
    flags = _mart_flags(home)
    lines = {"CI_DNA_RATE": "2", "CI_VIRTUAL_CONTACTS": "3"}
    paths = sorted((home / "landing" / "community_indicators" / month).glob("*.csv"))
    assert len(paths) == len(MEMBERS)
    for path in paths:
        code = path.name[:3]
        assert main(["validate", str(path)]) == 0
        output = capsys.readouterr().out
        warned = _warnings(output)
        expected = {
            (metric, m): flag
            for (organisation, metric, m), flag in flags.items()
            if organisation == code and m == month and flag is not None
        }
        assert {(w["metric"], w["month"]): w["flag"] for w in warned} == expected, output
        assert all(w["line"] == lines[w["metric"]] and w["sheet"] is None for w in warned)
        assert all(w["file"] == path.relative_to(home / "landing").as_posix() for w in warned)
        count = len(expected)
        if count:
            plural = "s" if count > 1 else ""
            assert f"ok: 2 rows would be accepted, with {count} value{plural} for review" in output
        else:
            assert "for review" not in output
    assert month == "2024-06" or flags[("ZAG", "CI_DNA_RATE", month)] == f"{OWN}; {PEERS}"


def test_validate_locates_a_workbooks_values_for_review_by_sheet_and_row(flagged, tmp_path, capsys):
    """ZAG's July values in the Excel template instead: the same two warnings, each at the sheet
    and row where the template holds its metric (found here by reading the workbook)."""
    made = datetime(2024, 8, 6, 9, 0)
    path = write_template(plan_template("community_indicators", "2024-07", "ZAG", made), tmp_path)
    workbook = openpyxl.load_workbook(path)
    places = {}
    for sheet in workbook.worksheets[1:]:
        header = [cell.value for cell in sheet[3]]
        at = {name: header.index(name) + 1 for name in header}
        for number in range(4, sheet.max_row + 1):
            metric = sheet.cell(number, at["Metric code"]).value
            if metric in JULY:
                sheet.cell(number, at["Numerator"]).value = JULY[metric]["ZAG"]
                sheet.cell(number, at["Denominator"]).value = 1000
                places[metric] = (sheet.title, str(number))
    workbook.save(path)
    landing_path = f"community_indicators/2024-07/{path.name}"
    assert main(["validate", str(path), "--as", landing_path]) == 0
    output = capsys.readouterr().out
    warned = {w["metric"]: w for w in _warnings(output)}
    assert {metric: w["flag"] for metric, w in warned.items()} == {
        "CI_DNA_RATE": f"{OWN}; {PEERS}",
        "CI_VIRTUAL_CONTACTS": PEERS,
    }
    assert {metric: (w["sheet"], w["line"]) for metric, w in warned.items()} == places
    assert "ok: 2 rows would be accepted, with 2 values for review" in output


def test_the_report_and_extracts_show_the_flags_without_the_historys_median(flagged):
    """July's publication: each flagged value's `flags` in the CSV and Parquet extracts and the
    report's "Check this value" note carry the mart's words, the median left out (submitted
    data: disclosure control); an unflagged value has none."""
    home = flagged["home"]
    folder = home / "published" / "community_indicators" / "2024-07" / "v1" / "organisations"
    shown = {
        ("ZAA", "CI_DNA_RATE"): "far from its own history",
        ("ZAB", "CI_DNA_RATE"): "far from its own history",
        ("ZAG", "CI_DNA_RATE"): f"far from its own history; {PEERS}",
        ("ZAG", "CI_VIRTUAL_CONTACTS"): PEERS,
    }
    for code in MEMBERS:
        csv = pd.read_csv(folder / f"{code}.csv", keep_default_na=False)
        parquet = pd.read_parquet(folder / f"{code}.parquet")
        for extract in (csv, parquet):
            flags = dict(zip(extract["metric_code"], extract["flags"], strict=True))
            assert flags == {metric: shown.get((code, metric), "") for metric in JULY}, code
        html = (folder / f"{code}.html").read_text()
        notes = re.findall(r"Check this value: ([^<]*)\.</p>", html)
        assert sorted(notes) == sorted(
            words.replace("'", "&#39;") for (organisation, _), words in shown.items()
            if organisation == code
        ), code  # fmt: skip
        assert "median 10.00" not in html


@pytest.mark.parametrize(
    ("submitted", "shown"),
    [
        (True, f"far from its own history; {PEERS}"),
        (False, f"far from its own history (median 10.00); {PEERS}"),
    ],
)
def test_a_flag_of_submitted_data_leaves_out_the_historys_median(submitted, shown):
    rows = pd.DataFrame(
        {
            "submitted_late": [False, None],
            "value": [30.0, 12.0],
            "plausible_min": [0.0, 0.0],
            "plausible_max": [40.0, 40.0],
            "quality_flag": [f"{OWN}; {PEERS}", None],
        }
    )
    assert quality_flags(rows, submitted=submitted).tolist() == [shown, ""]


def test_the_flags_of_a_national_month_fit_in_a_small_memory_limit(tmp_path: Path):
    """At national scale the peers are many: 200 providers x 44 metrics x 24 months. Each
    value's peers taken by joining it to every other provider's that month made about 200 x 200
    rows a metric and month for holistic aggregates (quartiles), which DuckDB cannot spill: the
    full refresh of the national benchmark ran out of its 1GB limit in fct_metric_value. The rule
    must run in memory that grows with the values. One planted value, 100 where every provider
    has 10 +- 0.5, is both far from its own history and outside its peers. Its 12 months before
    are 10 + ((7 x 7 + 3 x 3 + m) mod 11 - 5) / 10 for months m = 8 to 19: 9.5 to 10.5 by 0.1,
    and 9.5 again, whose median is (9.9 + 10.0) / 2 = 9.95."""
    from orchestration.quality import _macros

    flags = _macros("suspicious_values").suspicious_values("judged", "history")
    with duckdb.connect(
        config={"memory_limit": "256MB", "temp_directory": str(tmp_path), "threads": 2}
    ) as connection:
        connection.execute(
            """
            create table history as
            select 'Z' || lpad(cast(organisation as varchar), 3, '0') as organisation_code,
                   'M' || cast(metric as varchar) as metric_code, 'all' as service_line,
                   cast(date '2024-01-01' + to_months(month) as date) as period_start,
                   case when (organisation, metric, month) = (7, 3, 20) then 100.0
                        else 10 + ((organisation * 7 + metric * 3 + month) % 11 - 5) / 10 end
                       as value
            from range(200) as o(organisation), range(44) as m(metric), range(24) as t(month)
            """
        )
        connection.execute(
            "create table judged as select 'community_indicators' as collection, * from history"
        )
        rows, flagged = connection.execute(
            f"select count(*), list(organisation_code || ' ' || metric_code || ' ' || "
            f"period_start || ': ' || quality_flag) filter (where quality_flag is not null) "
            f"from ({flags})"
        ).fetchone()
    assert rows == 200 * 44 * 24  # every value once, none dropped
    assert flagged == [
        "Z007 M3 2025-09-01: far from its own history (median 9.95); outside the peers' usual range"
    ]
