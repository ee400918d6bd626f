"""Contract of the organisation register (`landing/reference/organisations.csv`): the network's
membership list with ODS code, name, organisation type (a code of `seeds/organisation_types.csv`)
and NHS region, optionally the first and last month of each organisation's membership (blank: a
member throughout), and optionally the local authorities each member serves (lower-tier, 2021
codes, separated by semicolons), from which its nearest-neighbour peers are found.

The contract checks that the local authorities are shaped as English LTLA codes (E06-E09 and six
digits) and that none is declared twice; whether each is a code in ONS's population file is a dbt
test (`local_authority_is_known`), because that file is reference data loaded on its own and
replaced by each vintage: one stale code must not refuse the register, which gates every
member's submissions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from contracts.indicator_return import ORGANISATION_CODE
from contracts.organisation_types import ORGANISATION_TYPES
from contracts.validation import Contract, Limits, RowRule, validate_file

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
LTLA_CODE = r"E0[6-9]\d{6}"  # England's unitary, district, metropolitan and London boroughs
LOCAL_AUTHORITIES = rf"^{LTLA_CODE}( *; *{LTLA_CODE})*$"  # spaces around a ; allowed
_declared = "string_split(replace(rows.local_authorities, ' ', ''), ';')"

_optional_month = pa.Column(
    str, pa.Check.str_matches(MONTH, error="not a month YYYY-MM"), nullable=True, required=False
)

organisation_register_contract = Contract(
    schema=pa.DataFrameSchema(
        {
            "organisation_code": pa.Column(
                str,
                pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS-style organisation code"),
            ),
            "organisation_name": pa.Column(str, pa.Check.str_length(min_value=1)),
            "organisation_type": pa.Column(str, pa.Check.isin(ORGANISATION_TYPES)),
            "region_code": pa.Column(str, pa.Check.str_matches(r"^Y\d{2}$")),
            "region_name": pa.Column(str, pa.Check.str_length(min_value=1)),
            "member_from": pa.Column(
                str,
                pa.Check.str_matches(MONTH, error="not a month YYYY-MM"),
                nullable=True,
                required=False,
            ),
            "member_to": pa.Column(
                str,
                pa.Check.str_matches(MONTH, error="not a month YYYY-MM"),
                nullable=True,
                required=False,
            ),
            "local_authorities": pa.Column(
                str,
                pa.Check.str_matches(
                    LOCAL_AUTHORITIES,
                    error="not LTLA 2021 codes (E06-E09 and six digits) separated by semicolons",
                ),
                nullable=True,
                required=False,
            ),
        },
        unique=["organisation_code"],
        strict=True,
        name="organisation register",
    ),
    row_rules=(
        RowRule(
            "member_to",
            "membership ends before it starts",
            "rows.member_from is null or rows.member_to is null "
            "or rows.member_from <= rows.member_to",
        ),
        RowRule(
            "local_authorities",
            "a local authority is declared twice",
            f"rows.local_authorities is null or len(list_distinct({_declared})) = len({_declared})",
        ),
    ),
    limits=Limits(max_bytes=10 << 20, max_rows=100_000),
)


def read_organisation_register(path: Path) -> pd.DataFrame:
    return validate_file(path, organisation_register_contract)
