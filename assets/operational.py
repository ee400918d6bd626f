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


def pseudonyms(columns: list[str]) -> list[str]:
    """The pseudonym columns of an extract with these (clear) columns."""
    found = []
    if "patient_id" in columns:
        by_number = pseudonym_sql("rows.nhs_number", "nhs_number")
        by_local_id = pseudonym_sql("rows.patient_id", "patient")
        found.append(f"coalesce({by_number}, {by_local_id}) as patient_pseudonym")
    for column in ("staff_id", "assignment_number"):
        if column in columns:
            found.append(f"{pseudonym_sql(f'rows.{column}', 'staff')} as staff_pseudonym")
    if "referral_id" in columns:
        found.append(f"{pseudonym_sql('rows.referral_id', 'referral')} as referral_pseudonym")
    return found


def extract_select(source: Source, period: str) -> str:
    """Provider and month, the typed extract without its identifiers, pseudonyms, lineage."""
    schema = source.contract(period).schema
    columns = list(schema.columns)
    hidden = ["_file", "_line", "_submitter", *(c for c in IDENTIFIERS if c in columns)]
    return (
        f"select meta.submitter as organisation_code, '{period}' as period, "
        f"rows.* exclude ({', '.join(hidden)}), "
        f"{', '.join(pseudonyms(columns))}, {LINEAGE} "
        f"from ({typed_extract_sql('accepted', schema)}) as rows "
        "join meta on meta._file = rows._file, _pseudonym_key"
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
