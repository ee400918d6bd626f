"""What a publication says about each organisation: the statistics beside each value, the plain
reading, the trend, and the HTML pages (organisation report, distribution, national summary).

Statistics are computed on the mart's unrounded counts (`with_statistics`); disclosure control
is applied afterwards, by the publication, to every figure shown. The renderers take the
disclosed rows and only lay them out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from analysis.disclosure import MASK
from analysis.statistics import (
    Interval,
    against_national,
    byar_interval,
    funnel_limits,
    funnel_position,
    poisson_funnel_limits,
    read_by_polarity,
    spc_signals,
    wilson_interval,
)
from assets.charts import funnel_chart, strip_chart, trend_chart
from assets.sample_trend import SAMPLE_PEER_GROUP, TrendPlan
from contracts.metric_catalogue import metric_catalogue

SERIES_KEYS = ["metric_code", "service_line", "organisation_code"]  # one organisation's series
SPC_MONTHS = 24  # the longest series an SPC chart is drawn from
# months a trend chart shows, by the cadence (a sample-trend collection's runs from its start)
TREND_MONTHS = {"month": 12, "quarter": 6}
SPC_WORDS = {
    "better": "improving",
    "worse": "concerning",
    "higher": "higher (special cause)",
    "lower": "lower (special cause)",
    "common": "common cause",
    "": "too few months",
}
# the figure in the mart's quality_flag "far from its own history (median 10.00)"
HISTORY_FIGURE = re.compile(r" \(median [^)]*\)")
UNIT_SUFFIX = {
    "percent": "%",
    "rate_per_1000": " per 1,000",
    "rate_per_10000": " per 10,000",
    "rate_per_100000": " per 100,000",
    "days": " days",
    "hours": " hours",
    "minutes": " minutes",
}


def figure(value: object, unit: str = "") -> str:
    """A number as a report shows it: two decimals, or a whole number with thousands separators
    for a count (a waiting list); `*` (suppressed) as it is; none as a dash."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "&ndash;"
    if unit == "count":
        return f"{float(value):,.0f}"  # type: ignore[arg-type]
    return f"{float(value):.2f}"  # type: ignore[arg-type]


def figure_with_unit(value: object, unit: str) -> str:
    """A figure in words' company: 82.40%, 3.10 per 1,000, 12.00 days."""
    shown = figure(value, unit)
    if shown in (MASK, "&ndash;"):
        return {"*": "suppressed (a small count)", "&ndash;": "not available"}[shown]
    return shown + UNIT_SUFFIX.get(unit, "")


def quartile_in_words(band: int, polarity: str) -> str:
    """Where a value lies among its peers, read by the metric's polarity."""
    place = {1: "lowest quarter", 2: "middle half", 3: "middle half", 4: "highest quarter"}[band]
    best = {"higher_is_better": 4, "lower_is_better": 1}.get(polarity)
    if best is None or band in (2, 3):
        return place
    return f"{place}: among the {'best' if band == best else 'worst'}"


def css_string(text: object) -> str:
    """Text (a rendered block, so HTML-escaped) as a quoted CSS string, for a page's running
    footer: entities decoded, and quotes, backslashes and `<` escaped the CSS way."""
    plain = markupsafe.Markup(str(text)).unescape()
    escaped = plain.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    return f'"{escaped}"'


def month_name(period: str) -> str:
    return date.fromisoformat(f"{period}-01").strftime("%B %Y")


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.filters["figure"] = lambda value, unit="": markupsafe.Markup(figure(value, unit))
TEMPLATES.filters["words"] = lambda value: str(value).replace("_", " ")
TEMPLATES.filters["month_name"] = month_name
TEMPLATES.filters["first_lower"] = lambda text: str(text)[:1].lower() + str(text)[1:]
TEMPLATES.filters["css_string"] = lambda text: markupsafe.Markup(css_string(text))
TEMPLATES.tests["missing"] = lambda value: value is None or bool(pd.isna(value))
TEMPLATES.globals["quartile_in_words"] = quartile_in_words
TEMPLATES.globals["SPC_WORDS"] = SPC_WORDS


def months_before(last: str, count: int) -> list[str]:
    """`count` months (YYYY-MM) ending with `last`."""
    end = pd.Period(last, freq="M")
    return [str(end - i) for i in range(count - 1, -1, -1)]


