"""Operational extracts: each provider's team register and the four extracts it sends every
month (EPR referrals and contacts, eRoster shifts, the ESR establishment), as
`docs/operational_extracts.md` specifies them, in the canonical layout or a system's own.

Landing layout: `landing/operational/<ORG>/teams.csv`, and one folder per provider and month,
`landing/operational/<ORG>/<YYYY-MM>/<extract>.csv`; a corrected file replaces the file, and its
modification time is its submission time. Every extract row's team must be in its provider's
accepted team register, which the reference refresh reads first.

Identifiers are pseudonymised in the same SQL that writes the lake, right after the contract
passes: the NHS number (or, for a patient without one, the local patient id) becomes
`patient_pseudonym`, the staff id and the ESR assignment number `staff_pseudonym` (the same
pseudonym for the same person: the EPR and the roster carry the assignment number), the referral
id `referral_pseudonym`, and the clear columns are not written, so they never reach the lake, the
mart or the run logs (contract violations withhold them too). The key is read before anything is
read, so a run without `PEERBENCH_PSEUDONYM_KEY` writes nothing.
"""

from __future__ import annotations

import dagster as dg

from assets.lake import build_lake_asset, pseudonym_sql
from contracts.operational_extracts import EXTRACTS, IDENTIFIERS, typed_extract_sql
from orchestration.registry import SOURCES, Source

LINEAGE = "meta.source_file, meta.source_sha256, meta.submitted_at"


# pseudonym column: (the clear columns it is made of, SQL of its value over them): the NHS
# number's pseudonym, else the local patient id's; the staff id's (the ESR assignment number in
# ESR); the referral id's
PSEUDONYMS = {
    "patient_pseudonym": (
        ("nhs_number", "patient_id"),
        f"coalesce({pseudonym_sql('nhs_number', 'nhs_number')}, "
        f"{pseudonym_sql('patient_id', 'patient')})",
    ),
    "staff_pseudonym": (("staff_id",), pseudonym_sql("staff_id", "staff")),
    "referral_pseudonym": (("referral_id",), pseudonym_sql("referral_id", "referral")),
}
ESR_STAFF = {"staff_id": "assignment_number"}  # ESR's name for the staff id


def extract_select(source: Source, period: str) -> str:
    """Provider and month, the typed extract without its identifiers, pseudonyms, lineage.

    Each pseudonym is worked out once per distinct identifier (a patient recurs in hundreds of
    contacts, a clinician in thousands): two SHA-256 a value, not two a row, which at 40 million
    contacts a year is most of the cost of ingest."""
    schema = source.contract(period).schema
    columns = list(schema.columns)
    hidden = ["_file", "_line", "_submitter", *(c for c in IDENTIFIERS if c in columns)]
    lookups, joins, selected = [], [], []
    for name, (parts, value) in PSEUDONYMS.items():
        clear = [ESR_STAFF.get(p, p) if p not in columns else p for p in parts]
        if not all(c in columns for c in clear):
            continue
        renamed = ", ".join(f"{c} as {p}" for c, p in zip(clear, parts, strict=True))
        lookups.append(
            f"{name}s as (select {', '.join(parts)}, {value} as {name} from "
            f"(select distinct {renamed} from rows) as distinct_values, _pseudonym_key)"
        )
        on = " and ".join(
            f"{name}s.{p} is not distinct from rows.{c}" for c, p in zip(clear, parts, strict=True)
        )
        joins.append(f"left join {name}s on {on}")
        selected.append(f"{name}s.{name}")
    return (
        f"with rows as ({typed_extract_sql('accepted', schema)}), {', '.join(lookups)} "
        f"select meta.submitter as organisation_code, '{period}' as period, "
        f"rows.* exclude ({', '.join(hidden)}), {', '.join(selected)}, {LINEAGE} "
        f"from rows join meta on meta._file = rows._file {' '.join(joins)}"
    )


def teams_select(source: Source, period: str) -> str:
    return (
        "select meta.submitter as organisation_code, team_code, team_name, department, "
        f"cast(opened_on as date) as opened_on, cast(closed_on as date) as closed_on, {LINEAGE} "
        "from accepted join meta on meta._file = accepted._file"
    )


def comparators_select(source: Source, period: str) -> str:
    return (
        "select meta.submitter as organisation_code, "
        "accepted.organisation_code as comparator_code, "
        f"{LINEAGE} from accepted join meta on meta._file = accepted._file"
    )


operational_teams = build_lake_asset(SOURCES["operational_teams"], teams_select)
operational_comparators = build_lake_asset(SOURCES["operational_comparators"], comparators_select)
extract_assets = [
    build_lake_asset(SOURCES[name], extract_select, pseudonymise=True) for name in EXTRACTS
]
epr_referrals, epr_contacts, eroster_shifts, esr_staff = extract_assets

defs = dg.Definitions(assets=[operational_teams, operational_comparators, *extract_assets])
