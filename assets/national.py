"""National open data: NHS England's monthly A&E Attendances and Emergency Admissions.

Landing layout, flat, files named as NHS England publishes them:
`landing/nhse_ae/Monthly-AE-<Month>-<YYYY>.csv`, `...-revised.csv` when NHS England revises a
month, and the `-1`, `-1-1` suffixes a browser adds to repeated downloads. A revision replaces the
earlier release of the same month (a whole new file, not a patch): of the month's accepted files,
the revised one counts, else the newest; the others are recorded as superseded.
"""

import dagster as dg

from assets.lake import build_lake_asset
from contracts.ae_monthly import COUNT_COLUMNS, TEXT_COLUMNS
from orchestration.registry import SOURCES, Source


def ae_select(source: Source, period: str) -> str:
    """The published columns under snake_case names, the period as 'YYYY-MM', and lineage."""
    renamed = [
        f'"{published}" as {name}'
        for published, name in {**TEXT_COLUMNS, **COUNT_COLUMNS}.items()
        if name != "period"
    ]
    return (
        f"select {', '.join(renamed)}, '{period}' as period, meta.source_file, "
        "meta.source_sha256, meta.submitted_at "
        "from accepted join meta on meta._file = accepted._file"
    )


nhse_ae_attendances = build_lake_asset(SOURCES["nhse_ae_attendances"], ae_select)

defs = dg.Definitions(assets=[nhse_ae_attendances])
