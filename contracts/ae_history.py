"""Contract of the historic A&E series, April 2016 - March 2019, as the NHS-R community's
NHSRdatasets package tidied NHS England's monthly files (`ae_attendances`): one row per month,
organisation and department type, with attendances, attendances over 4 hours (breaches) and
emergency admissions via A&E. It has no booked appointments, decision-to-admit waits or other
emergency admissions (NHS England's files of those years did not split them out), and no total
row. It lands as one file and loads as one unpartitioned dataset; a month NHS England's own
monthly file covers is taken from that file instead (the mart's A&E model)."""

from __future__ import annotations

import pandera.pandas as pa

from contracts.ae_monthly import ORGANISATION_CODE
from contracts.validation import Contract, Limits, RowRule

TYPES = ("1", "2", "other")
_count = pa.Column("int64", pa.Check.ge(0))

ae_history_contract = Contract(
    schema=pa.DataFrameSchema(
        {
            "period": pa.Column(
                str,
                pa.Check.str_matches(
                    r"^\d{4}-(0[1-9]|1[0-2])-01$", error="not the first day of a month YYYY-MM-01"
                ),
            ),
            "org_code": pa.Column(
                str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS organisation code")
            ),
            "type": pa.Column(str, pa.Check.isin(TYPES, error="not a department type 1, 2, other")),
            "attendances": _count,
            "breaches": _count,
            "admissions": _count,
        },
        unique=["period", "org_code", "type"],
        strict=True,
        name="NHS England A&E history (NHSRdatasets)",
    ),
    row_rules=(
        RowRule("breaches", "more breaches than attendances", "rows.breaches <= rows.attendances"),
    ),
    limits=Limits(max_bytes=20 << 20, max_rows=200_000),
)
