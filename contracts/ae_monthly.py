"""Contract of NHS England's monthly A&E provider CSV (A&E Attendances and Emergency Admissions).

The published file has quirks the contract absorbs before it judges anything: padded text (parent
organisations end in a space), a closing `TOTAL` row (spelt `Total` in some months), and, in
some releases, blank `Unnamed: 22`... columns and a stray column. Columns outside the 22 expected
ones are dropped; a missing expected column rejects the file at the header (line 1), so a renamed
header is caught rather than dropped as a stray. Violations name the file's own column headers,
so a publisher's analyst can find them; the frame returned has snake_case names.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from contracts.validation import Contract, Limits, RowRule, validate_file

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip
ORGANISATION_CODE = r"^[A-Z0-9]{3,6}$"  # trusts have 3 characters, sites and practices up to 6
PERIOD = r"^MSitAE-[A-Z]+-\d{4}$"

TEXT_COLUMNS = {
    "Period": "period",
    "Org Code": "organisation_code",
    "Parent Org": "parent_org",
    "Org name": "organisation_name",
}
COUNT_COLUMNS = {
    "A&E attendances Type 1": "attendances_type1",
    "A&E attendances Type 2": "attendances_type2",
    "A&E attendances Other A&E Department": "attendances_other",
    "A&E attendances Booked Appointments Type 1": "booked_type1",
    "A&E attendances Booked Appointments Type 2": "booked_type2",
    "A&E attendances Booked Appointments Other Department": "booked_other",
    "Attendances over 4hrs Type 1": "over_4hrs_type1",
    "Attendances over 4hrs Type 2": "over_4hrs_type2",
    "Attendances over 4hrs Other Department": "over_4hrs_other",
    "Attendances over 4hrs Booked Appointments Type 1": "over_4hrs_booked_type1",
    "Attendances over 4hrs Booked Appointments Type 2": "over_4hrs_booked_type2",
    "Attendances over 4hrs Booked Appointments Other Department": "over_4hrs_booked_other",
    "Patients who have waited 4-12 hs from DTA to admission": "dta_4_to_12_hours",
    "Patients who have waited 12+ hrs from DTA to admission": "dta_over_12_hours",
    "Emergency admissions via A&E - Type 1": "emergency_admissions_type1",
    "Emergency admissions via A&E - Type 2": "emergency_admissions_type2",
    "Emergency admissions via A&E - Other A&E department": "emergency_admissions_other",
    "Other emergency admissions": "other_emergency_admissions",
}
HEADER = [*TEXT_COLUMNS, *COUNT_COLUMNS]  # the published header, in the published order
OUTPUT_COLUMNS = ["organisation_code", "parent_org", "organisation_name", "period",
                  *COUNT_COLUMNS.values()]  # fmt: skip
TOTAL_ROW = "TOTAL"


AE_LANDING = "nhse_ae"  # the landing folder NHS England's monthly files are dropped into


def ae_file_stem(month: str) -> str:
    """NHS England's file name stem for a month label: '2024-06' -> 'Monthly-AE-June-2024'."""
    year, number = month.split("-")
    return f"Monthly-AE-{MONTH_NAMES[int(number) - 1]}-{year}"


def nhse_period(month: str) -> str:
    """NHS England's Period text for a month label: '2024-06' -> 'MSitAE-JUNE-2024'."""
    year, number = month.split("-")
    return f"MSitAE-{MONTH_NAMES[int(number) - 1].upper()}-{year}"


@cache
def ae_monthly_contract(month: str) -> Contract:
    """The contract of one month's file, on the file's own headers: a publisher's analyst finds
    a violation under the column name they wrote. Columns outside the 22 are dropped."""
    counts = {name: pa.Column("int64", pa.Check.ge(0)) for name in COUNT_COLUMNS}
    schema = pa.DataFrameSchema(
        {
            "Period": pa.Column(
                str,
                [
                    pa.Check.str_matches(PERIOD, error="not an A&E period (MSitAE-<MONTH>-<YYYY>)"),
                    pa.Check.eq(nhse_period(month), error=f"period is not {nhse_period(month)}"),
                ],
            ),
            "Org Code": pa.Column(
                str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS organisation code")
            ),
            "Parent Org": pa.Column(str, pa.Check.str_length(min_value=1)),
            "Org name": pa.Column(str, pa.Check.str_length(min_value=1)),
            **counts,
        },
        unique=["Org Code"],
        strict="filter",
        name="NHS England monthly A&E",
    )
    return Contract(
        schema=schema,
        row_rules=tuple(AE_MONTHLY_RULES),
        lower_case_header=False,
        not_data=f"upper(\"Period\") = '{TOTAL_ROW}'",
        reconciles=tuple(COUNT_COLUMNS),  # the TOTAL row is England's, every measure
        limits=Limits(max_bytes=20 << 20, max_rows=50_000),
    )


def _over_4hrs_within(kind: str, attended: str) -> RowRule:
    over, attendances = f"Attendances over 4hrs {kind}", f"A&E attendances {attended}"
    return RowRule(
        over,
        f"more attendances over 4 hours than {attendances!r}",
        f'rows."{over}" <= rows."{attendances}"',
    )


# Waits over 4 hours are a subset of the attendances of the same type and booking.
AE_MONTHLY_RULES = [
    _over_4hrs_within(kind, attended)
    for kind, attended in [
        ("Type 1", "Type 1"),
        ("Type 2", "Type 2"),
        ("Other Department", "Other A&E Department"),
        ("Booked Appointments Type 1", "Booked Appointments Type 1"),
        ("Booked Appointments Type 2", "Booked Appointments Type 2"),
        ("Booked Appointments Other Department", "Booked Appointments Other Department"),
    ]
]


def as_lake_columns(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    """Validated rows with snake_case columns and the period as 'YYYY-MM'."""
    renamed = frame.rename(columns={**TEXT_COLUMNS, **COUNT_COLUMNS}).assign(period=month)
    return renamed[OUTPUT_COLUMNS].reset_index(drop=True)


def read_ae_monthly(path: Path, month: str) -> pd.DataFrame:
    """Read and validate one month's file (`month` like '2024-06'); raise ContractViolationError
    if it is bad. Returns one row per organisation with snake_case columns, period as 'YYYY-MM'."""
    return as_lake_columns(validate_file(path, ae_monthly_contract(month)), month)
