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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from analysis.disclosure import disclose
from assets.cores import on_every_core
from assets.extracts import PEER_STATISTICS, extract_rows, parquet_rows
from assets.operational_reports import (
    OPERATIONAL,
    OperationalWindow,
    operational_inputs,
    read_operational_window,
    write_operational_outputs,
)
from assets.pseudonymisation import anonymised_codes
from assets.reports import (
    SERIES_KEYS,
    SPC_MONTHS,
    TEMPLATES,
    TREND_MONTHS,
    PackJob,
    distribution_sections,
    months_before,
    national_sections,
    peer_series,
    quality_flags,
    report_sections,
    series_index,
    with_intervals,
    with_signals,
)
from assets.sample_trend import (
    SAMPLE_TREND_COLLECTIONS,
    TrendPlan,
    first_month,
    read_sample,
    trend_plan,
    write_sample_trend,
)
from contracts.metric_catalogue import CATALOGUE_PATH
from orchestration.calendar import Window, closed_windows, collection_rules, window
from orchestration.collections import COLLECTIONS, Collection
from orchestration.jobs import FRESHNESS_CHECK
from orchestration.registry import recognise
from orchestration.resources import HomeResource, PseudonymKeyResource, WarehouseResource
from orchestration.settings import Settings

LOCK_FILE = ".lock"
# a backfill of this many windows or more is published on every core (each process starts in
# about 3 s; a window of history takes 2-10 s)
WINDOWS_ON_EVERY_CORE = 4
REPORT_PEER_GROUP = "organisation_type"  # a report compares like with like: its own type
# beside it, the organisation's nearest-neighbour group (fct_benchmark), shown from 3 members
# with a value: the median of two would give away the other one's value
NEIGHBOURS_MIN_N = 3


# what each published figure is made of, for disclosure control of submitted data
COUNTS = ["numerator", "denominator"]
PREVIOUS_COUNTS = ["previous_numerator", "previous_denominator"]
DERIVED = {
    "value": COUNTS,
    "interval_lower": COUNTS,
    "interval_upper": COUNTS,
    "against_national": COUNTS,
    "funnel_position": COUNTS,
    "spc_signal": COUNTS,
    "difference_from_median": COUNTS,
    "previous_value": PREVIOUS_COUNTS,
    "change_from_previous": COUNTS + PREVIOUS_COUNTS,
}
NATIONAL_COLUMNS = [
    "metric_code",
    "metric_name",
    "unit",
    "polarity",
    "service_line",
    "service_line_name",
    "period",
    "national_value",
    "peer_group_value",
    *PEER_STATISTICS,
]
GROUP_KEYS = ["metric_code", "service_line", "period", "peer_group_value"]  # one peer group
BENCHMARK_QUERY = """
    select
        b.metric_code, m.metric_name, m.domain, m.unit, m.polarity, m.multiplier, m.interval,
        b.service_line, coalesce(s.service_line_name, b.service_line) as service_line_name,
        strftime(b.period_start, '%Y-%m') as period, b.organisation_code, o.organisation_name,
        b.peer_group_value,
        b.numerator, b.denominator, b.value, b.national_value, {statistics}, b.peer_rank,
        b.peer_percentile, b.quartile_band,
        n.peer_n as neighbours_n, n.peer_median as neighbours_median,
        n.peer_rank as neighbours_rank, n.quartile_band as neighbours_quartile_band,
        b.difference_from_median, b.previous_value, b.change_from_previous,
        p.numerator as previous_numerator, p.denominator as previous_denominator,
        m.numerator_definition, m.denominator_definition, m.guidance, m.plausible_min,
        m.plausible_max,
        c.submitted_late, c.quality_flag
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    left join marts.dim_organisation as o using (organisation_code)
    left join marts.dim_service_line as s using (service_line)
    left join marts.fct_benchmark as n
        on n.peer_group = 'nearest_neighbours' and n.metric_code = b.metric_code
        and n.service_line = b.service_line and n.organisation_code = b.organisation_code
        and n.period_start = b.period_start and n.peer_n >= {neighbours_min_n}
    left join marts.fct_metric_value as c
        on c.metric_code = b.metric_code and c.service_line = b.service_line
        and c.organisation_code = b.organisation_code and c.team_code is null
        and c.period_start = b.period_start
    left join marts.fct_metric_value as p
        on p.metric_code = b.metric_code and p.service_line = b.service_line
        and p.organisation_code = b.organisation_code and p.team_code is null
        and p.period_start = b.period_start - interval 1 month
    where b.collection = ? and b.peer_group = '{peer_group}'
      and b.period_start >= cast(? as date) and b.period_start < cast(? as date)
    order by m.domain, b.metric_code, b.service_line, b.period_start, b.organisation_code
"""
HISTORY_QUERY = """
    select
        b.metric_code, b.service_line, b.organisation_code, b.peer_group_value, m.polarity,
        strftime(b.period_start, '%Y-%m') as period, b.numerator, b.denominator, b.value,
        b.peer_median, b.peer_lower_quartile, b.peer_upper_quartile, b.national_value
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    where b.collection = ? and b.peer_group = '{peer_group}'
      and b.period_start >= cast(? as date) and b.period_start < cast(? as date)
"""
# a window's inputs: its months' files and the month before's, whose values its reports show as
# the previous value and the change from it (a revised May republishes June too)
INPUTS_QUERY = """
    select distinct source_file, source_sha256 from marts.fct_metric_value
    where collection = ?
      and period_start >= cast(? as date) - interval 1 month and period_start < cast(? as date)
    order by source_file
"""


