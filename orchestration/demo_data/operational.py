"""Demo operational extracts: each operational provider's team register and, for every month, its
four extracts (EPR referrals and contacts, eRoster shifts, the ESR establishment), consistent with
each other and written in the layout of the provider's own systems.

One provider is simulated as a whole, month after month, so the four files tell one story:

- the establishment: each team's posts (a band 7 lead, clinicians of its kind's skill mix, an
  administrator; a band 8a service manager for every eight teams) with budgeted WTE. Posts fall
  vacant (a leaver shows once, in the month of their leaving date) and are refilled by new
  assignments; a provider keeps its own vacancy rate (6-10% of posts), turnover (1-1.5% a
  month) and sickness (4.5-5.5% of days, short and long episodes that run on across months);
- the roster: staff in post and not off sick work about 14 shift days per WTE a month, mostly
  clinical (band 7 and 8a leads spend more days on management), a few training days, a few
  overtime shifts; bank and agency staff, who have roster ids and no ESR assignment, cover
  10-15% of the hours. The staff id of a substantive shift or contact is the ESR assignment
  number, so the three extracts link by pseudonym;
- the caseload: referrals arrive at each team (GP mostly; rapid response urgent and seen within
  hours, routine ones waiting days or weeks; a few closed at triage), stay open for the kind of
  team's usual episode, and appear in each month's extract while open, dated as known at the
  month's end. Some patients are referred again, or to a second team;
- the contacts: each clinical shift books about 8 attended visits a day (the provider's own
  figure, 7.4-8.6) plus its DNAs (3-10%, the provider's own) and cancellations, one after
  another within the shift's hours with travel to home visits and the break midway; their
  attended minutes are about 40% of the shift's minutes less its break. Each contact is for a
  patient whose referral to that team is open on the day.

Magnitudes follow the sample provider summary of the community benchmarking programme the
platform reproduces. NHS numbers are valid but drawn from the 999 range NHS England keeps for
testing, so no demo patient can be a real person; about 1% of patients have none (the local id
stands in). Everything is vectorised over rows (loops run over months, teams' kinds and a few
rounds of sampling, never over rows): the national benchmark generates 20 providers of 170,000
contacts a month for 12 months with it. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from contracts.nhs_number import nhs_check_digits
from contracts.operational_extracts import EXTRACTS
from orchestration.demo_data.exports import CANONICAL, systems, write_csv, write_extract

DAY = 24 * 60
EPOCH = np.datetime64("2000-01-01", "D")  # day numbers count from here
EPOCH_WEEKDAY = 5  # 2000-01-01 was a Saturday (Monday is 0)
NEVER = np.int64(1) << 50  # a day (or minute) that has not come
TIMES = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(2 * DAY)], dtype=object)


@dataclass(frozen=True)
class TeamKind:
    """What sets one kind of community team apart."""

    label: str
    department: str
    lead: str  # the band 7 team leader's role
    roles: dict[tuple[str, str], float]  # (role, band) of its other clinical posts: weight
    weekend: float  # a weekend day's staffing against a weekday's
    shifts: tuple[tuple[int, int, int, float], ...]  # clinical shifts: start, end, break, weight
    face_to_face: float  # share of contacts (the rest by telephone, a few by video)
    home: float  # share of face-to-face contacts at the patient's home
    urgent: float  # share of referrals
    sources: dict[str, float]
    activities: dict[str, float]
    visits: float  # booked contacts a month per referral on the caseload
    days_open: float  # mean days from the first contact to discharge
    wait_days: float  # mean days from accepting a routine referral to its first contact


NURSING = {
    "gp": 0.55,
    "acute": 0.2,
    "community": 0.1,
    "self": 0.05,
    "social_care": 0.05,
    "other": 0.05,
}
TEAM_KINDS = {
    "DN": TeamKind(
        label="District Nursing",
        department="community_nursing",
        lead="registered_nurse",
        roles={
            ("registered_nurse", "6"): 0.22,
            ("registered_nurse", "5"): 0.38,
            ("nursing_associate", "4"): 0.12,
            ("healthcare_assistant", "3"): 0.25,
            ("registered_nurse", "8a"): 0.03,
        },
        weekend=0.35,
        # days, long days, a morning, an evening service and a few nights (ending 08:00 the
        # next morning, written 32:00)
        shifts=(
            (480, 960, 30, 0.45),
            (510, 1020, 30, 0.25),
            (540, 780, 0, 0.1),
            (900, 1380, 30, 0.12),
            (1320, 1920, 30, 0.08),
        ),
        face_to_face=0.93,
        home=0.97,
        urgent=0.12,
        sources=NURSING,
        activities={
            "wound_care": 0.31,
            "insulin": 0.14,
            "continence": 0.12,
            "venepuncture": 0.1,
            "medication": 0.08,
            "diagnostics": 0.07,
            "palliative": 0.06,
            "assessment": 0.06,
            "other": 0.06,
        },
        visits=4.0,
        days_open=110,
        wait_days=4,
    ),
    "RR": TeamKind(
        label="Rapid Response",
        department="community_nursing",
        lead="registered_nurse",
        roles={
            ("registered_nurse", "6"): 0.28,
            ("registered_nurse", "5"): 0.17,
            ("allied_health_professional", "6"): 0.15,
            ("allied_health_professional", "5"): 0.1,
            ("healthcare_assistant", "3"): 0.17,
            ("therapy_assistant", "3"): 0.05,
            ("registered_nurse", "8a"): 0.08,
        },
        weekend=0.6,
        shifts=(
            (480, 1200, 60, 0.35),
            (480, 960, 30, 0.3),
            (840, 1320, 30, 0.2),
            (1200, 1920, 60, 0.15),
        ),
        face_to_face=0.95,
        home=0.98,
        urgent=0.35,
        sources={
            "gp": 0.45,
            "acute": 0.15,
            "community": 0.1,
            "social_care": 0.15,
            "self": 0.1,
            "other": 0.05,
        },
        activities={
            "assessment": 0.35,
            "medication": 0.15,
            "diagnostics": 0.15,
            "wound_care": 0.1,
            "venepuncture": 0.1,
            "rehabilitation": 0.05,
            "other": 0.1,
        },
        visits=5.0,
        days_open=14,
        wait_days=1,
    ),
    "PC": TeamKind(
        label="Palliative Care",
        department="community_nursing",
        lead="registered_nurse",
        roles={
            ("registered_nurse", "6"): 0.45,
            ("registered_nurse", "5"): 0.2,
            ("healthcare_assistant", "3"): 0.25,
            ("nursing_associate", "4"): 0.05,
            ("registered_nurse", "8a"): 0.05,
        },
        weekend=0.4,
        shifts=(
            (510, 1020, 30, 0.6),
            (540, 1020, 30, 0.25),
            (840, 1320, 30, 0.1),
            (540, 780, 0, 0.05),
        ),
        face_to_face=0.85,
        home=0.92,
        urgent=0.2,
        sources={"gp": 0.5, "acute": 0.3, "community": 0.15, "other": 0.05},
        activities={"palliative": 0.6, "medication": 0.2, "assessment": 0.1, "other": 0.1},
        visits=4.0,
        days_open=50,
        wait_days=3,
    ),
    "TH": TeamKind(
        label="Community Therapies",
        department="community_therapies",
        lead="allied_health_professional",
        roles={
            ("allied_health_professional", "6"): 0.28,
            ("allied_health_professional", "5"): 0.34,
            ("therapy_assistant", "3"): 0.18,
            ("therapy_assistant", "4"): 0.15,
            ("allied_health_professional", "8a"): 0.05,
        },
        weekend=0.05,
        shifts=((510, 990, 30, 0.6), (540, 1020, 30, 0.3), (540, 780, 0, 0.1)),
        face_to_face=0.78,
        home=0.6,
        urgent=0.08,
        sources={"gp": 0.5, "acute": 0.25, "self": 0.1, "community": 0.1, "other": 0.05},
        activities={"assessment": 0.35, "rehabilitation": 0.55, "other": 0.1},
        visits=3.0,
        days_open=42,
        wait_days=21,
    ),
}
MORE_TEAMS = {"DN": 0.45, "TH": 0.25, "RR": 0.15, "PC": 0.15}  # kinds beyond the first two
LOCALITIES = ("North", "South", "East", "West", "Central", "Coastal", "Rural", "City")
TEAMS_PER_MANAGER = 8
DEFAULT_TEAMS = (3, 6)  # teams of a provider when its size is not set
DEFAULT_CLINICAL = (7, 14)  # clinical posts of a team (with a lead and an administrator)
MIN_CLINICAL = 8  # the smallest team a size sets: a provider has at least one team of this
BUDGETS, BUDGET_WEIGHTS = np.array([1.0, 0.8, 0.6, 0.5]), np.array([0.65, 0.15, 0.12, 0.08])
PART_TIME = 0.2  # assignments contracted for 0.2 WTE less than the post's budget (0.4 at least)
ADMIN_BANDS, ADMIN_WEIGHTS = np.array(["2", "3", "4"]), np.array([0.2, 0.55, 0.25])
NON_CLINICAL_ROLES = ("admin_and_clerical", "manager")
SHIFT_DAYS_PER_WTE = 14.7  # a month, before sick days: about 14 worked
TRAINING_DAYS = 0.04
MANAGEMENT_DAYS = {"7": 0.25, "8a": 0.35, "6": 0.08}  # non-clinical days of clinical posts
OTHER_MANAGEMENT_DAYS = 0.03
CLINICAL_DAYS = 0.92  # of a clinical post's days, about (sizing only)
OFFICE_SHIFT = (540, 1020, 30)  # 09:00-17:00: non-clinical and training days
BANK_SHIFTS_PER_WORKER = 6  # a month: sets the size of each team's bank and agency pool
AGENCY_OUTSIDE_AFC = 0.5  # agency workers with no AfC band
TELEPHONE = 0.8  # of contacts not face to face (the rest by video)
LENGTH_FACTORS = {"F2F": 1.0, "telephone": 0.45, "video": 0.85}
AFTERNOON = 13 * 60
CLINIC_HOURS = (8 * 60, 18 * 60)  # clinics start no earlier, no later
REJECTED = 0.05  # referrals closed at triage without acceptance
REREFERRED = 0.15  # referrals of a patient the provider already had
WEEKEND_REFERRALS = 0.4  # a weekend day's referrals against a weekday's
WARM_UP_DAYS = 730  # referrals simulated before the first month: the caseload it inherits
NO_NHS_NUMBER = 0.01  # patients whose NHS number is not traced yet: the local id stands in
NHS_NUMBER_POOL = 450_000  # distinct test-range numbers handed out, provider after provider
MISSING_ACTIVITY = 0.01
OTHER_NEED = 0.3  # contacts for something besides the referral's main need
MORE_INTERVENTIONS = 0.9  # mean interventions of an attended contact beyond its first
SICKNESS_WARM_UP = 4  # months of sickness episodes simulated before the first
RECRUITING = 0.25  # of a gap from the usual vacancy rate, closed a month
SHORT_SICKNESS, LONG_SICKNESS, LONG_SHARE = (1, 8), (10, 45), 0.12  # episode days


@dataclass(frozen=True)
class Rates:
    """A provider's own figures: each provider differs, as in the programme's sample table."""

    dna: float
    cancelled: float
    vacancy: float
    turnover: float  # leavers a month, of assignments
    sickness: float
    bank: float  # bank and agency share of hours
    agency: float  # agency share of the bank and agency pool
    overtime: float
    visits: float  # attended contacts a clinical shift day
    clinical_share: float  # attended contact minutes of clinical shift minutes less breaks
    travel: float  # mean minutes of travel to a home visit
    afternoon_clinics: float  # chance a clinic slot after 13:00 stays a clinic

    @property
    def attended(self) -> float:
        """Of booked contacts: not cancelled, then not a DNA."""
        return (1 - self.cancelled) * (1 - self.dna)


def _rates(rng: np.random.Generator) -> Rates:
    return Rates(
        dna=rng.uniform(0.03, 0.10),
        cancelled=rng.uniform(0.04, 0.06),
        vacancy=rng.uniform(0.06, 0.10),
        turnover=rng.uniform(0.010, 0.015),
        sickness=rng.uniform(0.045, 0.055),
        bank=rng.uniform(0.10, 0.15),
        agency=rng.uniform(0.2, 0.4),
        overtime=rng.uniform(0.02, 0.04),
        visits=rng.uniform(7.4, 8.6),
        clinical_share=rng.uniform(0.37, 0.43),
        travel=rng.uniform(10, 18),
        afternoon_clinics=rng.uniform(0.1, 1.0),
    )


def valid_nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct valid NHS numbers from the test range 999 000 0000 - 999 999 9999."""
    stems = rng.choice(1_000_000, size=2 * count, replace=False)  # ~1 in 11 has no check digit
    digits = (stems[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    first_nine = np.hstack([np.full((len(stems), 3), 9), digits])
    checks = nhs_check_digits(first_nine)
    keep = checks < 10
    numbers = 9_990_000_000 + stems[keep] * 10 + checks[keep]
    return numbers[:count].astype(str)


@dataclass
class NhsNumbers:
    """The test range handed out provider after provider, so providers' patients differ while
    the range lasts (the national benchmark's millions of patients wrap round it)."""

    pool: np.ndarray
    used: int = 0

    def take(self, count: int) -> np.ndarray:
        at = (self.used + np.arange(count)) % len(self.pool)
        self.used += count
        return self.pool[at]


def _day_number(month: str) -> int:
    return int((np.datetime64(f"{month}-01", "D") - EPOCH).astype(int))


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + EPOCH_WEEKDAY) % 7


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as `YYYY-MM-DD` (None where the day has not come)."""
    days = np.asarray(days, dtype=np.int64)
    text = np.full(len(days), None, dtype=object)
    known = days < NEVER
    if known.any():
        unique, inverse = np.unique(days[known], return_inverse=True)
        text[known] = (EPOCH + unique).astype(str).astype(object)[inverse]
    return text


def _datetimes(minutes: np.ndarray) -> np.ndarray:
    """Minutes since the epoch as `YYYY-MM-DD HH:MM` (None where they have not come)."""
    minutes = np.asarray(minutes, dtype=np.int64)
    text = np.full(len(minutes), None, dtype=object)
    known = minutes < NEVER
    text[known] = _dates(minutes[known] // DAY) + " " + TIMES[minutes[known] % DAY]
    return text


def _pick(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    """`size` draws of the dict's keys, by weight."""
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size, p=p / p.sum())]


