"""Publications: once a window closes, each organisation's benchmark as a report and an extract.

`published/<collection>/<period>/v<N>/` holds `manifest.json`, `national_summary.csv` and, per
organisation, `organisations/<ORG>.csv` and `organisations/<ORG>.html`. A report names its own
organisation; peers appear only under anonymised codes (a keyed hash, so they cannot be reversed
by hashing the few hundred ODS codes) that change with every publication. A version is written to
a hidden folder and renamed into place, so an interrupted publication leaves nothing visible (the
next publication of the window clears what it left); publishing unchanged inputs again is a
no-op, and changed inputs (a late return, a revision) make the next version, whose manifest says
what changed and which version it replaces. One publisher per window at a time (a file lock).
"""

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import duckdb
import jinja2
import markupsafe
import numpy as np
import pandas as pd

from analysis.disclosure import MASK, disclose
from analysis.statistics import (
    Interval,
    against_national,
    byar_interval,
    read_by_polarity,
    wilson_interval,
)
from assets.charts import strip_chart
from assets.pseudonymisation import pseudonymise
from contracts.metric_catalogue import CATALOGUE_PATH
from orchestration.calendar import Window, closed_windows, window
from orchestration.collections import COLLECTIONS, Collection
from orchestration.jobs import FRESHNESS_CHECK
from orchestration.registry import recognise
from orchestration.resources import HomeResource, PseudonymKeyResource, WarehouseResource
from orchestration.settings import Settings

LOCK_FILE = ".lock"
REPORT_PEER_GROUP = "organisation_type"  # a report compares like with like: its own type


def figure(value: object) -> str:
    """A number as a report shows it: two decimals; `*` (suppressed) as it is; none as a dash."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "&ndash;"
    return f"{float(value):.2f}"  # type: ignore[arg-type]


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.filters["figure"] = lambda value: markupsafe.Markup(figure(value))
TEMPLATES.tests["missing"] = lambda value: value is None or bool(pd.isna(value))


def quartile_in_words(band: int, polarity: str) -> str:
    """Where a value lies among its peers, read by the metric's polarity."""
    place = {1: "lowest quarter", 2: "middle half", 3: "middle half", 4: "highest quarter"}[band]
    best = {"higher_is_better": 4, "lower_is_better": 1}.get(polarity)
    if best is None or band in (2, 3):
        return place
    return f"{place}: among the {'best' if band == best else 'worst'}"


TEMPLATES.globals["quartile_in_words"] = quartile_in_words
# what each published figure is made of, for disclosure control of submitted data
COUNTS = ["numerator", "denominator"]
PREVIOUS_COUNTS = ["previous_numerator", "previous_denominator"]
DERIVED = {
    "value": COUNTS,
    "interval_lower": COUNTS,
    "interval_upper": COUNTS,
    "against_national": COUNTS,
    "difference_from_median": COUNTS,
    "previous_value": PREVIOUS_COUNTS,
    "change_from_previous": COUNTS + PREVIOUS_COUNTS,
}
PEER_STATISTICS = ["peer_n", "peer_mean", "peer_min", "peer_lower_quartile", "peer_median",
                   "peer_upper_quartile", "peer_max"]  # fmt: skip
NATIONAL_COLUMNS = ["metric_code", "metric_name", "unit", "polarity", "service_line", "period",
                    "national_value", "peer_group_value", *PEER_STATISTICS]  # fmt: skip
GROUP_KEYS = ["metric_code", "service_line", "period", "peer_group_value"]  # one peer group
BENCHMARK_QUERY = """
    select
        b.metric_code, m.metric_name, m.domain, m.unit, m.polarity, m.multiplier, m.interval,
        b.service_line,
        strftime(b.period_start, '%Y-%m') as period, b.organisation_code, o.organisation_name,
        b.peer_group_value,
        b.numerator, b.denominator, b.value, b.national_value, {statistics}, b.peer_rank,
        b.peer_percentile, b.quartile_band,
        b.difference_from_median, b.previous_value, b.change_from_previous,
        p.numerator as previous_numerator, p.denominator as previous_denominator
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    left join marts.dim_organisation as o using (organisation_code)
    left join marts.fct_metric_value as p
        on p.metric_code = b.metric_code and p.service_line = b.service_line
        and p.organisation_code = b.organisation_code and p.team_code is null
        and p.period_start = b.period_start - interval 1 month
    where b.collection = ? and b.peer_group = '{peer_group}'
      and b.period_start >= cast(? as date) and b.period_start < cast(? as date)
    order by m.domain, b.metric_code, b.service_line, b.period_start, b.organisation_code
"""
INPUTS_QUERY = """
    select distinct source_file, source_sha256 from marts.fct_metric_value
    where collection = ? and period_start >= cast(? as date) and period_start < cast(? as date)
    order by source_file
"""


