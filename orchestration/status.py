"""`peerbench status`: each collection's windows as they stand, read without writing anything.

A window (collection, period) is open until its deadline and closed after it (overdue when it
has data and is still unpublished more than a day after); once published it
shows its latest version, or `stale` when the lake or the mart no longer holds the inputs that
version's manifest records (a resubmission, a late return) or the metric catalogue changed since:
publishing it again would make the next version. Per window: the register's members who owe a
return and have none accepted (missing), those whose counting return arrived after the deadline
(late), and quarantined files with their first error. Then the landing files that match no source.

The submissions come from the mart (`marts.fct_submission`, the table analysts query), opened
read-only; the register, the lake's own submission records and the published manifests are read
where they lie.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

import duckdb
import pandas as pd

from assets.lake import PARTITION_FILE, _is_member, read_register, read_static, submissions_dir
from contracts.validation import mask_identifiers
from orchestration.calendar import Window, window
from orchestration.collections import COLLECTIONS, Collection
from orchestration.registry import LandingFile, scan_landing
from orchestration.settings import Settings

RECENT_WINDOWS = 6  # shown by default; --all shows every window since the first submission
SHOWN_CODES = 15  # organisation codes listed on a line before "and N more"
SUBMISSIONS_QUERY = """
    select collection, period, organisation_code, source_file, status, first_error,
        submitted_at, submitted_late, source_sha256
    from marts.fct_submission
    where collection is not null
    order by collection, period, source_file
"""
Inputs = set[tuple[str, str]]  # (source_file, source_sha256)


@dataclass(frozen=True)
class _Home:
    """What every window's status reads: settings, the day, the register, the open warehouse."""

    settings: Settings
    as_of: date
    register: pd.DataFrame | None
    warehouse: duckdb.DuckDBPyConnection


@dataclass
class WindowStatus:
    """What `status` says about one window."""

    window: Window
    state: str = ""  # open, closed, overdue, published vN or stale vN
    expected: list[str] | None = None  # members who owe a return; None for national data
    received: list[str] = field(default_factory=list)  # accepted: submitters, national files
    missing: list[str] = field(default_factory=list)
    late: list[tuple[str, datetime]] = field(default_factory=list)  # submitter, stamp
    quarantined: list[str] = field(default_factory=list)  # each file's first error
    notes: list[str] = field(default_factory=list)


def report(
    settings: Settings, as_of: date, collections: Sequence[str], *, show_all: bool = False
) -> str:
    """The status of the collections' windows at `as_of`, and the unrecognised landing files."""
    lines = [f"peerbench status of {settings.home}, as of {as_of.isoformat()}"]
    with _open_warehouse(settings) as connection:
        submissions = connection.execute(SUBMISSIONS_QUERY).df()
        home = _Home(settings, as_of, read_register(settings.lake), connection)
        if home.register is None:
            lines.append("no organisation register in the lake: expected submitters are unknown")
        for code in collections:
            collection = COLLECTIONS[code]
            rows = submissions[submissions["collection"] == code].copy()
            rows["window"] = rows["period"].map(collection.window_of)
            statuses = [
                window_status(home, collection, window(code, key), rows)
                for key in reversed(_window_keys(home, collection, rows, show_all))
            ]
            lines += ["", *_render(collection, statuses, show_all)]
    unrecognised = scan_landing(settings.landing).unrecognised
    lines += ["", f"landing files not read: {len(unrecognised) or 'none'}"]
    lines += [f"  {mask_identifiers(path)}: {why}" for path, why in unrecognised.items()]
    return "\n".join(lines)


