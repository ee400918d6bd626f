"""Publications: once a window closes, each organisation's benchmark as a report and an extract.

`published/<collection>/<period>/v<N>/` holds `manifest.json`, `national_summary.csv` and, per
organisation, `organisations/<ORG>.csv` and `organisations/<ORG>.html`. A report names its own
organisation; peers appear only under stable anonymised codes (a keyed hash, so they cannot be
reversed by hashing the few hundred ODS codes). A version is written to a hidden folder and
renamed into place, so an interrupted publication leaves nothing; publishing unchanged inputs
again is a no-op, and changed inputs (a late return) make the next version.
"""

import hashlib
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import duckdb
import jinja2
import pandas as pd

from assets.pseudonymisation import pseudonymise
from contracts.metric_catalogue import CATALOGUE_PATH
from orchestration.calendar import Window, window
from orchestration.collections import COLLECTIONS, Collection
from orchestration.resources import HomeResource, PseudonymKeyResource, WarehouseResource

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
PEER_STATISTICS = ["peer_n", "peer_mean", "peer_min", "peer_lower_quartile", "peer_median",
                   "peer_upper_quartile", "peer_max"]  # fmt: skip
NATIONAL_COLUMNS = ["metric_code", "metric_name", "unit", "polarity", "service_line", "period",
                    "national_value", *PEER_STATISTICS]  # fmt: skip
BENCHMARK_QUERY = """
    select
        b.metric_code, m.metric_name, m.unit, m.polarity, b.service_line,
        strftime(b.period_start, '%Y-%m') as period, b.organisation_code, o.organisation_name,
        b.numerator, b.denominator, b.value, b.national_value, {statistics}, b.peer_rank,
        b.quartile_band,
        b.difference_from_median, b.previous_value, b.change_from_previous
    from marts.fct_benchmark as b
    join marts.dim_metric as m using (metric_code)
    left join marts.dim_organisation as o using (organisation_code)
    where b.collection = ? and b.peer_group = 'all'
      and b.period_start >= cast(? as date) and b.period_start < cast(? as date)
    order by b.metric_code, b.service_line, b.period_start, b.organisation_code
"""
INPUTS_QUERY = """
    select distinct source_file, source_sha256 from marts.fct_metric_value
    where collection = ? and period_start >= cast(? as date) and period_start < cast(? as date)
    order by source_file
"""


def published_versions(published: Path, window_: Window) -> list[Path]:
    folder = published / window_.collection / window_.period_label
    versions = [p for p in folder.glob("v*") if p.is_dir() and p.name[1:].isdigit()]
    return sorted(versions, key=lambda p: int(p.name[1:]))


def anonymised_codes(organisation_codes: pd.Series, key: bytes) -> pd.Series:
    """Peers' stable anonymous codes: the same in every window, meaningless without the key."""
    return "P" + pseudonymise(organisation_codes, key, "peer").str[:6].str.upper()


def read_window(
    warehouse: duckdb.DuckDBPyConnection, window_: Window
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The window's benchmark rows and the input files behind them, from the mart (read-only)."""
    partitions_def = COLLECTIONS[window_.collection].partitions_def
    time_window = partitions_def.time_window_for_partition_key(window_.partition_key)
    bounds = [window_.collection, time_window.start.date(), time_window.end.date()]
    statistics = ", ".join(f"b.{column}" for column in PEER_STATISTICS)
    benchmarks = warehouse.execute(BENCHMARK_QUERY.format(statistics=statistics), bounds).df()
    inputs = warehouse.execute(INPUTS_QUERY, bounds).df()
    return benchmarks, inputs


def _input_digest(inputs: pd.DataFrame, catalogue_sha256: str) -> str:
    text = json.dumps([inputs.to_dict("records"), catalogue_sha256], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def publish_window(
    warehouse: duckdb.DuckDBPyConnection, published: Path, window_: Window, key: bytes
) -> Path | None:
    """Publish one window; return its version folder, or None when the mart has nothing for it."""
    benchmarks, inputs = read_window(warehouse, window_)
    if benchmarks.empty:
        return None
    catalogue_sha256 = hashlib.sha256(CATALOGUE_PATH.read_bytes()).hexdigest()
    digest = _input_digest(inputs, catalogue_sha256)
    versions = published_versions(published, window_)
    if versions:
        latest = json.loads((versions[-1] / "manifest.json").read_text())
        if latest["input_digest"] == digest:
            return versions[-1]
    target = published / window_.collection / window_.period_label / f"v{len(versions) + 1}"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        files = _write_outputs(staging, benchmarks, window_, key)
        manifest = {
            "collection": window_.collection,
            "period": window_.period_label,
            "version": int(target.name[1:]),
            "window_closed_on": window_.closes_on.isoformat(),
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "code_version": version("peerbench"),
            "catalogue_sha256": catalogue_sha256,
            "input_digest": digest,
            "inputs": inputs.to_dict("records"),
            "organisations": int(benchmarks["organisation_code"].nunique()),
            "files": sorted(files),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _write_outputs(
    folder: Path, benchmarks: pd.DataFrame, window_: Window, key: bytes
) -> list[str]:
    national = benchmarks.drop_duplicates(["metric_code", "service_line", "period"])[
        NATIONAL_COLUMNS
    ]
    national.to_csv(folder / "national_summary.csv", index=False)
    files = ["national_summary.csv"]
    (folder / "organisations").mkdir()
    peers = benchmarks.assign(peer_code=anonymised_codes(benchmarks["organisation_code"], key))
    peer_groups = {
        key: group.sort_values("value")
        for key, group in peers.groupby(["metric_code", "service_line", "period"], sort=False)
    }
    template = TEMPLATES.get_template("organisation_report.html.j2")
    for code, own in benchmarks.groupby("organisation_code", sort=True):
        own.drop(columns=["organisation_name"]).to_csv(
            folder / "organisations" / f"{code}.csv", index=False
        )
        html = template.render(
            collection=COLLECTIONS[window_.collection].name,
            window=window_,
            organisation_code=code,
            organisation_name=own["organisation_name"].iloc[0] or code,
            sections=_report_sections(own, peer_groups),
        )
        (folder / "organisations" / f"{code}.html").write_text(html)
        files += [f"organisations/{code}.csv", f"organisations/{code}.html"]
    return files


def _report_sections(own: pd.DataFrame, peer_groups: dict[tuple, pd.DataFrame]) -> list[dict]:
    """One section per metric, service line and month: own value, statistics and peer bars."""
    sections = []
    for row in own.itertuples(index=False):
        peers = peer_groups[(row.metric_code, row.service_line, row.period)]
        top = float(peers["value"].max()) or 1.0
        bars = [
            {
                "label": "You" if own_row else peer_code,
                "value": value,
                "width": max(0.0, value / top * 100),
                "own": own_row,
            }
            for peer_code, value, own_row in zip(
                peers["peer_code"],
                peers["value"],
                peers["organisation_code"] == row.organisation_code,
                strict=True,
            )
        ]
        sections.append({"row": row._asdict(), "bars": bars})
    return sections


def _build_publication_asset(collection: Collection) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{collection.code}_publication",
        specs=[
            dg.AssetSpec(
                f"{collection.code}_publication",
                group_name="publications",
                deps=["fct_benchmark", "dim_metric", "dim_organisation"],
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


publication_assets = [_build_publication_asset(c) for c in COLLECTIONS.values()]

defs = dg.Definitions(assets=publication_assets)
