"""`peerbench validate <file>`: a return (or any landing file) checked before it is sent, exactly
as ingest will judge it: the same file-name rules and the same contract (`assets.lake.
check_files`), in a throw-away DuckDB, writing nothing.

The file's place in landing says what it is (source, period, submitter): a path inside the
home's landing folder is taken as it stands; elsewhere, its last folders are matched against
the registry (`community_indicators/2024-06/ZAA_20240703T0900.csv`), or `--as` names the landing
path it will be sent as. Membership is checked against the register the platform last accepted,
or `--register`; with neither, the membership check is left out and the report says so.

A return that passes is then judged as the mart will judge its values (`orchestration.quality`):
values far from the organisation's own history or outside its peers' usual range are listed for
review, as warnings; they do not refuse it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from contracts.organisation_register import read_organisation_register
from contracts.validation import ContractViolationError, Violation
from orchestration.quality import Review, review
from orchestration.registry import LandingFile, recognise
from orchestration.settings import Settings

EXAMPLE = "community_indicators/2024-06/ZAA_20240703T0900.csv"


@dataclass(frozen=True)
class Verdict:
    """What ingest would make of the file: its violations (none: accepted) and rows, and the
    values of an accepted return for data-quality review (with a note when it could not be)."""

    file: LandingFile
    violations: list[Violation]
    rows: int
    membership_checked: bool
    reviews: list[Review] = field(default_factory=list)
    review_note: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.violations)


def landing_name(path: Path, landing: Path, named_as: str | None) -> LandingFile:
    """The landing file `path` is (or will be, `named_as`), or a one-line error."""
    if named_as:
        found = recognise(named_as.strip("/"))
        if found is None:
            raise ValueError(f"--as {named_as}: no source takes that landing path (e.g. {EXAMPLE})")
        return found
    resolved = path.resolve()
    if resolved.is_relative_to(landing.resolve()):
        relative = resolved.relative_to(landing.resolve()).as_posix()
        found = recognise(relative)
        if found is None:
            raise ValueError(f"{relative}: no source takes that landing path (e.g. {EXAMPLE})")
        return found
    for depth in range(min(len(resolved.parts) - 1, 4), 0, -1):
        found = recognise("/".join(resolved.parts[-depth:]))
        if found is not None:
            return found
    raise ValueError(
        f"{path.name}: no source takes a file so named in these folders; say where it will "
        f"land with --as (e.g. --as {EXAMPLE})"
    )


def the_register(settings: Settings, path: Path | None) -> pd.DataFrame | None:
    """The register membership is checked against: `path`, validated, or the platform's last
    accepted one (the lake's), or none."""
    if path is not None:
        try:
            return read_organisation_register(path)
        except ContractViolationError as error:
            first = error.violations[0]
            raise ValueError(f"--register {path}: {first}") from None
    from assets.lake import read_register

    return read_register(settings.lake)


def validate(
    path: Path, settings: Settings, *, named_as: str | None, register_path: Path | None
) -> Verdict:
    from assets.lake import check_files

    file = landing_name(path, settings.landing, named_as)
    register = the_register(settings, register_path)
    with tempfile.TemporaryDirectory(prefix="peerbench-validate-") as folder:
        landing = Path(folder)
        placed = landing / file.relative  # the file, under the landing path ingest reads
        placed.parent.mkdir(parents=True)
        os.symlink(path.resolve(), placed)
        with duckdb.connect() as connection:
            violations, validated = check_files(
                connection,
                file.source,
                file.period,
                [file],
                landing=landing,
                lake=settings.lake,
                register=register,
                now=datetime.now(),
                membership=register is not None,
                read_refused=True,
                numbered=True,
            )
            rows = validated.rows.get(file.relative, 0)
            found = violations[file.relative]
            reviews, note = ([], None) if found else review(connection, file, settings.warehouse)
    return Verdict(file, found, rows, register is not None, reviews, note)


def report(verdict: Verdict) -> str:
    file = verdict.file
    what = f"{file.source.name}, period {file.period}"
    if file.submitter:
        what += f", from {file.submitter}"
    lines = [f"{file.relative}: {what}"]
    if not verdict.membership_checked and file.source.submitters:
        lines.append("note: no organisation register at hand (--register): membership not checked")
    lines += [f"  {violation}" for violation in verdict.violations]
    if verdict.review_note:
        lines.append(f"note: {verdict.review_note}")
    lines += [f"  warning: {found}" for found in verdict.reviews]
    if verdict.refused:
        count = len(verdict.violations)
        lines.append(f"refused: {count} problem{'s' * (count != 1)}; ingest would quarantine it")
    elif verdict.reviews:
        count = len(verdict.reviews)
        lines.append(
            f"ok: {verdict.rows:,} rows would be accepted, with {count} "
            f"value{'s' * (count != 1)} for review"
        )
    else:
        lines.append(f"ok: {verdict.rows:,} rows would be accepted")
    return "\n".join(lines)
