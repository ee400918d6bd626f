"""Demo returns for the Community Indicators (monthly) and MHLDA (quarterly) collections.

Each organisation has its own level for each metric, drifting slowly, with monthly noise; counts
scale with the population it serves. The metrics, and the service lines each is collected for,
are the catalogue's; this module only says how large a demo organisation's figures are.

Providers submit the realistic mix a collection sees: about 4% of returns are missing, 5% arrive
after the deadline, 2% are resubmitted a few days later with corrected figures, 6% are partial
(some metrics left out), 10% come as the Excel template filled in rather than the long CSV, and 1%
fail validation (a percentage's numerator above its denominator, a mistyped metric code, a month
outside the window), most of them followed by a corrected return. A return whose submission time
is still in the future is not written: it has not arrived yet. MHLDA trusts return a quarter at
once or, one in five, month by month.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from contracts.indicator_return import return_columns
from contracts.metric_catalogue import metric_catalogue
from orchestration.partitions import quarter_label
from orchestration.template import plan_template, write_template

# metric: (denominator per 100,000 population per month, lowest and highest organisation rate)
# the rate is in the metric's own unit (percent, per 1,000, days, ...)
COMMUNITY_METRICS = {
    "CI_REFERRALS": (100_000, 80.0, 160.0),
    "CI_REFERRALS_ACCEPTED": (1_200, 85.0, 98.0),
    "CI_WAIT_18WK": (450, 72.0, 97.0),
    "CI_WAIT_MEAN_DAYS": (450, 10.0, 60.0),
    "CI_WAITING_LIST": (100_000, 40.0, 200.0),
    "CI_WAIT_52WK": (1_000, 0.2, 5.0),
    "CI_UCR_2HR": (40, 65.0, 95.0),
    "CI_VIRTUAL_WARD_OCCUPANCY": (600, 60.0, 95.0),
    "CI_PRESSURE_ULCERS": (1_700, 1.0, 6.0),
    "CI_MORTALITY": (55, 20.0, 80.0),
    "CI_FALLS": (1_400, 3.0, 12.0),
    "CI_FALLS_HARM": (1_400, 0.1, 1.5),
    "CI_MEDICATION_ERRORS": (15_000, 2.0, 15.0),
    "CI_INCIDENTS": (15_000, 2.0, 10.0),
    "CI_SERIOUS_INCIDENTS": (15_000, 1.0, 20.0),
    "CI_INFECTIONS": (1_400, 1.0, 15.0),
    "CI_VTE_ASSESSMENT": (55, 85.0, 100.0),
    "CI_FFT_POSITIVE": (150, 88.0, 98.0),
    "CI_COMPLAINTS": (15_000, 0.5, 5.0),
    "CI_READMISSIONS": (55, 2.0, 12.0),
    "CI_DISCHARGED_HOME": (80, 55.0, 85.0),
    "CI_DELAYED_DISCHARGE": (1_400, 5.0, 30.0),
    "CI_BED_OCCUPANCY": (1_500, 82.0, 96.0),
    "CI_LENGTH_OF_STAY": (55, 17.0, 34.0),
    "CI_DNA_RATE": (4_000, 2.0, 8.0),
    "CI_VIRTUAL_CONTACTS": (3_500, 5.0, 25.0),
    "CI_CONTACTS": (100_000, 900.0, 2_200.0),
    "CI_CASELOAD": (100_000, 150.0, 450.0),
    "CI_CONTACTS_PER_WTE": (100, 120.0, 220.0),
    "CI_CONTACTS_PER_PATIENT": (3_000, 3.0, 8.0),
    "CI_CANCELLED_BY_PROVIDER": (16_000, 2.0, 9.0),
    "CI_HOME_CONTACTS": (10_000, 40.0, 80.0),
    "CI_CLINICAL_TIME": (16_000, 35.0, 55.0),
    "CI_SICKNESS": (5_200, 3.5, 7.5),
    "CI_LEAVERS": (280, 0.6, 2.0),
    "CI_VACANCY": (250, 5.0, 18.0),
    "CI_APPRAISAL": (280, 70.0, 95.0),
    "CI_MANDATORY_TRAINING": (280, 80.0, 98.0),
    "CI_OVERTIME": (40_000, 1.0, 6.0),
    "CI_BANK_HOURS": (40_000, 3.0, 12.0),
    "CI_AGENCY_HOURS": (40_000, 0.5, 6.0),
    "CI_BANK_AGENCY": (1_000_000, 3.0, 15.0),
    "CI_AGENCY_SPEND": (1_000_000, 1.0, 8.0),
    "CI_CIP_DELIVERY": (100_000, 55.0, 100.0),
}
MHLDA_METRICS = {
    "MH_BED_OCCUPANCY": (900, 85.0, 100.0),
    "MH_BEDS": (100_000, 15.0, 35.0),
    "MH_OUT_OF_AREA": (900, 0.5, 15.0),
    "MH_DELAYED_DISCHARGE": (900, 2.0, 15.0),
    "MH_ADMISSIONS": (100_000, 8.0, 22.0),
    "MH_DISCHARGES": (100_000, 8.0, 22.0),
    "MH_LENGTH_OF_STAY": (12, 28.0, 75.0),
    "MH_DETENTIONS": (12, 40.0, 75.0),
    "MH_READMISSIONS_30D": (12, 3.0, 15.0),
    "MH_FOLLOWUP_72H": (12, 70.0, 95.0),
    "MH_RESTRAINT": (900, 4.0, 30.0),
    "MH_SECLUSION": (900, 1.0, 10.0),
    "MH_PRONE_RESTRAINT": (900, 0.5, 6.0),
    "MH_INCIDENTS": (900, 150.0, 700.0),
    "MH_ASSAULTS_ON_STAFF": (900, 2.0, 15.0),
    "MH_SELF_HARM": (900, 2.0, 20.0),
    "MH_ABSCONSIONS": (900, 0.5, 5.0),
    "MH_REFERRALS": (100_000, 150.0, 400.0),
    "MH_REFERRALS_ACCEPTED": (250, 70.0, 95.0),
    "MH_WAIT_4WK": (150, 40.0, 85.0),
    "MH_WAIT_18WK": (150, 80.0, 99.0),
    "MH_CRISIS_24H": (20, 60.0, 95.0),
    "MH_DNA_RATE": (2_200, 5.0, 15.0),
    "MH_CONTACTS": (100_000, 1_500.0, 4_500.0),
    "MH_CASELOAD": (100_000, 900.0, 2_400.0),
    "MH_CONTACTS_PER_WTE": (30, 60.0, 140.0),
    "MH_VIRTUAL_CONTACTS": (2_500, 10.0, 35.0),
    "MH_CANCELLED": (2_600, 2.0, 10.0),
    "MH_TALKING_THERAPIES_ACCESS": (100_000, 120.0, 300.0),
    "MH_TALKING_THERAPIES_RECOVERY": (120, 42.0, 55.0),
    "MH_FFT_POSITIVE": (60, 78.0, 95.0),
    "MH_SICKNESS": (4_800, 4.0, 7.5),
    "MH_VACANCY": (180, 6.0, 18.0),
    "MH_LEAVERS": (220, 0.6, 2.0),
    "MH_APPRAISAL": (220, 70.0, 95.0),
    "MH_MANDATORY_TRAINING": (220, 80.0, 98.0),
    "MH_BANK_AGENCY": (1_000_000, 5.0, 20.0),
    "MH_CIP_DELIVERY": (80_000, 55.0, 100.0),
}
# a service line's size against the adult services, and the share of trusts that run it
LINE_SCALE = {"all": 1.0, "adult_inpatient": 1.0, "adult_community": 1.0, "cyp_inpatient": 0.25,
              "cyp_community": 0.25, "adult_ld": 0.1, "child_ld": 0.05}  # fmt: skip
LINE_PREVALENCE = {"cyp_inpatient": 0.5, "cyp_community": 0.9, "adult_ld": 0.6, "child_ld": 0.4}
MISSING, LATE, RESUBMITTED, PARTIAL, WORKBOOK, FAILING = 0.04, 0.05, 0.02, 0.06, 0.10, 0.01
MONTH_BY_MONTH = 0.2  # MHLDA trusts that upload each month rather than the quarter at once


def _levels(rng: np.random.Generator, codes: list[str], metrics: dict) -> dict:
    """Each organisation's own level (a point in the metric's range) and slow monthly drift."""
    return {
        (code, metric): (rng.uniform(low, high), rng.normal(0, (high - low) / 400))
        for code in codes
        for metric, (_, low, high) in metrics.items()
    }


@cache
def _catalogue_entry(metric: str) -> tuple[float, str, tuple[str, ...]]:
    """The metric's multiplier, unit and service lines, from the catalogue the platform values
    returns with."""
    definition = metric_catalogue().set_index("metric_code").loc[metric]
    lines = tuple(str(definition["service_lines"]).split("|"))
    return float(definition["multiplier"]), str(definition["unit"]), lines


def _row(rng, metrics, levels, code, metric, population, month_index, scale=1.0):
    per_100k, low, high = metrics[metric]
    level, drift = levels[(code, metric)]
    rate = level + drift * month_index + rng.normal(0, (high - low) * 0.04)
    multiplier, unit, _ = _catalogue_entry(metric)
    rate = float(
        np.clip(rate, low * 0.8, min(high * 1.2, 100) if unit == "percent" else high * 1.2)
    )
    denominator = max(1, round(population / 100_000 * per_100k * scale * rng.uniform(0.95, 1.05)))
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


def _write(folder: Path, code: str, stamp: datetime, frame: pd.DataFrame, workbook: bool) -> None:
    """The return as the long CSV, or as the collection's Excel template filled in."""
    if not workbook:
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_csv(folder / f"{code}_{stamp:%Y%m%dT%H%M}.csv", index=False)
        return
    collection, period = folder.parent.name, folder.name
    key = ["metric_code", "service_line", "period"]
    cells = frame.assign(service_line=frame.get("service_line"))[[*key, "numerator", "denominator"]]
    values = {(m, line, p): (n, d) for m, line, p, n, d in cells.itertuples(index=False)}
    write_template(plan_template(collection, period, code, stamp), folder, values)


