"""Nearest-neighbour peer groups: the register's local authorities through the contract, the
catchment profiles and the neighbours dbt builds from ONS's population and MHCLG's IMD files,
against pandas and numpy reading the same files (tests/catchments.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from catchments import catchment_profiles, local_authorities, nearest_neighbours
from conftest import use_home

from assets.reference import mhclg_ltla_deprivation, ons_ltla_population, organisations
from contracts.organisation_register import organisation_register_contract
from contracts.validation import ContractViolationError, validate_file
from orchestration.demo_data.organisations import (
    REGION_LOCAL_AUTHORITIES,
    declare_local_authorities,
    make_register,
)
from orchestration.resources import HomeResource, dbt_resource

POPULATION = "reference/population_mid2020_ltla21.csv"
IMD = "reference/imd2019_ltla19.csv"
K = 10
# two members whose codes are well shaped but not in the population file: a 2019 district
# (Aylesbury Vale, part of Buckinghamshire since 2020) beside a good code, and a made-up one
RETIRED, MADE_UP = ("ZZA", "E07000004"), ("ZZB", "E06999999")
UNKNOWN_TEST = "local_authority_is_known"


def _register() -> pd.DataFrame:
    register = make_register(np.random.default_rng(7)).drop(columns="population_served")
    register["local_authorities"] = declare_local_authorities(
        register, np.random.default_rng([7, 5])
    )
    odd = pd.DataFrame(
        {
            "organisation_code": [RETIRED[0], MADE_UP[0], "ZZC"],
            "organisation_name": ["Retired", "Made up", "Undeclared"],
            "organisation_type": ["community_provider"] * 3,
            "region_code": ["Y59", "Y59", "Y59"],
            "region_name": ["South East"] * 3,
            "local_authorities": [f"{RETIRED[1]} ; E06000047", MADE_UP[1], None],
        }
    )
    return pd.concat([register, odd], ignore_index=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Iterator[dict]:
    """The register and the two reference files landed and loaded, then `dbt build` of the
    neighbours and everything upstream (tests and unit tests included)."""
    home = tmp_path_factory.mktemp("home")
    register = _register()
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        landing = home / "landing"
        (landing / "reference").mkdir(parents=True)
        register.to_csv(landing / "reference" / "organisations.csv", index=False)
        for folder, name in (("ons", POPULATION), ("mhclg", IMD)):
            (landing / folder).mkdir()
            shutil.copy(real_data / name, landing / folder)
        result = dg.materialize(
            [organisations, ons_ltla_population, mhclg_ltla_deprivation],
            instance=dg.DagsterInstance.get(),
            resources={"home": HomeResource()},
        )
        assert result.success
        target = home / "dbt"
        dbt_resource().cli(
            ["build", "--select", "+int_nearest_neighbours"], target_path=target
        ).wait()
        results = json.loads((target / "run_results.json").read_text())["results"]
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
            tables = {
                name: connection.sql(f"select * from intermediate.{name}").df()
                for name in (
                    "int_local_authority_profiles",
                    "int_catchment_profiles",
                    "int_nearest_neighbours",
                )
            }
            [unknown] = [
                r for r in results if r["unique_id"].startswith(f"test.peerbench.{UNKNOWN_TEST}")
            ]
            failures = connection.sql(f"select * from {unknown['relation_name']}").df()
        authorities = local_authorities(real_data / POPULATION, real_data / IMD)
        yield {
            "register": register,
            "results": results,
            "tables": tables,
            "unknown": unknown,
            "failures": failures,
            "expected_profiles": catchment_profiles(register, authorities),
        }


def test_the_build_passes_its_tests_and_unit_tests(built):
    statuses = {r["unique_id"]: r["status"] for r in built["results"]}
    bad = {k: v for k, v in statuses.items() if v not in ("pass", "success")}
    assert bad == {built["unknown"]["unique_id"]: "warn"}  # the two unknown codes, below
    units = {k.split(".")[-1] for k in statuses if k.startswith("unit_test.")}
    assert {
        "merged_districts_take_the_mean_of_their_scores",
        "a_catchment_weights_deprivation_by_population",
        "the_nearest_members_of_the_same_type_ties_broken_by_code",
    } <= units


def test_catchment_profiles_equal_a_pandas_computation_from_the_files(built):
    actual = built["tables"]["int_catchment_profiles"].set_index("organisation_code").sort_index()
    expected = built["expected_profiles"].sort_index()
    assert list(actual.index) == list(expected.index)
    assert len(actual) == len(built["register"]) - 2  # the made-up code and the undeclared
    assert (actual["organisation_type"] == expected["organisation_type"]).all()
    assert (actual["local_authorities"] == expected["local_authorities"]).all()
    assert (actual["population"] == expected["population"]).all()
    for column in ("imd_score", "share_under_18", "share_65_and_over"):
        assert actual[column].to_numpy() == pytest.approx(expected[column].to_numpy(), rel=1e-12)
    # the retired code is left out: its member's catchment is County Durham alone
    assert actual.loc[RETIRED[0], "population"] == 533_149


def test_merged_authorities_take_their_districts_mean_deprivation(built, real_data):
    """Buckinghamshire and North and West Northamptonshire have no IMD 2019 row of their own:
    each takes the plain mean of its former districts' scores in the real IMD file."""
    imd = pd.read_csv(real_data / IMD).set_index("ltla19_code")["Score"]
    authorities = built["tables"]["int_local_authority_profiles"].set_index("ltla21_code")
    merged = {
        "E06000060": ["E07000004", "E07000005", "E07000006", "E07000007"],
        "E06000061": ["E07000150", "E07000152", "E07000153", "E07000156"],
        "E06000062": ["E07000151", "E07000154", "E07000155"],
    }
    for code, districts in merged.items():
        assert code not in imd.index and not set(districts) & set(authorities.index)
        assert authorities.loc[code, "imd_score"] == pytest.approx(imd[districts].mean())
        assert authorities.loc[code, "imd_districts"] == len(districts)
    assert authorities["imd_score"].notna().all() and len(authorities) == 309
    assert authorities.loc["E06000047", "imd_score"] == imd["E06000047"]