def with_intervals(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Each value's 95% confidence interval by its metric's method (Wilson for a proportion,
    Byar for a rate of events), whether it is significantly above or below the national figure,
    read by polarity (better, worse; higher, lower for a neutral metric; similar), and where it
    lies in the funnel of 95% and 99.8% limits around the national figure."""
    frame = benchmarks.copy()
    numerator, denominator = frame["numerator"], frame["denominator"]
    multiplier = frame["multiplier"]
    lower = pd.Series(np.nan, index=frame.index)
    upper = pd.Series(np.nan, index=frame.index)
    wilson = (frame["interval"] == "wilson") & (numerator <= denominator)
    found = wilson_interval(numerator[wilson], denominator[wilson])
    lower[wilson], upper[wilson] = (
        found.lower * multiplier[wilson],
        found.upper * multiplier[wilson],
    )
    byar = (frame["interval"] == "byar") & (denominator > 0)
    found = byar_interval(numerator[byar])
    scale = multiplier[byar] / denominator[byar]
    lower[byar], upper[byar] = found.lower * scale, found.upper * scale
    frame["interval_lower"], frame["interval_upper"] = lower, upper
    direction = against_national(
        Interval(lower.to_numpy(), upper.to_numpy()), frame["national_value"]
    )
    frame["against_national"] = _by_polarity(frame, direction)
    frame["funnel_position"] = ""
    for kind in ("wilson", "byar"):
        rows = (wilson if kind == "wilson" else byar).to_numpy()
        frame.loc[rows, "funnel_position"] = funnel_position(
            frame.loc[rows, "value"] / multiplier[rows],
            frame.loc[rows, "national_value"] / multiplier[rows],
            denominator[rows],
            kind,
        )
    return frame


def _by_polarity(frame: pd.DataFrame, direction: np.ndarray) -> pd.Series:
    read = pd.Series("", index=frame.index, dtype=object)
    for polarity, rows in frame.groupby("polarity").groups.items():
        positions = frame.index.get_indexer(rows)
        read[rows] = read_by_polarity(direction[positions], str(polarity))
    return read


def with_signals(history: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Each organisation's SPC reading for each month of `history` (its last `SPC_MONTHS`
    months up to the window's end), read by polarity: the XmR chart of the months it has a
    value for (a missing month is skipped, as Making Data Count advises for a gap)."""
    values = history.pivot(
        index=[*SERIES_KEYS, "polarity"], columns="period", values="value"
    ).reindex(columns=months)
    readings = np.full(values.shape, "", dtype=object)
    for i, row in enumerate(values.to_numpy(dtype=np.float64)):
        known = ~np.isnan(row)
        readings[i, known] = spc_signals(row[known])
    polarities = values.index.get_level_values("polarity")
    for polarity in polarities.unique():
        rows = np.flatnonzero(polarities == polarity)
        words = readings[rows]
        readings[rows] = read_by_polarity(words.ravel(), polarity).reshape(words.shape)
    signals = pd.DataFrame(readings, index=values.index, columns=months)
    long = signals.reset_index().melt(
        id_vars=[*SERIES_KEYS, "polarity"], var_name="period", value_name="spc_signal"
    )
    return history.merge(long.drop(columns="polarity"), on=[*SERIES_KEYS, "period"], how="left")


def peer_series(history: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, dict]]:
    """The peers' median, quartiles and the national figure (and their number and mean, where
    `history` has them) per metric, service line and peer group, month by month (whether or
    not a given organisation has a value that month)."""
    statistics = ["peer_median", "peer_lower_quartile", "peer_upper_quartile", "national_value"]
    columns = [*statistics, *(c for c in ("peer_n", "peer_mean") if c in history.columns)]
    peers = history.drop_duplicates(["metric_code", "service_line", "peer_group_value", "period"])
    index: dict[tuple[str, str, str], dict[str, dict]] = {}
    for row in peers[
        ["metric_code", "service_line", "peer_group_value", "period", *columns]
    ].to_dict("records"):
        key = (row["metric_code"], row["service_line"], row["peer_group_value"])
        index.setdefault(key, {})[row["period"]] = row
    return index


