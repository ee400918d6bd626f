"""National open data: NHS England's monthly A&E Attendances and Emergency Admissions, Referral to
Treatment (RTT) waiting times, and the Mental Health Services Data Set's (MHSDS) community mental
health 4-week waits.

Landing layout, flat, files named as NHS England publishes them:
`landing/nhse_ae/Monthly-AE-<Month>-<YYYY>.csv`, `...-revised.csv` when NHS England revises a
month, and the `-1`, `-1-1` suffixes a browser adds to repeated downloads. A revision replaces the
earlier release of the same month (a whole new file, not a patch): of the month's accepted files,
the revised one counts, else the newest; the others are recorded as superseded. RTT's full CSV
extract lands as `landing/nhse_rtt/<YYYYMMDD>-RTT-<Month>-<YYYY>-full-extract.csv` (the name inside
NHS England's zip; `peerbench fetch nhse_rtt_pathways` unpacks it), with the same revision rule.
MHSDS lands as `landing/nhse_mhsds/MHSDS_Data_4WW_<Mon>Perf_<YYYY>[_v<N>].csv`, the highest
version of a release counting. All are read by DuckDB straight from the CSV: RTT's 82 MB month
never passes through pandas. Cancer Waiting Times lands as NHS England's workbook,
`landing/nhse_cwt/<MONTH>-<YYYY>-CWT-CRS-PROVIDER-WORKBOOK-<PROVISIONAL|FINAL>.xlsx`, the FINAL
counting; its three headline sheets are read into a CSV (`contracts.cwt.workbook_csv`) that the
contract judges in the workbook's place.
"""

import dagster as dg

from assets.lake import build_lake_asset
from contracts import ae_monthly, cwt, mhsds, rtt
from orchestration.registry import SOURCES, Source


def renamed_select(columns: dict[str, str]):
    """A lake select: the published columns under snake_case names, the period as 'YYYY-MM',
    and lineage."""

    def select(source: Source, period: str) -> str:
        renamed = [
            f'"{published}" as {name}' for published, name in columns.items() if name != "period"
        ]
        return (
            f"select {', '.join(renamed)}, '{period}' as period, meta.source_file, "
            "meta.source_sha256, meta.submitted_at "
            "from accepted join meta on meta._file = accepted._file"
        )

    return select


nhse_ae_attendances = build_lake_asset(
    SOURCES["nhse_ae_attendances"],
    renamed_select({**ae_monthly.TEXT_COLUMNS, **ae_monthly.COUNT_COLUMNS}),
)
nhse_ae_history = build_lake_asset(
    SOURCES["nhse_ae_history"],
    lambda source, period: (
        "select cast(strptime(accepted.period, '%Y-%m-%d') as date) as period_start, "
        "org_code as organisation_code, type as department_type, attendances, breaches, "
        "admissions, meta.source_file, meta.source_sha256, meta.submitted_at "
        "from accepted join meta on meta._file = accepted._file"
    ),
)
nhse_rtt_pathways = build_lake_asset(SOURCES["nhse_rtt_pathways"], renamed_select(rtt.LAKE_COLUMNS))


def mhsds_select(source: Source, period: str) -> str:
    """MHSDS rows under snake_case names with their dates as dates, and each value as a number,
    null where NHS England suppressed it (`*`, flagged `suppressed`); the period and lineage."""
    columns = [  # qualified: `meta` has a status column too
        f"cast(strptime(accepted.\"{published}\", '{mhsds.DATE_FORMAT}') as date) as {name}"
        if published in mhsds.DATE_COLUMNS
        else f'accepted."{published}" as {name}'
        for published, name in mhsds.COLUMNS.items()
        if published != "MEASURE_VALUE"
    ]
    value = 'accepted."MEASURE_VALUE"'
    columns += [
        f"cast(nullif({value}, '{mhsds.SUPPRESSED}') as double) as measure_value",
        f"{value} = '{mhsds.SUPPRESSED}' as suppressed",
    ]
    return (
        f"select {', '.join(columns)}, '{period}' as period, meta.source_file, "
        "meta.source_sha256, meta.submitted_at "
        "from accepted join meta on meta._file = accepted._file"
    )


nhse_mhsds_waits = build_lake_asset(SOURCES["nhse_mhsds_waits"], mhsds_select)

nhse_cancer_waits = build_lake_asset(SOURCES["nhse_cancer_waits"], renamed_select(cwt.COLUMNS))

defs = dg.Definitions(
    assets=[
        nhse_ae_attendances,
        nhse_ae_history,
        nhse_rtt_pathways,
        nhse_mhsds_waits,
        nhse_cancer_waits,
    ]
)
