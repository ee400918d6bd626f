"""The vocabulary of organisation types, declared once in `seeds/organisation_types.csv` (code,
label, description): the register's contract accepts these codes, dbt tests every typed model
against the seed, and the inference of national providers' types (`int_organisation_types`)
yields only these."""

from __future__ import annotations

import csv
from pathlib import Path

ORGANISATION_TYPES_PATH = Path(__file__).resolve().parents[1] / "seeds" / "organisation_types.csv"


def organisation_types(path: Path = ORGANISATION_TYPES_PATH) -> dict[str, str]:
    """Each organisation type's code and label, in the seed's order."""
    with path.open(newline="") as handle:
        return {row["organisation_type"]: row["label"] for row in csv.DictReader(handle)}


ORGANISATION_TYPES = tuple(organisation_types())
