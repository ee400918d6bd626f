"""Yardstick of issue 14: per-team monthly operational figures as one bare DuckDB script.

    .venv/bin/python benchmarks/duckdb_metrics.py --landing <landing> --start 2025-04 \\
        --to 2026-03 --out <folder>

`benchmarks/operational.py` times this script beside the platform's operational stage: what the
figures cost with nothing but DuckDB between the providers' CSV files and the answer. It reads
every provider's EPR contacts and eRoster shifts of the months
(`operational/<ORG>/<YYYY-MM>/epr_contacts.csv`, `eroster_shifts.csv`, canonical layout), all
files of an extract in one `read_csv` with the columns typed as the specification writes them,
and writes, per provider, team and month (the landing folder's), `<out>/team_month.parquet`:

- contacts_booked, contacts_attended, contacts_dna and the DNA rate (DNA over attended or DNA);
- contacts_attended_f2f and the face-to-face share (of attended contacts);
- attended_minutes (end less start of attended contacts; an end past 24:00 is the next day's)
  and travel_minutes (recorded for attended contacts, as the platform's travel hours);
- patients: distinct patients booked (the NHS number, else the local patient id);
- clinical_shift_days: distinct staff and day of `clinical` shifts.

No contract, no pseudonyms, no lake: the bare computation the platform must stay within twice
of. Only DuckDB and the standard library.

`--floor` (with `PEERBENCH_PSEUDONYM_KEY` set) adds what issue 14 asks of any ingest, and
nothing more: all four extracts are read (referrals and ESR too), every person identifier is
replaced by its keyed pseudonym (HMAC-SHA256 of `<domain>\\x1f<value>`, 32 hex characters, as
the platform's, computed once per distinct value), the rows are written as Parquet
(`<out>/lake/<extract>/data.parquet`), and the same figures are computed from those files. No
contract rule is checked: it is a floor under the platform's operational stage, not the same
work.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb
from keyed_hash import hmac_sql, pads

CONTACTS = {  # the canonical columns, in order, as a read_csv `columns` struct
    "contact_id": "VARCHAR", "nhs_number": "VARCHAR", "patient_id": "VARCHAR",
    "staff_id": "VARCHAR", "team_code": "VARCHAR", "contact_date": "DATE",
    "start_time": "VARCHAR", "end_time": "VARCHAR", "contact_type": "VARCHAR",
    "location": "VARCHAR", "outcome": "VARCHAR", "travel_minutes": "INTEGER",
    "interventions": "INTEGER", "activity_type": "VARCHAR",
}  # fmt: skip
SHIFTS = {
    "staff_id": "VARCHAR", "team_code": "VARCHAR", "shift_date": "DATE",
    "start_time": "VARCHAR", "end_time": "VARCHAR", "break_minutes": "INTEGER",
    "shift_type": "VARCHAR", "employment_type": "VARCHAR", "overtime": "VARCHAR",
    "band": "VARCHAR",
}  # fmt: skip
REFERRALS = dict.fromkeys(
    ["referral_id", "patient_id", "nhs_number", "team_code", "referral_source", "priority",
     "received_at", "accepted_on", "first_contact_at", "discharged_on"], "VARCHAR",
)  # fmt: skip
ESR = {
    "position_id": "VARCHAR", "assignment_number": "VARCHAR", "team_code": "VARCHAR",
    "role": "VARCHAR", "band": "VARCHAR", "wte": "DOUBLE", "budgeted_wte": "DOUBLE",
    "start_date": "DATE", "leaving_date": "DATE", "sickness_absence_days": "DOUBLE",
}  # fmt: skip
# --floor: extract -> (its columns, {pseudonym column: (pseudonym domain, the identifier)})
PATIENT = {
    "nhs_pseudonym": ("nhs_number", "nhs_number"),
    "patient_pseudonym": ("patient", "patient_id"),
}
FLOOR = {
    "epr_contacts": (CONTACTS, {**PATIENT, "staff_pseudonym": ("staff", "staff_id")}),
    "epr_referrals": (REFERRALS, {**PATIENT, "referral_pseudonym": ("referral", "referral_id")}),
    "eroster_shifts": (SHIFTS, {"staff_pseudonym": ("staff", "staff_id")}),
    "esr_staff": (ESR, {"staff_pseudonym": ("staff", "assignment_number")}),
}


def files(landing: Path, extract: str, first: str, last: str) -> list[str]:
    """The extract's files of every provider for the months first..last."""
    found = landing.glob(f"operational/*/*/{extract}.csv")
    return sorted(str(p) for p in found if first <= p.parent.name <= last)