def quality_flags(rows: pd.DataFrame, submitted: bool) -> pd.Series:
    """Words for what a reader should know about a value before trusting it: a return submitted
    after the window closed (`submitted` data only: a publisher's release has no deadline); a
    value outside the catalogue's plausible range; and the mart's data-quality review flag
    (`quality_flag`: far from the organisation's own history, outside its peers' usual range).
    Submitted data's flag is shown without the history's median: that figure rests on months
    whose counts disclosure control judges one by one, and may be small."""
    late = rows["submitted_late"].fillna(False).astype(bool) & submitted
    value = pd.to_numeric(rows["value"], errors="coerce")
    implausible = (value < rows["plausible_min"]) | (value > rows["plausible_max"])
    flags = []
    for is_late, is_implausible, low, high, review in zip(
        late,
        implausible,
        rows["plausible_min"],
        rows["plausible_max"],
        rows["quality_flag"],
        strict=True,
    ):
        words = ["submitted after the window closed"] if is_late else []
        if is_implausible:
            words.append(f"outside the plausible range {low:g} to {high:g}")
        if isinstance(review, str) and review:
            words.append(HISTORY_FIGURE.sub("", review) if submitted else review)
        flags.append("; ".join(words))
    return pd.Series(flags, index=rows.index, dtype=object)


def reading(row: dict, peer_group: str) -> str:
    """One plain-English paragraph on a metric's latest month."""
    unit, polarity = row["unit"], row["polarity"]
    value = figure_with_unit(row["value"], unit)
    sentences = [f"In {month_name(row['period'])} the value was {value}."]
    if row["value"] != MASK and not pd.isna(row["value"]):
        place = quartile_in_words(int(row["quartile_band"]), polarity)
        median = figure_with_unit(row["peer_median"], unit)
        sentences.append(
            f"Among {row['peer_n']} {peer_group} (median {median}) it lies in the {place}."
        )
        sentences += _among_neighbours(row)
    national = figure_with_unit(row["national_value"], unit)
    significance = row["against_national"]
    if significance in ("better", "worse", "higher", "lower"):
        sentences.append(f"It is significantly {significance} than the national {national}.")
    elif significance == "similar":
        sentences.append(f"It is not significantly different from the national {national}.")
    else:
        sentences.append(f"The national figure is {national}.")
    signal = row.get("spc_signal") or ""
    if signal in ("better", "worse", "higher", "lower"):
        sentences.append(
            f"Its latest month is special cause ({SPC_WORDS[signal]}, Making Data Count): a "
            "change, not noise."
        )
    elif signal == "common":
        sentences.append("Its monthly series shows only common-cause variation.")
    return " ".join(sentences)


def _among_neighbours(row: dict) -> list[str]:
    """The sentence on the organisation's nearest-neighbour group, where it has one."""
    n = row.get("neighbours_n")
    if n is None or pd.isna(n):
        return []
    median = figure_with_unit(row["neighbours_median"], row["unit"])
    place = quartile_in_words(int(row["neighbours_quartile_band"]), row["polarity"])
    return [
        f"Against its nearest neighbours, the members whose catchments are most alike ({int(n)} "
        f"with a value, itself included; median {median}), it lies in the {place}."
    ]


@dataclass(frozen=True)
class Section:
    """A metric (in one service line) in one organisation's report: the window's months, the
    reading of the latest, its two charts and, for some collections, the national mean beside
    the own value over the last months."""

    label: str
    group: str  # "" for the organisation-wide values, else the service line's name
    rows: list[dict]
    latest: dict
    reading: str
    strip: markupsafe.Markup
    trend: markupsafe.Markup
    anchor: str
    chart_name: str
    band: str  # whose median and middle half the trend draws: "peers'" or "sample's"
    national_means: list[dict]  # per month: period, value (own), national_mean, n, national


def _label(row: dict) -> str:
    line = "" if row["service_line"] == "all" else f": {row['service_line_name']}"
    return f"{row['metric_name']}{line}"


@cache
def _domain_rank() -> dict[str, int]:
    """Domains in the catalogue's order (access, patient safety, quality, ... finance), the
    order a reader meets them in."""
    domains = metric_catalogue()["domain"].drop_duplicates()
    return {domain: rank for rank, domain in enumerate(domains)}


