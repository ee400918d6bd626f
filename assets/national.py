"""National open data: NHS England's monthly A&E Attendances and Emergency Admissions.

Landing layout, flat, files named as NHS England publishes them:
`landing/nhse_ae/Monthly-AE-<Month>-<YYYY>.csv`, and `...-revised.csv` when NHS England revises a
month. A revision replaces the earlier release of the same month (it is a whole new file, not a
patch), so only the revised file is read when both have landed.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from assets.lake import LakeDataset, build_lake_asset
from contracts.ae_monthly import MONTH_NAMES, read_ae_monthly
from orchestration.partitions import month_label, monthly_partition

GROUP = "national_data"
AE_LANDING = "nhse_ae"
REVISED_SUFFIX = "-revised"


def ae_file_stem(month: str) -> str:
    """NHS England's file name stem for a month label: '2024-06' -> 'Monthly-AE-June-2024'."""
    year, number = month.split("-")
    return f"Monthly-AE-{MONTH_NAMES[int(number) - 1]}-{year}"


def ae_landing_files(landing: Path, partition_key: str) -> list[Path]:
    """The month's file: the revised release if it has landed, else the original, else none."""
    stem = landing / AE_LANDING / ae_file_stem(month_label(partition_key))
    revised, original = Path(f"{stem}{REVISED_SUFFIX}.csv"), Path(f"{stem}.csv")
    return [path for path in (revised, original) if path.is_file()][:1]


def _read(path: Path, partition_key: str) -> pd.DataFrame:
    return read_ae_monthly(path, month_label(partition_key))


nhse_ae_attendances = build_lake_asset(
    LakeDataset(
        name="nhse_ae_attendances",
        description=(
            "NHS England monthly A&E attendances, 4-hour waits and emergency admissions by "
            "provider, validated; one lake file per month from the latest release."
        ),
        group=GROUP,
        partitions_def=monthly_partition,
        period_label=month_label,
        landing_files=ae_landing_files,
        read=_read,
    )
)

defs = dg.Definitions(assets=[nhse_ae_attendances])