def test_nearest_neighbours_equal_a_numpy_computation(built):
    actual = built["tables"]["int_nearest_neighbours"]
    expected = nearest_neighbours(built["expected_profiles"], K)
    key = ["organisation_code", "neighbour_rank"]
    actual = actual.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    assert actual[["organisation_code", "neighbour_code", "neighbour_rank"]].to_dict(
        "records"
    ) == expected[["organisation_code", "neighbour_code", "neighbour_rank"]].to_dict("records")
    assert actual["distance"].to_numpy() == pytest.approx(expected["distance"].to_numpy())
    # every member has k neighbours of its own type (each type has more than k + 1 members)
    assert (actual.groupby("organisation_code").size() == K).all()
    types = built["expected_profiles"]["organisation_type"]
    assert (actual["organisation_code"].map(types) == actual["neighbour_code"].map(types)).all()


def test_an_unknown_or_retired_code_is_reported_with_its_member(built):
    assert built["unknown"]["status"] == "warn"
    assert built["unknown"]["failures"] == 2
    rows = built["failures"].set_index("organisation_code")
    assert rows.loc[RETIRED[0], "declared_code"] == RETIRED[1]
    assert "part of Buckinghamshire (E06000060) on 2020-04-01" in rows.loc[RETIRED[0], "reason"]
    assert rows.loc[MADE_UP[0], "declared_code"] == MADE_UP[1]
    assert "not a local authority code" in rows.loc[MADE_UP[0], "reason"]
    neighbours = built["tables"]["int_nearest_neighbours"]
    listed = set(neighbours["organisation_code"]) | set(neighbours["neighbour_code"])
    assert MADE_UP[0] not in listed and RETIRED[0] in listed


@pytest.mark.parametrize(
    ("declared", "rule"),
    [
        ("W06000001", "not LTLA 2021 codes"),  # Welsh: no English IMD
        ("E6000047", "not LTLA 2021 codes"),
        ("E06000047,E06000005", "not LTLA 2021 codes"),  # a comma, not a semicolon
        ("County Durham", "not LTLA 2021 codes"),
        ("E06000047;E06000047", "a local authority is declared twice"),
    ],
)
def test_a_malformed_local_authority_is_refused_with_its_line(tmp_path, declared, rule):
    path = tmp_path / "organisations.csv"
    path.write_text(
        "organisation_code,organisation_name,organisation_type,region_code,region_name,"
        "local_authorities\n"
        "ZAA,A,community_provider,Y63,North East and Yorkshire,E06000047;E06000005\n"
        f'ZAB,B,community_provider,Y63,North East and Yorkshire,"{declared}"\n'
    )
    with pytest.raises(ContractViolationError) as raised:
        validate_file(path, organisation_register_contract)
    [violation] = raised.value.violations
    assert (violation.line, violation.column) == (3, "local_authorities")
    assert rule in violation.rule


def test_the_demo_register_declares_real_codes_of_each_members_region(real_data):
    population = pd.read_csv(real_data / POPULATION)
    known = set(population["ltla21_code"])
    register = _register().iloc[:-3]
    for member in register.itertuples():
        codes = member.local_authorities.split(";")
        assert 1 <= len(codes) <= 4 and len(set(codes)) == len(codes)
        assert set(codes) <= set(REGION_LOCAL_AUTHORITIES[member.region_code].split()) <= known