def _of_kind(attribute: str, kinds: np.ndarray) -> np.ndarray:
    """A team kind's figure for each row's kind (rows may be many: looked up, not looped)."""
    codes = np.array(list(TEAM_KINDS))
    order = np.argsort(codes)
    values = np.array([getattr(kind, attribute) for kind in TEAM_KINDS.values()])
    return values[order[np.searchsorted(codes[order], np.asarray(kinds, dtype=str))]]


def _ranks(groups: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each row's place within its run of equal groups (rows in group order, `counts` a run)."""
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(starts, counts)


def _mean_wte() -> float:
    """The mean contracted WTE of a filled post (sizing only)."""
    budget = float(BUDGETS @ BUDGET_WEIGHTS / BUDGET_WEIGHTS.sum())
    return budget - 0.2 * PART_TIME


def contacts_per_clinical_post(rates: Rates) -> float:
    """Booked contacts a month that one clinical post brings, bank cover included: what sizes a
    provider for a number of contacts a month, and a team's caseload."""
    worked = SHIFT_DAYS_PER_WTE * (1 - rates.sickness) * CLINICAL_DAYS
    per_post = (1 - rates.vacancy) * _mean_wte() * worked * rates.visits / rates.attended
    return per_post / (1 - rates.bank)


def _clinical_posts(
    rng: np.random.Generator, rates: Rates, contacts_per_month: int | None
) -> np.ndarray:
    """Clinical posts of each team: 3-6 teams of 7-14 by default; else as many as the contacts a
    month take, at least one team of MIN_CLINICAL."""
    if contacts_per_month is None:
        teams = rng.integers(DEFAULT_TEAMS[0], DEFAULT_TEAMS[1] + 1)
        return rng.integers(DEFAULT_CLINICAL[0], DEFAULT_CLINICAL[1] + 1, size=teams)
    total = contacts_per_month / contacts_per_clinical_post(rates)
    teams = max(1, round(total / np.mean(DEFAULT_CLINICAL)))
    weights = rng.uniform(0.7, 1.3, size=teams)
    return np.maximum(MIN_CLINICAL, np.round(total * weights / weights.sum())).astype(int)


def _teams(rng: np.random.Generator, organisation: str, count: int, first_day: int) -> pd.DataFrame:
    """The team register: the open teams (a district nursing team, a therapies team, then more of
    any kind) and, for some providers, a team closed before the first month (its history stays
    in the register; no extract row names it)."""
    kinds = ["DN"] if count == 1 else ["DN", "TH"]
    kinds += list(_pick(rng, MORE_TEAMS, count - len(kinds)))
    closed = rng.random() < 0.3
    if closed:
        kinds.append("DN")
    numbers = [kinds[: i + 1].count(kind) for i, kind in enumerate(kinds)]
    names = [
        f"{TEAM_KINDS[kind].label} {LOCALITIES[(n - 1) % len(LOCALITIES)]}"
        + (f" {(n - 1) // len(LOCALITIES) + 1}" if n > len(LOCALITIES) else "")
        for kind, n in zip(kinds, numbers, strict=True)
    ]
    opened = np.where(
        rng.random(len(kinds)) < 0.6,
        first_day - rng.integers(3 * 365, 12 * 365, size=len(kinds)),
        NEVER,
    )
    closed_on = np.full(len(kinds), NEVER)
    if closed:
        closed_on[-1] = first_day - rng.integers(30, 400)
        opened[-1] = closed_on[-1] - rng.integers(2 * 365, 8 * 365)
    return pd.DataFrame(
        {
            "team_code": [f"{organisation}-{k}{n}" for k, n in zip(kinds, numbers, strict=True)],
            "team_name": names,
            "department": [TEAM_KINDS[kind].department for kind in kinds],
            "opened_on": _dates(opened),
            "closed_on": _dates(closed_on),
            "kind": kinds,
            "opened": opened,
            "open": closed_on == NEVER,
        }
    )


def _positions(
    rng: np.random.Generator, teams: pd.DataFrame, clinical: np.ndarray, block: int
) -> pd.DataFrame:
    """The establishment: per team a band 7 lead, the kind's skill mix, an administrator; a
    band 8a service manager in every eighth team. Posts are fixed; their holders change."""
    managers = (np.arange(len(clinical)) % TEAMS_PER_MANAGER == 0).astype(int)
    sizes = clinical + 1 + managers
    team = np.repeat(np.arange(len(clinical)), sizes)
    slot = _ranks(team, sizes)
    kind = teams["kind"].to_numpy()[team]
    count = len(team)
    role = np.empty(count, dtype=object)
    band = np.empty(count, dtype=object)
    lead = slot == 0
    admin = slot == clinical[team]
    manager = slot == clinical[team] + 1
    for code, spec in TEAM_KINDS.items():
        staff = (kind == code) & ~lead & ~admin & ~manager
        weights = np.array(list(spec.roles.values()))
        mix = rng.choice(len(weights), int(staff.sum()), p=weights / weights.sum())
        role[staff] = np.array([r for r, _ in spec.roles], dtype=object)[mix]
        band[staff] = np.array([b for _, b in spec.roles], dtype=object)[mix]
        role[(kind == code) & lead] = spec.lead
    band[lead] = "7"
    role[admin] = "admin_and_clerical"
    band[admin] = rng.choice(ADMIN_BANDS, int(admin.sum()), p=ADMIN_WEIGHTS)
    role[manager], band[manager] = "manager", "8a"
    budget = rng.choice(BUDGETS, count, p=BUDGET_WEIGHTS)
    budget[lead | manager] = 1.0
    return pd.DataFrame(
        {
            "position_id": (block + rng.choice(100_000, count, replace=False)).astype(str),
            "team": team,
            "team_code": teams["team_code"].to_numpy()[team],
            "kind": kind,
            "role": role,
            "band": band,
            "budgeted_wte": budget,
            "lead": lead,
            "clinical": ~np.isin(role, NON_CLINICAL_ROLES),
        }
    )


@dataclass
class Holders:
    """Who holds each post now: one assignment at most (a leaver's post is refilled from the
    month after their leaving date, so a post is one row of a month's establishment)."""

    number: np.ndarray  # assignment number; None while vacant
    start: np.ndarray  # first day
    end: np.ndarray  # last day (NEVER while in post)
    wte: np.ndarray
    sick_from: np.ndarray  # the current or last sickness episode: first day
    sick_until: np.ndarray  # and the day after its last
    numbers: np.ndarray = field(repr=False)  # assignment numbers not yet given
    given: int = 0

    def new_numbers(self, count: int) -> np.ndarray:
        if self.given + count > len(self.numbers):
            raise ValueError("the provider's block of assignment numbers is used up")
        taken = self.numbers[self.given : self.given + count]
        self.given += count
        return taken


def _contracted(rng: np.random.Generator, budget: np.ndarray) -> np.ndarray:
    """An assignment's WTE: its post's budget, or 0.2 less for some (0.4 at least)."""
    less = rng.random(len(budget)) < PART_TIME
    return np.where(less, np.maximum(0.4, budget - 0.2), budget).round(1)


def _first_holders(
    rng: np.random.Generator,
    teams: pd.DataFrame,
    posts: pd.DataFrame,
    rates: Rates,
    first_day: int,
    months: int,
    block: int,
) -> Holders:
    """The establishment before the first month: the provider's vacancy rate of posts vacant
    (never a team's lead), the rest held for years; sickness run for a few months before, so
    the first month has the episodes under way that any month has."""
    count = len(posts)
    others = np.flatnonzero(~posts["lead"].to_numpy())
    vacant = np.zeros(count, dtype=bool)
    vacant[rng.choice(others, min(len(others), round(rates.vacancy * count)), replace=False)] = True
    pool = min(100_000, int(count * (1 + 0.03 * months)) + 50)
    holders = Holders(
        number=np.full(count, None, dtype=object),
        start=np.full(count, NEVER),
        end=np.full(count, NEVER),
        wte=np.zeros(count),
        sick_from=np.full(count, NEVER),
        sick_until=np.full(count, NEVER),
        numbers=(block + rng.choice(100_000, pool, replace=False)).astype(str).astype(object),
    )
    filled = np.flatnonzero(~vacant)
    holders.number[filled] = holders.new_numbers(len(filled))
    years = np.minimum(rng.exponential(6 * 365, len(filled)), 30 * 365).astype(np.int64)
    opened = teams["opened"].to_numpy()[posts["team"].to_numpy()[filled]]
    began = first_day - 1 - years  # in this post: not before its team opened
    holders.start[filled] = np.where(opened < NEVER, np.maximum(began, opened), began)
    holders.wte[filled] = _contracted(rng, posts["budgeted_wte"].to_numpy()[filled])
    for months_before in range(SICKNESS_WARM_UP, 0, -1):  # episodes under way, as they would be
        begin = first_day - 30 * months_before
        _sickness(rng, holders, rates, begin, begin + 29)
    return holders


def _sickness_starts(rates: Rates) -> float:
    """Chance a month that someone not off sick starts an episode, for the provider's rate: an
    episode of the mean length in every cycle of it and the months free until the next."""
    short, long = ((low + high - 1) / 2 for low, high in (SHORT_SICKNESS, LONG_SICKNESS))
    mean_days = (1 - LONG_SHARE) * short + LONG_SHARE * long
    return min(1.0, rates.sickness / (1 - rates.sickness) / mean_days * 30.4)


def _next_month(
    rng: np.random.Generator,
    posts: pd.DataFrame,
    holders: Holders,
    rates: Rates,
    first: int,
    last: int,
) -> None:
    """The month's leavers (their last day in it), starters into posts vacant at its start (the
    provider's vacancy rate held steady) and new sickness episodes."""
    gone = holders.end < first
    holders.number[gone] = None
    holders.start[gone] = holders.end[gone] = NEVER
    holders.wte[gone] = 0.0
    held = np.flatnonzero(holders.number != None)  # noqa: E711 (elementwise)
    leaving = held[rng.random(len(held)) < rates.turnover]
    earliest = np.maximum(first, holders.start[leaving])
    holders.end[leaving] = earliest + (rng.random(len(leaving)) * (last + 1 - earliest)).astype(
        np.int64
    )
    # recruitment replaces the provider's usual leavers and closes a quarter of any gap from its
    # usual vacancy rate a month, so the rate stays about the provider's own
    vacant = np.flatnonzero(holders.number == None)  # noqa: E711
    usual = rates.vacancy * len(holders.number)
    hires = rates.turnover * (len(holders.number) - usual) + RECRUITING * (len(vacant) - usual)
    starting = vacant[rng.random(len(vacant)) < np.clip(hires / max(len(vacant), 1), 0, 1)]
    holders.number[starting] = holders.new_numbers(len(starting))
    holders.start[starting] = rng.integers(first, last + 1, len(starting))
    holders.end[starting] = NEVER
    holders.wte[starting] = _contracted(rng, posts["budgeted_wte"].to_numpy()[starting])
    holders.sick_from[starting] = holders.sick_until[starting] = NEVER
    _sickness(rng, holders, rates, first, last)


def _sickness(
    rng: np.random.Generator, holders: Holders, rates: Rates, first: int, last: int
) -> None:
    """The month's new sickness episodes: someone in post and not off sick at its start may fall
    ill on any day of it, for a few days or, now and then, weeks (running on into next month)."""
    held = np.flatnonzero(holders.number != None)  # noqa: E711
    free = held[(holders.sick_until[held] <= first) | (holders.sick_until[held] == NEVER)]
    falling = free[rng.random(len(free)) < _sickness_starts(rates)]
    long = rng.random(len(falling)) < LONG_SHARE
    days = np.where(
        long,
        rng.integers(*LONG_SICKNESS, len(falling)),
        rng.integers(*SHORT_SICKNESS, len(falling)),
    )
    holders.sick_from[falling] = np.maximum(
        holders.start[falling], rng.integers(first, last + 1, len(falling))
    )
    holders.sick_until[falling] = holders.sick_from[falling] + days


def _establishment(posts: pd.DataFrame, holders: Holders, first: int, last: int) -> pd.DataFrame:
    """The ESR extract: every post at the month's end, and the month's leavers."""
    held = (holders.number != None) & (holders.start <= last)  # noqa: E711
    in_post_from = np.maximum(holders.start, first)
    in_post_to = np.minimum(holders.end, last) + 1
    sick = np.clip(
        np.minimum(holders.sick_until, in_post_to) - np.maximum(holders.sick_from, in_post_from),
        0,
        None,
    )
    wte = np.where(held, holders.wte, 0.0)
    return pd.DataFrame(
        {
            "position_id": posts["position_id"].to_numpy(),
            "assignment_number": np.where(held, holders.number, None),
            "team_code": posts["team_code"].to_numpy(),
            "role": posts["role"].to_numpy(),
            "band": posts["band"].to_numpy(),
            "wte": wte,
            "budgeted_wte": posts["budgeted_wte"].to_numpy(),
            "start_date": _dates(np.where(held, holders.start, NEVER)),
            "leaving_date": _dates(np.where(held & (holders.end <= last), holders.end, NEVER)),
            "sickness_absence_days": np.where(held, sick * wte, 0.0).round(1),
        }
    )


def _shift_patterns(
    rng: np.random.Generator, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end and break of a clinical shift of each row's kind of team."""
    start, end, rest = (np.zeros(len(kinds), dtype=np.int64) for _ in range(3))
    for code, spec in TEAM_KINDS.items():
        rows = np.flatnonzero(kinds == code)
        patterns = np.array(spec.shifts)
        chosen = rng.choice(len(patterns), len(rows), p=patterns[:, 3] / patterns[:, 3].sum())
        start[rows], end[rows], rest[rows] = patterns[chosen, :3].astype(np.int64).T
    return start, end, rest


def _bank_pool(
    rng: np.random.Generator, teams: pd.DataFrame, clinical: np.ndarray, rates: Rates, index: int
) -> pd.DataFrame:
    """Each open team's bank and agency workers: roster ids (no ESR assignment), fixed across
    months, enough that each works about BANK_SHIFTS_PER_WORKER shifts a month."""
    shifts = clinical * _mean_wte() * SHIFT_DAYS_PER_WTE * rates.bank / (1 - rates.bank)
    sizes = np.maximum(2, np.ceil(shifts / BANK_SHIFTS_PER_WORKER)).astype(int)
    team = np.repeat(np.arange(len(sizes)), sizes)
    agency = rng.random(len(team)) < rates.agency
    therapies = teams["kind"].to_numpy()[team] == "TH"
    qualified = rng.random(len(team)) < 0.65
    role = np.where(
        therapies,
        np.where(qualified, "allied_health_professional", "therapy_assistant"),
        np.where(qualified, "registered_nurse", "healthcare_assistant"),
    )
    band = np.where(qualified, "5", "3").astype(object)
    band[agency & (rng.random(len(team)) < AGENCY_OUTSIDE_AFC)] = None
    serial = np.char.zfill(np.arange(len(team)).astype(str), 5)
    prefix = np.char.add(np.where(agency, "AG", "BK"), f"{index:03d}")
    return pd.DataFrame(
        {
            "staff_id": np.char.add(prefix, serial).astype(object),
            "team": team,
            "employment_type": np.where(agency, "agency", "bank"),
            "role": role,
            "band": band,
        }
    )


def _shifts(
    rng: np.random.Generator,
    posts: pd.DataFrame,
    holders: Holders,
    teams: pd.DataFrame,
    pool: pd.DataFrame,
    rates: Rates,
    first: int,
    last: int,
) -> pd.DataFrame:
    """Shifts worked in the month: staff in post and not off sick, about SHIFT_DAYS_PER_WTE a
    month per WTE (weekends by the team's kind), then bank and agency cover for the provider's
    share of hours, spread over the team's days."""
    days = np.arange(first, last + 1)
    weekend = _weekday(days) >= 5
    kinds = teams["kind"].to_numpy()
    held = np.flatnonzero(holders.number != None)  # noqa: E711
    office = ~posts["clinical"].to_numpy()[held]
    weekend_rate = np.where(office, 0.0, _of_kind("weekend", posts["kind"].to_numpy()[held]))
    weekday_rate = SHIFT_DAYS_PER_WTE / ((~weekend).sum() + weekend_rate * weekend.sum())
    rate = weekday_rate[:, None] * np.where(weekend, weekend_rate[:, None], 1.0)
    in_post = (days >= holders.start[held, None]) & (days <= holders.end[held, None])
    sick = (days >= holders.sick_from[held, None]) & (days < holders.sick_until[held, None])
    works = (rng.random(rate.shape) < rate * holders.wte[held, None]) & in_post & ~sick
    who, day = np.nonzero(works)
    post = held[who]
    band = posts["band"].to_numpy()[post]
    clinical_post = posts["clinical"].to_numpy()[post]
    management = pd.Series(band).map(MANAGEMENT_DAYS).fillna(OTHER_MANAGEMENT_DAYS).to_numpy()
    draw = rng.random(len(post))
    shift_type = np.where(
        ~clinical_post,
        "non_clinical",
        np.where(
            draw < TRAINING_DAYS,
            "training",
            np.where(draw < TRAINING_DAYS + management, "non_clinical", "clinical"),
        ),
    )
    substantive = pd.DataFrame(
        {
            "staff_id": holders.number[post],
            "team": posts["team"].to_numpy()[post],
            "day": days[day],
            "shift_type": shift_type,
            "employment_type": "substantive",
            "overtime": np.where(rng.random(len(post)) < rates.overtime, "yes", "no"),
            "band": band,
        }
    )
    # bank and agency: the provider's share of hours, on the days the team works, each worker
    # at most once a day
    sizes = np.bincount(pool["team"].to_numpy())
    worked = np.bincount(substantive["team"].to_numpy(), minlength=len(sizes))
    team_weekend = _of_kind("weekend", kinds[: len(sizes)])
    weights = np.where(weekend, team_weekend[:, None], 1.0)
    expected = worked[:, None] * rates.bank / (1 - rates.bank) * weights / weights.sum(1)[:, None]
    counts = np.minimum(rng.poisson(expected), sizes[:, None])
    team, day = np.nonzero(counts)
    per_day = counts[team, day]
    offset = np.repeat(rng.integers(0, 1 << 30, len(team)), per_day)
    team, day = np.repeat(team, per_day), np.repeat(day, per_day)
    first_worker = np.cumsum(sizes) - sizes
    member = first_worker[team] + (offset + _ranks(team, per_day)) % sizes[team]
    cover = pool.iloc[member]
    bank = pd.DataFrame(
        {
            "staff_id": cover["staff_id"].to_numpy(),
            "team": team,
            "day": days[day],
            "shift_type": "clinical",
            "employment_type": cover["employment_type"].to_numpy(),
            "overtime": "no",
            "band": cover["band"].to_numpy(),
        }
    )
    shifts = pd.concat([substantive, bank], ignore_index=True)
    clinical = (shifts["shift_type"] == "clinical").to_numpy()
    start, end, rest = _shift_patterns(rng, kinds[shifts["team"].to_numpy()])
    start[~clinical], end[~clinical], rest[~clinical] = OFFICE_SHIFT
    shifts = shifts.assign(start=start, end=end, rest=rest)
    return shifts.sort_values(["day", "start", "staff_id"], ignore_index=True)


def _roster(shifts: pd.DataFrame, team_codes: np.ndarray) -> pd.DataFrame:
    """The eRoster extract: the shifts as canonical text."""
    return pd.DataFrame(
        {
            "staff_id": shifts["staff_id"].to_numpy(),
            "team_code": team_codes[shifts["team"].to_numpy()],
            "shift_date": _dates(shifts["day"].to_numpy()),
            "start_time": TIMES[shifts["start"].to_numpy()],
            "end_time": TIMES[shifts["end"].to_numpy()],
            "break_minutes": shifts["rest"].to_numpy(),
            "shift_type": shifts["shift_type"].to_numpy(),
            "employment_type": shifts["employment_type"].to_numpy(),
            "overtime": shifts["overtime"].to_numpy(),
            "band": shifts["band"].to_numpy(),
        }
    )


@dataclass
class Referrals:
    """A provider's referrals open at some time from its first month on, in order of receipt."""

    team: np.ndarray
    received: np.ndarray  # minute
    accepted: np.ndarray  # day (NEVER: closed at triage)
    first_contact: np.ndarray  # minute (NEVER: none)
    discharged: np.ndarray  # day (NEVER: still open at the end)
    priority: np.ndarray
    source: np.ndarray
    need: np.ndarray  # the activity most of its contacts are for
    weight: np.ndarray  # how often it is visited, relatively
    patient: np.ndarray  # index into the provider's patients
    referral_id: np.ndarray
    patient_id: np.ndarray  # by patient
    nhs_number: np.ndarray  # by patient; None for a patient without one


def _referrals(
    rng: np.random.Generator,
    teams: pd.DataFrame,
    expected_contacts: np.ndarray,
    first: int,
    last: int,
    index: int,
    nhs_numbers: NhsNumbers,
) -> Referrals:
    """Each open team's referrals: enough for a caseload its expected contacts visit at the
    kind's rate, arriving over the warm-up and the months (fewer at weekends)."""
    begin = first - WARM_UP_DAYS
    kinds = teams["kind"].to_numpy()[: len(expected_contacts)]
    specs = [TEAM_KINDS[k] for k in kinds]
    caseload = expected_contacts / np.array([s.visits for s in specs])
    stay = np.array([s.days_open + s.wait_days * (1 - s.urgent) for s in specs])
    per_day = caseload / stay / (1 - REJECTED)
    kept = (5 + 2 * WEEKEND_REFERRALS) / 7
    team = np.repeat(np.arange(len(specs)), rng.poisson(per_day * (last + 1 - begin) / kept))
    day = rng.integers(begin, last + 1, len(team))
    keep = (_weekday(day) < 5) | (rng.random(len(team)) < WEEKEND_REFERRALS)
    team, day = team[keep], day[keep]
    count = len(team)
    urgent = rng.random(count) < np.array([s.urgent for s in specs])[team]
    minute = np.where(urgent, rng.integers(420, 1260, count), rng.integers(480, 1080, count))
    received = day * DAY + minute
    order = np.argsort(received, kind="stable")
    team, day, urgent, received = team[order], day[order], urgent[order], received[order]
    source = np.empty(count, dtype=object)
    need = np.empty(count, dtype=object)
    for code, spec in TEAM_KINDS.items():
        rows = kinds[team] == code
        source[rows] = _pick(rng, spec.sources, int(rows.sum()))
        need[rows] = _pick(rng, spec.activities, int(rows.sum()))
    rejected = rng.random(count) < REJECTED
    delay = rng.choice([0, 1, 2, 3, 5, 7], count, p=[0.45, 0.25, 0.12, 0.08, 0.06, 0.04])
    accepted = np.where(urgent, day, day + delay)
    wait = np.array([s.wait_days for s in specs])[team]
    routine_first = (accepted + np.round(rng.gamma(1.5, wait / 1.5))) * DAY + rng.integers(
        540, 1021, count
    )
    soon = rng.random(count) < 0.7  # the 2-hour urgent community response
    urgent_first = received + np.where(
        soon, rng.integers(20, 121, count), rng.integers(121, 2 * DAY, count)
    )
    first_contact = np.where(urgent, urgent_first, np.maximum(routine_first, received + 30))
    days_open = np.array([s.days_open for s in specs])[team]
    length = np.maximum(1, np.round(rng.lognormal(np.log(days_open) - 0.5, 1.0)))
    discharged = first_contact // DAY + length.astype(np.int64)
    accepted = np.where(rejected, NEVER, accepted)
    first_contact = np.where(rejected, NEVER, first_contact)
    discharged = np.where(rejected, day + rng.integers(0, 6, count), discharged)
    discharged = np.where(discharged > last, NEVER, discharged)
    # some patients are referred again, or to a second team: an earlier referral's patient
    parent = np.arange(count)
    again = np.flatnonzero(rng.random(count) < REREFERRED)
    again = again[again > 0]
    parent[again] = (rng.random(len(again)) * again).astype(np.int64)
    while not np.array_equal(parent[parent], parent):
        parent = parent[parent]
    # only referrals still open at the first month are ever written: the rest only made the
    # caseload the months inherit, and their patients' identities are never needed
    kept = np.flatnonzero(discharged >= first)
    patients, patient = np.unique(parent[kept], return_inverse=True)
    nhs_number = nhs_numbers.take(len(patients)).astype(object)
    nhs_number[rng.random(len(patients)) < NO_NHS_NUMBER] = None
    patient_id = 1_000_000 + rng.choice(9_000_000, len(patients), replace=False)
    serial = np.char.zfill(kept.astype(str), 8)
    return Referrals(
        team=team[kept],
        received=received[kept],
        accepted=accepted[kept],
        first_contact=first_contact[kept],
        discharged=discharged[kept],
        priority=np.where(urgent[kept], "urgent", "routine"),
        source=source[kept],
        need=need[kept],
        weight=rng.gamma(1.0, 1.0, len(kept)),
        patient=patient,
        referral_id=np.char.add(f"RF{index:03d}", serial).astype(object),
        patient_id=patient_id.astype(str).astype(object),
        nhs_number=nhs_number,
    )


def _caseload(referrals: Referrals, team_codes: np.ndarray, first: int, last: int) -> pd.DataFrame:
    """The EPR referrals extract: every referral open in the month, dated as at its end."""
    rows = np.flatnonzero(
        (referrals.received // DAY <= last)
        & ((referrals.discharged >= first) | (referrals.discharged == NEVER))
    )
    end = (last + 1) * DAY  # what happened after the month is not known at its end

    def known(values: np.ndarray, limit: int) -> np.ndarray:
        return np.where(values[rows] < limit, values[rows], NEVER)

    patient = referrals.patient[rows]
    return pd.DataFrame(
        {
            "referral_id": referrals.referral_id[rows],
            "patient_id": referrals.patient_id[patient],
            "nhs_number": referrals.nhs_number[patient],
            "team_code": team_codes[referrals.team[rows]],
            "referral_source": referrals.source[rows],
            "priority": referrals.priority[rows],
            "received_at": _datetimes(referrals.received[rows]),
            "accepted_on": _dates(known(referrals.accepted, last + 1)),
            "first_contact_at": _datetimes(known(referrals.first_contact, end)),
            "discharged_on": _dates(known(referrals.discharged, last + 1)),
        }
    )


def _patients_for(
    rng: np.random.Generator,
    referrals: Referrals,
    team: np.ndarray,
    day: np.ndarray,
    first: int,
    last: int,
) -> np.ndarray:
    """For each contact (its team and day), a referral to that team open that day (from the
    first contact to discharge), picked by how often each is visited: rejection sampling over
    the team's referrals open in the month, a few rounds, then the last pick stands."""
    open_from = np.maximum(referrals.first_contact // DAY, first)
    open_to = np.minimum(referrals.discharged, last)
    candidates = np.flatnonzero(
        (referrals.first_contact < NEVER) & (open_from <= last) & (open_to >= first)
    )
    candidates = candidates[np.argsort(referrals.team[candidates], kind="stable")]
    if not len(candidates):
        return np.full(len(team), -1)
    teams_of = referrals.team[candidates]
    cumulative = np.cumsum(referrals.weight[candidates])
    teams = int(max(teams_of.max(), team.max(initial=0))) + 1
    begins = np.searchsorted(teams_of, np.arange(teams), side="left")
    ends = np.searchsorted(teams_of, np.arange(teams), side="right")
    below = np.where(begins > 0, cumulative[np.maximum(begins - 1, 0)], 0.0)
    total = np.where(ends > begins, cumulative[np.maximum(ends - 1, 0)] - below, 0.0)
    # a team with no open referral (a tiny team) takes any of the provider's
    lost = total[team] == 0
    low = np.where(lost, 0.0, below[team])
    span = np.where(lost, cumulative[-1], total[team])
    chosen = np.zeros(len(team), dtype=np.int64)
    todo = np.arange(len(team))
    for _ in range(12):
        at = low[todo] + rng.random(len(todo)) * span[todo]
        pick = np.minimum(np.searchsorted(cumulative, at, side="right"), len(candidates) - 1)
        chosen[todo] = candidates[pick]
        fits = (open_from[chosen[todo]] <= day[todo]) & (open_to[chosen[todo]] >= day[todo])
        todo = todo[~fits]
        if not len(todo):
            break
    return chosen


def _contacts(
    rng: np.random.Generator,
    shifts: pd.DataFrame,
    teams: pd.DataFrame,
    factors: pd.DataFrame,
    referrals: Referrals,
    rates: Rates,
    first: int,
    last: int,
    month: str,
) -> pd.DataFrame:
    """The EPR contacts extract: each clinical shift's booked contacts in its hours."""
    clinical = shifts[shifts["shift_type"] == "clinical"].reset_index(drop=True)
    team = clinical["team"].to_numpy()
    kinds = teams["kind"].to_numpy()[team]
    available = (clinical["end"] - clinical["start"] - clinical["rest"]).to_numpy()
    usual = available.mean() if len(available) else 1.0
    visits = rates.visits * factors["visits"].to_numpy()[team]
    booked = rng.poisson(visits / rates.attended * available / usual)
    shift = np.repeat(np.arange(len(clinical)), booked)
    count = len(shift)
    kind = kinds[shift]
    f2f_share = _of_kind("face_to_face", kind)
    face_to_face = rng.random(count) < f2f_share
    contact_type = np.where(
        face_to_face, "F2F", np.where(rng.random(count) < TELEPHONE, "telephone", "video")
    )
    factor = np.select(
        [contact_type == "F2F", contact_type == "telephone"],
        [LENGTH_FACTORS["F2F"], LENGTH_FACTORS["telephone"]],
        LENGTH_FACTORS["video"],
    )
    usual_factor = f2f_share * LENGTH_FACTORS["F2F"] + (1 - f2f_share) * (
        TELEPHONE * LENGTH_FACTORS["telephone"] + (1 - TELEPHONE) * LENGTH_FACTORS["video"]
    )
    share = rates.clinical_share * factors["share"].to_numpy()[team][shift]
    mean_length = share * usual / visits[shift] * factor / usual_factor
    length = np.maximum(5, np.round(rng.gamma(4.0, mean_length / 4.0))).astype(np.int64)
    allowance = np.where(
        face_to_face, np.maximum(3, np.round(rng.gamma(2.0, rates.travel / 2.0, count))), 0
    ).astype(np.int64)
    # one after another within the shift: travel, the contact, then a gap; the break midway
    seats = len(clinical)
    minutes = np.bincount(shift, weights=length, minlength=seats)
    travel = np.bincount(shift, weights=allowance, minlength=seats)
    with np.errstate(divide="ignore", invalid="ignore"):
        travel_scale = np.where(travel > 0, np.clip((available - minutes) / travel, 0, 1), 1.0)
        length_scale = np.where(minutes > available, available / minutes, 1.0)
    allowance = np.floor(allowance * travel_scale[shift]).astype(np.int64)
    length = np.maximum(1, np.floor(length * length_scale[shift])).astype(np.int64)
    slack = available - np.bincount(shift, weights=length + allowance, minlength=seats)
    spacing = rng.exponential(size=count)
    spacings = np.bincount(shift, weights=spacing, minlength=seats) + rng.exponential(size=seats)
    gap = np.floor(slack[shift] * spacing / spacings[shift]).astype(np.int64)
    step = gap + allowance + length
    before = np.cumsum(step) - step
    rank = _ranks(shift, booked)
    offset = before - before[np.cumsum(booked)[shift] - booked[shift]]
    second_half = rank >= (booked[shift] + 1) // 2
    start = (
        clinical["start"].to_numpy()[shift]
        + offset
        + gap
        + allowance
        + np.where(second_half, clinical["rest"].to_numpy()[shift], 0)
    )
    day = clinical["day"].to_numpy()[shift]
    after_midnight = start >= DAY  # a night shift's visits are on the next day's date
    day = day + after_midnight
    start = start - DAY * after_midnight
    end = start + length
    keep = day <= last
    # where: home mostly; a provider that runs clinics in the mornings sees few after 13:00
    at_home = rng.random(count) < _of_kind("home", kind)
    location = np.where(face_to_face, np.where(at_home, "home", "clinic"), "other")
    afternoon = (location == "clinic") & (start >= AFTERNOON)
    location[afternoon & (rng.random(count) >= rates.afternoon_clinics)] = "home"
    closed = (start < CLINIC_HOURS[0]) | (start >= CLINIC_HOURS[1])
    location[(location == "clinic") & closed] = "home"  # evening and night services visit
    outcome = rng.choice(
        ["attended", "dna", "cancelled"],
        count,
        p=[rates.attended, (1 - rates.cancelled) * rates.dna, rates.cancelled],
    )
    attended = outcome == "attended"
    travel_minutes = np.where((location == "home") & (outcome != "cancelled"), allowance, 0)
    referral = _patients_for(rng, referrals, team[shift], day, first, last)
    own = referral >= 0
    activity = np.empty(count, dtype=object)
    activity[own] = referrals.need[referral[own]]
    other = ~own | (rng.random(count) < OTHER_NEED)
    for code, spec in TEAM_KINDS.items():
        rows = other & (kind == code)
        activity[rows] = _pick(rng, spec.activities, int(rows.sum()))
    activity[rng.random(count) < MISSING_ACTIVITY] = None
    patient = referrals.patient[np.maximum(referral, 0)]
    frame = pd.DataFrame(
        {
            "nhs_number": referrals.nhs_number[patient],
            "patient_id": referrals.patient_id[patient],
            "staff_id": clinical["staff_id"].to_numpy()[shift],
            "team_code": teams["team_code"].to_numpy()[team[shift]],
            "day": day,
            "start": start,
            "end": end,
            "contact_type": contact_type,
            "location": location,
            "outcome": outcome,
            "travel_minutes": travel_minutes,
            "interventions": np.where(attended, 1 + rng.poisson(MORE_INTERVENTIONS, count), 0),
            "activity_type": activity,
        }
    )[keep]
    frame = frame.sort_values(["day", "start", "staff_id"], ignore_index=True)
    serial = int(month.replace("-", "")) * 10_000_000 + np.arange(1, len(frame) + 1)
    return pd.DataFrame(
        {
            "contact_id": np.char.add("C", serial.astype(str)).astype(object),
            "nhs_number": frame["nhs_number"].to_numpy(),
            "patient_id": frame["patient_id"].to_numpy(),
            "staff_id": frame["staff_id"].to_numpy(),
            "team_code": frame["team_code"].to_numpy(),
            "contact_date": _dates(frame["day"].to_numpy()),
            "start_time": TIMES[frame["start"].to_numpy()],
            "end_time": TIMES[frame["end"].to_numpy()],
            "contact_type": frame["contact_type"].to_numpy(),
            "location": frame["location"].to_numpy(),
            "outcome": frame["outcome"].to_numpy(),
            "travel_minutes": frame["travel_minutes"].to_numpy(),
            "interventions": frame["interventions"].to_numpy(),
            "activity_type": frame["activity_type"].to_numpy(),
        }
    )


def provider_systems(index: int, vendor_layouts: bool = True) -> dict[str, str]:
    """The systems a provider exports from, chosen by its place in the list so that every
    layout appears among the first few providers: its EPR (referrals and contacts), eRoster and
    ESR; all canonical when `vendor_layouts` is off."""
    if not vendor_layouts:
        return dict.fromkeys(EXTRACTS, CANONICAL)
    epr = systems("epr_contacts")
    roster = systems("eroster_shifts")
    esr = systems("esr_staff")
    return {
        "epr_referrals": epr[index % len(epr)],
        "epr_contacts": epr[index % len(epr)],
        "eroster_shifts": roster[index % len(roster)],
        "esr_staff": esr[index % len(esr)],
    }


def write_provider(
    landing: Path,
    organisation: str,
    index: int,
    months: list[str],
    rng: np.random.Generator,
    nhs_numbers: NhsNumbers,
    contacts_per_month: int | None = None,
    vendor_layouts: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> int:
    """One provider's team register and monthly extracts; the number of files written (a month
    with no rows for an extract, as a tiny provider may have, sends no file)."""
    rates = _rates(rng)
    first_day = _day_number(months[0])
    clinical = _clinical_posts(rng, rates, contacts_per_month)
    teams = _teams(rng, organisation, len(clinical), first_day)
    folder = landing / "operational" / organisation
    write_csv(
        teams[["team_code", "team_name", "department", "opened_on", "closed_on"]],
        folder / "teams.csv",
        connection,
    )
    written = 1
    posts = _positions(rng, teams, clinical, 30_000_000 + 100_000 * index)
    holders = _first_holders(
        rng, teams, posts, rates, first_day, len(months), 20_000_000 + 100_000 * index
    )
    pool = _bank_pool(rng, teams, clinical, rates, index)
    factors = pd.DataFrame(  # each team's own pace about the provider's
        {
            "visits": rng.uniform(0.9, 1.1, len(clinical)),
            "share": rng.uniform(0.93, 1.07, len(clinical)),
        }
    )
    expected = clinical * contacts_per_clinical_post(rates)
    last_day = _day_number(months[-1]) + pd.Period(months[-1], freq="M").days_in_month - 1
    referrals = _referrals(rng, teams, expected, first_day, last_day, index, nhs_numbers)
    codes = teams["team_code"].to_numpy()
    chosen = provider_systems(index, vendor_layouts)
    for month in months:
        first = _day_number(month)
        last = first + pd.Period(month, freq="M").days_in_month - 1
        _next_month(rng, posts, holders, rates, first, last)
        shifts = _shifts(rng, posts, holders, teams, pool, rates, first, last)
        extracts = {
            "esr_staff": _establishment(posts, holders, first, last),
            "eroster_shifts": _roster(shifts, codes),
            "epr_contacts": _contacts(
                rng, shifts, teams, factors, referrals, rates, first, last, month
            ),
            "epr_referrals": _caseload(referrals, codes, first, last),
        }
        for extract, frame in extracts.items():
            if len(frame):
                path = folder / month / f"{extract}.csv"
                write_extract(frame, path, extract, chosen[extract], connection)
                written += 1
    return written


def write_operational_extracts(
    landing: Path,
    providers: list[str],
    months: list[str],
    rng: np.random.Generator,
    contacts_per_month: int | None = None,
    vendor_layouts: bool = True,
) -> int:
    """Write every provider's team register and its four extracts for every month; return the
    number of files written. `contacts_per_month` sets each provider's size (about that many
    booked contacts a month; by default 3-6 teams, about 4,500); `vendor_layouts` off writes
    every file in the canonical layout."""
    if not months:
        return 0
    nhs_numbers = NhsNumbers(valid_nhs_numbers(rng, NHS_NUMBER_POOL))
    written = 0
    children = rng.spawn(len(providers))  # each provider's own: one changes, the others stay
    with duckdb.connect() as connection:  # one for every file written
        for index, (organisation, child) in enumerate(zip(providers, children, strict=True)):
            written += write_provider(
                landing,
                organisation,
                index,
                months,
                child,
                nhs_numbers,
                contacts_per_month,
                vendor_layouts,
                connection,
            )
    return written + write_comparators(landing, providers)


COMPARATORS = 3  # the first provider names the next three as its comparator set


def write_comparators(landing: Path, providers: list[str]) -> int:
    """The first provider's named comparator set (`operational/<ORG>/comparators.csv`): the
    providers after it, so its benchmarking report ranks it among them too."""
    named = providers[1 : 1 + COMPARATORS]
    if len(named) < COMPARATORS:
        return 0
    path = landing / "operational" / providers[0] / "comparators.csv"
    path.write_text("organisation_code\n" + "".join(f"{code}\n" for code in named))
    return 1