def window_folder(published: Path, window_: Window) -> Path:
    return published / window_.collection / window_.period_label


def published_versions(published: Path, window_: Window) -> list[Path]:
    folder = window_folder(published, window_)
    versions = [p for p in folder.glob("v*") if p.is_dir() and p.name[1:].isdigit()]
    return sorted(versions, key=lambda p: int(p.name[1:]))


def anonymised_codes(organisation_codes: pd.Series, key: bytes, publication: str) -> pd.Series:
    """Peers' anonymous codes for one publication (`collection/period/vN`): meaningless without
    the key, and different in every publication, so that a peer matched to a named trust in one
    window (from a public file) is not thereby unmasked in every other."""
    in_publication = f"{publication}\x1f" + organisation_codes.astype(str)
    return "P" + pseudonymise(in_publication, key, "peer").str[:6].str.upper()


def catalogue_sha256() -> str:
    return hashlib.sha256(CATALOGUE_PATH.read_bytes()).hexdigest()


def changes_since(manifest: dict, inputs: pd.DataFrame, catalogue: str) -> dict[str, list[str]]:
    """What changed in a window's inputs since a version was published: input files added,
    superseded (the same submitter, or release, now counts another file) and withdrawn, and
    whether the metric catalogue changed. Empty when nothing did."""
    before = {i["source_file"]: i["source_sha256"] for i in manifest["inputs"]}
    now = dict(zip(inputs["source_file"], inputs["source_sha256"], strict=True))
    gone = sorted(f for f in before if now.get(f) != before[f])
    added = sorted(f for f in now if before.get(f) != now[f])
    submitters_now = {_submitter(f) for f in added}
    changes = {
        "added": added,
        "superseded": [f for f in gone if _submitter(f) in submitters_now],
        "withdrawn": [f for f in gone if _submitter(f) not in submitters_now],
    }
    if manifest.get("catalogue_sha256") != catalogue:
        changes["catalogue"] = ["the metric catalogue changed"]
    return {kind: files for kind, files in changes.items() if files}


def _submitter(source_file: str) -> str:
    """Who a counted file speaks for: its submitter, or for a publisher's file its period."""
    found = recognise(source_file)
    if found is None:
        return source_file
    return found.submitter or f"{found.source.name}/{found.period}"


@contextmanager
def window_lock(folder: Path) -> Iterator[None]:
    """One publisher of a window at a time: a second waits for the first, then finds its work
    done (or a changed mart to publish)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clear_staging(folder: Path) -> None:
    """Staging folders a killed publication left behind (only ever removed under the lock)."""
    for leftover in folder.glob(".v*-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _make_readable(folder: Path) -> None:
    """Publications are for others to read: folders 755 and files 644 (mkdtemp makes 700)."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _bounds(window_: Window) -> list:
    partitions_def = COLLECTIONS[window_.collection].partitions_def
    time_window = partitions_def.time_window_for_partition_key(window_.partition_key)
    return [window_.collection, time_window.start.date(), time_window.end.date()]


def window_inputs(warehouse: duckdb.DuckDBPyConnection, window_: Window) -> pd.DataFrame:
    """The input files the mart holds for a window: what its publication records."""
    return warehouse.execute(INPUTS_QUERY, _bounds(window_)).df()


def read_window(
    warehouse: duckdb.DuckDBPyConnection, window_: Window
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The window's benchmark rows and the input files behind them, from the mart (read-only)."""
    statistics = ", ".join(f"b.{column}" for column in PEER_STATISTICS)
    query = BENCHMARK_QUERY.format(statistics=statistics, peer_group=REPORT_PEER_GROUP)
    return warehouse.execute(query, _bounds(window_)).df(), window_inputs(warehouse, window_)


def republication_due(
    warehouse: duckdb.DuckDBPyConnection, published: Path, window_: Window
) -> tuple[str, dict[str, list[str]]] | None:
    """For a published window whose inputs changed since its latest version: the next version's
    name and what changed. None when it is unpublished or up to date."""
    versions = published_versions(published, window_)
    manifest_path = versions[-1] / "manifest.json" if versions else None
    if manifest_path is None or not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text())
    inputs = window_inputs(warehouse, window_)
    catalogue = catalogue_sha256()
    if inputs.empty or manifest["input_digest"] == _input_digest(inputs, catalogue):
        return None
    return f"v{len(versions) + 1}", changes_since(manifest, inputs, catalogue)


