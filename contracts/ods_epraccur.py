"""Contract of NHS ODS's `epraccur.csv`, GP practices and other prescribing cost centres in England
and Wales (files.digital.nhs.uk/assets/ods/current/epraccur.zip): 27 columns, no header row,
every field quoted, one row per practice, open or closed.

Its layout is ODS's standard one where the trusts file (etr) leaves fields null: code (a letter and
five digits), name, national grouping, high level health geography, five address lines, postcode,
open and close dates (YYYYMMDD), then status (A active, C closed, D dormant, P proposed), the
organisation sub-type (B allocated to a commissioner, Z not), the commissioner's code, the days the
practice joined and left that commissioner, a contact telephone number, three null fields, the
amended record indicator, a null field, the provider/purchaser code, a null field, the prescribing
setting (4: a GP practice; 1 and 3: walk-in centre practices; 12: urgent and emergency care) and
a null field. No real epraccur file is at hand: this is ODS's published layout, which the demo and
test files follow, so the first real file is the test of it.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.ods_etr import (
    DATE,
    HEALTH_GEOGRAPHY,
    NATIONAL_GROUPING,
    POSTCODE,
    date_rules,
)
from contracts.validation import Contract, Limits, RowRule

PRACTICE_CODE = r"^[A-Z][0-9]{5}$"
STATUSES = ("A", "C", "D", "P")
GP_PRACTICE_SETTING = "4"
WALK_IN_SETTINGS = ("1", "3", "12")  # walk-in centre practice (and out of hours); urgent care

_optional = pa.Column(str, nullable=True)
_optional_date = pa.Column(
    str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD"), nullable=True
)

schema = pa.DataFrameSchema(
    {
        "organisation_code": pa.Column(
            str, pa.Check.str_matches(PRACTICE_CODE, error="not a GP practice code")
        ),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "national_grouping": pa.Column(
            str,
            pa.Check.str_matches(NATIONAL_GROUPING, error="not a national grouping code"),
            nullable=True,
        ),
        "high_level_health_geography": pa.Column(
            str,
            pa.Check.str_matches(HEALTH_GEOGRAPHY, error="not a health geography code"),
            nullable=True,
        ),
        **{f"address_line_{n}": _optional for n in range(1, 6)},
        "postcode": pa.Column(
            str, pa.Check.str_matches(POSTCODE, error="not a UK postcode"), nullable=True
        ),
        "open_date": pa.Column(str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD")),
        "close_date": _optional_date,
        "status_code": pa.Column(str, pa.Check.isin(STATUSES)),
        "organisation_sub_type_code": _optional,
        "commissioner_code": _optional,
        "join_commissioner_date": _optional_date,
        "left_commissioner_date": _optional_date,
        "contact_telephone_number": _optional,
        **{f"null_{n}": _optional for n in range(19, 22)},
        "amended_record_indicator": pa.Column(str, pa.Check.isin(("0", "1"))),
        "null_23": _optional,
        "provider_purchaser_code": _optional,
        "null_25": _optional,
        "prescribing_setting": pa.Column(
            str, pa.Check.str_matches(r"^\d{1,2}$", error="not a prescribing setting code")
        ),
        "null_27": _optional,
    },
    unique=["organisation_code"],
    strict=True,
    name="NHS ODS GP practices (epraccur)",
)

ods_epraccur_contract = Contract(
    schema=schema,
    headerless=tuple(schema.columns),
    row_rules=(
        *date_rules(),
        RowRule(
            "close_date",
            "a closed practice (status C) has no close date",
            "rows.status_code <> 'C' or rows.close_date is not null",
        ),
    ),
    limits=Limits(max_bytes=20 << 20, max_rows=100_000),
)