def _order(row: dict) -> tuple[bool, str, int, str]:
    """Where a metric's section stands: the organisation-wide values first, by domain in the
    catalogue's order, then each service line's (a treatment function, an MHLDA service line)
    together."""
    whole = row["service_line"] == "all"
    domain = _domain_rank().get(row["domain"], len(_domain_rank()))
    return (not whole, "" if whole else row["service_line"], domain, row["metric_code"])


Series = dict[tuple[str, str, str], dict[str, dict]]  # (metric, line, organisation) -> month -> row


@dataclass(frozen=True)
class PackJob:
    """One organisation's pack: `name` is `organisations/<ORG>` under `folder`, whose `.html` is
    already written; `extract` its extract rows."""

    folder: Path
    name: str
    extract: pd.DataFrame
    sections: list[Section]
    title: str


SERIES_COLUMNS = ["metric_code", "service_line", "organisation_code", "period", "value",
                  "spc_signal"]  # fmt: skip


def series_index(trends: pd.DataFrame) -> Series:
    """Each organisation's monthly value and SPC reading, looked up by metric, service line and
    organisation (only the columns a trend draws: a sample trend spans years of every
    organisation's months)."""
    index: Series = {}
    for row in trends[SERIES_COLUMNS].to_dict("records"):
        key = (row["metric_code"], row["service_line"], row["organisation_code"])
        index.setdefault(key, {})[row["period"]] = row
    return index


def _signal(value: object) -> str:
    """An SPC reading as text: none (a month before the SPC chart's months) is ''."""
    return value if isinstance(value, str) else ""


def report_sections(
    own: list[dict],
    series: Series,
    peers: Series,
    sample: Series,
    plan: TrendPlan,
    peer_group: str,
) -> list[Section]:
    """One section per metric and service line, organisation-wide values first in domain order,
    then each service line's: the window's rows (one per month), the strip of its latest month's
    distribution, the trend over the plan's months against the peers' band or (`sample_band`)
    the whole sample's (`sample`, keyed by the `all` group), and the national mean beside the
    own value over the plan's `mean_months`."""
    grouped: dict[tuple[bool, str, str, str], list[dict]] = {}
    for row in own:
        grouped.setdefault(_order(row), []).append(row)
    sections = []
    for (_, service_line, _, metric), rows in sorted(grouped.items()):
        service_line = service_line or "all"
        records = sorted(rows, key=lambda row: row["period"])
        latest = records[-1]
        monthly = series.get((metric, service_line, latest["organisation_code"]), {})
        everyone = sample.get((metric, service_line, SAMPLE_PEER_GROUP), {})
        group = (
            everyone
            if plan.sample_band
            else peers.get((metric, service_line, latest["peer_group_value"]), {})
        )
        own_rows = [monthly.get(month, {}) for month in plan.months]
        peer_rows = [group.get(month, {}) for month in plan.months]

        def column(name: str, rows: list[dict] = peer_rows) -> list[object]:
            return [row.get(name) for row in rows]

        label = _label(latest)
        band = "sample's" if plan.sample_band else "peers'"
        strip = strip_chart(
            latest["value"],
            latest["peer_min"],
            latest["peer_lower_quartile"],
            latest["peer_median"],
            latest["peer_upper_quartile"],
            latest["peer_max"],
            latest["national_value"],
            label=f"{label}: the value against the peers' range and the national figure",
        )
        trend = trend_chart(
            plan.months,
            column("value", own_rows),
            column("peer_median"),
            column("peer_lower_quartile"),
            column("peer_upper_quartile"),
            column("national_value"),
            [_signal(signal) for signal in column("spc_signal", own_rows)],
            shaded=plan.window_months,
            label=f"{label}: the value month by month against the {band} median and middle half",
            mean=[
                everyone.get(month, {}).get("peer_mean") if month in plan.mean_months else None
                for month in plan.months
            ]
            if plan.mean_months
            else None,
        )
        sections.append(
            Section(
                label=label,
                group="" if service_line == "all" else latest["service_line_name"],
                rows=records,
                latest=latest,
                reading=reading(latest, peer_group),
                strip=markupsafe.Markup(strip),
                trend=markupsafe.Markup(trend),
                anchor=f"{metric}-{service_line}-{latest['period']}",
                chart_name=metric if service_line == "all" else f"{metric}-{service_line}",
                band=band,
                national_means=[
                    {
                        "period": month,
                        "value": monthly.get(month, {}).get("value"),
                        "national_mean": everyone.get(month, {}).get("peer_mean"),
                        "n": everyone.get(month, {}).get("peer_n"),
                        "national": everyone.get(month, {}).get("national_value"),
                    }
                    for month in plan.mean_months
                ],
            )
        )
    return sections


