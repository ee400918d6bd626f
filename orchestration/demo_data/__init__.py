"""Demo data: files written into `landing/` exactly as providers and NHS England would submit them.

Deterministic for a given seed. Magnitudes are realistic; some providers miss a month, some
submit late. Nothing generated is committed: `peerbench demo-data` builds it in the home folder.
The counts (providers, months, contacts a month) are settings of `DemoConfig`, so the national
benchmark (`benchmarks/national.py`) uses the same generator at 200 providers and 40M contacts.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from orchestration.calendar import window
from orchestration.demo_data.cwt import write_cwt_files
from orchestration.demo_data.indicators import (
    WORKBOOK,
    write_community_returns,
    write_mhlda_returns,
)
from orchestration.demo_data.mhsds import write_mhsds_files
from orchestration.demo_data.national import (
    TRUST_CODES,
    acute_trusts,
    make_sites,
    write_ae_files,
    write_rtt_files,
)
from orchestration.demo_data.ods import make_merger, write_ods_files
from orchestration.demo_data.operational import write_operational_extracts
from orchestration.demo_data.organisations import (
    COMMUNITY_PROVIDERS,
    MENTAL_HEALTH_TRUSTS,
    declare_local_authorities,
    make_register,
    write_register,
)

OPERATIONAL_PROVIDERS = 10  # community providers that also send EPR, eRoster and ESR extracts
# the real reference files the demo members' catchments are made of (landing path: real path);
# published data, not generated, so taken from the real data folder when it is there
REFERENCE_FILES = {
    "ons/population_mid2020_ltla21.csv": "reference/population_mid2020_ltla21.csv",
    "mhclg/imd2019_ltla19.csv": "reference/imd2019_ltla19.csv",
}


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 2026
    community_start: str = "2021-04"  # first month of Community Indicators returns
    mhlda_start: str = "2020-04"  # first month of MHLDA returns (Q1 2020/21)
    ae_start: str = "2021-04"
    rtt_start: str | None = "2024-04"  # NHS England's RTT extracts for the same trusts; None: none
    mhsds_start: str | None = "2024-04"  # MHSDS 4-week waits for the mental health trusts
    cwt_start: str | None = "2024-04"  # Cancer Waiting Times workbooks for the acute trusts
    merger_month: str | None = "2024-05"  # two acute trusts merge (ODS etr and succ); None: no
    operational_start: str = "2025-04"
    last_month: str | None = None  # default: the last month that has ended
    community_providers: int = COMMUNITY_PROVIDERS
    mental_health_trusts: int = MENTAL_HEALTH_TRUSTS
    operational_providers: int = OPERATIONAL_PROVIDERS  # the first community providers
    # booked contacts a month of each operational provider (as many teams as that takes, one
    # at least); default 3-6 teams, about 4,500
    contacts_per_month: int | None = None
    # each operational provider's extracts as its own systems export them (SystmOne, EMIS, RiO,
    # HealthRoster, Rotamaster, ESR; some canonical); False: every file in the canonical layout
    vendor_layouts: bool = True
    workbook_share: float = WORKBOOK  # indicator returns sent as the Excel template, not CSV


def months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    months = []
    while f"{year}-{month:02d}" <= last:
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def last_ended_month(today: date) -> str:
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{year}-{month:02d}"


def generate(landing: Path, config: DemoConfig, now: datetime | None = None) -> dict[str, int]:
    """Write every demo file that has arrived by `now` into `landing`; count them by kind."""
    now = now or datetime.now()
    last = config.last_month or last_ended_month(now.date())
    rng = np.random.default_rng(config.seed)
    register = make_register(rng, config.community_providers, config.mental_health_trusts)
    places_rng = np.random.default_rng([config.seed, 5])  # leaves the other files as they were
    register["local_authorities"] = declare_local_authorities(register, places_rng)
    counts = {"organisations": write_register(landing, register)}
    counts["community_indicators"] = write_community_returns(
        landing,
        register,
        months_between(config.community_start, last),
        rng,
        now,
        config.workbook_share,
    )
    counts["mhlda"] = write_mhlda_returns(
        landing,
        register,
        months_between(config.mhlda_start, last),
        rng,
        now,
        config.workbook_share,
    )
    published = [  # NHS England releases a month on its window's closing day
        month
        for month in months_between(config.ae_start, last)
        if window("nhse_ae", f"{month}-01").closes_on <= now.date()
    ]
    sites = make_sites(rng)
    trusts = acute_trusts(sites)
    merger = make_merger(trusts, TRUST_CODES, config.merger_month) if config.merger_month else None
    counts["ods"] = write_ods_files(landing, register, trusts, merger)
    counts["nhse_ae"] = write_ae_files(landing, sites, published, rng, merger)
    community = register.loc[
        register["organisation_type"] == "community_provider", "organisation_code"
    ]
    operational_rng = np.random.default_rng([config.seed, 6])  # its own: sizes change freely
    counts["operational"] = write_operational_extracts(
        landing,
        list(community[: config.operational_providers]),
        months_between(config.operational_start, last),
        operational_rng,
        config.contacts_per_month,
        config.vendor_layouts,
    )
    if config.rtt_start:
        released = [  # RTT is released in the month after next
            month
            for month in months_between(config.rtt_start, last)
            if window("nhse_rtt", f"{month}-01").closes_on <= now.date()
        ]
        rtt_rng = np.random.default_rng([config.seed, 2])  # leaves the other files as they were
        counts["nhse_rtt"] = write_rtt_files(landing, acute_trusts(sites), released, rtt_rng)
    if config.mhsds_start:
        released = [  # MHSDS performance is released in the month after next
            month
            for month in months_between(config.mhsds_start, last)
            if window("nhse_mhsds", f"{month}-01").closes_on <= now.date()
        ]
        trusts = register[register["organisation_type"] == "mental_health_trust"]
        mhsds_rng = np.random.default_rng([config.seed, 3])  # leaves the other files as they were
        counts["nhse_mhsds"] = write_mhsds_files(landing, trusts, released, mhsds_rng)
    if config.cwt_start:
        released = [  # provider-based CWT is published in the month after next
            month
            for month in months_between(config.cwt_start, last)
            if window("nhse_cwt", f"{month}-01").closes_on <= now.date()
        ]
        cwt_rng = np.random.default_rng([config.seed, 4])  # leaves the other files as they were
        counts["nhse_cwt"] = write_cwt_files(landing, acute_trusts(sites), released, cwt_rng)
    return counts


def land_reference_files(landing: Path, real_data: Path) -> int:
    """Copy ONS's population and MHCLG's IMD by local authority from the real data folder into
    landing (times kept, so a second demo leaves them unchanged); how many were there to copy."""
    landed = 0
    for target, source in REFERENCE_FILES.items():
        if (real_data / source).is_file():
            (landing / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(real_data / source, landing / target)
            landed += 1
    return landed
