"""Indicator collections: the returns providers submit to the Community Indicators (monthly) and
MHLDA Indicators (quarterly, three monthly values) collections.

Landing layout, one folder per window: `landing/<collection>/<period>/<ORG>_<YYYYMMDDTHHMM>.csv`,
the stamp being the submission time (a resubmission is a new file, never an overwrite), or the
same name ending `.xlsx` for the Excel template filled in (`peerbench template`), which the
collection's reader turns into the same long rows. The lake holds each organisation's latest
accepted return (by stamp, whichever the format) with its lineage; earlier ones are recorded as
superseded in `lake/submissions/`. An MHLDA quarter may come in one return or month by month:
there the latest return holding a month counts for that month, so a revision of May leaves the
quarter's April and June as they were.
"""

import dagster as dg

from assets.lake import build_lake_asset
from contracts.indicator_return import return_columns
from orchestration.registry import SOURCES, Source


def returns_select(source: Source, period: str) -> str:
    """Accepted return rows with the file they came from, its hash and submission time."""
    columns = ", ".join(f"accepted.{c}" for c in return_columns(source.service_lines))
    return (
        f"select {columns}, meta.source_file, meta.source_sha256, meta.submitted_at "
        "from accepted join meta on meta._file = accepted._file"
    )


community_indicator_returns = build_lake_asset(
    SOURCES["community_indicator_returns"], returns_select
)
mhlda_indicator_returns = build_lake_asset(SOURCES["mhlda_indicator_returns"], returns_select)

defs = dg.Definitions(assets=[community_indicator_returns, mhlda_indicator_returns])
