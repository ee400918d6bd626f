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
from orchestration.demo_data.ods import Merger, merged_rows
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


def make_sites(rng: np.random.Generator) -> pd.DataFrame:
    """The demo's A&E sites: acute trusts and walk-in centres."""
    return _sites(rng)


def write_ae_files(
    landing: Path,
    sites: pd.DataFrame,
    months: list[str],
    rng: np.random.Generator,
    merger: Merger | None = None,
) -> int:
    """Write one `Monthly-AE-<Month>-<YYYY>.csv` per month label; return the number written.
    From a `merger`'s month, its trusts are published as one (`ods.merged_rows`)."""
    folder = landing / AE_LANDING
    folder.mkdir(parents=True, exist_ok=True)
    for month in months:
        counts = _month_counts(sites, rng)
        values = [nhse_period(month), sites["code"], sites["parent"], sites["name"]]
        text = pd.DataFrame(dict(zip(TEXT_COLUMNS, values, strict=True)))
        total = pd.DataFrame(
            [[TOTAL_ROW] * len(TEXT_COLUMNS) + counts.sum().tolist()], columns=HEADER
        )
        rows = pd.concat([text, counts], axis=1)
        if merger:
            rows = merged_rows(rows, merger, month)
        published = pd.concat([rows, total], ignore_index=True)
        published.to_csv(folder / f"{ae_file_stem(month)}.csv", index=False)
    return len(months)


def acute_trusts(sites: pd.DataFrame) -> pd.DataFrame:
    """The demo's acute trusts (the A&E sites with a type 1 department)."""
    return sites[sites["type1"] > 0].reset_index(drop=True)


# the treatment functions the demo's trusts report (and C_999, their total)
RTT_FUNCTIONS = {
    "C_100": "General Surgery Service",
    "C_101": "Urology Service",
    "C_110": "Trauma and Orthopaedic Service",
    "C_120": "Ear Nose and Throat Service",
    "C_130": "Ophthalmology Service",
    "C_300": "General Internal Medicine Service",
    "C_320": "Cardiology Service",
    "C_330": "Dermatology Service",
    "C_502": "Gynaecology Service",
    "X02": "Other - Medical Services",
    "X05": "Other - Surgical Services",
}
RTT_PARTS = {
    "Part_1A": "Completed Pathways For Admitted Patients",
    "Part_1B": "Completed Pathways For Non-Admitted Patients",
    "Part_2": "Incomplete Pathways",
    "Part_2A": "Incomplete Pathways with DTA",
    "Part_3": "New RTT Periods - All Patients",
}
COMMISSIONERS = [(f"Z{n}Q", f"NHS DEMO ICB - Z{n}Q") for n in range(1, 7)]


def _rtt_profiles(trusts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each trust's waiting list size, how long its waits run, and its commissioners."""
    return trusts.assign(
        waiting=(trusts["type1"] * rng.uniform(2.5, 5.0, len(trusts))).astype(int),
        mean_weeks=rng.uniform(9.0, 22.0, len(trusts)),
        commissioners=[
            rng.choice(len(COMMISSIONERS), rng.integers(1, 3), replace=False) for _ in trusts.index
        ],
    )


def _rtt_month(profiles: pd.DataFrame, month: str, rng: np.random.Generator) -> pd.DataFrame:
    """One month's full extract: per trust, commissioner, part and function, the week bands."""
    from contracts.rtt import BAND_COLUMNS, TEXT_COLUMNS, TOTAL_COLUMNS, rtt_period

    weeks = np.arange(105)
    keys, bands, parts = [], [], []
    for trust in profiles.itertuples():
        waits = np.exp(-weeks / (trust.mean_weeks * rng.uniform(0.95, 1.05)))
        for commissioner in trust.commissioners:
            share = 1 / len(trust.commissioners)
            sizes = rng.dirichlet(np.ones(len(RTT_FUNCTIONS)) * 4) * trust.waiting * share
            for part in RTT_PARTS:
                scale = {"Part_1A": 0.03, "Part_1B": 0.12, "Part_2": 1.0, "Part_2A": 0.2}
                shape = waits if part.startswith("Part_2") else np.exp(-weeks / 10)
                counts = (
                    rng.multinomial(
                        np.round(sizes * scale.get(part, 0)).astype(int), shape / shape.sum()
                    )
                    if part != "Part_3"
                    else np.zeros((len(sizes), 105), int)
                )
                rows = np.vstack([counts, counts.sum(axis=0)])
                news = np.round(sizes * 0.15).astype(int)
                for function, band_counts, new in zip(
                    [*RTT_FUNCTIONS, "C_999"], rows, [*news, news.sum()], strict=True
                ):
                    key = (trust.code, trust.name, trust.parent, commissioner, part, function)
                    keys.append(key)
                    bands.append(band_counts)
                    parts.append(new)
    band_frame = pd.DataFrame(np.array(bands), columns=list(BAND_COLUMNS)).astype("Int64")
    part = np.array([k[4] for k in keys])
    unknown = np.where(np.isin(part, ["Part_1A", "Part_1B"]), rng.integers(0, 3, len(keys)), 0)
    total = band_frame.sum(axis=1).to_numpy()
    is_part1, is_part3 = np.isin(part, ["Part_1A", "Part_1B"]), part == "Part_3"
    names = {**RTT_FUNCTIONS, "C_999": "Total"}
    text = {
        "Period": rtt_period(month),
        "Provider Parent Org Code": [f"Q{k[2].strip()[-4:].upper()}" for k in keys],
        "Provider Parent Name": [k[2].strip() for k in keys],
        "Provider Org Code": [k[0] for k in keys],
        "Provider Org Name": [k[1].upper() for k in keys],
        "Commissioner Parent Org Code": "ZQ0",
        "Commissioner Parent Name": "NHS DEMO INTEGRATED CARE BOARDS",
        "Commissioner Org Code": [COMMISSIONERS[k[3]][0] for k in keys],
        "Commissioner Org Name": [COMMISSIONERS[k[3]][1] for k in keys],
        "RTT Part Type": part,
        "RTT Part Description": [RTT_PARTS[p] for p in part],
        "Treatment Function Code": [k[5] for k in keys],
        "Treatment Function Name": [names[k[5]] for k in keys],
    }
    frame = pd.concat([pd.DataFrame(text), band_frame.mask(pd.Series(is_part3), axis=0)], axis=1)
    total_column, unknown_column, all_column = TOTAL_COLUMNS
    frame[total_column] = pd.Series(total, dtype="Int64").where(is_part1)
    frame[unknown_column] = pd.Series(unknown, dtype="Int64").where(is_part1)
    frame[all_column] = np.where(is_part3, parts, total + unknown)
    return frame[[*TEXT_COLUMNS, *BAND_COLUMNS, *TOTAL_COLUMNS]]


def write_rtt_files(
    landing: Path, trusts: pd.DataFrame, months: list[str], rng: np.random.Generator
) -> int:
    """One `<YYYYMMDD>-RTT-<Month>-<YYYY>-full-extract.csv` per month, NHS England's format."""
    from datetime import date, timedelta

    profiles = _rtt_profiles(trusts, rng)
    folder = landing / "nhse_rtt"
    folder.mkdir(parents=True, exist_ok=True)
    for month in months:
        year, number = map(int, month.split("-"))
        end = date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
        name = f"{end:%Y%m%d}-RTT-{end:%B-%Y}-full-extract.csv"
        _rtt_month(profiles, month, rng).to_csv(folder / name, index=False)
    return len(months)
