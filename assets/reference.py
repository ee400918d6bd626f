"""Reference data: the register of participating organisations, the window calendar, and the
national reference files that say what each organisation is and whom it serves: NHS ODS's trusts
(`landing/ods/etr.csv`), independent sector providers (`ods/ephp.csv`), GP practices
(`ods/epraccur.csv`) and successor organisations (`ods/succ.csv`), ONS's population by local
authority and single year of age (`landing/ons/population_mid2020_ltla21.csv`) and MHCLG's
Indices of Deprivation by local authority (`landing/mhclg/imd2019_ltla19.csv`). Each is one
unpartitioned lake file, replaced whole when a new file is accepted; a file that breaks its
contract leaves the last one in force."""

from datetime import datetime

import dagster as dg
import pandas as pd

from assets.lake import build_lake_asset, write_frame
from contracts import imd, ods_etr, ons_population
from orchestration.calendar import window
from orchestration.collections import COLLECTIONS
from orchestration.registry import SOURCES, Source
from orchestration.resources import HomeResource


def register_select(source: Source, period: str) -> str:
    return (
        "select organisation_code, organisation_name, organisation_type, region_code, "
        "region_name, member_from, member_to, local_authorities from accepted"
    )


# A register that fails its contract is quarantined and the last accepted one stays in force.
organisations = build_lake_asset(SOURCES["organisations"], register_select)

LINEAGE = "meta.source_file, meta.source_sha256, meta.submitted_at"


def _dates(*columns: str) -> list[str]:
    return [
        f"cast(strptime({column}, '{ods_etr.DATE_FORMAT}') as date) as {column}"
        for column in columns
    ]


ODS_COLUMNS = (
    "organisation_code, name as organisation_name, national_grouping, "
    "high_level_health_geography, address_line_1, address_line_2, address_line_3, "
    "address_line_4, address_line_5, postcode"
)


def ods_organisations_select(source: Source, period: str) -> str:
    """A file in ODS's standard layout (etr, ephp): the columns ODS fills, its dates as dates;
    the null and unused ones are left behind."""
    return (
        f"select {ODS_COLUMNS}, {', '.join(_dates('open_date', 'close_date'))}, {LINEAGE} "
        "from accepted join meta on meta._file = accepted._file"
    )


def ods_gp_practices_select(source: Source, period: str) -> str:
    """The standard columns, then what only the practices file has: status, commissioner and
    the days the practice joined and left it, prescribing setting."""
    dates = _dates("open_date", "close_date", "join_commissioner_date", "left_commissioner_date")
    return (
        f"select {ODS_COLUMNS}, {', '.join(dates)}, status_code, commissioner_code, "
        f"prescribing_setting, {LINEAGE} "
        "from accepted join meta on meta._file = accepted._file"
    )


def ods_successors_select(source: Source, period: str) -> str:
    """Each succession: predecessor, successor, the day it took effect; reason and indicator as
    published."""
    return (
        "select predecessor_code, successor_code, succession_reason, "
        f"{_dates('effective_date')[0]}, indicator, {LINEAGE} "
        "from accepted join meta on meta._file = accepted._file"
    )


def ons_population_select(source: Source, period: str) -> str:
    """Long: one row per local authority and single year of age (90 standing for 90 and over),
    so the share of any age band is one sum; the counts as the whole numbers they are."""
    ages = ", ".join(f'"{age}"' for age in ons_population.AGES)
    open_ended = f"{ons_population.OPEN_ENDED_AGE}+"
    return (
        "select ltla21_code, ltla21_name, "
        f"cast(replace(age, '{open_ended}', '{ons_population.OPEN_ENDED_AGE}') as integer) "
        f"as age, cast(population as bigint) as population, {LINEAGE} "
        f"from (unpivot accepted on {ages} into name age value population) as ages "
        "join meta on meta._file = ages._file"
    )


def imd_select(source: Source, period: str) -> str:
    """The index's own measures prefixed `imd_` beside its domains' (`income_score`...)."""
    domains = [f"{d}_{m}" for d in imd.DOMAINS for m in ("score", "proportion")]
    return (
        "select ltla19_code, score as imd_score, proportion as imd_proportion, "
        f"extent as imd_extent, {', '.join(domains)}, {LINEAGE} "
        "from accepted join meta on meta._file = accepted._file"
    )


ods_trusts = build_lake_asset(SOURCES["ods_trusts"], ods_organisations_select)
ods_independent_providers = build_lake_asset(
    SOURCES["ods_independent_providers"], ods_organisations_select
)
ods_gp_practices = build_lake_asset(SOURCES["ods_gp_practices"], ods_gp_practices_select)
ods_successors = build_lake_asset(SOURCES["ods_successors"], ods_successors_select)
ons_ltla_population = build_lake_asset(SOURCES["ons_ltla_population"], ons_population_select)
mhclg_ltla_deprivation = build_lake_asset(SOURCES["mhclg_ltla_deprivation"], imd_select)


def window_calendar(now: datetime) -> pd.DataFrame:
    """Every collection's windows that have begun by `now`, one row per month they cover, so the
    mart can join a monthly value to the deadline of the window it was submitted to."""
    rows = []
    for collection in COLLECTIONS.values():
        for key in collection.partitions_def.get_partition_keys(current_time=now):
            window_ = window(collection.code, key)
            for month in collection.months(key):
                rows.append(
                    {
                        "collection": collection.code,
                        "period_start": pd.Timestamp(f"{month}-01"),
                        "window_period": window_.period_label,
                        "window_closes_on": pd.Timestamp(window_.closes_on),
                    }
                )
    return pd.DataFrame(rows)


@dg.asset(group_name="reference", kinds={"parquet", "pandas"})
def collection_windows(home: HomeResource) -> dg.MaterializeResult:
    """The window calendar as data: for each collection and month, the window it belongs to and
    the day that window closes (rules in seeds/collection_calendar.csv)."""
    frame = window_calendar(datetime.now())
    write_frame(frame, home.settings.lake / "collection_windows")
    return dg.MaterializeResult(metadata={"rows": len(frame)})


defs = dg.Definitions(
    assets=[
        organisations,
        collection_windows,
        ods_trusts,
        ods_independent_providers,
        ods_gp_practices,
        ods_successors,
        ons_ltla_population,
        mhclg_ltla_deprivation,
    ]
)