def _input_digest(inputs: pd.DataFrame, catalogue_sha256: str) -> str:
    text = json.dumps([inputs.to_dict("records"), catalogue_sha256], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def publish_window(
    warehouse: duckdb.DuckDBPyConnection, published: Path, window_: Window, key: bytes
) -> Path | None:
    """Publish one window; return its version folder, or None when the mart has nothing for it.

    Unchanged inputs leave the latest version as it is; changed ones make the next version,
    whose manifest names the version it replaces and why."""
    benchmarks, inputs = read_window(warehouse, window_)
    if benchmarks.empty:
        return None
    catalogue = catalogue_sha256()
    digest = _input_digest(inputs, catalogue)
    folder = window_folder(published, window_)
    with window_lock(folder):
        _clear_staging(folder)
        versions = published_versions(published, window_)
        reason: dict[str, list[str]] = {}
        if versions:
            latest = json.loads((versions[-1] / "manifest.json").read_text())
            if latest["input_digest"] == digest:
                return versions[-1]
            reason = changes_since(latest, inputs, catalogue) or {
                "inputs": ["the recorded digest of the inputs differs"]
            }
        target = folder / f"v{len(versions) + 1}"
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{target.name}-"))
        try:
            publication = f"{window_.collection}/{window_.period_label}/{target.name}"
            files = _write_outputs(staging, benchmarks, window_, key, publication)
            manifest = {
                "collection": window_.collection,
                "period": window_.period_label,
                "version": int(target.name[1:]),
                "replaces": versions[-1].name if versions else None,
                "reason": reason or {"first": ["the window's first publication"]},
                "window_closed_on": window_.closes_on.isoformat(),
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "code_version": version("peerbench"),
                "catalogue_sha256": catalogue,
                "input_digest": digest,
                "inputs": inputs.to_dict("records"),
                "organisations": int(benchmarks["organisation_code"].nunique()),
                "files": sorted(files),
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
            _make_readable(staging)
            os.rename(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def with_intervals(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Each value's 95% confidence interval by its metric's method (Wilson for a proportion,
    Byar for a rate of events), and whether it is significantly above or below the national
    figure, read by polarity (better, worse; higher, lower for a neutral metric; similar)."""
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
    frame["against_national"] = ""
    for polarity, rows in frame.groupby("polarity").groups.items():
        positions = frame.index.get_indexer(rows)
        frame.loc[rows, "against_national"] = read_by_polarity(direction[positions], str(polarity))
    return frame


def _write_outputs(
    folder: Path, benchmarks: pd.DataFrame, window_: Window, key: bytes, publication: str
) -> list[str]:
    benchmarks = with_intervals(benchmarks).drop(columns=["multiplier", "interval"])
    national = benchmarks.drop_duplicates(GROUP_KEYS)[NATIONAL_COLUMNS]
    national.to_csv(folder / "national_summary.csv", index=False)
    files = ["national_summary.csv"]
    (folder / "organisations").mkdir()
    if COLLECTIONS[window_.collection].source.submitters:  # submitted data: disclosure control
        benchmarks = disclose(benchmarks, COUNTS, DERIVED)
    benchmarks = benchmarks.drop(columns=PREVIOUS_COUNTS)
    codes = anonymised_codes(benchmarks["organisation_code"], key, publication)
    peers = benchmarks.assign(peer_code=codes)
    collection = COLLECTIONS[window_.collection].name
    (folder / "distributions").mkdir()
    for group, members in peers.groupby("peer_group_value", sort=True):
        name = f"distributions/{group}.html"
        (folder / name).write_text(
            TEMPLATES.get_template("distribution.html.j2").render(
                collection=collection,
                window=window_,
                peer_group=_peer_group_name(group),
                sections=_distribution_sections(members),
            )
        )
        files.append(name)
    template = TEMPLATES.get_template("organisation_report.html.j2")
    for code, own in benchmarks.groupby("organisation_code", sort=True):
        own.drop(columns=["organisation_name"]).to_csv(
            folder / "organisations" / f"{code}.csv", index=False
        )
        html = template.render(
            collection=collection,
            window=window_,
            organisation_code=code,
            organisation_name=own["organisation_name"].iloc[0] or code,
            peer_group=_peer_group_name(own["peer_group_value"].iloc[0]),
            distribution=f"../distributions/{own['peer_group_value'].iloc[0]}.html",
            sections=_report_sections(own),
        )
        (folder / "organisations" / f"{code}.html").write_text(html)
        files += [f"organisations/{code}.csv", f"organisations/{code}.html"]
    return files


def _peer_group_name(value: str) -> str:
    return value.replace("_", " ") + "s"


def _anchor(row: object) -> str:
    return f"{row.metric_code}-{row.service_line}-{row.period}"  # type: ignore[attr-defined]


def _numeric(values: pd.Series) -> pd.Series:
    """Figures as numbers, suppressed ones (`*`) as missing."""
    return pd.to_numeric(values.where(values != MASK), errors="coerce")


def _report_sections(own: pd.DataFrame) -> list[dict]:
    """One section per metric, service line and month: the figures and a strip chart of the
    peers' distribution with the organisation's own value and the national figure."""
    sections = []
    for row in own.itertuples(index=False):
        chart = strip_chart(
            row.value,
            row.peer_min,
            row.peer_lower_quartile,
            row.peer_median,
            row.peer_upper_quartile,
            row.peer_max,
            row.national_value,
            label=f"{row.metric_name}: your value against the peers' range and the national figure",
        )
        sections.append(
            {"row": row._asdict(), "chart": markupsafe.Markup(chart), "anchor": _anchor(row)}
        )
    return sections


def _distribution_sections(members: pd.DataFrame) -> list[dict]:
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
        sections.append({"row": first.to_dict(), "bars": bars, "anchor": _anchor(first)})
    return sections


def _build_publication_asset(collection: Collection) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{collection.code}_publication",
        specs=[
            dg.AssetSpec(
                f"{collection.code}_publication",
                group_name="publications",
                deps=["fct_benchmark", "fct_metric_value", "dim_metric", "dim_organisation"],
                kinds={"html", "csv"},
                description=(
                    f"{collection.name}: reports and extracts per window, once it has closed."
                ),
            )
        ],
        partitions_def=collection.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def _asset(
        context: dg.AssetExecutionContext,
        home: HomeResource,
        warehouse: WarehouseResource,
        pseudonym_key: PseudonymKeyResource,
    ) -> dg.MaterializeResult:
        settings = home.settings
        published = {}
        with warehouse.get_connection() as connection:
            for partition_key in context.partition_keys:
                folder = publish_window(
                    connection,
                    settings.published,
                    window(collection.code, partition_key),
                    pseudonym_key.value(),
                )
                if folder is None:
                    context.log.warning(
                        f"nothing in the mart for {collection.code} {partition_key}"
                    )
                else:
                    published[partition_key] = str(folder.relative_to(settings.home))
                    context.log.info(f"published {folder}")
        return dg.MaterializeResult(
            metadata={"windows": len(published), "folders": dg.MetadataValue.json(published)}
        )

    return _asset


def overdue_windows(collection: Collection, today: date, settings: Settings) -> list[Window]:
    """Windows closed for more than a day, with data in the lake, and still unpublished."""
    keys = collection.partitions_def.get_partition_keys(
        current_time=datetime.combine(today, datetime.min.time())
    )
    return [
        window_
        for window_ in closed_windows(collection.code, keys, today)
        if window_.publication_overdue(today)
        and collection.has_data(settings.lake, window_.partition_key)
        and not published_versions(settings.published, window_)
    ]


def _build_freshness_check(collection: Collection) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(f"{collection.code}_publication"),
        name=FRESHNESS_CHECK,  # the jobs' name for it
        description="Every window with data is published within a day of closing.",
    )
    def _check(home: HomeResource) -> dg.AssetCheckResult:
        overdue = overdue_windows(collection, date.today(), home.settings)
        return dg.AssetCheckResult(
            passed=not overdue,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "overdue_windows": dg.MetadataValue.json(
                    [{"period": w.period_label, "closed_on": str(w.closes_on)} for w in overdue]
                )
            },
        )

    return _check


publication_assets = [_build_publication_asset(c) for c in COLLECTIONS.values()]
freshness_checks = [_build_freshness_check(c) for c in COLLECTIONS.values()]

defs = dg.Definitions(assets=publication_assets, asset_checks=freshness_checks)
