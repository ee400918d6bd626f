"""Contract of NHS ODS's `succ.csv`, the successor organisations file
(files.digital.nhs.uk/assets/ods/current/succ.zip): one row per succession, when an organisation
closes legally and another (new, or one that already existed) takes its place: mergers,
acquisitions and re-codings. Headerless, every field quoted, like ODS's other files.

The layout assumed here (no real succ file is at hand; this is ODS's published description as
remembered): predecessor code, successor code, the reason for the succession, the effective date
(YYYYMMDD, the legal date the predecessor closed) and an indicator. The reason and the indicator
are read but not used, so their codes are not checked; the codes and the date are. A
predecessor with two successors is a split: kept in the lake, but its series is not moved
(`int_organisation_successors`). Successions only ever point forward in time, so a chain that
comes back to where it started (A -> B -> A) is an error in the file, refused with the rows it
runs through.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.ods_etr import DATE, DATE_FORMAT
from contracts.validation import Contract, Limits, RowRule

CODE = r"^[A-Z0-9]{3,6}$"  # trusts 3 characters, sites and independent providers 5, practices 6
MAX_CHAIN = 50  # successions in a row; ODS's longest are a handful

_code = pa.Column(str, pa.Check.str_matches(CODE, error="not an ODS organisation code"))

schema = pa.DataFrameSchema(
    {
        "predecessor_code": _code,
        "successor_code": _code,
        "succession_reason": pa.Column(str, nullable=True),
        "effective_date": pa.Column(str, pa.Check.str_matches(DATE, error="not a date YYYYMMDD")),
        "indicator": pa.Column(str, nullable=True),
    },
    unique=["predecessor_code", "successor_code"],
    strict=True,
    name="NHS ODS successor organisations (succ)",
)

# the (file, code) pairs a chain of successions leads back to: the checked rows are `_checked`
_ON_A_CYCLE = f"""(
    with recursive chain(file, start_code, code, steps) as (
        select _file, predecessor_code, successor_code, 1 from _checked
        union
        select chain.file, chain.start_code, next.successor_code, chain.steps + 1
        from chain
        join _checked as next
            on next._file = chain.file and next.predecessor_code = chain.code
        where chain.code <> chain.start_code and chain.steps < {MAX_CHAIN}
    )
    select file, start_code from chain where code = start_code
)"""

ods_succ_contract = Contract(
    schema=schema,
    headerless=tuple(schema.columns),
    row_rules=(
        RowRule(
            "effective_date",
            "not a day of the calendar",
            f"try_strptime(rows.effective_date, '{DATE_FORMAT}') is not null",
        ),
        RowRule(
            "successor_code",
            "an organisation cannot succeed itself",
            "rows.successor_code <> rows.predecessor_code",
        ),
        RowRule(
            "successor_code",
            "the successions from this row lead back to its predecessor (a cycle)",
            f"(rows._file, rows.predecessor_code) not in {_ON_A_CYCLE}",
        ),
    ),
    limits=Limits(max_bytes=20 << 20, max_rows=200_000),
)