def window_folder(published: Path, window_: Window) -> Path:
    return published / window_.collection / window_.period_label


def published_versions(published: Path, window_: Window) -> list[Path]:
    folder = window_folder(published, window_)
    versions = [p for p in folder.glob("v*") if p.is_dir() and p.name[1:].isdigit()]
    return sorted(versions, key=lambda p: int(p.name[1:]))


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
    if window_.collection == OPERATIONAL:
        _, start, end = _bounds(window_)
        return operational_inputs(warehouse, start, end)
    return warehouse.execute(INPUTS_QUERY, _bounds(window_)).df()


@dataclass(frozen=True)
class WindowData:
    """What a window's publication is made from, read from the mart (read-only)."""

    benchmarks: pd.DataFrame  # the window's rows: one per organisation, metric, line and month
    history: pd.DataFrame  # the same peer group's months, for trends and SPC (see `plan`)
    inputs: pd.DataFrame  # the input files behind the window, with their SHA-256
    months: list[str]  # the window's months, YYYY-MM
    plan: TrendPlan  # what the reports draw over time
    sample: pd.DataFrame  # the whole sample's statistics over the plan's months (or none)


def read_window(
    warehouse: duckdb.DuckDBPyConnection, window_: Window
) -> WindowData | OperationalWindow:
    collection, start, end = _bounds(window_)
    if collection == OPERATIONAL:  # its own reports: benchmarking and insight, by quarter
        return read_operational_window(warehouse, window_, start, end)
    statistics = ", ".join(f"b.{column}" for column in PEER_STATISTICS)
    query = BENCHMARK_QUERY.format(
        statistics=statistics, peer_group=REPORT_PEER_GROUP, neighbours_min_n=NEIGHBOURS_MIN_N
    )
    first, last = pd.Period(start, freq="M"), pd.Period(end, freq="M") - 1
    months = [str(month) for month in pd.period_range(first, last, freq="M")]
    cadence = collection_rules()[collection].cadence
    plan = trend_plan(
        collection, first_month(warehouse, collection, end), months, TREND_MONTHS[cadence]
    )
    shown = sorted({*plan.months, *plan.mean_months})
    history_start = min(pd.Period(last, freq="M") - (SPC_MONTHS - 1), pd.Period(shown[0], freq="M"))
    history = warehouse.execute(
        HISTORY_QUERY.format(peer_group=REPORT_PEER_GROUP),
        [collection, history_start.start_time.date(), end],
    ).df()
    sample_months = shown if plan.sample_band or plan.mean_months else []
    return WindowData(
        benchmarks=warehouse.execute(query, [collection, start, end]).df(),
        history=history,
        inputs=window_inputs(warehouse, window_),
        months=months,
        plan=plan,
        sample=read_sample(warehouse, collection, sample_months),
    )


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


