"""The operational programme's quarterly publication: for every provider a Benchmarking report
(external: the provider against the programme's other providers) and an Insight report
(internal: each of its teams against its other teams), with their extracts.

Benchmarking report (`organisations/<ORG>.html`, `.csv`, `.parquet`): the provider metrics
summary (shift days and hours, delivery, clinical and non-clinical hours, clinical % of shift,
visits per day, home visits, clinics after 1pm, shift days per WTE, travel per visit) of every
provider, peers under the publication's anonymised codes; then each domain's metrics for the
quarter: last and previous quarter, % change, the all-providers average and median, rank and the
distribution; the same by department, by staff band and by activity type; the provider's named
comparators where it names at least three with a value; rolling 12-month trends of the key
metrics against the programme's median and interquartile band.

Insight report (`insight/<ORG>.html`, `.csv`, `.parquet`): per metric, each team's value for the
quarter and the previous one, its rolling 12 months, its rank among the provider's teams and its
gap to their median and top quartile (fct_team_benchmark), with the provider's rolling 12-month
trend against its teams' median and interquartile band.

Statistics come from the mart (fct_benchmark, fct_team_benchmark), computed on unrounded counts;
disclosure control (`analysis.disclosure`) is applied to every count and figure shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import markupsafe
import pandas as pd

from analysis.disclosure import MASK, disclose_counts_of_people
from assets.charts import strip_chart, trend_chart
from assets.extracts import rounded
from assets.pseudonymisation import anonymised_codes
from assets.reports import TEMPLATES, _domain_rank
from contracts.metric_catalogue import metric_catalogue
from orchestration.calendar import Window

OPERATIONAL = "operational"
QUARTER, ROLLING = "quarter", "rolling_12_months"
WHOLE = "all"
COMPARATORS_MIN_N = 3  # a named set's median of two would give the other provider's value away
# the programme's provider metrics summary, in its order
SUMMARY_METRICS = [
    "OP_SHIFT_DAYS",
    "OP_SHIFT_HOURS",
    "OP_DELIVERY_HOURS",
    "OP_CLINICAL_HOURS",
    "OP_NON_CLINICAL_HOURS",
    "OP_CLINICAL_SHIFT_PCT",
    "OP_CONTACTS_PER_SHIFT_DAY",
    "OP_HOME_VISIT_SHARE",
    "OP_CLINICS_AFTER_1PM",
    "OP_SHIFT_DAYS_PER_WTE",
    "OP_TRAVEL_PER_VISIT",
]
# the metrics whose rolling 12 months the benchmarking report draws (the programme's headline)
KEY_METRICS = [
    "OP_CLINICAL_SHIFT_PCT",
    "OP_CONTACTS_PER_WTE",
    "OP_VISITS_PER_WTE",
    "OP_VACANCY_RATE",
    "OP_SICKNESS_RATE",
    "OP_TURNOVER_RATE",
    "OP_WAITING_LIST",
    "OP_DNA_RATE",
]
# the metrics the activity breakdown shows, as its columns
ACTIVITY_METRICS = [
    "OP_CLINICAL_HOURS_BY_ACTIVITY",
    "OP_DNA_RATE",
    "OP_FACE_TO_FACE_PCT",
    "OP_APPOINTMENT_UTILISATION",
]
COUNTS = ["numerator", "denominator", "previous_numerator", "previous_denominator"]
DERIVED = {
    "value": ["numerator", "denominator"],
    "previous_value": ["previous_numerator", "previous_denominator"],
    "change_from_previous": COUNTS,
    "percent_change": COUNTS,
}
METRIC_COLUMNS = """
    m.metric_name, m.domain, m.unit, m.polarity, m.aggregation, m.numerator_definition,
    m.denominator_definition, m.guidance,
    coalesce(nm.disclosive = 'yes', false) as numerator_of_people,
    coalesce(dm.disclosive = 'yes', false) as denominator_of_people
"""
# what says whether a metric's parts count people (or their events): disclosure control's rule
MEASURES_JOIN = """
    left join reference.operational_measures as nm on nm.measure = m.numerator_measure
    left join reference.operational_measures as dm on dm.measure = m.denominator_measure
