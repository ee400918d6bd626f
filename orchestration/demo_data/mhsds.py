"""Demo MHSDS community mental health 4-week waits files for the register's mental health trusts,
in NHS England's published long format (`MHSDS_Data_4WW_<Mon>Perf_<YYYY>.csv`), so the demo
exercises the same contract and the same suppression as the real files.

Each trust has its own size and its own share of referral-spells whose clock stops within 4
weeks; monthly clock stops vary around them and a release sums the rolling quarter. As published:
England's counts are exact, ICB and provider counts are rounded to the nearest 5 and those under
5 are suppressed (`*`), and a proportion is NHS England's own (from unrounded counts). Some trusts
run no children and young people's service: their CYP counts are suppressed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from contracts.mhsds import COLUMNS, SUPPRESSED, reporting_periods
from orchestration.demo_data.national import COMMISSIONERS

ICB = "ICB of GP Practice or Residence"
# the quarter's clock stops: count, within 4 weeks, their proportion (the names as published)
QUARTER_MEASURES = {
    "MRS01": "Number of CMH referral-spells receiving a full clock stop in the RP",
    "MRS01a": "Number of CMH referral-spells receiving a full clock stop in less than 4 weeks "
    "in the RP",
    "MRS01b": "Proportion of CMH referral-spells receiving a full clock stop in less than 4 "
    "weeks in the RP",
    "MRS08": "Number of CYP referral-spells receiving a full clock stop in the RP",
    "MRS08a": "Number of CYP referral-spells receiving a full clock stop in less than 4 weeks "
    "in the RP",
    "MRS08b": "Proportion of CYP referral-spells receiving a full clock stop in less than 4 "
    "weeks in the RP",
}
MONTH_MEASURES = {
    "MRS06": "Number of CMH referral-spells that were still open at the end of the RP",
    "MRS13": "Number of CYP referral-spells that were still open at the end of the RP",
}


def _profiles(trusts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each trust's monthly clock stops and open spells, and its share within 4 weeks."""
    size = trusts["population_served"].to_numpy() / 1000
    count = len(trusts)
    cyp = rng.random(count) < 0.8  # the others run no CYP service
    return pd.DataFrame(
        {
            "code": trusts["organisation_code"].to_numpy(),
            "name": trusts["organisation_name"].str.upper().to_numpy(),
            "icb": rng.choice([code for code, _ in COMMISSIONERS], count),
            "cmh_stops": size * rng.uniform(0.15, 0.4, count),
            "cmh_share": rng.uniform(0.03, 0.25, count),
            "cyp_stops": np.where(cyp, size * rng.uniform(0.1, 0.3, count), 0.0),
            "cyp_share": rng.uniform(0.08, 0.3, count),
            "cmh_open": size * rng.uniform(1.5, 3.0, count),
            "cyp_open": np.where(cyp, size * rng.uniform(0.3, 0.8, count), 0.0),
        }
    )


def _month_counts(profiles: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One month's exact counts per trust, by measure."""
    cmh = rng.poisson(profiles["cmh_stops"])
    cyp = rng.poisson(profiles["cyp_stops"])
    return pd.DataFrame(
        {
            "MRS01": cmh,
            "MRS01a": rng.binomial(cmh, profiles["cmh_share"]),
            "MRS08": cyp,
            "MRS08a": rng.binomial(cyp, profiles["cyp_share"]),
            "MRS06": rng.poisson(profiles["cmh_open"]),
            "MRS13": rng.poisson(profiles["cyp_open"]),
        },
        index=profiles["code"],
    )


def _published(counts: pd.DataFrame, exact: bool) -> pd.DataFrame:
    """Counts as published, proportions added: exact for England, else rounded to 5 with those
    under 5 suppressed; a proportion of unrounded counts, suppressed with either count."""
    shown = counts.astype(str) if exact else (5 * np.round(counts / 5)).astype(int).astype(str)
    if not exact:
        shown = shown.mask(counts < 5, SUPPRESSED)
    for total, within in (("MRS01", "MRS01a"), ("MRS08", "MRS08a")):
        share = 100 * counts[within] / counts[total].where(counts[total] > 0)
        text = share.map(lambda v: f"{v:.6f}") if exact else share.round().astype("Int64")
        hidden = (shown[total] == SUPPRESSED) | (shown[within] == SUPPRESSED) | share.isna()
        shown[f"{total}b"] = text.astype(str).mask(hidden, SUPPRESSED)
    return shown


def _rows(shown: pd.DataFrame, breakdown: str, names: dict[str, str], month: str) -> pd.DataFrame:
    """The long rows of one breakdown: each organisation's measures, quarter then month."""
    quarter, first, last = reporting_periods(month)
    frames = []
    for measures, start in ((QUARTER_MEASURES, quarter), (MONTH_MEASURES, first)):
        long = shown[list(measures)].rename_axis("PRIMARY_LEVEL").reset_index()
        long = long.melt("PRIMARY_LEVEL", var_name="MEASURE_ID", value_name="MEASURE_VALUE")
        frames.append(
            long.assign(
                REPORTING_PERIOD_START=f"{start:%d/%m/%Y}",
                MEASURE_NAME=long["MEASURE_ID"].map(measures),
            )
        )
    rows = pd.concat(frames, ignore_index=True).assign(
        REPORTING_PERIOD_END=f"{last:%d/%m/%Y}",
        STATUS="Performance",
        BREAKDOWN=breakdown,
        SECONDARY_LEVEL="NONE",
        SECONDARY_LEVEL_DESCRIPTION="NONE",
    )
    rows["PRIMARY_LEVEL_DESCRIPTION"] = rows["PRIMARY_LEVEL"].map(names)
    return rows[list(COLUMNS)]


def _release(profiles: pd.DataFrame, quarter: list[pd.DataFrame], month: str) -> pd.DataFrame:
    """A month's release: the rolling quarter's clock stops and the month's open spells, for
    England, each ICB and each trust."""
    counts = sum(quarter[-3:])  # the quarter's clock stops ...
    counts[list(MONTH_MEASURES)] = quarter[-1][list(MONTH_MEASURES)]  # ... the month's open spells
    by_icb = counts.groupby(profiles.set_index("code")["icb"]).sum()
    england = counts.sum().to_frame("England").T
    return pd.concat(
        [
            _rows(_published(england, exact=True), "England", {"England": "England"}, month),
            _rows(_published(by_icb, exact=False), ICB, dict(COMMISSIONERS), month),
            _rows(
                _published(counts, exact=False),
                "Provider",
                dict(zip(profiles["code"], profiles["name"], strict=True)),
                month,
            ),
        ],
        ignore_index=True,
    )


def write_mhsds_files(
    landing: Path, trusts: pd.DataFrame, months: list[str], rng: np.random.Generator
) -> int:
    """One `MHSDS_Data_4WW_<Mon>Perf_<YYYY>.csv` per month label; return the number written."""
    profiles = _profiles(trusts, rng)
    folder = landing / "nhse_mhsds"
    folder.mkdir(parents=True, exist_ok=True)
    history = [_month_counts(profiles, rng) for _ in range(2)]  # the first quarter's months
    for month in months:
        history.append(_month_counts(profiles, rng))
        name = f"MHSDS_Data_4WW_{date.fromisoformat(f'{month}-01'):%b}Perf_{month[:4]}.csv"
        _release(profiles, history, month).to_csv(folder / name, index=False)
    return len(months)
