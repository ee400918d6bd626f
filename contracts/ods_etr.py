"""Contracts of NHS ODS's files in its standard 27-column layout, with no header row and every
field quoted: `etr.csv`, the NHS trusts (files.digital.nhs.uk/assets/ods/current/etr.zip), and
`ephp.csv`, the independent sector healthcare providers (.../ephp.zip). One row per
organisation, open or closed.

The layout: code, name, national grouping (the NHS England region, Y56-Y63; W00 for Wales), high
level health geography (the ICB's Q code; Q99 for Wales), five address lines (the fourth holds the
town, the fifth the county where there is one), postcode, open and close dates (YYYYMMDD), a
contact telephone number, the amended record indicator (1: the record changed in this release),
the old Government Office Region letter (A-K; W for Wales), and fields ODS leaves null. Only the
columns ODS fills are checked; the null ones are named by their position in the layout.
Organisations are matched to members and national data by code, and their open and close dates
tell which existed in a period.

The real etr file is checked in the tests; no real ephp file is at hand. ODS publishes ephp in the
same layout, so it is the same contract under its own name, except that an independent provider's
national grouping and health geography may be blank (ODS derives them from the postcode, and a
provider outside England has none): the demo and test ephp files follow that published layout.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.validation import Contract, Limits, RowRule

DATE = r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$"  # YYYYMMDD
DATE_FORMAT = "%Y%m%d"
ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"  # trusts have 3 characters; a few newer ones 5
POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
NATIONAL_GROUPING = r"^[YW]\d{2}$"
HEALTH_GEOGRAPHY = r"^Q[A-Z0-9]{2}$"

_text = pa.Column(str, pa.Check.str_length(min_value=1))
_optional = pa.Column(str, nullable=True)
_date = pa.Column(str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD"))
_optional_date = pa.Column(
    str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD"), nullable=True
)


def date_rules(opened: str = "open_date", closed: str = "close_date") -> tuple[RowRule, ...]:
    """An ODS file's open date is a day of the calendar, its close date too and not before it."""
    return (
        RowRule(
            opened,
            "not a day of the calendar",
            f"try_strptime(rows.{opened}, '{DATE_FORMAT}') is not null",
        ),
        RowRule(
            closed,
            "not a day of the calendar, or before the open date",
            f"rows.{closed} is null or (try_strptime(rows.{closed}, '{DATE_FORMAT}') "
            f"is not null and rows.{closed} >= rows.{opened})",
        ),
    )


def ods_standard_contract(name: str, *, regional: bool = True) -> Contract:
    """A file in ODS's standard layout; `regional`: every row has a national grouping and a
    health geography (NHS trusts do)."""
    schema = pa.DataFrameSchema(
        {
            "organisation_code": pa.Column(
                str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS organisation code")
            ),
            "name": _text,
            "national_grouping": pa.Column(
                str,
                pa.Check.str_matches(NATIONAL_GROUPING, error="not a national grouping code"),
                nullable=not regional,
            ),
            "high_level_health_geography": pa.Column(
                str,
                pa.Check.str_matches(HEALTH_GEOGRAPHY, error="not a health geography code"),
                nullable=not regional,
            ),
            "address_line_1": _text,
            "address_line_2": _optional,
            "address_line_3": _optional,
            "address_line_4": _optional,
            "address_line_5": _optional,
            "postcode": pa.Column(str, pa.Check.str_matches(POSTCODE, error="not a UK postcode")),
            "open_date": _date,
            "close_date": _optional_date,
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
        name=name,
    )
    return Contract(
        schema=schema,
        headerless=tuple(schema.columns),
        row_rules=date_rules(),
        limits=Limits(max_bytes=5 << 20, max_rows=20_000),
    )


ods_etr_contract = ods_standard_contract("NHS ODS NHS trusts (etr)")
ods_ephp_contract = ods_standard_contract(
    "NHS ODS independent sector healthcare providers (ephp)", regional=False
)
