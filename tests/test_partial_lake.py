"""A deployment that takes only some sources: the mart builds from what the lake has.

A home with a register and one of NHS England's real A&E files, and nothing else (no returns, no
extracts): every other lake dataset has no file yet, and the refresh must still build the mart.
"""

import shutil
from pathlib import Path

import duckdb
import pandas as pd
from conftest import land_register

from orchestration.cli import main

JUNE = "Monthly-AE-June-2024.csv"


def test_a_lake_with_one_source_builds_the_whole_mart(home: Path, real_data: Path):
    land_register(home, {"ZAF": "community_provider"})
    (home / "landing" / "nhse_ae").mkdir(parents=True)
    shutil.copy(real_data / "ae_monthly" / JUNE, home / "landing" / "nhse_ae")

    assert main(["refresh", "--start", "2024-06", "--to", "2024-06"]) == 0

    published = pd.read_csv(real_data / "ae_monthly" / JUNE)
    published = published[published["Org Code"] != "TOTAL"]
    attendances = published.filter(like="A&E attendances").sum(axis=1)
    expected = set(published.loc[attendances > 0, "Org Code"])
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        providers = warehouse.execute(
            "select distinct organisation_code from marts.fct_metric_value "
            "where metric_code = 'AE_4HR_ALL'"
        ).fetchall()
        by_collection = dict(
            warehouse.execute(
                "select collection, count(*) from marts.fct_metric_value group by all"
            ).fetchall()
        )
        submissions = warehouse.execute(
            "select dataset, status from marts.fct_submission order by all"
        ).fetchall()
    assert {code for (code,) in providers} == expected
    assert set(by_collection) == {"nhse_ae"}
    assert submissions == [("nhse_ae_attendances", "accepted"), ("organisations", "accepted")]