"""
BENCHMARK_QUERY = f"""
    select
        b.metric_code, {METRIC_COLUMNS}, b.service_line,
        coalesce(s.service_line_name, b.service_line) as service_line_name,
        coalesce(s.breakdown, '') as breakdown, b.organisation_code, o.organisation_name,
        b.peer_group, b.numerator, b.denominator, b.value, b.national_value, b.peer_n,
        b.peer_mean, b.peer_min, b.peer_lower_quartile, b.peer_median, b.peer_upper_quartile,
        b.peer_max, b.peer_rank, b.quartile_band, b.previous_value, b.change_from_previous,
        p.numerator as previous_numerator, p.denominator as previous_denominator
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    {MEASURES_JOIN}
    left join marts.dim_organisation as o using (organisation_code)
    left join marts.dim_service_line as s using (service_line)
    left join marts.fct_metric_value as p
        on p.metric_code = b.metric_code and p.organisation_code = b.organisation_code
        and p.team_code is null and p.service_line = b.service_line and p.grain = b.grain
        and p.period_start = b.period_start - interval 3 month
    where b.collection = '{OPERATIONAL}' and b.grain = '{QUARTER}' and b.period_start = ?
        and b.peer_group in ('all', 'comparators')
    order by b.metric_code, b.service_line, b.organisation_code
"""
TEAMS_QUERY = f"""
    select
        t.organisation_code, t.team_code, d.team_name, d.department, t.metric_code,
        {METRIC_COLUMNS}, t.grain, t.period_start, t.numerator, t.denominator, t.value,
        t.teams_n, t.teams_median, t.teams_top_quartile, t.team_rank, t.provider_value,
        t.gap_to_median, t.gap_to_top_quartile
    from marts.fct_team_benchmark as t
    join marts.dim_metric as m using (metric_code)
    {MEASURES_JOIN}
    left join marts.dim_team as d using (organisation_code, team_code)
    where (t.grain = '{QUARTER}' and t.period_start in (?, ?::date - interval 3 month))
        or (t.grain = '{ROLLING}' and t.period_end = ?)
"""
PROVIDER_TRENDS_QUERY = f"""
    select
        b.organisation_code, b.metric_code, m.metric_name, m.unit,
        strftime(b.period_end, '%Y-%m') as period, b.numerator, b.denominator, b.value,
        b.peer_median, b.peer_lower_quartile, b.peer_upper_quartile, b.national_value
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    where b.collection = '{OPERATIONAL}' and b.grain = '{ROLLING}' and b.service_line = '{WHOLE}'
        and b.peer_group = 'all' and b.period_end > ?::date - interval 12 month
        and b.period_end <= ?
"""
TEAM_TRENDS_QUERY = f"""
    select distinct
        organisation_code, metric_code, strftime(period_end, '%Y-%m') as period, provider_value,
        teams_median, teams_lower_quartile, teams_upper_quartile
    from marts.fct_team_benchmark
    where grain = '{ROLLING}' and period_end > ?::date - interval 12 month and period_end <= ?
"""
INPUTS_QUERY = f"""
    select distinct source_file, source_sha256 from marts.fct_metric_value
    where collection = '{OPERATIONAL}' and period_end >= ?::date - interval 3 month
        and period_end < ?
    order by source_file
"""


@dataclass(frozen=True)
class OperationalWindow:
    """What a quarter's operational publication is made from, read from the mart."""

    benchmarks: pd.DataFrame  # the quarter's provider rows: peer groups 'all' and 'comparators'
    teams: pd.DataFrame  # team rows: the quarter, the quarter before, the rolling 12 months
    trends: pd.DataFrame  # providers' rolling 12 months, month by month, with the programme's
    team_trends: pd.DataFrame  # each provider's rolling 12 months against its teams'
    inputs: pd.DataFrame  # the input files behind the window, with their SHA-256
    months: list[str]  # the quarter's months, YYYY-MM


def read_operational_window(
    warehouse: duckdb.DuckDBPyConnection, window_: Window, start: object, end: object
) -> OperationalWindow:
    """The quarter [start, end) of the operational collection."""
    last_day = (pd.Timestamp(end) - pd.Timedelta(days=1)).date()
    months = [str(m) for m in pd.period_range(pd.Timestamp(start), last_day, freq="M")]
    return OperationalWindow(
        benchmarks=warehouse.execute(BENCHMARK_QUERY, [start]).df(),
        teams=warehouse.execute(TEAMS_QUERY, [start, start, last_day]).df(),
        trends=warehouse.execute(PROVIDER_TRENDS_QUERY, [last_day, last_day]).df(),
        team_trends=warehouse.execute(TEAM_TRENDS_QUERY, [last_day, last_day]).df(),
        inputs=operational_inputs(warehouse, start, end),
        months=months,
    )


