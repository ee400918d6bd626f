"""Demo returns for the Community Indicators (monthly) and MHLDA (quarterly) collections.

Each organisation has its own level for each metric, drifting slowly, with monthly noise; counts
scale with the population it serves. About 4% of returns are missing, about 5% arrive after the
deadline, and about 2% are resubmitted a few days later with corrected figures. A return whose
submission time is still in the future is not written: it has not arrived yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from contracts.metric_catalogue import metric_catalogue
from orchestration.partitions import quarter_label

# metric: (denominator per 100,000 population per month, lowest and highest organisation rate)
# the rate is in the metric's own unit (percent, per 1,000, days, ...)
COMMUNITY_METRICS = {
    "CI_REFERRALS": (100_000, 80.0, 160.0),
    "CI_WAIT_18WK": (450, 72.0, 97.0),
    "CI_PRESSURE_ULCERS": (1_700, 1.0, 6.0),
    "CI_BED_OCCUPANCY": (1_500, 82.0, 96.0),
    "CI_MORTALITY": (55, 20.0, 80.0),
    "CI_LENGTH_OF_STAY": (55, 17.0, 34.0),
    "CI_DNA_RATE": (4_000, 2.0, 8.0),
    "CI_VIRTUAL_CONTACTS": (3_500, 5.0, 25.0),
    "CI_SICKNESS": (5_200, 3.5, 7.5),
    "CI_LEAVERS": (280, 0.6, 2.0),
    "CI_BANK_AGENCY": (1_000_000, 3.0, 15.0),
    "CI_FALLS": (1_400, 3.0, 12.0),
}
MHLDA_METRICS = {
    "MH_BED_OCCUPANCY": (900, 85.0, 102.0),
    "MH_ADMISSIONS": (100_000, 8.0, 22.0),
    "MH_LENGTH_OF_STAY": (12, 28.0, 75.0),
    "MH_RESTRAINT": (900, 4.0, 30.0),
    "MH_INCIDENTS": (900, 150.0, 700.0),
    "MH_DNA_RATE": (2_200, 5.0, 15.0),
    "MH_CONTACTS": (100_000, 1_500.0, 4_500.0),
    "MH_CASELOAD": (100_000, 900.0, 2_400.0),
    "MH_FFT_POSITIVE": (60, 78.0, 95.0),
    "MH_SICKNESS": (4_800, 4.0, 7.5),
    "MH_VACANCY": (180, 6.0, 18.0),
}
MHLDA_LINES = {
    "MH_BED_OCCUPANCY": ("adult_inpatient", "cyp_inpatient"),
    "MH_ADMISSIONS": ("adult_inpatient", "cyp_inpatient"),
    "MH_LENGTH_OF_STAY": ("adult_inpatient", "cyp_inpatient"),
    "MH_RESTRAINT": ("adult_inpatient", "cyp_inpatient"),
    "MH_INCIDENTS": ("adult_inpatient", "cyp_inpatient"),
    "MH_DNA_RATE": ("adult_community", "cyp_community"),
    "MH_CONTACTS": ("adult_community", "cyp_community"),
    "MH_CASELOAD": ("adult_community", "cyp_community"),
}
CYP_SHARE = 0.25  # children and young people's services are smaller than adult ones
MISSING, LATE, RESUBMITTED = 0.04, 0.05, 0.02


def _levels(rng: np.random.Generator, codes: list[str], metrics: dict) -> dict:
    """Each organisation's own level (a point in the metric's range) and slow monthly drift."""
    return {
        (code, metric): (rng.uniform(low, high), rng.normal(0, (high - low) / 400))
        for code in codes
        for metric, (_, low, high) in metrics.items()
    }


@cache
def _catalogue_entry(metric: str) -> tuple[float, str]:
    """The metric's multiplier and unit, from the catalogue the platform values returns with."""
    definition = metric_catalogue().set_index("metric_code").loc[metric]
    return float(definition["multiplier"]), str(definition["unit"])


def _row(rng, metrics, levels, code, metric, population, month_index, scale=1.0):
    per_100k, low, high = metrics[metric]
    level, drift = levels[(code, metric)]
    rate = level + drift * month_index + rng.normal(0, (high - low) * 0.04)
    rate = float(np.clip(rate, low * 0.8, high if high <= 100 else high * 1.2))
    denominator = max(1, round(population / 100_000 * per_100k * scale * rng.uniform(0.95, 1.05)))
    multiplier, unit = _catalogue_entry(metric)
    numerator = round(denominator * rate / multiplier)
    if unit == "percent":
        numerator = min(numerator, denominator)
    return numerator, denominator


