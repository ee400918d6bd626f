"""Demo NHS England monthly A&E files, in the published format exactly (header, `MSitAE-JUNE-2024`
periods, parent organisations padded with a space, a closing TOTAL row), so the demo exercises the
same contract as the real files.

The same fictional acute trusts appear every month, each with its own size, 4-hour performance,
admission rate and mix of type 2 and other (urgent treatment centre) attendances, with monthly
noise; a few walk-in centres report 'Other' attendances only, as non-trust sites do in the real
files. Demo codes start with 'Z', which no real NHS organisation uses, so demo data can never be
mistaken for a real provider's: trusts are 'Z', a digit and a letter (the demo register's are 'Z'
and two letters), walk-in centres 'ZW' and four digits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from contracts.ae_monthly import (
    AE_LANDING,
    COUNT_COLUMNS,
    HEADER,
    TEXT_COLUMNS,
    TOTAL_ROW,
    ae_file_stem,
    nhse_period,
)
from orchestration.demo_data.organisations import PLACES, REGIONS

ACUTE_TRUSTS = 20
WALK_IN_CENTRES = 4
TRUST_CODES = [f"Z{digit}{letter}" for digit in "0123456789" for letter in "ABCDEFGHJKLMNPQRTVWXY"]


def _sites(rng: np.random.Generator) -> pd.DataFrame:
    """Each site's fixed profile: who it is and the levels its monthly figures vary around."""
    places = rng.choice(PLACES, ACUTE_TRUSTS + WALK_IN_CENTRES, replace=False)
    regions = [f"NHS ENGLAND {name.upper()} " for name in REGIONS.values()]
    trusts = pd.DataFrame(
        {
            "code": rng.choice(TRUST_CODES, ACUTE_TRUSTS, replace=False),
            "name": [f"{place} Hospitals NHS Foundation Trust" for place in places[:ACUTE_TRUSTS]],
            "type1": rng.integers(6_000, 20_000, ACUTE_TRUSTS),
            "performance": rng.uniform(0.60, 0.80, ACUTE_TRUSTS),
            "booked_share": rng.choice([0.0, 0.02, 0.05], ACUTE_TRUSTS),
            "type2_share": rng.choice([0.0, 0.0, 0.0, 0.06], ACUTE_TRUSTS),
            "other_share": rng.choice([0.0, 0.3, 0.6], ACUTE_TRUSTS),
            "conversion": rng.uniform(0.22, 0.34, ACUTE_TRUSTS),
            "long_dta": rng.uniform(0.02, 0.15, ACUTE_TRUSTS),
        }
    )
    walk_ins = pd.DataFrame(
        {
            "code": [
                f"ZW{n}"
                for n in rng.choice(np.arange(1000, 10_000), WALK_IN_CENTRES, replace=False)
            ],
            "name": [f"{place} Walk In Centre" for place in places[ACUTE_TRUSTS:]],
            "other": rng.integers(1_500, 4_500, WALK_IN_CENTRES),
        }
    )
    sites = pd.concat([trusts, walk_ins], ignore_index=True).fillna(0)
    return sites.assign(parent=rng.choice(regions, len(sites)))


def _month_counts(sites: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One month's 18 counts per site, under the published headers and in their order."""
    size = len(sites)

    def noisy(level: pd.Series | float, spread: float = 0.05) -> np.ndarray:
        return np.round(np.asarray(level) * rng.uniform(1 - spread, 1 + spread, size)).astype(int)

    type1 = noisy(sites["type1"])
    booked1 = noisy(type1 * sites["booked_share"])
    type2 = noisy(type1 * sites["type2_share"])
    other = noisy(type1 * sites["other_share"] + sites["other"])
    booked_other = noisy(other * sites["booked_share"])
    breach1 = 1 - np.clip(sites["performance"] + rng.normal(0, 0.015, size), 0.55, 0.9)
    admitted1 = noisy((type1 + booked1) * sites["conversion"])
    none = np.zeros(size, int)
    counts = {
        "attendances_type1": type1,
        "attendances_type2": type2,
        "attendances_other": other,
        "booked_type1": booked1,
        "booked_type2": none,
        "booked_other": booked_other,
        "over_4hrs_type1": noisy(type1 * breach1),
        "over_4hrs_type2": noisy(type2 * 0.02),
        "over_4hrs_other": noisy(other * 0.03),
        "over_4hrs_booked_type1": noisy(booked1 * breach1 / 2),
        "over_4hrs_booked_type2": none,
        "over_4hrs_booked_other": noisy(booked_other * 0.03),
        "dta_4_to_12_hours": noisy(admitted1 * 0.25, 0.3),
        "dta_over_12_hours": noisy(admitted1 * sites["long_dta"], 0.3),
        "emergency_admissions_type1": admitted1,
        "emergency_admissions_type2": none,
        "emergency_admissions_other": noisy(other * 0.005 * (type1 > 0)),  # not walk-ins
        "other_emergency_admissions": noisy(admitted1 * 0.25, 0.3),
    }
    published = {name: counts[column] for name, column in COUNT_COLUMNS.items()}
    return pd.DataFrame(published)


def write_ae_files(landing: Path, months: list[str], rng: np.random.Generator) -> int:
    """Write one `Monthly-AE-<Month>-<YYYY>.csv` per month label; return the number written."""
    sites = _sites(rng)
    folder = landing / AE_LANDING
    folder.mkdir(parents=True, exist_ok=True)
    for month in months:
        counts = _month_counts(sites, rng)
        values = [nhse_period(month), sites["code"], sites["parent"], sites["name"]]
        text = pd.DataFrame(dict(zip(TEXT_COLUMNS, values, strict=True)))
        total = pd.DataFrame(
            [[TOTAL_ROW] * len(TEXT_COLUMNS) + counts.sum().tolist()], columns=HEADER
        )
        published = pd.concat([pd.concat([text, counts], axis=1), total], ignore_index=True)
        published.to_csv(folder / f"{ae_file_stem(month)}.csv", index=False)
    return len(months)
