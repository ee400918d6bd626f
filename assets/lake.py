"""The lake: Parquet, one file per dataset and period, written atomically; and quarantine reports.

A partition is written to a temporary file beside its final place and renamed over it, so a
re-run replaces it exactly and a failed run leaves the previous file (or nothing) behind.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from contracts.validation import ContractViolationError, Violation

PARTITION_FILE = "data.parquet"
SUBMISSION_NAME = re.compile(r"^(?P<org>[A-Z0-9]{3,5})_(?P<stamp>\d{8}T\d{4})\.csv$")


def partition_dir(lake: Path, dataset: str, period: str) -> Path:
    return lake / dataset / f"period={period}"


def write_atomically(frame: pd.DataFrame, folder: Path) -> Path | None:
    """Replace `folder`'s Parquet file atomically; an empty frame removes the folder."""
    if frame.empty:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-", suffix=".parquet")
    os.close(handle)
    try:
        frame.to_parquet(temporary, index=False)
        os.replace(temporary, folder / PARTITION_FILE)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return folder / PARTITION_FILE


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def submitted_at(path: Path) -> datetime:
    """When a return was submitted: the stamp in `<ORG>_<YYYYMMDDTHHMM>.csv`, else its mtime."""
    match = SUBMISSION_NAME.match(path.name)
    if match:
        return datetime.strptime(match["stamp"], "%Y%m%dT%H%M")
    return datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


@dataclass
class PartitionIngest:
    """What reading one partition's landing files gave: the accepted rows and the rejects."""

    dataset: str
    period: str
    frames: list[pd.DataFrame] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    quarantined: dict[str, list[Violation]] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame()


def ingest_partition(
    files: Iterable[Path],
    read: Callable[[Path], pd.DataFrame],
    *,
    landing: Path,
    quarantine: Path,
    dataset: str,
    period: str,
    log: dg.DagsterLogManager | None = None,
) -> PartitionIngest:
    """Read each file through its contract; a bad file is quarantined whole, the rest kept.

    Accepted rows carry their lineage: the landing path, its SHA-256 and submission time.
    """
    result = PartitionIngest(dataset, period)
    report_dir = quarantine / dataset / f"period={period}"
    shutil.rmtree(report_dir, ignore_errors=True)  # a re-run reports afresh
    for path in sorted(files):
        relative = path.relative_to(landing).as_posix()
        try:
            frame = read(path)
        except ContractViolationError as error:
            result.quarantined[relative] = [replace(v, file=relative) for v in error.violations]
            _write_quarantine_report(report_dir, relative, result.quarantined[relative])
            if log:
                log.error(f"quarantined {relative}: {error}")
            continue
        frame = frame.assign(
            source_file=relative,
            source_sha256=file_sha256(path),
            submitted_at=pd.Timestamp(submitted_at(path)),
        )
        result.frames.append(frame)
        result.accepted.append(relative)
    return result


def _write_quarantine_report(folder: Path, relative: str, violations: list[Violation]) -> None:
    """One report per rejected file, named after its landing path (two providers may both send
    an `epr_contacts.csv`)."""
    folder.mkdir(parents=True, exist_ok=True)
    report = {"file": relative, "violations": [v.as_dict() for v in violations]}
    name = relative.replace("/", "__")
    (folder / f"{name}.violations.json").write_text(json.dumps(report, indent=2))


def contract_check(ingests: list[PartitionIngest], asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """The contract as an asset check: fails (as a warning) when any file was quarantined."""
    rejected = {f: [str(v) for v in vs] for i in ingests for f, vs in i.quarantined.items()}
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="contract",
        passed=not rejected,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "files_accepted": sum(len(i.accepted) for i in ingests),
            "files_quarantined": len(rejected),
            "violations": dg.MetadataValue.json(rejected),
        },
    )


@dataclass(frozen=True)
class LakeDataset:
    """How one landing format becomes one lake dataset; each source family declares these."""

    name: str
    description: str
    group: str
    partitions_def: dg.PartitionsDefinition
    period_label: Callable[[str], str]
    landing_files: Callable[[Path, str], list[Path]]  # (landing folder, partition key) -> files
    read: Callable[[Path, str], pd.DataFrame]  # (file, partition key) -> validated rows
    transform: Callable[[pd.DataFrame], pd.DataFrame] = lambda frame: frame


def build_lake_asset(dataset: LakeDataset) -> dg.AssetsDefinition:
    """A partitioned asset: landing -> contract -> lake Parquet, one file per partition.

    A range of partitions runs as one run (single-run backfill) and writes each partition in turn.
    """
    key = dg.AssetKey(dataset.name)

    @dg.asset(
        name=dataset.name,
        description=dataset.description,
        group_name=dataset.group,
        partitions_def=dataset.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=[dg.AssetCheckSpec("contract", asset=key)],
        kinds={"parquet", "pandas"},
    )
    def _asset(context: dg.AssetExecutionContext):
        from orchestration.settings import get_settings

        settings = get_settings()
        ingests, rows = [], {}
        for partition_key in context.partition_keys:
            period = dataset.period_label(partition_key)
            ingest = ingest_partition(
                dataset.landing_files(settings.landing, partition_key),
                lambda path, key=partition_key: dataset.read(path, key),
                landing=settings.landing,
                quarantine=settings.quarantine,
                dataset=dataset.name,
                period=period,
                log=context.log,
            )
            frame = dataset.transform(ingest.frame) if ingest.frames else ingest.frame
            write_atomically(frame, partition_dir(settings.lake, dataset.name, period))
            rows[period] = len(frame)
            ingests.append(ingest)
        yield dg.MaterializeResult(
            metadata={
                "rows": sum(rows.values()),
                "rows_by_period": dg.MetadataValue.json(rows),
                "files_accepted": sum(len(i.accepted) for i in ingests),
                "files_quarantined": sum(len(i.quarantined) for i in ingests),
            }
        )
        yield contract_check(ingests, key)

    return _asset
