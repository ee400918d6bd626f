"""The lake: landing files judged by their contract a partition at a time, then Parquet.

For each partition, every landing file of the source is validated in one set-wise pass
(`contracts.validation`), after the checks that need the file name: the submitter it names
must be a member of the collection for the period, and its stamp may not be in the future. A bad
file is quarantined whole with every located violation; the others are kept. The partition's
accepted rows are written to a temporary file beside their final place and renamed over it, so
a re-run replaces them exactly and a failed run leaves the previous file. A partition where no
file was accepted keeps its previous file: an empty or broken upload never deletes data.

The lake holds the rows of the file that counts for each submitter (the latest return; for
national data the latest release). Each partition also records every landing file
(`lake/submissions/`): status (accepted, superseded, quarantined), rows, first error and the
file's fingerprint, which tells a later refresh whether anything changed.
"""

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from contracts.operational_extracts import with_teams
from contracts.validation import (
    FILE_COLUMN,
    ContractViolationError,
    ValidatedFiles,
    Violation,
    mask_identifiers,
    validate_files,
)
from orchestration.registry import (
    STATIC_PERIOD,
    LandingFile,
    Source,
    partition_dir,
    scan_landing,
)

PARTITION_FILE = "data.parquet"
SUBMISSIONS = "submissions"
# (source, period) -> SQL over the accepted rows (`accepted`) and their files (`meta`)
LakeSelect = Callable[[Source, str], str]


def write_frame(frame: pd.DataFrame, folder: Path) -> Path:
    """A small frame computed in Python (the window calendar) written atomically."""
    with duckdb.connect() as connection:
        connection.register("frame", frame)
        return copy_to_parquet(connection, "select * from frame", folder)


def submissions_dir(lake: Path, dataset: str, period: str) -> Path:
    return partition_dir(lake / SUBMISSIONS, f"dataset={dataset}", period)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_to_parquet(connection: duckdb.DuckDBPyConnection, query: str, folder: Path) -> Path:
    """Write the query's rows to `folder/data.parquet` atomically (temporary file, rename).

    The temporary file does not end in `.parquet`, so the mart's `*/*.parquet` globs never read a
    half-written file; one left by a killed run is removed when the partition is next written."""
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.writing-*"):  # and DuckDB's own tmp_.writing-*
        leftover.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-", suffix=".tmp")
    os.close(handle)
    try:
        connection.execute(f"copy ({query}) to '{temporary}' (format parquet)")
        os.replace(temporary, folder / PARTITION_FILE)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return folder / PARTITION_FILE


def pseudonym_key_table(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """The HMAC key's inner and outer pads as a one-row table, so SQL can compute keyed
    pseudonyms without the key ever appearing in a statement's text."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    pads = pd.DataFrame(
        {"ipad": [bytes(b ^ 0x36 for b in block)], "opad": [bytes(b ^ 0x5C for b in block)]}
    )
    connection.register("_pads", pads)
    connection.execute("create or replace temporary table _pseudonym_key as select * from _pads")
    connection.unregister("_pads")


def pseudonym_sql(value: str, domain: str) -> str:
    """HMAC-SHA256(key, domain || 0x1F || value), first 32 hex digits: the same pseudonym as
    `assets.pseudonymisation.pseudonymise`, computed in SQL. Needs `_pseudonym_key` in scope."""
    message = f"encode('{domain}' || chr(31) || {value})"
    inner = f"unhex(sha256(_pseudonym_key.ipad || {message}))"
    return (
        f"case when {value} is not null then left(sha256(_pseudonym_key.opad || {inner}), 32) end"
    )


@dataclass
class PartitionOutcome:
    """What one partition's ingest did."""

    source: str
    period: str
    rows: int = 0
    kept_previous: bool = False
    statuses: dict[str, str] = field(default_factory=dict)  # landing file -> status
    violations: dict[str, list[Violation]] = field(default_factory=dict)
    # the counted file's reconciled columns: (the rows' sum, the publisher's total row)
    reconciliation: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)

    @property
    def quarantined(self) -> dict[str, list[Violation]]:
        return {f: v for f, v in self.violations.items() if v}