def _open_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only, once it holds fct_submission; else a one-line reason."""
    if not settings.warehouse.exists():
        raise RuntimeError(
            f"nothing has been built in {settings.home} yet: run `peerbench refresh` first"
        )
    try:
        connection = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise RuntimeError(
            f"cannot read {settings.warehouse} (is a refresh writing it?): {first}"
        ) from None
    found = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'fct_submission'"
    ).fetchone()
    if not found or not found[0]:
        connection.close()
        raise RuntimeError(
            f"the mart in {settings.home} has no marts.fct_submission yet: "
            "run `peerbench refresh --full`"
        )
    return connection


def _window_keys(
    home: _Home, collection: Collection, submissions: pd.DataFrame, show_all: bool
) -> list[str]:
    """The windows whose period has ended by the day: the latest few (none before the first
    with a submission or a publication, if there is one), or with --all every one since."""
    keys = collection.partitions_def.get_partition_keys(
        current_time=datetime.combine(home.as_of, time.min)
    )
    published = {p.parent.name for p in (home.settings.published / collection.code).glob("*/v*")}
    with_data = set(submissions["window"]) | published
    first = next((i for i, k in enumerate(keys) if collection.period_label(k) in with_data), None)
    latest = max(len(keys) - RECENT_WINDOWS, 0)
    if first is None:
        return keys[latest:]
    return keys[first:] if show_all else keys[max(latest, first) :]


def window_status(
    home: _Home, collection: Collection, window_: Window, submissions: pd.DataFrame
) -> WindowStatus:
    """One window: who owes a return and has none accepted, who was late, what was refused,
    and its state."""
    rows = submissions[submissions["window"] == window_.period_label]
    accepted = rows[rows["status"] == "accepted"]
    status = WindowStatus(window_, expected=_members(home, collection, window_))
    if status.expected is None:  # national data: one publisher, whose files carry no stamp
        status.received = sorted(accepted["source_file"])
        status.missing = [] if len(accepted) else ["the national file"]
    else:
        status.received = sorted(accepted["organisation_code"].unique())
        status.missing = sorted(set(status.expected) - set(status.received))
        late = accepted[accepted["submitted_late"].fillna(False).astype(bool)]
        status.late = sorted(zip(late["organisation_code"], late["submitted_at"], strict=True))
    quarantined = rows[rows["status"] == "quarantined"]
    status.quarantined = [
        mask_identifiers(error if isinstance(error, str) else file)
        for file, error in zip(quarantined["source_file"], quarantined["first_error"], strict=True)
    ]
    lake = _lake_records(home, collection, window_.partition_key)
    if lake != {(r.source_file, r.status, r.source_sha256) for r in rows.itertuples()}:
        status.notes.append("the mart is behind the lake: run `peerbench refresh`")
    status.state = _state(home, collection, window_, lake, status.notes)
    return status


def _members(home: _Home, collection: Collection, window_: Window) -> list[str] | None:
    """The register's members who owe a return for the window, by the rule ingest applies (a
    member for any of its months); for a programme with its own enrolment (the operational
    extracts: a provider that sent a team register), only those enrolled."""
    source, register = collection.source, home.register
    if not source.submitters:
        return None
    if register is None:
        return []
    candidates = register[register["organisation_type"].isin(source.submitters)]
    if source.checked_against:
        enrolled = read_static(home.settings.lake, source.checked_against)
        codes = set(enrolled["organisation_code"]) if len(enrolled) else set()
        candidates = candidates[candidates["organisation_code"].isin(codes)]
    return sorted(
        code
        for code in candidates["organisation_code"]
        if any(
            _is_member(register, LandingFile(source, "", period, code, None), source)
            for _, period in collection.source_periods(window_.partition_key)
        )
    )


def _lake_records(home: _Home, collection: Collection, partition_key: str) -> set[tuple[str, ...]]:
    """The lake's own record of the window's landing files: (file, status, SHA-256)."""
    records: set[tuple[str, ...]] = set()
    for source, period in collection.source_periods(partition_key):
        folder = submissions_dir(home.settings.lake, source.name, period)
        if (folder / PARTITION_FILE).exists():
            frame = pd.read_parquet(
                folder / PARTITION_FILE, columns=["source_file", "status", "source_sha256"]
            )
            records |= set(frame.itertuples(index=False, name=None))
    return records


def _state(
    home: _Home,
    collection: Collection,
    window_: Window,
    lake: set[tuple[str, ...]],
    notes: list[str],
) -> str:
    """Open or closed by the calendar (overdue when closed for over a day with data and still
    unpublished); once published, its latest version, or stale when the inputs that version
    records are no longer those of the lake or the mart."""
    from assets.publications import (  # builds the publication assets
        catalogue_sha256,
        published_versions,
    )

    versions = published_versions(home.settings.published, window_)
    if not versions:
        if not window_.is_closed(home.as_of):
            return "open"
        if window_.publication_overdue(home.as_of) and collection.has_data(
            home.settings.lake, window_.partition_key
        ):
            notes.append(f"overdue: closed on {window_.closes_on} and not published within a day")
            return "overdue"
        return "closed"
    version = versions[-1].name
    manifest = json.loads((versions[-1] / "manifest.json").read_text())
    recorded = {(i["source_file"], i["source_sha256"]) for i in manifest["inputs"]}
    current: dict[str, set[tuple[str, str]]] = {}
    if not collection.gathers_months:  # its inputs are landing files, as the lake records them
        lake = lake | _previous_lake_records(home, collection, window_)
        current["lake"] = {(f, sha256) for f, status, sha256 in lake if status == "accepted"}
    current["mart"] = _publication_inputs(home, collection, window_)
    changes = [
        f"in the {where} ({len(now - recorded)} file(s) new, {len(recorded - now)} gone)"
        for where, now in current.items()
        if now != recorded
    ]
    if manifest.get("catalogue_sha256") != catalogue_sha256():
        changes.append("in the metric catalogue")
    if not changes:
        return f"published {version}"
    notes.append(f"stale: the inputs of {version} changed " + " and ".join(changes))
    return f"stale {version}"


def _previous_lake_records(
    home: _Home, collection: Collection, window_: Window
) -> set[tuple[str, ...]]:
    """The lake's records of the partition before the window's: a publication's inputs include
    the month before (its reports show the previous value)."""
    partitions = collection.partitions_def
    start = partitions.time_window_for_partition_key(window_.partition_key).start
    previous = partitions.get_prev_partition_window(start)
    if previous is None:
        return set()
    return _lake_records(home, collection, f"{previous.start:%Y-%m-%d}")


def _publication_inputs(home: _Home, collection: Collection, window_: Window) -> Inputs:
    """The input files the mart holds for the window now: what publishing would record."""
    from assets.publications import window_inputs

    rows = window_inputs(home.warehouse, window_)
    return {
        (str(f), str(s)) for f, s in zip(rows["source_file"], rows["source_sha256"], strict=True)
    }


def _render(collection: Collection, statuses: list[WindowStatus], show_all: bool) -> list[str]:
    """A table of the windows, newest first, each followed by what needs attention in it."""
    national = not collection.source.submitters
    header = ["window", "closes on", "state", "received", "missing", "late", "quarantined"]
    table = [header]
    for s in statuses:
        table.append(
            [
                s.window.period_label,
                s.window.closes_on.isoformat(),
                s.state,
                str(len(s.received)) if national else f"{len(s.received)}/{len(s.expected or [])}",
                str(len(s.missing)),
                "-" if national else str(len(s.late)),
                str(len(s.quarantined)),
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            cell.ljust(width) if i < 3 else cell.rjust(width)  # counts align right
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  " + "  ".join(cells).rstrip()

    title = f"{collection.name} ({collection.code})"
    if not show_all and len(statuses) == RECENT_WINDOWS:
        title += f": the latest {RECENT_WINDOWS} windows (--all for every one)"
    lines = [title, line(header)]
    for s, row in zip(statuses, table[1:], strict=True):
        lines.append(line(row))
        lines += [f"      {detail}" for detail in _details(s)]
    return lines


def _details(s: WindowStatus) -> list[str]:
    found = []
    if s.missing:
        found.append(f"missing: {_codes(s.missing)}")
    if s.late:
        found.append("late: " + _codes([f"{code} ({at:%Y-%m-%d})" for code, at in s.late]))
    found += [f"quarantined: {error}" for error in s.quarantined]
    return found + s.notes


def _codes(codes: Sequence[str]) -> str:
    more = len(codes) - SHOWN_CODES
    return ", ".join(codes[:SHOWN_CODES]) + (f" and {more} more" if more > 0 else "")