def _break(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """A return with one slip validation refuses: a percentage's numerator above its
    denominator, a mistyped metric code, or a month that is not the window's."""
    broken = frame.copy()
    at = int(rng.integers(len(broken)))
    slip = int(rng.integers(3))
    if slip == 0:
        codes = broken["metric_code"]
        percent = [i for i, m in enumerate(codes) if _catalogue_entry(m)[1] == "percent"]
        at = percent[int(rng.integers(len(percent)))] if percent else at
        broken.loc[broken.index[at], "numerator"] = broken["denominator"].iloc[at] * 3 + 1
    elif slip == 1:
        code = broken["metric_code"].iloc[at]
        broken.loc[broken.index[at], "metric_code"] = code[:-2] + code[-1] + code[-2]
    else:
        month = pd.Period(broken["period"].iloc[at]) + 12
        broken.loc[broken.index[at], "period"] = str(month)
    return broken


def _submit(
    rng: np.random.Generator,
    folder: Path,
    code: str,
    stamp: datetime,
    frame: pd.DataFrame,
    now: datetime,
    workbook_share: float,
) -> int:
    """Write a return (and perhaps a later correction of it) if it has arrived by `now`: whole
    or partial, CSV or workbook, and now and then with a slip that has it refused, most often
    followed by a corrected return."""
    if rng.random() < PARTIAL:
        frame = frame.sample(frac=float(rng.uniform(0.6, 0.9)), random_state=rng).sort_index()
    workbook = rng.random() < workbook_share
    returns = [(stamp, frame)]
    if rng.random() < FAILING:
        returns = [(stamp, _break(rng, frame))]
        if rng.random() < 0.8:
            returns.append((stamp + timedelta(days=float(rng.uniform(1, 4))), frame))
    elif rng.random() < RESUBMITTED:
        corrected = frame.assign(numerator=(frame["numerator"] * 0.97).round())
        returns.append((stamp + timedelta(days=float(rng.uniform(1, 6))), corrected))
    written = 0
    for when, rows in returns:
        when = when.replace(second=0, microsecond=0)
        if when <= now:
            _write(folder, code, when, rows, workbook)
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
    workbook_share: float = WORKBOOK,
) -> int:
    providers = register[register["organisation_type"] == "community_provider"]
    levels = _levels(rng, list(providers["organisation_code"]), COMMUNITY_METRICS)
    columns = return_columns(with_service_lines=False)
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
            frame = pd.DataFrame(rows, columns=columns)
            stamp = _submission_time(rng, _month_end(month), deadline_days=21)
            folder = landing / "community_indicators" / month
            written += _submit(rng, folder, code, stamp, frame, now, workbook_share)
    return written


