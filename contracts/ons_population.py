"""Contract of ONS's mid-year population estimates by lower-tier local authority (LTLA), one row
per LTLA in England and Wales: its 2021 code and name, the total population and single years of
age 0 to 89 and 90+ (`population_mid2020_ltla21.csv`, a tidy extract of ONS's mid-2020
workbook; Open Government Licence v3.0).

The counts are whole people written as numbers with a decimal point (`4727.0`), so they are
declared as floats, required to be whole, and the single years must add up to the total exactly
(they do in the real file); the lake keeps them as integers. Peer grouping reads the total and the
shares aged under 18 and 65 and over of the LTLAs a member serves.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.validation import Contract, Limits, RowRule

LTLA_CODE = r"^(E0[6-9]|W06)\d{6}$"  # English unitary, district, metropolitan, London; Welsh
OPEN_ENDED_AGE = 90  # the last column, `90+`, counts everyone aged 90 and over
AGES = (*(str(age) for age in range(OPEN_ENDED_AGE)), f"{OPEN_ENDED_AGE}+")

_count = pa.Column(float, pa.Check.ge(0))


def _sql_sum(columns: tuple[str, ...]) -> str:
    return " + ".join(f'rows."{column}"' for column in columns)


ons_population_contract = Contract(
    schema=pa.DataFrameSchema(
        {
            "ltla21_code": pa.Column(
                str, pa.Check.str_matches(LTLA_CODE, error="not a local authority (LTLA) code")
            ),
            "ltla21_name": pa.Column(str, pa.Check.str_length(min_value=1)),
            "total_population": _count,
            **dict.fromkeys(AGES, _count),
        },
        unique=["ltla21_code"],
        strict=True,
        name="ONS mid-year population estimates by LTLA",
    ),
    row_rules=(
        RowRule(
            "total_population",
            "a count is not a whole number of people",
            " and ".join(
                f'rows."{column}" = round(rows."{column}")'
                for column in ("total_population", *AGES)
            ),
        ),
        RowRule(
            "total_population",
            "the single years of age do not add up to total_population",
            f"{_sql_sum(AGES)} = rows.total_population",
        ),
    ),
    limits=Limits(max_bytes=5 << 20, max_rows=10_000),
)
