"""Operational extracts: the EPR contacts and eRoster shifts each provider sends every month.

Landing layout, one folder per provider and month:
`landing/operational/<ORG>/<YYYY-MM>/epr_contacts.csv` and `.../eroster_shifts.csv`; a
corrected extract replaces the file, and its modification time is its submission time.

Identifiers are pseudonymised in the same SQL that writes the lake, right after the contract
passes: the NHS number (or, for a patient without one, the local patient id) becomes
`patient_pseudonym`, the staff id `staff_pseudonym`, and the clear columns are not written, so
they never reach the lake, the mart or the run logs (contract violations withhold them too). The
key is read before anything is read, so a run without `PEERBENCH_PSEUDONYM_KEY` writes nothing.
"""

from __future__ import annotations

import dagster as dg

from assets.lake import build_lake_asset, pseudonym_sql
from contracts.operational_extracts import DATE_COLUMNS, IDENTIFIERS, typed_extract_sql
from orchestration.registry import SOURCES, Source


def extract_select(source: Source, period: str) -> str:
    """Provider and month, the typed extract without its identifiers, pseudonyms, lineage."""
    pseudonyms = [f"{pseudonym_sql('rows.staff_id', 'staff')} as staff_pseudonym"]
    if source.name == "epr_contacts":
        by_number = pseudonym_sql("rows.nhs_number", "nhs_number")
        by_local_id = pseudonym_sql("rows.patient_id", "patient")
        pseudonyms.append(f"coalesce({by_number}, {by_local_id}) as patient_pseudonym")
    typed = typed_extract_sql("accepted", DATE_COLUMNS[source.name])
    columns = source.contract(period).schema.columns
    hidden = ["_file", "_line", "_submitter", *(c for c in IDENTIFIERS if c in columns)]
    return (
        f"select meta.submitter as organisation_code, '{period}' as period, "
        f"rows.* exclude ({', '.join(hidden)}), "
        f"{', '.join(pseudonyms)}, meta.source_file, meta.source_sha256, meta.submitted_at "
        f"from ({typed}) as rows join meta on meta._file = rows._file, _pseudonym_key"
    )


epr_contacts = build_lake_asset(SOURCES["epr_contacts"], extract_select, pseudonymise=True)
eroster_shifts = build_lake_asset(SOURCES["eroster_shifts"], extract_select, pseudonymise=True)

defs = dg.Definitions(assets=[epr_contacts, eroster_shifts])
