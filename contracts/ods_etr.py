"""Contract of NHS ODS's `etr.csv`, the NHS trusts file (files.digital.nhs.uk/assets/ods/current/
etr.zip): one row per NHS trust, open or closed, in England and Wales, in ODS's standard 27-column
layout, with no header row and every field quoted.

The layout: code, name, national grouping (the NHS England region, Y56-Y63; W00 for Wales), high
level health geography (the ICB's Q code; Q99 for Wales), five address lines (the fourth holds the
town, the fifth the county where there is one), postcode, open and close dates (YYYYMMDD), a
contact telephone number, the amended record indicator (1: the record changed in this release),
the old Government Office Region letter (A-K; W for Wales), and fields ODS leaves null. Only the
columns ODS fills are checked; the null ones are named by their position in the layout. Trusts
are matched to members by code, and their open and close dates tell which existed in a period.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.validation import Contract, Limits, RowRule

DATE = r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$"  # YYYYMMDD
DATE_FORMAT = "%Y%m%d"
ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"  # trusts have 3 characters; a few newer ones 5
POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"

_text = pa.Column(str, pa.Check.str_length(min_value=1))
_optional = pa.Column(str, nullable=True)
_date = pa.Column(str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD"))

schema = pa.DataFrameSchema(
    {
        "organisation_code": pa.Column(
            str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS organisation code")
        ),
        "name": _text,
        "national_grouping": pa.Column(
            str, pa.Check.str_matches(r"^[YW]\d{2}$", error="not a national grouping code")
        ),
        "high_level_health_geography": pa.Column(
            str, pa.Check.str_matches(r"^Q[A-Z0-9]{2}$", error="not a health geography code")
        ),
        "address_line_1": _text,
        "address_line_2": _optional,
        "address_line_3": _optional,
        "address_line_4": _optional,
        "address_line_5": _optional,
        "postcode": pa.Column(str, pa.Check.str_matches(POSTCODE, error="not a UK postcode")),
        "open_date": _date,
        "close_date": pa.Column(
            str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD"), nullable=True
        ),
        **{f"null_{n}": _optional for n in range(13, 18)},
        "contact_telephone_number": _optional,
        **{f"null_{n}": _optional for n in range(19, 22)},
        "amended_record_indicator": pa.Column(str, pa.Check.isin(("0", "1"))),
        "null_23": _optional,
        "gor_code": pa.Column(
            str, pa.Check.str_matches(r"^[A-KW]$", error="not a region letter"), nullable=True
        ),
        **{f"null_{n}": _optional for n in range(25, 28)},
    },
    unique=["organisation_code"],
    strict=True,
    name="NHS ODS NHS trusts (etr)",
)

ods_etr_contract = Contract(
    schema=schema,
    headerless=tuple(schema.columns),
    row_rules=(
        RowRule(
            "open_date",
            "not a day of the calendar",
            f"try_strptime(rows.open_date, '{DATE_FORMAT}') is not null",
        ),
        RowRule(
            "close_date",
            "not a day of the calendar, or before the open date",
            f"rows.close_date is null or (try_strptime(rows.close_date, '{DATE_FORMAT}') "
            "is not null and rows.close_date >= rows.open_date)",
        ),
    ),
    limits=Limits(max_bytes=5 << 20, max_rows=20_000),
)