def _submission_time(rng: np.random.Generator, period_end: datetime, deadline_days: int):
    """Most returns arrive in the fortnight before the deadline; some arrive after it."""
    if rng.random() < LATE:
        days = rng.uniform(deadline_days + 3, deadline_days + 25)
    else:
        days = rng.uniform(4, deadline_days - 1)
    stamp = period_end + timedelta(days=float(days))
    return stamp.replace(minute=stamp.minute // 5 * 5, second=0, microsecond=0)


def _write(folder: Path, code: str, stamp: datetime, frame: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / f"{code}_{stamp:%Y%m%dT%H%M}.csv", index=False)


def _submit(rng, folder, code, stamp, frame, now) -> int:
    """Write a return (and perhaps a later correction of it) if it has arrived by `now`."""
    written = 0
    if stamp <= now:
        _write(folder, code, stamp, frame)
        written += 1
    if rng.random() < RESUBMITTED:
        corrected = frame.assign(numerator=(frame["numerator"] * 0.97).round())
        stamp += timedelta(days=float(rng.uniform(1, 6)))
        if stamp <= now:
            _write(folder, code, stamp, corrected)
            written += 1
    return written


def _month_end(month: str) -> datetime:
    start = pd.Timestamp(f"{month}-01")
    return (start + pd.offsets.MonthEnd(0)).to_pydatetime() + timedelta(hours=23, minutes=59)


def write_community_returns(
    landing: Path,
    register: pd.DataFrame,
    months: list[str],
    rng: np.random.Generator,
    now: datetime,
) -> int:
    providers = register[register["organisation_type"] == "community_provider"]
    levels = _levels(rng, list(providers["organisation_code"]), COMMUNITY_METRICS)
    written = 0
    for index, month in enumerate(months):
        for code, population in zip(
            providers["organisation_code"], providers["population_served"], strict=True
        ):
            if rng.random() < MISSING:
                continue
            rows = [
                (
                    code,
                    month,
                    metric,
                    *_row(rng, COMMUNITY_METRICS, levels, code, metric, population, index),
                )
                for metric in COMMUNITY_METRICS
            ]
            frame = pd.DataFrame(
                rows,
                columns=["organisation_code", "period", "metric_code", "numerator", "denominator"],
            )
            stamp = _submission_time(rng, _month_end(month), deadline_days=21)
            written += _submit(
                rng, landing / "community_indicators" / month, code, stamp, frame, now
            )
    return written


def write_mhlda_returns(
    landing: Path,
    register: pd.DataFrame,
    months: list[str],
    rng: np.random.Generator,
    now: datetime,
) -> int:
    trusts = register[register["organisation_type"] == "mental_health_trust"]
    codes = list(trusts["organisation_code"])
    levels = _levels(rng, codes, MHLDA_METRICS)
    has_cyp_inpatient = {code: rng.random() < 0.5 for code in codes}
    quarters: dict[str, list[str]] = {}
    for month in months:
        quarters.setdefault(quarter_label(f"{month}-01"), []).append(month)
    written = 0
    for quarter, quarter_months in quarters.items():
        if len(quarter_months) < 3:
            continue  # a quarter is returned once all three months have ended
        for code, population in zip(codes, trusts["population_served"], strict=True):
            if rng.random() < MISSING:
                continue
            rows = []
            for month in quarter_months:
                index = months.index(month)
                for metric in MHLDA_METRICS:
                    lines = MHLDA_LINES.get(metric, ("all",))
                    for line in lines:
                        if line == "cyp_inpatient" and not has_cyp_inpatient[code]:
                            continue
                        scale = CYP_SHARE if line.startswith("cyp") else 1.0
                        rows.append(
                            (
                                code,
                                month,
                                line,
                                metric,
                                *_row(
                                    rng,
                                    MHLDA_METRICS,
                                    levels,
                                    code,
                                    metric,
                                    population,
                                    index,
                                    scale,
                                ),
                            )
                        )
            frame = pd.DataFrame(
                rows,
                columns=[
                    "organisation_code",
                    "period",
                    "service_line",
                    "metric_code",
                    "numerator",
                    "denominator",
                ],
            )
            stamp = _submission_time(rng, _month_end(quarter_months[-1]), deadline_days=28)
            written += _submit(rng, landing / "mhlda" / quarter, code, stamp, frame, now)
    return written
