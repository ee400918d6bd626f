"""Catchment profiles and nearest neighbours computed with pandas and numpy straight from the
files (the register, ONS's population CSV, MHCLG's IMD CSV and the code-change seed): a code path
that shares nothing with the lake assets or the dbt models, for the tests to compare against."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = Path(__file__).parents[1] / "seeds"
FEATURES = ["log_population", "imd_score", "share_under_18", "share_65_and_over"]


def local_authorities(population_csv: Path, imd_csv: Path) -> pd.DataFrame:
    """Each English LTLA 2021 code: population, under 18, 65 and over, IMD (a merged authority
    takes the plain mean of its former districts' scores)."""
    wide = pd.read_csv(population_csv)
    wide = wide[wide["ltla21_code"].str.startswith("E")].set_index("ltla21_code")
    ages = wide.drop(columns=["ltla21_name", "total_population"])
    ages.columns = [int(c.rstrip("+")) for c in ages.columns]
    frame = pd.DataFrame(
        {
            "population": ages.sum(axis=1),
            "under_18": ages.loc[:, ages.columns < 18].sum(axis=1),
            "aged_65_and_over": ages.loc[:, ages.columns >= 65].sum(axis=1),
        }
    )
    imd = pd.read_csv(imd_csv).set_index("ltla19_code")["Score"]
    changes = pd.read_csv(SEEDS / "ltla_code_changes.csv").set_index("ltla19_code")["ltla21_code"]
    on_2021 = imd.groupby(imd.index.map(lambda code: changes.get(code, code))).mean()
    frame["imd_score"] = on_2021.reindex(frame.index)
    return frame


def catchment_profiles(register: pd.DataFrame, authorities: pd.DataFrame) -> pd.DataFrame:
    """Per member with a known local authority: type, population, population-weighted IMD and
    the shares under 18 and 65 and over of its declared authorities taken together."""
    rows = []
    for member in register.dropna(subset=["local_authorities"]).itertuples():
        codes = [c.strip() for c in member.local_authorities.split(";")]
        known = authorities.loc[[c for c in codes if c in authorities.index]]
        if known.empty:
            continue
        people = known["population"].sum()
        rows.append(
            {
                "organisation_code": member.organisation_code,
                "organisation_type": member.organisation_type,
                "local_authorities": len(known),
                "population": people,
                "imd_score": (known["imd_score"] * known["population"]).sum() / people,
                "share_under_18": known["under_18"].sum() / people,
                "share_65_and_over": known["aged_65_and_over"].sum() / people,
            }
        )
    return pd.DataFrame(rows).set_index("organisation_code")


def nearest_neighbours(profiles: pd.DataFrame, k: int) -> pd.DataFrame:
    """Each member's k nearest members of its own type: Euclidean distance over z-scores (sample
    standard deviation, across every profile) of the four features; ties go to the lower code."""
    features = profiles.assign(log_population=np.log(profiles["population"]))[FEATURES]
    z = ((features - features.mean()) / features.std(ddof=1)).to_numpy()
    codes = profiles.index.to_numpy()
    types = profiles["organisation_type"].to_numpy()
    distances = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    rows = []
    for i, code in enumerate(codes):
        others = [j for j in range(len(codes)) if j != i and types[j] == types[i]]
        ordered = sorted(others, key=lambda j: (round(distances[i, j], 9), codes[j]))
        rows += [
            {
                "organisation_code": code,
                "neighbour_code": codes[j],
                "neighbour_rank": rank,
                "distance": distances[i, j],
            }
            for rank, j in enumerate(ordered[:k], start=1)
        ]
    return pd.DataFrame(rows)
