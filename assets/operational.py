"""Operational extracts: the EPR contacts and eRoster shifts each provider sends every month.

Landing layout, one folder per provider and month:
`landing/operational/<ORG>/<YYYY-MM>/epr_contacts.csv` and `.../eroster_shifts.csv`; a
corrected extract replaces the file, and its modification time is its submission time.

Identifiers are pseudonymised as each file is read, right after its contract passes: the
NHS number (or, for a patient without one, the local patient id) becomes `patient_pseudonym`, the
staff id `staff_pseudonym`, and the clear columns are dropped, so they never reach the lake, the
mart or the run logs (contract violations withhold them too). The key is read when a file is, so
a run without `PEERBENCH_PSEUDONYM_KEY` fails before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.lake import LakeDataset, build_lake_asset
from assets.pseudonymisation import pseudonymise
from contracts.indicator_return import ORGANISATION_CODE
from contracts.operational_extracts import IDENTIFIERS, read_epr_contacts, read_eroster_shifts
from contracts.validation import ContractViolationError, Violation
from orchestration.partitions import month_label, monthly_partition
from orchestration.settings import pseudonym_key

GROUP = "operational_extracts"
LANDING_FOLDER = "operational"

ExtractReader = Callable[[Path, str], pd.DataFrame]  # (file, month label) -> validated rows


def _extract_files(extract: str) -> Callable[[Path, str], list[Path]]:
    def files(landing: Path, partition_key: str) -> list[Path]:
        month = month_label(partition_key)
        return sorted((landing / LANDING_FOLDER).glob(f"*/{month}/{extract}.csv"))

    return files


def organisation_code(path: Path) -> str:
    """The provider an extract belongs to: its landing folder `<ORG>/<YYYY-MM>/`."""
    code = path.parent.parent.name
    if not re.match(ORGANISATION_CODE, code):
        rule = f"landing folder {code!r} is not an ODS-style organisation code"
        raise ContractViolationError([Violation(path.name, None, None, rule)])
    return code


def pseudonymised(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """The frame with its clear identifiers replaced by pseudonyms."""
    pseudonyms = {"staff_pseudonym": pseudonymise(frame["staff_id"], key, "staff")}
    if "nhs_number" in frame:
        by_nhs_number = pseudonymise(frame["nhs_number"], key, "nhs_number")
        by_local_id = pseudonymise(frame["patient_id"], key, "patient")
        pseudonyms["patient_pseudonym"] = by_nhs_number.fillna(by_local_id)
    return frame.drop(columns=frame.columns.intersection(IDENTIFIERS)).assign(**pseudonyms)


def _pseudonymising(read_extract: ExtractReader) -> Callable[[Path, str], pd.DataFrame]:
    """A lake reader: the key first, then contract, pseudonyms, provider and month columns."""

    def read(path: Path, partition_key: str) -> pd.DataFrame:
        key = pseudonym_key()
        organisation = organisation_code(path)
        month = month_label(partition_key)
        frame = pseudonymised(read_extract(path, month), key)
        frame.insert(0, "period", month)
        frame.insert(0, "organisation_code", organisation)
        return frame

    return read


def _operational_dataset(name: str, description: str, read_extract: ExtractReader) -> LakeDataset:
    return LakeDataset(
        name=name,
        description=description,
        group=GROUP,
        partitions_def=monthly_partition,
        period_label=month_label,
        landing_files=_extract_files(name),
        read=_pseudonymising(read_extract),
    )


epr_contacts = build_lake_asset(
    _operational_dataset(
        "epr_contacts",
        "Each provider's monthly EPR patient contacts, validated and pseudonymised.",
        read_epr_contacts,
    )
)

eroster_shifts = build_lake_asset(
    _operational_dataset(
        "eroster_shifts",
        "Each provider's monthly eRoster shifts worked, validated and pseudonymised.",
        read_eroster_shifts,
    )
)

defs = dg.Definitions(assets=[epr_contacts, eroster_shifts])