def operational_inputs(warehouse: duckdb.DuckDBPyConnection, start: object, end: object):
    """The input files of the quarter's values and of the quarter before's (the previous
    values and % change its reports show): every period ending in those six months."""
    return warehouse.execute(INPUTS_QUERY, [start, end]).df()


def percent_change(value: pd.Series, previous: pd.Series) -> pd.Series:
    """(value - previous) / previous x 100; none where the previous is not above 0 or either is
    below 0 (a growth rate's change is no percentage of anything)."""
    now, before = pd.to_numeric(value), pd.to_numeric(previous)
    return ((now - before) / before * 100).where((before > 0) & (now >= 0))


def _of_people(rows: pd.DataFrame, counts: Sequence[str]) -> dict[str, pd.Series]:
    """Per count column, the rows where it counts people or their events (the measure's
    `disclosive` in seeds/operational_measures.csv)."""
    return {
        column: rows["denominator_of_people" if "denominator" in column else "numerator_of_people"]
        .fillna(False)
        .astype(bool)
        for column in counts
    }


def _shown(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with their % change, then disclosure control on every count of people and every
    figure made from one; a count metric's value is its numerator, so it is shown as its
    numerator is (rounded to 5, or `*`)."""
    rows = rows.copy()
    rows["percent_change"] = percent_change(rows["value"], rows["previous_value"])
    shown = disclose_counts_of_people(rows, COUNTS, DERIVED, _of_people(rows, COUNTS))
    counted = (rows["aggregation"] == "sum") & rows["numerator_of_people"].fillna(False)
    shown.loc[counted, "value"] = shown.loc[counted, "numerator"]
    shown.loc[counted, "previous_value"] = shown.loc[counted, "previous_numerator"]
    return shown


@cache
def _catalogue_order() -> dict[str, tuple[int, int]]:
    """Each metric's place: its domain's in the catalogue, then its own row's."""
    catalogue = metric_catalogue()
    domains = _domain_rank()
    return {
        code: (domains.get(domain, len(domains)), row)
        for row, (code, domain) in enumerate(
            zip(catalogue["metric_code"], catalogue["domain"], strict=True)
        )
    }


def _in_catalogue_order(rows: pd.DataFrame) -> pd.DataFrame:
    order = _catalogue_order()
    return rows.sort_values("metric_code", key=lambda codes: codes.map(order), kind="stable")


def _domains(rows: pd.DataFrame) -> list[str]:
    rank = _domain_rank()
    return sorted(rows["domain"].unique(), key=lambda d: rank.get(d, len(rank)))


def _strip(row: dict) -> markupsafe.Markup:
    if row["peer_n"] is None or pd.isna(row["peer_min"]):
        return markupsafe.Markup("")
    return markupsafe.Markup(
        strip_chart(
            row["value"],
            row["peer_min"],
            row["peer_lower_quartile"],
            row["peer_median"],
            row["peer_upper_quartile"],
            row["peer_max"],
            None,
            f"{row['metric_name']}: the provider among {row['peer_n']} providers",
        )
    )


@dataclass(frozen=True)
class Table:
    """A report table: its heading, and its rows (dicts of the template's columns)."""

    title: str
    rows: list[dict]
    anchor: str = ""
    grouped: bool = False  # rows of several domains, under a heading each


def _metric_rows(own: pd.DataFrame, comparators: pd.DataFrame) -> list[dict]:
    """One row per metric: the provider's values with the programme's statistics, its rank, the
    distribution strip, and where it names enough comparators their median and its rank."""
    named = comparators.set_index(["metric_code", "service_line"])
    rows = []
    for row in _in_catalogue_order(own).to_dict("records"):
        key = (row["metric_code"], row["service_line"])
        among = named.loc[key] if key in named.index else None
        if among is not None and among["peer_n"] >= COMPARATORS_MIN_N:
            row["comparators_n"] = int(among["peer_n"])
            row["comparators_median"] = among["peer_median"]
            row["comparators_rank"] = among["peer_rank"]
        else:
            row["comparators_n"] = None
        row["strip"] = _strip(row)
        rows.append(row)
    return rows


def benchmarking_tables(own: pd.DataFrame, comparators: pd.DataFrame) -> dict[str, list[Table]]:
    """The provider's quarter, table by table: each domain's metrics for the whole provider,
    each department's, the staff bands' and the activity types' (as their breakdown lists
    them)."""
    whole = own[(own["service_line"] == WHOLE) & (own["domain"] != "provider_summary")]
    tables: dict[str, list[Table]] = {"domains": [], "departments": []}
    for domain in _domains(whole):
        rows = whole[whole["domain"] == domain]
        tables["domains"].append(
            Table(domain.replace("_", " ").capitalize(), _metric_rows(rows, comparators), domain)
        )
    departments = own[own["breakdown"] == "department"]
    for line, rows in departments.groupby("service_line", sort=True):
        name = rows["service_line_name"].iloc[0]
        tables["departments"].append(
            Table(name, _metric_rows(rows, comparators), str(line), grouped=True)
        )
    return tables


def breakdown_matrix(own: pd.DataFrame, breakdown: str, metrics: Sequence[str] | None) -> dict:
    """A breakdown as a matrix: a row per metric (or, for activity types, per type) and a
    column per line (per metric), each cell the provider's value beside the programme's
    mean."""
    rows = own[own["breakdown"] == breakdown]
    if metrics is not None:
        rows = rows[rows["metric_code"].isin(metrics)]
    lines = (
        rows[["service_line", "service_line_name"]].drop_duplicates().sort_values("service_line")
    )
    cells = {(r["metric_code"], r["service_line"]): r for r in rows.to_dict("records")}
    metric_rows = _in_catalogue_order(
        rows[["metric_code", "metric_name", "unit"]].drop_duplicates()
    )
    return {
        "lines": lines.to_dict("records"),
        "metrics": metric_rows.to_dict("records"),
        "cells": cells,
    }


def summary_table(rows: pd.DataFrame, organisation: str) -> dict:
    """The provider metrics summary: every provider of the programme with a value (the
    provider itself first, named; the others by anonymised code), a column per summary metric,
    and the programme's total (counts) or national figure (rates)."""
    shown = rows[(rows["service_line"] == WHOLE) & rows["metric_code"].isin(SUMMARY_METRICS)]
    shown = shown[shown["peer_group"] == "all"]
    columns = [m for m in SUMMARY_METRICS if m in set(shown["metric_code"])]
    meta = shown.drop_duplicates("metric_code").set_index("metric_code")
    providers = []
    for code, values in shown.groupby("organisation_code", sort=False):
        by_metric = values.set_index("metric_code")
        providers.append(
            {
                "own": code == organisation,
                "label": values["label"].iloc[0],
                "values": [by_metric["value"].get(m) for m in columns],
            }
        )
    providers.sort(key=lambda p: (not p["own"], p["label"]))
    total = [meta.loc[m, "national_value"] for m in columns]
    return {
        "columns": [
            {"code": m, "name": meta.loc[m, "metric_name"], "unit": meta.loc[m, "unit"]}
            for m in columns
        ],
        "providers": providers,
        "total": total,
    }


def trend_sections(trends: pd.DataFrame, organisation: str, metrics: Sequence[str]) -> list[dict]:
    """The key metrics' rolling 12 months, month by month: the provider against the
    programme's median and middle half."""
    own = trends[trends["organisation_code"] == organisation]
    sections = []
    for metric in metrics:
        series = own[own["metric_code"] == metric].sort_values("period")
        if series.empty:
            continue
        months = series["period"].tolist()
        sections.append(
            {
                "metric_code": metric,
                "metric_name": series["metric_name"].iloc[0],
                "unit": series["unit"].iloc[0],
                "chart": markupsafe.Markup(
                    trend_chart(
                        months,
                        series["value"].tolist(),
                        series["peer_median"].tolist(),
                        series["peer_lower_quartile"].tolist(),
                        series["peer_upper_quartile"].tolist(),
                        [None] * len(months),
                        [""] * len(months),
                        [],
                        f"{metric}: rolling 12 months",
                    )
                ),
            }
        )
    return sections


def insight_sections(teams: pd.DataFrame, team_trends: pd.DataFrame, start: object) -> list[dict]:
    """Per metric (by domain), the provider's teams for the quarter: value, previous quarter,
    rolling 12 months, rank, gaps to the teams' median and top quartile; and the provider's
    rolling 12 months against its teams' median and middle half."""
    quarter = teams[(teams["grain"] == QUARTER) & (teams["period_start"] == pd.Timestamp(start))]
    before = teams[(teams["grain"] == QUARTER) & (teams["period_start"] != pd.Timestamp(start))]
    rolling = teams[teams["grain"] == ROLLING]
    previous = before.set_index(["metric_code", "team_code"])["value"]
    year = rolling.set_index(["metric_code", "team_code"])["value"]
    sections = []
    for domain in _domains(quarter):
        in_domain = quarter[quarter["domain"] == domain]
        for metric, rows in in_domain.groupby("metric_code", sort=True):
            first = rows.iloc[0]
            members = []
            for row in rows.sort_values("team_code").to_dict("records"):
                key = (metric, row["team_code"])
                row["previous_value"] = previous.get(key)
                row["rolling_value"] = year.get(key)
                members.append(row)
            series = team_trends[team_trends["metric_code"] == metric].sort_values("period")
            chart = ""
            if not series.empty:
                months = series["period"].tolist()
                chart = trend_chart(
                    months,
                    series["provider_value"].tolist(),
                    series["teams_median"].tolist(),
                    series["teams_lower_quartile"].tolist(),
                    series["teams_upper_quartile"].tolist(),
                    [None] * len(months),
                    [""] * len(months),
                    [],
                    f"{first['metric_name']}: rolling 12 months against the teams",
                )
            sections.append(
                {
                    "domain": domain,
                    "metric_code": metric,
                    "metric_name": first["metric_name"],
                    "unit": first["unit"],
                    "polarity": first["polarity"],
                    "definition": _definition(first),
                    "provider_value": first["provider_value"],
                    "teams_median": first["teams_median"],
                    "teams_top_quartile": first["teams_top_quartile"],
                    "teams_n": int(first["teams_n"]),
                    "teams": members,
                    "chart": markupsafe.Markup(chart),
                }
            )
    return sections


def _definition(row: dict | pd.Series) -> str:
    over = row["denominator_definition"]
    text = str(row["numerator_definition"])
    if isinstance(over, str) and over:
        text += f", over {over[:1].lower()}{over[1:]}"
    return f"{text}. {row['guidance']}"


TEAM_COLUMNS = [
    "organisation_code", "team_code", "team_name", "department", "metric_code", "metric_name",
    "domain", "unit", "grain", "period_start", "numerator", "denominator", "value", "teams_n",
    "teams_median", "teams_top_quartile", "team_rank", "provider_value", "gap_to_median",
    "gap_to_top_quartile",
]  # fmt: skip


def _shown_teams(teams: pd.DataFrame) -> pd.DataFrame:
    """Team rows under disclosure control: a team's small counts (a handful of contacts, a
    member of staff) are masked, with every figure made from them."""
    parts = ["numerator", "denominator"]
    derived = {column: parts for column in ("value", "gap_to_median", "gap_to_top_quartile")}
    return disclose_counts_of_people(teams, parts, derived, _of_people(teams, parts))


def _team_extract(shown: pd.DataFrame) -> pd.DataFrame:
    extract = shown[TEAM_COLUMNS].copy()
    extract["period_start"] = pd.to_datetime(extract["period_start"]).dt.strftime("%Y-%m-%d")
    return extract


EXTRACT_COLUMNS = [
    "organisation_code", "organisation_name", "peer_code", "metric_code", "metric_name",
    "domain", "unit", "polarity", "service_line", "service_line_name", "breakdown",
    "peer_group", "numerator", "denominator", "value", "previous_value", "percent_change",
    "national_value", "peer_n", "peer_mean", "peer_min", "peer_lower_quartile", "peer_median",
    "peer_upper_quartile", "peer_max", "peer_rank", "quartile_band",
]  # fmt: skip


def _write_extract(frame: pd.DataFrame, path: Path) -> None:
    """`path`.csv (two decimals; text a spreadsheet would run as a formula neutralised) and
    `path`.parquet (typed: a suppressed figure is null)."""
    rounded(frame).to_csv(path.with_suffix(".csv"), index=False)
    _parquet_ready(frame).to_parquet(path.with_suffix(".parquet"), index=False)


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Suppressed cells (`*`) as nulls, so a Parquet column keeps its type."""
    typed = frame.copy()
    for column in typed.columns:
        if typed[column].dtype == object and (typed[column] == MASK).any():
            typed[column] = pd.to_numeric(typed[column].where(typed[column] != MASK))
    return typed


def write_operational_outputs(
    folder: Path,
    data: OperationalWindow,
    window_: Window,
    key: bytes,
    publication: str,
    common: dict,
    packs: bool | frozenset[str] = False,
) -> list[str]:
    """Every file of a version: the national summary, each provider's Benchmarking report and
    extract, and its Insight report and team extract; and, for every provider (`packs` True) or
    those it names, both reports as PDF."""
    rows = data.benchmarks.copy()
    rows["peer_code"] = anonymised_codes(rows["organisation_code"], key, publication)
    rows["label"] = rows["peer_code"]
    shown = _shown(rows)
    files = _write_national(folder, shown, common)
    (folder / "organisations").mkdir()
    (folder / "insight").mkdir()
    programme = shown[shown["peer_group"] == "all"]
    start = pd.Timestamp(f"{data.months[0]}-01")
    for code, own in programme.groupby("organisation_code", sort=True):
        name = own["organisation_name"].iloc[0] or code
        labelled = programme.copy()
        labelled.loc[labelled["organisation_code"] == code, "label"] = name
        named = shown[(shown["peer_group"] == "comparators") & (shown["organisation_code"] == code)]
        tables = benchmarking_tables(own, named)
        html = TEMPLATES.get_template("benchmarking_report.html.j2").render(
            **common,
            organisation_code=code,
            organisation_name=name,
            providers=int(own["peer_n"].max()),
            summary=summary_table(labelled, code),
            tables=tables,
            bands=breakdown_matrix(own, "staff_band", None),
            activities=breakdown_matrix(own, "activity_type", ACTIVITY_METRICS),
            trends=trend_sections(data.trends, code, KEY_METRICS),
            comparators=not named.empty and named["peer_n"].max() >= COMPARATORS_MIN_N,
            insight=f"../insight/{code}.html",
        )
        base = f"organisations/{code}"
        (folder / f"{base}.html").write_text(html)
        _write_extract(own[EXTRACT_COLUMNS], folder / base)
        files += [f"{base}.{suffix}" for suffix in ("html", "csv", "parquet")]
        teams = data.teams[data.teams["organisation_code"] == code]
        if teams.empty:
            continue
        shown_teams = _shown_teams(teams)
        team_rows = _team_extract(shown_teams)
        sections = insight_sections(
            shown_teams, data.team_trends[data.team_trends["organisation_code"] == code], start
        )
        html = TEMPLATES.get_template("insight_report.html.j2").render(
            **common,
            organisation_code=code,
            organisation_name=name,
            sections=sections,
            team_list=team_rows[["team_code", "team_name", "department"]]
            .drop_duplicates()
            .sort_values("team_code")
            .to_dict("records"),
            benchmarking=f"../organisations/{code}.html",
        )
        base = f"insight/{code}"
        (folder / f"{base}.html").write_text(html)
        _write_extract(team_rows, folder / base)
        files += [f"{base}.{suffix}" for suffix in ("html", "csv", "parquet")]
    wanted = [
        f"{kind}/{code}.html"
        for code in sorted(programme["organisation_code"].unique())
        if packs is True or (packs and code in packs)
        for kind in ("organisations", "insight")
        if f"{kind}/{code}.html" in files
    ]
    if wanted:
        from assets.packs import write_pdfs  # WeasyPrint: only when needed

        write_pdfs([folder / page for page in wanted])
        files += [page.replace(".html", ".pdf") for page in wanted]
    return files


NATIONAL_COLUMNS = [
    "metric_code", "metric_name", "domain", "unit", "polarity", "service_line",
    "service_line_name", "breakdown", "national_value", "peer_n", "peer_mean", "peer_min",
    "peer_lower_quartile", "peer_median", "peer_upper_quartile", "peer_max",
]  # fmt: skip


def _write_national(folder: Path, shown: pd.DataFrame, common: dict) -> list[str]:
    """The programme's statistics per metric and line for the quarter (no provider named)."""
    programme = shown[shown["peer_group"] == "all"]
    national = programme.drop_duplicates(["metric_code", "service_line"])[NATIONAL_COLUMNS]
    national = national.sort_values(["metric_code", "service_line"])
    _write_extract(national, folder / "national_summary")
    whole = national[national["service_line"] == WHOLE]
    domains = [
        Table(d.replace("_", " ").capitalize(), whole[whole["domain"] == d].to_dict("records"), d)
        for d in _domains(whole)
    ]
    (folder / "national_summary.html").write_text(
        TEMPLATES.get_template("operational_summary.html.j2").render(**common, domains=domains)
    )
    return ["national_summary.csv", "national_summary.parquet", "national_summary.html"]