def _file_checks(
    file: LandingFile, register: pd.DataFrame | None, now: datetime, membership: bool = True
) -> list[Violation]:
    """The rules a file name answers: a stamp in the past, a submitter who is a member."""
    source, found = file.source, []
    if file.stamp is not None and file.stamp > now:
        rule = f"submission stamp {file.stamp:%Y-%m-%d %H:%M} is later than now: refused"
        found.append(Violation(file.relative, None, None, rule))
    if source.submitters and membership:
        if register is None:
            rule = "no organisation register has been accepted: submitters cannot be checked"
            found.append(Violation(file.relative, None, None, rule))
        elif not _is_member(register, file, source):
            collection = source.collection or source.name
            rule = (
                f"{file.submitter} is not a member of {collection} in the organisation "
                f"register for {file.period}"
            )
            found.append(Violation(file.relative, None, None, rule))
    return found


def _is_member(register: pd.DataFrame, file: LandingFile, source: Source) -> bool:
    rows = register[register["organisation_code"] == file.submitter]
    if rows.empty or rows.iloc[0]["organisation_type"] not in source.submitters:
        return False
    row = rows.iloc[0]
    if source.cadence == "static":  # a register of its own (its teams): a member of the type
        return True
    months = source.months_of_period(file.period)
    first, last = months[0], months[-1]
    starts, ends = row.get("member_from"), row.get("member_to")
    return (pd.isna(starts) or starts <= last) and (pd.isna(ends) or ends >= first)


def read_register(lake: Path) -> pd.DataFrame | None:
    path = lake / "organisations" / PARTITION_FILE
    return pd.read_parquet(path) if path.exists() else None


def read_static(lake: Path, dataset: str) -> pd.DataFrame:
    """An unpartitioned lake dataset as it stands (none yet: no rows)."""
    path = partition_dir(lake, dataset, STATIC_PERIOD) / PARTITION_FILE
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _statuses(
    accepted: Sequence[LandingFile], landing: Path, covers: dict[str, list[str]]
) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Which accepted file counts for each submitter (one publisher for national files) and each
    month it `covers`: a revised release over the original, then the latest submission stamp
    (else the newest file). A file that counts for no month is superseded: recorded, not
    counted. Also the (file, month) pairs that count."""

    def rank(file: LandingFile) -> tuple:
        mtime = datetime.fromtimestamp((landing / file.relative).stat().st_mtime)
        return (file.release, file.stamp or mtime, file.relative)

    latest: dict[tuple[str | None, str], LandingFile] = {}
    for file in accepted:
        for month in covers[file.relative]:
            key = (file.submitter, month)
            if key not in latest or rank(file) > rank(latest[key]):
                latest[key] = file
    counted = {(file.relative, month) for (_, month), file in latest.items()}
    winners = {name for name, _ in counted}
    statuses = {f.relative: "accepted" if f.relative in winners else "superseded" for f in accepted}
    return statuses, counted


def _months_covered(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    period: str,
    accepted: Sequence[LandingFile],
) -> dict[str, list[str]]:
    """The months each accepted file holds rows for, where a source counts returns by month;
    else the partition's period, for each file whole."""
    covers: dict[str, list[str]] = {f.relative: [period] for f in accepted}
    if source.counted_by_month:
        rows = connection.execute(
            f"select {FILE_COLUMN}, list(distinct period) from accepted group by all"
        ).fetchall()
        covers |= {name: sorted(months) for name, months in rows}
    return covers


