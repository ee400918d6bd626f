"""Demo NHS ODS files: the NHS trusts (`ods/etr.csv`) and the successions (`ods/succ.csv`), in
ODS's headerless, fully quoted layouts (contracts/ods_etr.py, contracts/ods_succ.py), with one
merger among the demo's acute trusts: the first two merge into a new trust on the first day of
`DemoConfig.merger_month`. From that month the A&E files publish the new trust's row (the two
old ones' counts together) instead of theirs, as NHS England does after a merger; RTT and cancer
waits go on naming the old codes, which the mart reports under the new one all the same.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from contracts.ods_etr import ods_etr_contract
from orchestration.demo_data.organisations import REGIONS

ETR_FILE = Path("ods/etr.csv")
SUCC_FILE = Path("ods/succ.csv")
POSTCODE = "ZZ99 1AA"  # the NHS's pseudo-postcode for "not known": no real address
TRUST_OPENED = "19940401"


@dataclass(frozen=True)
class Merger:
    """Two trusts that merge into a new one on `effective` (the first day of a month)."""

    predecessors: tuple[str, str]
    successor: str
    successor_name: str
    effective: date

    @property
    def month(self) -> str:
        return f"{self.effective:%Y-%m}"


def make_merger(trusts: pd.DataFrame, free_codes: list[str], month: str) -> Merger:
    """The first two acute trusts merge into the first unused trust code."""
    first, second = trusts.iloc[0], trusts.iloc[1]
    places = [name.split(" Hospitals")[0] for name in (first["name"], second["name"])]
    taken = set(trusts["code"])
    return Merger(
        predecessors=(first["code"], second["code"]),
        successor=next(code for code in free_codes if code not in taken),
        successor_name=f"{places[0]} and {places[1]} Hospitals NHS Foundation Trust",
        effective=date.fromisoformat(f"{month}-01"),
    )


def merged_rows(rows: pd.DataFrame, merger: Merger, month: str) -> pd.DataFrame:
    """A month's published A&E rows (`Org Code`, `Parent Org`, `Org name`, counts): from the
    merger's month, the predecessors' rows are one row of the successor, their counts summed, in
    the first predecessor's place and under its parent organisation."""
    if month < merger.month:
        return rows
    mask = rows["Org Code"].isin(merger.predecessors)
    if not mask.any():
        return rows
    first = rows.index[mask][0]
    counts = rows.columns[4:]
    rows = rows.copy()
    rows.loc[first, counts] = rows.loc[mask, counts].sum()
    rows.loc[first, ["Org Code", "Org name"]] = [merger.successor, merger.successor_name]
    return rows.drop(index=rows.index[mask & (rows.index != first)]).reset_index(drop=True)


def _region_code(parent: str) -> str:
    names = {f"NHS ENGLAND {name.upper()}": code for code, name in REGIONS.items()}
    return names[parent.strip()]


def _trust_row(code: str, name: str, region: str, opened: str, closed: str) -> list[str]:
    row = dict.fromkeys(ods_etr_contract.headerless, "")
    row.update(
        organisation_code=code,
        name=name.upper(),
        national_grouping=region,
        high_level_health_geography=f"Q{region[-2:]}",
        address_line_1="TRUST HEADQUARTERS",
        address_line_4=name.split(" ")[0].upper(),
        postcode=POSTCODE,
        open_date=opened,
        close_date=closed,
        amended_record_indicator="0",
    )
    return list(row.values())


def write_ods_files(
    landing: Path, register: pd.DataFrame, trusts: pd.DataFrame, merger: Merger | None
) -> int:
    """etr: the register's members and the acute trusts (the merger's predecessors closed the
    day before it, its successor opened on it); succ: the merger, if there is one. Returns the
    number of files written."""
    closed_on = f"{merger.effective - timedelta(days=1):%Y%m%d}" if merger else ""
    rows = [
        _trust_row(r.organisation_code, r.organisation_name, r.region_code, TRUST_OPENED, "")
        for r in register.itertuples()
    ]
    for trust in trusts.itertuples():
        closed = closed_on if merger and trust.code in merger.predecessors else ""
        rows.append(
            _trust_row(trust.code, trust.name, _region_code(trust.parent), TRUST_OPENED, closed)
        )
    successions = []
    if merger:
        first = trusts.set_index("code").loc[merger.predecessors[0]]
        opened = f"{merger.effective:%Y%m%d}"
        rows.append(
            _trust_row(
                merger.successor, merger.successor_name, _region_code(first.parent), opened, ""
            )
        )
        successions = [[code, merger.successor, "", opened, ""] for code in merger.predecessors]
    files = [(ETR_FILE, rows), *([(SUCC_FILE, successions)] if successions else [])]
    for relative, lines in files:
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as handle:
            csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(lines)
    return len(files)
