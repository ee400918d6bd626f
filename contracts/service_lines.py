"""The service lines of `seeds/service_lines.csv`, the one list: 'all' (a whole organisation),
MHLDA's six services and RTT's treatment functions, each with its name and collection."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

SERVICE_LINES_PATH = Path(__file__).resolve().parents[1] / "seeds" / "service_lines.csv"
WHOLE = "all"


@cache
def service_lines() -> pd.DataFrame:
    return pd.read_csv(SERVICE_LINES_PATH, dtype=str, keep_default_na=False)


def collected_by(collection: str) -> tuple[str, ...]:
    """The service lines a collection's rows may carry: its own, and 'all'."""
    lines = service_lines()
    return (WHOLE, *lines.loc[lines["collection"] == collection, "service_line"])


@cache
def _names() -> dict[str, str]:
    lines = service_lines()
    return dict(zip(lines["service_line"], lines["service_line_name"], strict=True))


def service_line_name(code: str) -> str:
    """A service line's name ('adult_ld' -> 'Adult learning disability'); a code not in the
    list as it stands."""
    return _names().get(code, code)