def ingest_partition(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    period: str,
    files: Sequence[LandingFile],
    lake_select: LakeSelect,
    *,
    landing: Path,
    lake: Path,
    quarantine: Path,
    register: pd.DataFrame | None,
    now: datetime,
) -> PartitionOutcome:
    """Validate one partition's landing files together and write what passes to the lake."""
    outcome = PartitionOutcome(source.name, period)
    outcome.violations, validated = check_files(
        connection, source, period, files, landing=landing, lake=lake, register=register, now=now
    )
    accepted_files = [f for f in files if not outcome.violations[f.relative]]
    outcome.statuses = {f.relative: "quarantined" for f in files if outcome.violations[f.relative]}
    covers = _months_covered(connection, source, period, accepted_files)
    statuses, counted_months = _statuses(accepted_files, landing, covers)
    outcome.statuses |= statuses
    meta = _file_meta(files, landing, outcome, validated.rows)
    connection.register("meta", meta)
    counted = [f.relative for f in accepted_files if outcome.statuses[f.relative] == "accepted"]
    outcome.reconciliation = {f: validated.reconciliation.get(f, {}) for f in counted}
    month = "accepted.period" if source.counted_by_month else "?"
    connection.execute(
        f"delete from accepted where ({FILE_COLUMN}, {month}) not in "
        "(select unnest(?::varchar[]), unnest(?::varchar[]))",
        ([] if source.counted_by_month else [period])
        + [[name for name, _ in counted_months], [m for _, m in counted_months]],
    )
    outcome.rows = connection.execute("select count(*) from accepted").fetchall()[0][0]
    if outcome.rows:
        folder = partition_dir(lake, source.name, period)
        query = _keeping_refused_submitters(lake_select(source, period), folder, outcome, files)
        if source.partitions_def is None:
            # a register's rows in one order whatever order they were read in: its file's bytes
            # are part of the mart's reference fingerprint (`orchestration.runs`), so the same
            # register read again must not look changed and rebuild the whole mart
            query = f"select * from ({query}) order by all"
        copy_to_parquet(connection, query, folder)
    else:
        outcome.kept_previous = partition_dir(lake, source.name, period).exists()
    _write_quarantine_reports(quarantine, source.name, period, outcome.quarantined)
    copy_to_parquet(
        connection,
        f"select * exclude ({FILE_COLUMN}) from meta",
        submissions_dir(lake, source.name, period),
    )
    connection.unregister("meta")
    connection.execute("drop table accepted")
    return outcome


def _keeping_refused_submitters(
    query: str, folder: Path, outcome: PartitionOutcome, files: Sequence[LandingFile]
) -> str:
    """The partition's new rows, and the rows it held of each submitter whose every file is now
    refused: a file replaced in place by a broken one (a provider's extract, its team register)
    never takes the submitter's accepted data away."""
    previous = folder / PARTITION_FILE
    refused = {f.submitter for f in files if outcome.statuses[f.relative] == "quarantined"}
    counted = {f.submitter for f in files if outcome.statuses[f.relative] != "quarantined"}
    kept = sorted(s for s in refused - counted if s)
    if not kept or not previous.exists():
        return query
    codes = ", ".join(f"'{code}'" for code in kept)  # submitter codes: [A-Z0-9]{3,5}
    return (
        f"{query} union all by name select * from read_parquet('{previous}') "
        f"where organisation_code in ({codes})"
    )


def check_files(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    period: str,
    files: Sequence[LandingFile],
    *,
    landing: Path,
    lake: Path,
    register: pd.DataFrame | None,
    now: datetime,
    membership: bool = True,
    read_refused: bool = False,
    numbered: bool = False,
) -> tuple[dict[str, list[Violation]], ValidatedFiles]:
    """Every violation of each file of one partition (file name checks, then its contract), and
    the accepted files' typed rows in the temporary table `accepted`: what ingest judges a file
    by, and `peerbench validate` too. A file its name already refuses is not read, unless
    `read_refused` (validate: every problem at once); `membership=False` leaves out the
    register check (a return checked where no register is at hand); `numbered` keeps each accepted
    row's line in `accepted` (validate's warnings name it)."""
    named = {f.relative: _file_checks(f, register, now, membership) for f in files}
    skipped = set() if read_refused else {name for name, found in named.items() if found}
    contract = source.contract(period)
    if source.checked_against:
        contract = with_teams(contract, read_static(lake, source.checked_against))
    with tempfile.TemporaryDirectory(prefix="peerbench-read-") as scratch:
        readable, unreadable = _readable(source, files, skipped, landing, Path(scratch))
        validated = validate_files(
            connection,
            readable,
            contract,
            submitters={f.relative: f.submitter or "" for f in files},
            table="accepted",
            numbered=numbered,
        )
    violations = {
        name: found + unreadable.get(name, []) + validated.violations.get(name, [])
        for name, found in named.items()
    }
    return violations, validated


def _readable(
    source: Source,
    files: Sequence[LandingFile],
    skipped: set[str],
    landing: Path,
    scratch: Path,
) -> tuple[dict[str, Path], dict[str, list[Violation]]]:
    """The CSV each file not `skipped` is validated as: the landing file itself, or, for a source
    with a `reader` (a workbook), the CSV the reader writes in `scratch`; and the violations of
    the files the reader refuses (a missing sheet, a changed header), named by landing path. The
    submission record keeps the landing file's path and SHA-256 either way."""
    readable: dict[str, Path] = {}
    unreadable: dict[str, list[Violation]] = {}
    for index, file in enumerate(files):
        if file.relative in skipped:
            continue
        path = landing / file.relative
        if source.reader is None:
            readable[file.relative] = path
            continue
        folder = scratch / str(index)
        folder.mkdir()
        try:
            readable[file.relative] = source.reader(path, folder)
        except ContractViolationError as error:
            unreadable[file.relative] = [replace(v, file=file.relative) for v in error.violations]
    return readable, unreadable


