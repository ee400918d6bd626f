"""Yardstick of issue 14: per-team monthly operational figures as one plain pandas script.

    .venv/bin/python benchmarks/pandas_metrics.py --landing <landing> --start 2025-04 \\
        --to 2026-03 --out <folder>

The same figures as `duckdb_metrics.py` (see there), written the everyday pandas way: a
provider's month at a time (its contacts and shifts files, the columns needed, typed on
reading), grouped by team, the months concatenated at the end into `<out>/team_month.parquet`.
Only pandas (and pyarrow, to write Parquet) and the standard library.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

CONTACT_COLUMNS = ["nhs_number", "patient_id", "team_code", "start_time", "end_time",
                   "contact_type", "outcome", "travel_minutes"]  # fmt: skip
SHIFT_COLUMNS = ["staff_id", "team_code", "shift_date", "shift_type"]


def minutes(times: pd.Series) -> pd.Series:
    """`HH:MM` as minutes after the day's midnight (past 1440 for the next day)."""
    return times.str.slice(0, 2).astype("int64") * 60 + times.str.slice(3, 5).astype("int64")


def contact_figures(path: Path) -> pd.DataFrame:
    types = {column: "str" for column in CONTACT_COLUMNS} | {"travel_minutes": "int64"}
    contacts = pd.read_csv(path, usecols=CONTACT_COLUMNS, dtype=types)
    attended = contacts["outcome"] == "attended"
    flags = pd.DataFrame(
        {
            "team_code": contacts["team_code"],
            "contacts_booked": 1,
            "contacts_attended": attended,
            "contacts_dna": contacts["outcome"] == "dna",
            "contacts_attended_f2f": attended & (contacts["contact_type"] == "F2F"),
            "attended_minutes": (minutes(contacts["end_time"]) - minutes(contacts["start_time"]))
            .where(attended, 0),
            "travel_minutes": contacts["travel_minutes"].where(attended, 0),
            "patient": contacts["nhs_number"].fillna("local " + contacts["patient_id"]),
        }
    )  # fmt: skip
    figures = flags.drop(columns="patient").groupby("team_code").sum()
    return figures.assign(patients=flags.groupby("team_code")["patient"].nunique())


def shift_days(path: Path) -> pd.Series:
    shifts = pd.read_csv(path, usecols=SHIFT_COLUMNS, dtype="str")
    clinical = shifts[shifts["shift_type"] == "clinical"]
    days = clinical.drop_duplicates(["team_code", "staff_id", "shift_date"])
    return days.groupby("team_code").size().rename("clinical_shift_days")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--start", required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", required=True, help="last month, YYYY-MM")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    folders = sorted(
        folder
        for folder in args.landing.glob("operational/*/*")
        if folder.is_dir() and args.start <= folder.name <= args.to
    )
    months = []
    for folder in folders:  # one provider's month: <ORG>/<YYYY-MM>/
        contacts, shifts = folder / "epr_contacts.csv", folder / "eroster_shifts.csv"
        figures = contact_figures(contacts) if contacts.exists() else pd.DataFrame()
        if shifts.exists():
            figures = figures.join(shift_days(shifts), how="outer")
        months.append(
            figures.reset_index(names="team_code").assign(
                organisation_code=folder.parent.name, month=folder.name
            )
        )
    teams = pd.concat(months, ignore_index=True)
    teams = teams.assign(
        dna_rate=teams["contacts_dna"] / (teams["contacts_attended"] + teams["contacts_dna"]),
        face_to_face_share=teams["contacts_attended_f2f"] / teams["contacts_attended"],
    )
    keys = ["organisation_code", "team_code", "month"]
    teams = teams[keys + [c for c in teams.columns if c not in keys]].sort_values(keys)
    teams.to_parquet(args.out / "team_month.parquet", index=False)
    print(f"pandas_metrics: {len(teams):,} team months from {len(folders)} provider months")


if __name__ == "__main__":
    main()
