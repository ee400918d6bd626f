"""The demo membership register: community providers and mental health trusts with ODS-style
codes, names, types and NHS regions, the local authorities each serves, and a size (population
served) that scales their activity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

COMMUNITY_PROVIDERS = 36
MENTAL_HEALTH_TRUSTS = 44
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
PLACES = (
    "Abbotsford Ashcombe Barrowden Belford Brackley Bramhope Calderbrook Carrow Chalfield "
    "Denholme Dunmore Eastleigh Elmbridge Fairholme Farnworth Glenridge Greyfriars Hadleigh "
    "Harwood Ilsington Kelbrook Kingsmere Langford Lowther Marden Merriton Northam Oakhurst "
    "Pendle Quarrington Redbourne Rushmere Saltash Stanmore Thornbury Tilford Upton Valebridge "
    "Wexcombe Whitmoor Wickham Yarford Ashby Bexley Corfe Dalton Elstow Frome Garth Hexton "
    "Ivybridge Keswick Ledbury Morley Nailsea Otley Penrith Ripley Selby Tring Wells Yeovil "
    "Alston Bourne Cromer Diss Epping Filey Goole Hythe Ilkley Kendal Louth Malton Newent "
    "Olney Pershore Ramsey Settle Thirsk Uckfield Ware"
).split()
# Real lower-tier local authorities (2021 codes, all in ONS's mid-2020 population file) in each
# NHS region, from which each demo member draws the one to four it serves. Buckinghamshire and
# North and West Northamptonshire are there on purpose: their deprivation comes through the
# 2019-to-2021 code lookup (seeds/ltla_code_changes.csv).
REGION_LOCAL_AUTHORITIES = {
    "Y56": "E09000002 E09000003 E09000005 E09000007 E09000008 E09000012 E09000022 E09000025 "
    "E09000028 E09000030 E09000032 E09000033",
    "Y58": "E06000052 E06000026 E06000023 E06000054 E06000059 E06000027 E07000041 E07000040 "
    "E07000081 E07000078 E06000030 E07000246",
    "Y59": "E06000060 E06000045 E06000044 E06000038 E06000042 E06000043 E06000046 E07000178 "
    "E07000209 E07000110 E07000114 E06000035",
    "Y60": "E08000025 E08000026 E08000028 E08000031 E06000016 E06000018 E06000015 E06000021 "
    "E06000051 E06000061 E06000062 E07000138 E07000137",
    "Y61": "E06000031 E06000032 E06000033 E06000034 E07000008 E07000148 E07000202 E07000070 "
    "E07000071 E07000145 E07000096 E06000055",
    "Y62": "E08000003 E08000012 E08000001 E08000007 E08000015 E06000009 E06000008 E07000123 "
    "E06000049 E07000028 E08000010 E08000011",
    "Y63": "E06000047 E08000021 E08000024 E06000002 E06000057 E08000035 E08000019 E08000032 "
    "E06000010 E06000014 E07000168 E08000017",
}
MAX_LOCAL_AUTHORITIES = 4
QUALIFIERS = ("", "North ", "South ", "East ", "West ")  # more organisations than places
TYPES = {
    "community_provider": "Community Healthcare NHS Trust",
    "mental_health_trust": "Mental Health NHS Foundation Trust",
}
REGISTER_FILE = Path("reference/organisations.csv")


def _codes(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """Three-character ODS-style codes: Z (used by no real NHS organisation) and two letters."""
    alphabet = list("ABCDEFGHJKLMNPQRTVXY")
    codes: list[str] = []
    while len(codes) < count:
        code = "Z" + rng.choice(alphabet) + rng.choice(alphabet)
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def _place(places: np.ndarray, index: int) -> str:
    """The `index`-th organisation's place: 'Ashby', then 'North Ashby' once places run out."""
    return f"{QUALIFIERS[index // len(places)]}{places[index % len(places)]}"


def make_register(
    rng: np.random.Generator,
    community_providers: int = COMMUNITY_PROVIDERS,
    mental_health_trusts: int = MENTAL_HEALTH_TRUSTS,
) -> pd.DataFrame:
    """The register of `community_providers` and `mental_health_trusts` (at most 400 in all,
    the number of Z codes; past the number of places, names take a compass qualifier)."""
    places = rng.permutation(PLACES)
    taken: set[str] = set()
    rows = []
    for kind, count in (
        ("community_provider", community_providers),
        ("mental_health_trust", mental_health_trusts),
    ):
        for code in _codes(rng, count, taken):
            region = rng.choice(list(REGIONS))
            rows.append(
                {
                    "organisation_code": code,
                    "organisation_name": f"{_place(places, len(rows))} {TYPES[kind]}",
                    "organisation_type": kind,
                    "region_code": region,
                    "region_name": REGIONS[region],
                    "population_served": int(rng.integers(250, 1500)) * 1000,
                }
            )
    return pd.DataFrame(rows)


def declare_local_authorities(register: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """The local authorities each member serves, as the register declares them: one to four
    distinct codes of its own region, separated by semicolons."""
    declared = []
    for region in register["region_code"]:
        codes = REGION_LOCAL_AUTHORITIES[region].split()
        count = int(rng.integers(1, MAX_LOCAL_AUTHORITIES + 1))
        declared.append(";".join(rng.choice(codes, size=count, replace=False)))
    return pd.Series(declared, index=register.index, name="local_authorities")


def write_register(landing: Path, register: pd.DataFrame) -> int:
    path = landing / REGISTER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    register.drop(columns="population_served").to_csv(path, index=False)
    return 1