def _file_meta(
    files: Sequence[LandingFile], landing: Path, outcome: PartitionOutcome, rows: dict[str, int]
) -> pd.DataFrame:
    """One row per landing file: its lineage for the lake rows, and its submission record."""
    records = []
    collection = files[0].source.collection if files else None  # the registry's, for the mart
    for file in files:
        path = landing / file.relative
        stat = path.stat()
        found = outcome.violations[file.relative]
        records.append(
            {
                "dataset": outcome.source,
                "collection": collection,
                "period": outcome.period,
                "source_file": file.relative,
                "source_sha256": file_sha256(path),
                "submitter": file.submitter,
                "submitted_at": file.stamp or datetime.fromtimestamp(stat.st_mtime),
                "status": outcome.statuses[file.relative],
                "rows": rows.get(file.relative, 0),
                "violations": len(found),
                "first_error": str(found[0]) if found else None,
                "fingerprint": f"{stat.st_size}:{stat.st_mtime_ns}",
            }
        )
    frame = pd.DataFrame(records)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"]).astype("datetime64[us]")
    frame[FILE_COLUMN] = frame["source_file"]
    return frame


def _write_quarantine_reports(
    quarantine: Path, dataset: str, period: str, rejected: dict[str, list[Violation]]
) -> None:
    """One report per rejected file, named after its landing path; a re-run reports afresh."""
    folder = partition_dir(quarantine, dataset, period)
    shutil.rmtree(folder, ignore_errors=True)
    for relative, violations in rejected.items():
        folder.mkdir(parents=True, exist_ok=True)
        report = {
            "file": mask_identifiers(relative),
            "violations": [v.as_dict() for v in violations],
        }
        name = relative.replace("/", "__")
        (folder / f"{name}.violations.json").write_text(json.dumps(report, indent=2))


def recorded_fingerprints(lake: Path, dataset: str, period: str) -> dict[str, str] | None:
    """The landing files a partition was last built from, or None if it never was."""
    path = submissions_dir(lake, dataset, period) / PARTITION_FILE
    if not path.exists():
        return None
    frame = pd.read_parquet(path, columns=["source_file", "fingerprint"])
    return dict(zip(frame["source_file"], frame["fingerprint"], strict=True))


def current_fingerprints(landing: Path, files: Sequence[LandingFile]) -> dict[str, str]:
    fingerprints = {}
    for file in files:
        stat = (landing / file.relative).stat()
        fingerprints[file.relative] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return fingerprints


def _count(outcomes: list[PartitionOutcome], status: str) -> int:
    return sum(s == status for o in outcomes for s in o.statuses.values())


def partition_observation(
    key: dg.AssetKey, partition_key: str | None, outcome: PartitionOutcome
) -> dg.AssetObservation:
    """One partition's own figures. A range runs as one run, whose materialisation carries the
    same metadata for every partition; the observation says what happened to this one."""
    return dg.AssetObservation(
        asset_key=key,
        partition=partition_key,
        metadata={
            "period": outcome.period,
            "rows": outcome.rows,
            "files_accepted": _count([outcome], "accepted"),
            "files_superseded": _count([outcome], "superseded"),
            "files_quarantined": len(outcome.quarantined),
            "kept_previous": outcome.kept_previous,
        },
    )


def contract_check(outcomes: list[PartitionOutcome], asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """The contract as an asset check: fails (as a warning) when any file was quarantined."""
    rejected = {f: [str(v) for v in vs[:20]] for o in outcomes for f, vs in o.quarantined.items()}
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="contract",
        passed=not rejected,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "files_accepted": _count(outcomes, "accepted"),
            "files_superseded": _count(outcomes, "superseded"),
            "files_quarantined": len(rejected),
            "violations": dg.MetadataValue.json(
                {mask_identifiers(f): v for f, v in list(rejected.items())[:100]}
            ),
        },
    )


RECONCILES = "reconciles_with_publisher_total"