def summary_rows(sections: list[Section]) -> pd.DataFrame:
    """The report's summary table as data: one row per metric and service line (latest month)."""
    return pd.DataFrame(
        [
            {
                "metric": section.label,
                "month": r["period"],
                "value": r["value"],
                "unit": str(r["unit"]).replace("_", " "),
                "peer_median": r["peer_median"],
                "national": r["national_value"],
                "among_peers": among_peers(r),
                "against_national": r["against_national"],
                "trend": SPC_WORDS.get(r["spc_signal"], r["spc_signal"]),
                "flags": r["flags"],
            }
            for section in sections
            for r in [section.latest]
        ]
    )


def among_peers(row: dict) -> str:
    if isinstance(row["value"], str) or pd.isna(row["value"]):
        return ""
    return quartile_in_words(int(row["quartile_band"]), row["polarity"])


def _numeric(values: pd.Series) -> pd.Series:
    """Figures as numbers, suppressed ones (`*`) as missing."""
    return pd.to_numeric(values.where(values != MASK), errors="coerce")


def distribution_sections(members: pd.DataFrame) -> list[dict]:
    """Per metric, service line and month, every peer's value under its code, lowest first:
    drawn once per window and peer group, for every organisation's report to link to."""
    sections = []
    for _, peers in members.groupby(["metric_code", "service_line", "period"], sort=True):
        peers = peers.sort_values("value", key=_numeric, na_position="first")
        shown = _numeric(peers["value"])
        top = float(shown.abs().max()) if shown.notna().any() else 0.0
        first = peers.iloc[0]
        bars = [
            {
                "label": code,
                "value": value,
                "width": 0.0 if value == MASK or not top else max(0.0, float(value) / top * 100),
            }
            for code, value in zip(peers["peer_code"], peers["value"], strict=True)
        ]
        anchor = f"{first['metric_code']}-{first['service_line']}-{first['period']}"
        sections.append({"row": first.to_dict(), "bars": bars, "anchor": anchor})
    return sections


def _funnel(
    kind: str, national: float, multiplier: float
) -> Callable[[Sequence[float], float], tuple[list[float], list[float]]]:
    """The funnel's limits around the national figure, in the metric's units."""
    limits_of = funnel_limits if kind == "wilson" else poisson_funnel_limits

    def limits(denominators: Sequence[float], z: float) -> tuple[list[float], list[float]]:
        found = limits_of(national / multiplier, denominators, z)
        return list(found.lower * multiplier), list(found.upper * multiplier)

    return limits


def national_sections(rows: pd.DataFrame, latest_period: str) -> list[dict]:
    """Per metric and service line, the latest month: the national figure, every peer group's
    statistics and a funnel plot of every organisation (from the disclosed rows, so a
    suppressed value is not drawn and denominators are the published, rounded ones)."""
    sections = []
    latest = rows[rows["period"] == latest_period]
    by_metric = [group for _, group in latest.groupby(["metric_code", "service_line"])]
    for group in sorted(by_metric, key=lambda group: _order(group.iloc[0].to_dict())):
        first = group.iloc[0].to_dict()
        metric, service_line = first["metric_code"], first["service_line"]
        groups = group.drop_duplicates("peer_group_value").sort_values("peer_group_value")
        chart = ""
        kind, multiplier = first["interval"], float(first["multiplier"])
        national = first["national_value"]
        if kind in ("wilson", "byar") and not pd.isna(national):
            chart = funnel_chart(
                _numeric(group["denominator"]).fillna(0).tolist(),
                _numeric(group["value"]).tolist(),
                _funnel(kind, float(national), multiplier),
                float(national),
                label=f"{_label(first)}: every organisation by its denominator, with funnel limits",
            )
        sections.append(
            {
                "row": first,
                "label": _label(first),
                "group": "" if service_line == "all" else first["service_line_name"],
                "groups": groups.to_dict("records"),
                "funnel": markupsafe.Markup(chart),
                "anchor": f"{metric}-{service_line}",
            }
        )
    return sections
