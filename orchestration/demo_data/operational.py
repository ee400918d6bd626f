"""Demo operational extracts: each community provider's EPR contacts and eRoster shifts per month.

Each provider has 3-5 teams (a district nursing and a therapies team, then 1-3 more of district
nursing, therapies, rapid response or palliative care) of 10-25 staff, who keep their staff ids
from month to month; its patients are a fixed pool whose regulars recur every month. Magnitudes
follow the national community benchmarking report: about 14 shift days per WTE a month, about 8
attended visits per clinical shift day, about 40% of shift time in direct patient contact, nearly
all district nursing visits at home, and a DNA rate between 3% and 10% that is the provider's own.
NHS numbers are valid but drawn from the 999 range NHS England keeps for testing, so no demo
patient can be a real person. About 4,000 contacts per provider and month keep the demo fast;
given a number of contacts a month, a provider has as many teams as that takes (about 1,170
booked contacts per team), which is how the national benchmark reaches 170,000 a month.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from contracts.nhs_number import nhs_check_digits

# team kind: (home share of face-to-face contacts, weekend working rate)
TEAM_KINDS = {
    "DN": (0.97, 0.15),  # district nursing
    "TH": (0.7, 0.0),  # therapies
    "RR": (0.95, 0.25),  # rapid response
    "PC": (0.9, 0.1),  # palliative care
}
CLINICAL_SHARE = 0.75
WTE_CHOICES, WTE_WEIGHTS = np.array([1.0, 0.8, 0.6]), np.array([0.6, 0.25, 0.15])
WEEKDAY_ATTENDANCE = 0.6  # leave, sickness and training days off the roster
EMPLOYMENT = (["substantive", "bank", "agency"], [0.85, 0.1, 0.05])
SHIFT_STARTS = np.array([450, 480, 510, 540])  # 07:30 to 09:00
SHIFT_MINUTES, BREAK_MINUTES = 480, 30  # 8 hours with a 30-minute break: 7.5 paid
VISITS_PER_SHIFT_DAY = 8.0
# contact type: (share of contacts, shortest and longest minutes)
CONTACT_TYPES = {"F2F": (0.85, 12, 35), "telephone": (0.12, 5, 20), "video": (0.03, 10, 30)}
CANCELLED = 0.05
ROSTER_COLUMNS = ["staff_id", "team_code", "shift_date", "start_time", "end_time",
                  "break_minutes", "staff_group", "employment_type", "band"]  # fmt: skip
SHIFT_DAYS_PER_HEAD = 13  # a month, what the rates above give on average
PATIENTS_PER_CONTACT = 0.35  # pool size against a month's contacts: regulars and new referrals
NO_NHS_NUMBER = 0.01  # patients whose NHS number is not traced yet: the local id stands in
CONTACTS_PER_TEAM = 1_170  # booked contacts a month of a team of the sizes above (measured)


def valid_nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct valid NHS numbers from the test range 999 000 0000 - 999 999 9999."""
    stems = rng.choice(1_000_000, size=2 * count, replace=False)  # ~1 in 11 has no check digit
    digits = (stems[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    first_nine = np.hstack([np.full((len(stems), 3), 9), digits])
    checks = nhs_check_digits(first_nine)
    keep = checks < 10
    numbers = 9_990_000_000 + stems[keep] * 10 + checks[keep]
    return numbers[:count].astype(str)


def _staff(
    rng: np.random.Generator, organisation: str, team_count: int | None = None
) -> pd.DataFrame:
    """The provider's teams and their staff, fixed across months: `team_count` teams, or 3-5."""
    more = rng.integers(1, 4) if team_count is None else max(0, team_count - 2)
    kinds = ["DN", "TH", *rng.choice(list(TEAM_KINDS), size=more)]
    teams = [f"{organisation}-{kind}{kinds[: i + 1].count(kind)}" for i, kind in enumerate(kinds)]
    sizes = 10 + rng.binomial(15, 0.25, size=len(teams))  # 10-25, most teams 12-16
    count = int(sizes.sum())
    clinical = rng.random(count) < CLINICAL_SHARE
    employment = rng.choice(EMPLOYMENT[0], size=count, p=EMPLOYMENT[1])
    clinical_band = rng.choice(["5", "6", "7"], count, p=[0.5, 0.35, 0.15])
    band = np.where(clinical, clinical_band, rng.choice(["3", "4"], count))
    return pd.DataFrame(
        {
            "staff_id": rng.choice(90_000_000, size=count, replace=False) + 10_000_000,
            "team_code": np.repeat(teams, sizes),
            "kind": np.repeat(kinds, sizes),
            "staff_group": np.where(clinical, "clinical", "non_clinical"),
            "employment_type": employment,
            "band": np.where(employment == "agency", "", band),
            "wte": rng.choice(WTE_CHOICES, size=count, p=WTE_WEIGHTS),
        }
    ).astype({"staff_id": str})


def _shifts(rng: np.random.Generator, staff: pd.DataFrame, month: str) -> pd.DataFrame:
    """Who worked which day: weekdays by WTE and attendance, weekends by the team's rota."""
    days = pd.date_range(f"{month}-01", periods=pd.Period(month).days_in_month, freq="D")
    weekend = days.day_of_week.to_numpy() >= 5
    weekend_rate = staff["kind"].map({k: v[1] for k, v in TEAM_KINDS.items()}).to_numpy()
    rate = np.where(
        weekend, weekend_rate[:, None], (staff["wte"] * WEEKDAY_ATTENDANCE).to_numpy()[:, None]
    )
    who, day = np.nonzero(rng.random(rate.shape) < rate)
    start = rng.choice(SHIFT_STARTS, size=len(who))
    shifts = staff.iloc[who].reset_index(drop=True)
    return shifts.assign(
        shift_date=days[day].strftime("%Y-%m-%d"),
        start=start,
        start_time=_hhmm(start),
        end_time=_hhmm(start + SHIFT_MINUTES),
        break_minutes=BREAK_MINUTES,
    )


def _hhmm(minutes: np.ndarray) -> np.ndarray:
    return np.char.add(
        np.char.zfill((minutes // 60).astype(str), 2),
        np.char.add(":", np.char.zfill((minutes % 60).astype(str), 2)),
    )


def _contacts(
    rng: np.random.Generator,
    shifts: pd.DataFrame,
    patients: pd.DataFrame,
    dna_rate: float,
    month: str,
) -> pd.DataFrame:
    """Booked contacts of each clinical shift, within its hours, with the provider's DNA rate."""
    clinical = shifts[shifts["staff_group"] == "clinical"].reset_index(drop=True)
    # of booked contacts, CANCELLED are cancelled and dna_rate of the rest not attended
    outcomes = [(1 - CANCELLED) * (1 - dna_rate), (1 - CANCELLED) * dna_rate, CANCELLED]
    booked_per_shift = VISITS_PER_SHIFT_DAY / outcomes[0]
    shift = np.repeat(np.arange(len(clinical)), rng.poisson(booked_per_shift, len(clinical)))
    rows = clinical.iloc[shift].reset_index(drop=True)
    count = len(rows)
    share, shortest, longest = np.array(list(CONTACT_TYPES.values())).T
    type_index = rng.choice(len(CONTACT_TYPES), size=count, p=share)
    kind = np.array(list(CONTACT_TYPES))[type_index]
    length = rng.integers(shortest[type_index], longest[type_index] + 1).astype(int)
    start = rows["start"].to_numpy() + rng.integers(0, SHIFT_MINUTES - 60, size=count)
    home_share = rows["kind"].map({k: v[0] for k, v in TEAM_KINDS.items()}).to_numpy()
    at_home = rng.random(count) < home_share
    location = np.where(kind != "F2F", "other", np.where(at_home, "home", "clinic"))
    outcome = rng.choice(["attended", "dna", "cancelled"], size=count, p=outcomes)
    attended = outcome == "attended"
    patient = patients.iloc[rng.choice(len(patients), size=count, p=patients["weight"])]
    return pd.DataFrame(
        {
            "contact_id": int(month.replace("-", "")) * 10**6 + np.arange(1, count + 1),
            "nhs_number": patient["nhs_number"].to_numpy(),
            "patient_id": patient["patient_id"].to_numpy(),
            "staff_id": rows["staff_id"],
            "team_code": rows["team_code"],
            "contact_date": rows["shift_date"],
            "start_time": _hhmm(start),
            "end_time": _hhmm(start + length),
            "contact_type": kind,
            "location": location,
            "outcome": outcome,
            "travel_minutes": np.where(location == "home", rng.integers(5, 31, size=count), 0),
            "interventions": np.where(attended, rng.poisson(1.2, size=count) + 1, 0),
        }
    ).sort_values(["contact_date", "start_time", "contact_id"])


def _patients(rng: np.random.Generator, staff: pd.DataFrame) -> pd.DataFrame:
    """A provider's patient pool: a few regulars seen often, many seen now and then."""
    clinical = (staff["staff_group"] == "clinical").sum()
    monthly_contacts = clinical * SHIFT_DAYS_PER_HEAD * VISITS_PER_SHIFT_DAY
    count = max(100, int(monthly_contacts * PATIENTS_PER_CONTACT))
    weight = rng.gamma(0.6, size=count)
    nhs_numbers = valid_nhs_numbers(rng, count).astype(object)
    nhs_numbers[rng.random(count) < NO_NHS_NUMBER] = ""
    local_ids = rng.choice(9_000_000, size=count, replace=False) + 1_000_000
    return pd.DataFrame(
        {
            "nhs_number": nhs_numbers,
            "patient_id": local_ids.astype(str),
            "weight": weight / weight.sum(),
        }
    )


def write_operational_extracts(
    landing: Path,
    providers: list[str],
    months: list[str],
    rng: np.random.Generator,
    contacts_per_month: int | None = None,
) -> int:
    """Write both extracts for every provider and month; return the number of files written.

    `contacts_per_month` sets each provider's size (in teams); by default it has 3-5 teams."""
    team_count = None
    if contacts_per_month is not None:
        team_count = round(contacts_per_month / CONTACTS_PER_TEAM)
    written = 0
    for organisation in providers:
        staff = _staff(rng, organisation, team_count)
        patients = _patients(rng, staff)
        dna_rate = rng.uniform(0.03, 0.10)
        for month in months:
            folder = landing / "operational" / organisation / month
            folder.mkdir(parents=True, exist_ok=True)
            shifts = _shifts(rng, staff, month)
            contacts = _contacts(rng, shifts, patients, dna_rate, month)
            contacts.to_csv(folder / "epr_contacts.csv", index=False)
            shifts[ROSTER_COLUMNS].to_csv(folder / "eroster_shifts.csv", index=False)
            written += 2
    return written