def mart_holds(warehouse: duckdb.DuckDBPyConnection, window_: Window) -> bool:
    """Whether the mart has benchmarks for the window: what a publication is made of (an
    operational quarter: its quarter's, built only once every month of it was sent)."""
    collection, start, end = _bounds(window_)
    if collection == OPERATIONAL:
        query = (
            "select count(*) from marts.fct_benchmark where collection = ? "
            "and grain = 'quarter' and period_start = ?"
        )
        found = warehouse.execute(query, [collection, start]).fetchall()
    else:
        query = (
            "select count(*) from marts.fct_benchmark where collection = ? "
            "and period_start >= ? and period_start < ?"
        )
        found = warehouse.execute(query, [collection, start, end]).fetchall()
    return bool(found[0][0])


def _input_digest(inputs: pd.DataFrame, catalogue_sha256: str) -> str:
    text = json.dumps([inputs.to_dict("records"), catalogue_sha256], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def publish_window(
    warehouse: duckdb.DuckDBPyConnection,
    published: Path,
    window_: Window,
    key: bytes,
) -> Path | None:
    """Publish one window; return its version folder, or None when the mart has nothing for it.

    Unchanged inputs leave the latest version as it is; changed ones make the next version,
    whose manifest names the version it replaces and why. Packs are added after, by
    `add_packs`, so the pages and extracts are visible first."""
    data = read_window(warehouse, window_)
    benchmarks, inputs = data.benchmarks, data.inputs
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
            version_ = int(target.name[1:])
            files = _write_outputs(staging, data, window_, key, publication, version_, packs=False)
            manifest = {
                "collection": window_.collection,
                "period": window_.period_label,
                "version": version_,
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


@dataclass(frozen=True)
class _WindowJob:
    """One window of a backfill, as a process of its own publishes it."""

    home: str
    published: Path
    window: Window
    key: bytes


def _publish_job(job: _WindowJob) -> Path | None:
    with WarehouseResource(home=job.home).get_connection() as connection:
        return publish_window(connection, job.published, job.window, job.key)


def publish_windows(
    warehouse: WarehouseResource, published: Path, windows: list[Window], key: bytes
) -> list[Path | None]:
    """`publish_window` for each window, in order. A backfill's windows (history: a few seconds
    each, all of it Python) are published on every core, each process with its own read-only
    connection to the mart; a few windows, the schedule's one, in this process."""
    if len(windows) < WINDOWS_ON_EVERY_CORE:
        with warehouse.get_connection() as connection:
            return [publish_window(connection, published, w, key) for w in windows]
    home = str(warehouse.settings.home)
    return on_every_core(_publish_job, [_WindowJob(home, published, w, key) for w in windows])


def add_packs(
    warehouse: duckdb.DuckDBPyConnection,
    published: Path,
    window_: Window,
    key: bytes,
    organisations: frozenset[str] | None = None,
) -> Path:
    """Packs for the latest version of a window published without them (history; see
    `packs_due`), for every organisation or those named: the version's pages are rendered again
    from the same inputs, with the same peer codes, and only the pack files are added beside
    them, listed in its manifest. Refused when the window is unpublished, or stale (its inputs
    changed: publish v<N+1> first), or when a named organisation has no report in it."""
    data = read_window(warehouse, window_)
    folder = window_folder(published, window_)
    name = f"{window_.collection} {window_.period_label}"
    with window_lock(folder):
        _clear_staging(folder)
        versions = published_versions(published, window_)
        if not versions:
            raise ValueError(f"{name} is not published: run `peerbench publish` first")
        latest = versions[-1]
        manifest = json.loads((latest / "manifest.json").read_text())
        if manifest["input_digest"] != _input_digest(data.inputs, catalogue_sha256()):
            raise ValueError(
                f"{name} {latest.name} is stale (its inputs changed since it was published): "
                f"run `peerbench publish` for v{len(versions) + 1} first"
            )
        reports = {f[len("organisations/") : -len(".html")] for f in manifest["files"]
                   if f.startswith("organisations/") and f.endswith(".html")}  # fmt: skip
        if organisations and not organisations <= reports:
            missing = ", ".join(sorted(organisations - reports))
            raise ValueError(f"{name} {latest.name} has no report for {missing}")
        wanted = organisations or frozenset(reports)
        if all(f"organisations/{code}.pdf" in manifest["files"] for code in wanted):
            return latest
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{latest.name}-packs-"))
        try:
            publication = f"{window_.collection}/{window_.period_label}/{latest.name}"
            files = _write_outputs(
                staging, data, window_, key, publication, manifest["version"], packs=wanted
            )
            added = sorted(set(files) - set(manifest["files"]))
            for file in added:
                (latest / file).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / file, latest / file)
            manifest["files"] = sorted({*manifest["files"], *added})
            manifest["packs_added_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
            os.replace(staging / "manifest.json", latest / "manifest.json")
            _make_readable(latest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return latest


def _write_outputs(
    folder: Path,
    data: WindowData | OperationalWindow,
    window_: Window,
    key: bytes,
    publication: str,
    version_: int,
    packs: bool | frozenset[str],
) -> list[str]:
    """Every file of a version: statistics on the unrounded counts first, then disclosure
    control (submitted data), then the pages, extracts and board packs (every organisation's
    with `packs` True, or those it names)."""
    collection = COLLECTIONS[window_.collection]
    if isinstance(data, OperationalWindow):
        common = {
            "collection": collection.name,
            "window": window_,
            "version": version_,
            "code_version": version("peerbench"),
            "input_count": len(data.inputs),
            "disclosure": True,
        }
        return write_operational_outputs(folder, data, window_, key, publication, common, packs)
    last = data.months[-1]
    history = with_signals(data.history, months_before(last, SPC_MONTHS))
    rows = with_intervals(data.benchmarks).merge(
        history[[*SERIES_KEYS, "period", "spc_signal"]], on=[*SERIES_KEYS, "period"], how="left"
    )
    rows["spc_signal"] = rows["spc_signal"].fillna("")
    disclosure = bool(collection.source.submitters)
    rows["flags"] = quality_flags(rows, submitted=disclosure)
    if disclosure:  # submitted data: disclosure control on every figure shown
        rows = disclose(rows, COUNTS, DERIVED)
        history = disclose(history, COUNTS, {"value": COUNTS})
    rows = rows.drop(columns=PREVIOUS_COUNTS)
    rows["peer_code"] = anonymised_codes(rows["organisation_code"], key, publication)
    common = {
        "collection": collection.name,
        "window": window_,
        "version": version_,
        "code_version": version("peerbench"),
        "input_count": len(data.inputs),
        "disclosure": disclosure,
    }
    files = _write_national(folder, rows, last, common)
    (folder / "distributions").mkdir()
    for group, members in rows.groupby("peer_group_value", sort=True):
        name = f"distributions/{group}.html"
        (folder / name).write_text(
            TEMPLATES.get_template("distribution.html.j2").render(
                **common,
                peer_group=_peer_group_name(group),
                sections=distribution_sections(members),
            )
        )
        files.append(name)
    (folder / "organisations").mkdir()
    plan = data.plan
    if collection.code in SAMPLE_TREND_COLLECTIONS:
        files += write_sample_trend(folder, data.sample)
    shown = history[history["period"].isin({*plan.months, *plan.mean_months})]
    series = series_index(shown)
    peers = peer_series(shown[shown["period"].isin(plan.months)])
    sample = peer_series(data.sample)
    extract = extract_rows(rows)  # rounded and neutralised once for the window
    typed = parquet_rows(rows)
    records: dict[str, list[dict]] = {}
    for row in rows.to_dict("records"):
        records.setdefault(row["organisation_code"], []).append(row)
    template = TEMPLATES.get_template("organisation_report.html.j2")
    pack_jobs: list[PackJob] = []
    for code, own in extract.groupby("organisation_code", sort=True):
        first = records[code][0]
        group = str(first["peer_group_value"])
        peer_group = _peer_group_name(group)
        sections = report_sections(records[code], series, peers, sample, plan, peer_group)
        name = f"organisations/{code}"
        organisation = first["organisation_name"] or code
        title = f"{organisation}: {collection.name} {window_.period_label}"
        html = template.render(
            **common,
            organisation_code=code,
            organisation_name=organisation,
            peer_group=peer_group,
            peer_n_text=_peer_n_text(own),
            distribution=f"../distributions/{group}.html",
            sections=sections,
            trend_from=plan.months[0],
            sample_trend=plan.sample_band,
            national_mean=bool(plan.mean_months),
        )
        (folder / f"{name}.html").write_text(html)
        own.to_csv(folder / f"{name}.csv", index=False)
        typed.loc[own.index].to_parquet(folder / f"{name}.parquet", index=False)
        files += [f"{name}.{suffix}" for suffix in ("html", "csv", "parquet")]
        if packs is True or (packs and code in packs):
            pack_jobs.append(PackJob(folder, name, own, sections, title))
    if pack_jobs:
        from assets.packs import write_packs  # WeasyPrint and python-pptx: only when needed

        files += write_packs(pack_jobs)
    return files


def _write_national(folder: Path, rows: pd.DataFrame, last: str, common: dict) -> list[str]:
    """The national extract (CSV and Parquet: per metric, line, month and peer group, the
    national figure and the peers' statistics) and the national summary report."""
    national = rows.drop_duplicates(GROUP_KEYS)[NATIONAL_COLUMNS]
    national.to_csv(folder / "national_summary.csv", index=False)
    national.to_parquet(folder / "national_summary.parquet", index=False)
    (folder / "national_summary.html").write_text(
        TEMPLATES.get_template("national_summary.html.j2").render(
            **common,
            latest_period=last,
            peer_group="organisation's own type",
            sections=national_sections(rows, last),
        )
    )
    return ["national_summary.csv", "national_summary.parquet", "national_summary.html"]


def _peer_group_name(value: str) -> str:
    return value.replace("_", " ") + "s"


def _peer_n_text(own: pd.DataFrame) -> str:
    """How many peers a report compares with: one number, or the range across its metrics."""
    low, high = int(own["peer_n"].min()), int(own["peer_n"].max())
    return str(low) if low == high else f"{low} to {high}"


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
        settings, key = home.settings, pseudonym_key.value()
        windows = [window(collection.code, k) for k in context.partition_keys]
        folders = publish_windows(warehouse, settings.published, windows, key)
        published, packed = {}, []
        for window_, folder in zip(windows, folders, strict=True):
            if folder is None:
                context.log.warning(
                    f"nothing in the mart for {collection.code} {window_.partition_key}"
                )
                continue
            published[window_.partition_key] = str(folder.relative_to(settings.home))
            context.log.debug(f"published {folder}")
            if packs_due(window_, date.today(), settings):
                packed.append(window_)
        # the pages and extracts of every window are visible first; packs (minutes at national
        # scale) are added to the same versions after, on every core
        with warehouse.get_connection() if packed else nullcontext() as connection:
            for window_ in packed:
                folder = add_packs(connection, settings.published, window_, key)
                context.log.info(f"packs added to {folder}")
        context.log.info(f"published {len(published)} {collection.code} window(s)")
        return dg.MaterializeResult(
            metadata={"windows": len(published), "folders": dg.MetadataValue.json(published)}
        )

    return _asset


def packs_due(window_: Window, today: date, settings: Settings) -> bool:
    """Packs (PDF, deck, workbook, chart images: about a second per organisation) are made for
    the latest closed window of each collection and any closed within `settings.pack_days`:
    what boards and analysts open now. Every window gets its HTML, CSV and Parquet."""
    if window_.closes_on >= today - timedelta(days=settings.pack_days):
        return True
    collection = COLLECTIONS[window_.collection]
    keys = collection.partitions_def.get_partition_keys(
        current_time=datetime.combine(today, datetime.min.time())
    )
    closed = closed_windows(collection.code, keys, today)
    return bool(closed) and closed[-1].partition_key == window_.partition_key


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
