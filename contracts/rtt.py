"""Contract of NHS England's Referral to Treatment (RTT) "Full CSV data file", one per month.

One row per provider, commissioner, RTT part and treatment function; 121 columns, 105 of them
week bands (`Gt 00 To 01 Weeks SUM 1` ... `Gt 104 Weeks SUM 1`). The parts count different things:

- Part_1A / Part_1B: completed pathways (admitted / non-admitted) in the month; the bands add up
  to `Total`, and `Total All` adds the patients with an unknown clock start date;
- Part_2 / Part_2A: incomplete pathways (the waiting list; with a decision to admit) at month
  end; `Total` and the unknown column are empty, the bands add up to `Total All`;
- Part_3: new RTT periods (clock starts) in the month; no bands, only `Total All`.

Treatment function `C_999` is each provider and commissioner's total over the functions, so a sum
over functions must leave it out (or use it alone). The file carries no England total row. It is
82 MB a month: it is read by DuckDB, never whole into pandas.
"""

from __future__ import annotations

from functools import cache

import pandera.pandas as pa

from contracts.validation import Contract, Limits, RowRule

PARTS = ("Part_1A", "Part_1B", "Part_2", "Part_2A", "Part_3")
TOTAL_FUNCTION = "C_999"
ORGANISATION_CODE = r"^[A-Z0-9]{3,5}$"
TREATMENT_FUNCTION = r"^(C_\d{3}|X0[1-6])$"

TEXT_COLUMNS = {
    "Period": "period",  # checked, then replaced by the lake's own label (YYYY-MM)
    "Provider Parent Org Code": "provider_parent_code",
    "Provider Parent Name": "provider_parent_name",
    "Provider Org Code": "organisation_code",
    "Provider Org Name": "organisation_name",
    "Commissioner Parent Org Code": "commissioner_parent_code",
    "Commissioner Parent Name": "commissioner_parent_name",
    "Commissioner Org Code": "commissioner_code",
    "Commissioner Org Name": "commissioner_name",
    "RTT Part Type": "rtt_part",
    "RTT Part Description": "rtt_part_description",
    "Treatment Function Code": "treatment_function_code",
    "Treatment Function Name": "treatment_function_name",
}


def _band(lower: int) -> tuple[str, str]:
    """A week band's published header and lake column: waits over `lower` weeks."""
    if lower == 104:
        return "Gt 104 Weeks SUM 1", "weeks_104_plus"
    return f"Gt {lower:02d} To {lower + 1:02d} Weeks SUM 1", f"weeks_{lower:03d}_{lower + 1:03d}"


BAND_COLUMNS = dict(_band(lower) for lower in range(105))
TOTAL_COLUMNS = {
    "Total": "total",
    "Patients with unknown clock start date": "unknown_clock_start",
    "Total All": "total_all",
}
COUNT_COLUMNS = {**BAND_COLUMNS, **TOTAL_COLUMNS}
LAKE_COLUMNS = {**TEXT_COLUMNS, **COUNT_COLUMNS}


def band_columns(from_week: int = 0, to_week: int = 105) -> list[str]:
    """Lake columns of the bands of waits over `from_week` and up to `to_week` weeks."""
    return [BAND_COLUMNS[_band(lower)[0]] for lower in range(from_week, min(to_week, 105))]


def rtt_period(month: str) -> str:
    """NHS England's Period text for a month label: '2026-04' -> 'RTT-April-2026'."""
    from datetime import datetime

    return f"RTT-{datetime.strptime(month, '%Y-%m'):%B-%Y}"


def _sum(columns: list[str]) -> str:
    return " + ".join(f'coalesce(rows."{c}", 0)' for c in columns)


BANDS = list(BAND_COLUMNS)
RTT_RULES = (
    RowRule(
        "Total",
        "the week bands do not add up to Total",
        f'rows."Total" is null or {_sum(BANDS)} = rows."Total"',
    ),
    RowRule(
        "Total All",
        "Total All is not Total (or the bands) plus the patients with an unknown clock start",
        f'rows."RTT Part Type" = \'Part_3\' or rows."Total All" = '
        f'coalesce(rows."Total", {_sum(BANDS)}) '
        f'+ coalesce(rows."Patients with unknown clock start date", 0)',
    ),
)


@cache
def rtt_contract(month: str) -> Contract:
    """The contract of one month's full extract, on the file's own headers."""
    counts = {
        name: pa.Column("int64", pa.Check.ge(0), nullable=name != "Total All")
        for name in COUNT_COLUMNS
    }
    text = {name: pa.Column(str, pa.Check.str_length(min_value=1)) for name in TEXT_COLUMNS}
    for name in (
        "Commissioner Parent Org Code",
        "Commissioner Parent Name",
        "Commissioner Org Name",
    ):
        text[name] = pa.Column(str, nullable=True)  # blank for national hubs and 'NONC'
    text["Period"] = pa.Column(
        str, pa.Check.eq(rtt_period(month), error=f"period is not {rtt_period(month)}")
    )
    for code in ("Provider Org Code", "Commissioner Org Code"):
        text[code] = pa.Column(
            str, pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS organisation code")
        )
    text["RTT Part Type"] = pa.Column(str, pa.Check.isin(PARTS, error="not an RTT part"))
    text["Treatment Function Code"] = pa.Column(
        str, pa.Check.str_matches(TREATMENT_FUNCTION, error="not a treatment function code")
    )
    schema = pa.DataFrameSchema(
        {**text, **counts},
        unique=[
            "Provider Org Code",
            "Commissioner Org Code",
            "RTT Part Type",
            "Treatment Function Code",
        ],
        strict="filter",
        name="NHS England RTT full extract",
    )
    return Contract(
        schema=schema,
        row_rules=RTT_RULES,
        lower_case_header=False,
        limits=Limits(max_bytes=400 << 20, max_rows=1_000_000),
    )