def _mhlda_rows(
    rng: np.random.Generator,
    code: str,
    population: int,
    lines_run: set[str],
    months: list[str],
    month_index: Callable[[str], int],
    levels: dict,
) -> pd.DataFrame:
    """A trust's rows for `months`: every metric for each service line it runs that the
    catalogue collects the metric for."""
    rows = []
    for month in months:
        for metric in MHLDA_METRICS:
            for line in _catalogue_entry(metric)[2]:
                if line not in lines_run:
                    continue
                numerator, denominator = _row(
                    rng, MHLDA_METRICS, levels, code, metric, population, month_index(month),
                    LINE_SCALE[line],
                )  # fmt: skip
                rows.append((code, month, line, metric, numerator, denominator))
    return pd.DataFrame(rows, columns=return_columns(with_service_lines=True))


def write_mhlda_returns(
    landing: Path,
    register: pd.DataFrame,
    months: list[str],
    rng: np.random.Generator,
    now: datetime,
    workbook_share: float = WORKBOOK,
) -> int:
    trusts = register[register["organisation_type"] == "mental_health_trust"]
    codes = list(trusts["organisation_code"])
    levels = _levels(rng, codes, MHLDA_METRICS)
    lines_run = {
        code: {line for line in LINE_SCALE if rng.random() < LINE_PREVALENCE.get(line, 1.0)}
        for code in codes
    }
    monthly = {code: rng.random() < MONTH_BY_MONTH for code in codes}
    quarters: dict[str, list[str]] = {}
    for month in months:
        quarters.setdefault(quarter_label(f"{month}-01"), []).append(month)
    written = 0
    for quarter, quarter_months in quarters.items():
        if len(quarter_months) < 3:
            continue  # a quarter's window opens once all three months have ended
        folder = landing / "mhlda" / quarter
        for code, population in zip(codes, trusts["population_served"], strict=True):
            if rng.random() < MISSING:
                continue
            uploads = [[m] for m in quarter_months] if monthly[code] else [quarter_months]
            for upload in uploads:
                frame = _mhlda_rows(
                    rng, code, population, lines_run[code], upload, months.index, levels
                )
                stamp = _submission_time(rng, _month_end(upload[-1]), deadline_days=28)
                written += _submit(rng, folder, code, stamp, frame, now, workbook_share)
    return written
