"""The demo membership register: community providers and mental health trusts with ODS-style
codes, names, types and NHS regions, and a size (population served) that scales their activity."""

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


def write_register(landing: Path, register: pd.DataFrame) -> int:
    path = landing / REGISTER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    register.drop(columns="population_served").to_csv(path, index=False)
    return 1