def reconciliation_check(
    outcomes: list[PartitionOutcome], asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    """The load reconciles itself: for every file that counts, each total the publisher states
    in its own total row (England's, for NHS England's files) equals the sum of the rows. Fails
    on any difference, or a file without a total row; the rows are kept either way."""
    differences, compared = [], 0
    for outcome in outcomes:
        for file, columns in outcome.reconciliation.items():
            if not columns:
                differences.append(f"{file}: no total row to reconcile with")
            for column, (computed, published) in columns.items():
                compared += 1
                if computed != published:
                    differences.append(
                        f"{file}: {column!r} sums to {computed:,.10g} over the rows; "
                        f"the total row says {published:,.10g}"  # halves shown as halves
                    )
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=RECONCILES,
        passed=not differences,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "files": sum(len(o.reconciliation) for o in outcomes),
            "totals_compared": compared,
            "differences": dg.MetadataValue.json(differences[:100]),
        },
    )


def build_lake_asset(
    source: Source,
    lake_select: LakeSelect,
    *,
    pseudonymise: bool = False,
) -> dg.AssetsDefinition:
    """A partitioned asset: landing -> contract -> lake Parquet, one file per partition.

    A source family module says only how accepted rows become lake rows (`lake_select`) and
    whether its select needs the pseudonymisation key (`pseudonymise`: the `pseudonym_key`
    resource, held in the connection as `_pseudonym_key`). A range of partitions
    runs as one run (single-run backfill); each partition is judged as a set. Landing files that
    no source recognises are reported as a warning on every run."""
    key = dg.AssetKey(source.name)
    deps = ["organisations"] if source.submitters else []
    checks = [dg.AssetCheckSpec("contract", asset=key)]
    reconciles = bool(source.contract(source.first_month or STATIC_PERIOD).reconciles)
    if reconciles:
        checks.append(
            dg.AssetCheckSpec(
                RECONCILES,
                asset=key,
                description="The publisher's own totals equal the sums of its rows.",
            )
        )

    @dg.multi_asset(
        name=source.name,
        specs=[
            dg.AssetSpec(
                key,
                description=source.description,
                group_name=source.family,
                deps=deps,
                kinds={"parquet", "duckdb"},
            )
        ],
        partitions_def=source.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if source.partitions_def else None,
        check_specs=checks,
        required_resource_keys={"home", "pseudonym_key"} if pseudonymise else {"home"},
    )
    def _asset(context: dg.AssetExecutionContext):
        settings = context.resources.home.settings
        scan = scan_landing(settings.landing, folders={source.folder})
        register = read_register(settings.lake)
        if source.partitions_def:
            periods = {source.period_label(k): k for k in context.partition_keys}
        else:
            periods = {STATIC_PERIOD: None}
        outcomes = []
        with duckdb.connect(config=settings.duckdb_config) as connection:
            if pseudonymise:
                pseudonym_key_table(connection, context.resources.pseudonym_key.value())
            for period in periods:
                files = scan.of(source, period)
                if not files:
                    continue
                outcome = ingest_partition(
                    connection,
                    source,
                    period,
                    files,
                    lake_select,
                    landing=settings.landing,
                    lake=settings.lake,
                    quarantine=settings.quarantine,
                    register=register,
                    now=datetime.now(),
                )
                _log(context, outcome)
                context.log_event(partition_observation(key, periods[period], outcome))
                outcomes.append(outcome)
        if scan.unrecognised:
            listed = [f"{path} ({why})" for path, why in list(scan.unrecognised.items())[:20]]
            context.log.warning(
                mask_identifiers(
                    f"{len(scan.unrecognised)} landing file(s) in {source.folder}/ not read: "
                    + ", ".join(listed)
                )
            )
        yield dg.MaterializeResult(  # the run's totals; each partition's are its observation
            metadata={
                "run_rows": sum(o.rows for o in outcomes),
                "partitions_with_files": len(outcomes),
                "files_quarantined": sum(len(o.quarantined) for o in outcomes),
                "unrecognised_landing_files": len(scan.unrecognised),
            }
        )
        yield contract_check(outcomes, key)
        if reconciles:
            yield reconciliation_check(outcomes, key)

    return _asset


def _log(context: dg.AssetExecutionContext, outcome: PartitionOutcome) -> None:
    for relative, violations in outcome.quarantined.items():
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        context.log.error(mask_identifiers(f"quarantined {relative}: {violations[0]}{more}"))
    if outcome.kept_previous:
        context.log.warning(
            f"{outcome.source} {outcome.period}: no file accepted; the lake keeps what it had"
        )