def read(extract: str, columns: dict[str, str]) -> str:
    """All files of an extract (bound as $<extract>), with the provider and month of the
    landing folder `<ORG>/<YYYY-MM>/`."""
    struct = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    return (
        "select split_part(filename, '/', -3) as organisation_code, "
        "split_part(filename, '/', -2) as month, * exclude (filename) "
        f"from read_csv(${extract}, columns = {struct}, header = true, auto_detect = false, "
        "filename = true)"
    )


def minutes(column: str) -> str:
    """`HH:MM` as minutes after the day's midnight (past 1440 for the next day)."""
    return f"(cast(left({column}, 2) as integer) * 60 + cast(right({column}, 2) as integer))"


def write_lake(
    con: duckdb.DuckDBPyConnection, landing: Path, first: str, last: str, out: Path, key: bytes
) -> None:
    """Each extract's rows with their identifiers pseudonymised, as `out/<extract>/data.parquet`:
    each distinct identifier hashed once, joined back as the rows stream to Parquet."""
    padded = pads(key)
    con.execute("set preserve_insertion_order = false")  # no order to keep: faster Parquet
    for extract, (columns, pseudonyms) in FLOOR.items():
        con.execute(
            f"create or replace temporary table rows as {read(extract, columns)}",
            {extract: files(landing, extract, first, last)},
        )
        joins, kept = [], []
        for number, (name, (domain, column)) in enumerate(pseudonyms.items()):
            con.execute(
                f"create or replace temporary table ids{number} as "
                f"select {column}, {hmac_sql(domain, column)} as hmac "
                f"from (select distinct {column} from rows where {column} is not null)",
                padded,
            )
            joins.append(f"left join ids{number} using ({column})")
            kept.append(f"ids{number}.hmac as {name}")
        identifiers = ", ".join(column for _, column in pseudonyms.values())
        folder = out / extract
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"copy (select rows.* exclude ({identifiers}), {', '.join(kept)} from rows "
            f"{' '.join(joins)}) to '{folder / 'data.parquet'}' (format parquet)"
        )
    con.execute("drop table rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--start", required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", required=True, help="last month, YYYY-MM")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--floor", action="store_true", help="pseudonymise all four extracts "
                        "into a Parquet lake first, and compute from it (see above)")  # fmt: skip
    args = parser.parse_args()
    key = os.environ.get("PEERBENCH_PSEUDONYM_KEY", "")
    if args.floor and len(key) < 16:
        parser.error("--floor needs PEERBENCH_PSEUDONYM_KEY (16 characters or more)")
    args.out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"set temp_directory = '{args.out / 'spill'}'")
    inputs = {
        "epr_contacts": files(args.landing, "epr_contacts", args.start, args.to),
        "eroster_shifts": files(args.landing, "eroster_shifts", args.start, args.to),
    }
    contacts, shifts = read("epr_contacts", CONTACTS), read("eroster_shifts", SHIFTS)
    patient, staff = "coalesce(nhs_number, 'local ' || patient_id)", "staff_id"
    if args.floor:
        write_lake(con, args.landing, args.start, args.to, args.out / "lake", key.encode())
        contacts, shifts = (f"select * from '{args.out / 'lake' / e / 'data.parquet'}'"
                            for e in ("epr_contacts", "eroster_shifts"))  # fmt: skip
        patient = "coalesce(nhs_pseudonym, 'local ' || patient_pseudonym)"
        staff, inputs = "staff_pseudonym", {}
    con.execute(
        f"""
        copy (
            with contacts as (
                select organisation_code, team_code, month,
                       count(*) as contacts_booked,
                       count(*) filter (outcome = 'attended') as contacts_attended,
                       count(*) filter (outcome = 'dna') as contacts_dna,
                       count(*) filter (outcome = 'attended' and contact_type = 'F2F')
                           as contacts_attended_f2f,
                       coalesce(sum({minutes("end_time")} - {minutes("start_time")})
                           filter (outcome = 'attended'), 0) as attended_minutes,
                       coalesce(sum(travel_minutes) filter (outcome = 'attended'), 0)
                           as travel_minutes,
                       count(distinct {patient}) as patients
                from ({contacts})
                group by all
            ),
            shift_days as (
                select organisation_code, team_code, month,
                       count(distinct ({staff}, shift_date)) as clinical_shift_days
                from ({shifts})
                where shift_type = 'clinical'
                group by all
            )
            select *,
                   contacts_dna / nullif(contacts_attended + contacts_dna, 0) as dna_rate,
                   contacts_attended_f2f / nullif(contacts_attended, 0) as face_to_face_share
            from contacts full join shift_days using (organisation_code, team_code, month)
            order by organisation_code, team_code, month
        ) to '{args.out / "team_month.parquet"}' (format parquet)
        """,
        inputs,
    )
    rows = con.execute(f"select count(*) from '{args.out / 'team_month.parquet'}'").fetchone()[0]
    print(f"duckdb_metrics: {rows:,} team months")


if __name__ == "__main__":
    main()
