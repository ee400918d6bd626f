"""Baseline: the platform's refresh written as one plain pandas script.

    PEERBENCH_PSEUDONYM_KEY=... .venv/bin/python benchmarks/baseline_pandas.py \\
        --home <PEERBENCH_HOME> --start 2020-04 --to 2026-03

`benchmarks/national.py` times this script beside `peerbench refresh` and the DuckDB baseline:
it is what the work costs written the everyday way, one `read_csv` per landing file into one
frame per dataset (the team registers, then one per extract and month for the four operational
extracts), every contract rule as a vectorised mask, HMAC-SHA256 pseudonyms computed once per
distinct identifier, Parquet per dataset and period, then metric values, peer statistics
(linear quartiles, as `quantile_cont`) in three peer groups (all, organisation type, NHS
region), the national figure and per-team monthly operational metrics. It does exactly what
`baseline_duckdb.py` does and writes the same outputs (described in `baseline_common.py`),
under `baseline_pandas/`.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_common import (
    ACTIVITY_TYPES,
    AE_COUNTS,
    AE_METRICS,
    AE_ORGANISATION_CODE,
    AE_OVER_WITHIN,
    AE_TEXT,
    AFC_BAND,
    CATALOGUE,
    COLLECTIONS,
    CONTACT_COLUMNS,
    CONTACT_TYPES,
    DEPARTMENTS,
    EMPLOYMENT,
    END_TIME,
    ISO_DATE,
    ISO_DATETIME,
    LOCATIONS,
    MAX_CONTACT_MINUTES,
    MAX_SHIFT_MINUTES,
    MAX_WTE,
    NHS_NUMBER,
    NHS_NUMBER_WITHIN,
    OPERATIONAL_SUBMITTER,
    OPTIONAL_COLUMNS,
    ORGANISATION_CODE,
    OUTCOMES,
    OVERTIME,
    PRIORITIES,
    REFERRAL_COLUMNS,
    REFERRAL_SOURCES,
    REGIONS,
    ROLES,
    SERVICE_LINES,
    SHIFT_COLUMNS,
    SHIFT_TYPES,
    STAFF_COLUMNS,
    START_TIME,
    TEAM_CODE,
    TEAM_COLUMNS,
    WHOLE_NUMBER,
    Job,
    file_sha256,
    nhse_period,
    operational_months,
    parse_job,
    pseudonymiser,
    submission,
    window_months,
)

Rule = tuple[str, str, pd.Series]  # (column, rule, True where the row passes)
Common = Callable[[pd.DataFrame], list[Rule]]  # the rules every extract's rows share
VIOLATION_COLUMNS = ["file", "line", "column_name", "rule"]


class Quarantine:
    """Every violation found, by file; a file with any violation is rejected whole."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def add(self, file: str, line: int | None, column: str | None, rule: str) -> None:
        self.frames.append(pd.DataFrame([[file, line, column, rule]], columns=VIOLATION_COLUMNS))

    def check(self, frame: pd.DataFrame, rules: list[Rule], key: list[str]) -> pd.DataFrame:
        """Record the failures of `rules` and repeated keys; return the accepted files' rows."""
        repeated = frame.duplicated(["filename", *key])
        failures = [*rules, (key[-1], "key repeats an earlier row of the file", ~repeated)]
        for column, rule, passes in failures:
            failed = frame.loc[~passes.fillna(False).astype(bool), ["filename", "line"]]
            if len(failed):
                self.frames.append(
                    failed.set_axis(["file", "line"], axis=1).assign(column_name=column, rule=rule)
                )
        return frame[~frame["filename"].isin(self.rejected())]

    def rejected(self) -> set[str]:
        return set(pd.concat(self.frames)["file"]) if self.frames else set()

    def table(self) -> pd.DataFrame:
        return pd.concat(self.frames) if self.frames else pd.DataFrame(columns=VIOLATION_COLUMNS)


def read(
    files: list[Path],
    columns: list[str],
    quarantine: Quarantine,
    *,
    optional: tuple[str, ...] = (),
    strict: bool = False,
    text: bool = False,
) -> pd.DataFrame:
    """Every file as text, trimmed, with `filename`, `line` and `source_sha256` columns; a file
    without the expected columns (`optional` ones may be left out: missing values), with columns
    the contract does not have (`strict`), or without rows, is quarantined at line 1. `text`
    reads every cell as written (the header in lower case; only an empty cell is missing, not
    "NA" or "null"), as the operational contracts do."""
    frames = []
    for path in files:
        if text:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
            frame.columns = [str(column).strip().lower() for column in frame.columns]
        else:
            frame = pd.read_csv(path, dtype=str)
            frame.columns = [str(column).strip() for column in frame.columns]
        missing = [c for c in columns if c not in frame.columns and c not in optional]
        for column in missing:
            quarantine.add(str(path), 1, column, "expected column is missing")
        unknown = [c for c in frame.columns if c not in columns] if strict else []
        for column in unknown:
            quarantine.add(str(path), 1, column or "(blank)", "column is not in the contract")
        if frame.empty and not missing and not unknown:
            quarantine.add(str(path), 1, None, "file has no rows")
        if missing or unknown or frame.empty:
            continue
        frame = frame.reindex(columns=columns).astype(object)  # a column left out: missing
        frame = frame.apply(lambda column: column.str.strip())
        if text:
            frame = frame.replace("", np.nan)
        frames.append(
            frame.assign(filename=str(path), line=frame.index + 2, source_sha256=file_sha256(path))
        )
    if not frames:
        return pd.DataFrame(columns=[*columns, "filename", "line", "source_sha256"], dtype=str)
    return pd.concat(frames, ignore_index=True)


def matches(series: pd.Series, pattern: str) -> pd.Series:
    return series.str.fullmatch(pattern.strip("^$")).fillna(False).astype(bool)


def write_lake(frame: pd.DataFrame, job: Job, dataset: str, by: str) -> None:
    for period, rows in frame.groupby(by):
        folder = job.out / "lake" / dataset / f"period={period}"
        folder.mkdir(parents=True, exist_ok=True)
        rows.drop(columns=by).to_parquet(folder / "data.parquet", index=False)


def ingest_returns(
    job: Job, collection: str, catalogue: pd.DataFrame, register: pd.DataFrame, q: Quarantine
) -> pd.DataFrame:
    dataset, columns, organisation_type = COLLECTIONS[collection]
    files = pd.DataFrame(
        [
            (str(p), p.parent.name, window_months(collection, p.parent.name), *submission(p))
            for p in job.returns[collection]
        ],
        columns=["filename", "period_label", "months", "file_org", "submitted_at"],
    )
    members = register.loc[register["organisation_type"] == organisation_type, "organisation_code"]
    metrics = catalogue[catalogue["collection"] == collection].set_index("metric_code")
    frame = read(job.returns[collection], columns, q).merge(files, on="filename")
    num = pd.to_numeric(frame["numerator"], errors="coerce").astype("float64")
    den = pd.to_numeric(frame["denominator"], errors="coerce").astype("float64")
    metric = frame["metric_code"]

    def number(field: str) -> pd.Series:
        return metric.map(metrics[field]).astype("float64")

    value = num / den * number("multiplier")
    lowest, highest = number("plausible_min"), number("plausible_max")
    periods = zip(frame["period"], frame["months"], strict=True)
    in_window = [period in months for period, months in periods]
    rules: list[Rule] = [
        ("organisation_code", "not an ODS-style organisation code",
         matches(frame["organisation_code"], ORGANISATION_CODE)),
        ("organisation_code", "not the organisation the file name names",
         frame["organisation_code"] == frame["file_org"]),
        ("organisation_code", "the file's organisation is not a member of the collection",
         frame["file_org"].isin(members)),
        ("organisation_code", "the file name's submission time is in the future",
         frame["submitted_at"] <= pd.Timestamp.now()),
        ("period", "period is not one of this window's", pd.Series(in_window, frame.index)),
        ("metric_code", f"metric is not in the {collection} catalogue", metric.isin(metrics.index)),
        ("numerator", "not a number at least 0", num >= 0),
        ("denominator", "not a number above 0", den > 0),
        ("numerator", "numerator is above denominator for a percentage",
         (metric.map(metrics["unit"]) != "percent") | ~(num > den)),
        ("numerator", "value is outside the catalogue's plausible range",
         value.isna() | lowest.isna() | value.between(lowest, highest)),
    ]  # fmt: skip
    if "service_line" in columns:
        allowed = metric.map(metrics["service_lines"]).fillna("all")
        collected = [
            lines == "all" or line in lines.split("|")
            for line, lines in zip(frame["service_line"], allowed, strict=True)
        ]
        rules.append(
            ("service_line", "the metric is not collected for this service line",
             frame["service_line"].isin(SERVICE_LINES) & pd.Series(collected, frame.index))
        )  # fmt: skip
    key = [c for c in columns if c not in ("numerator", "denominator")]
    kept = q.check(frame.assign(numerator=num, denominator=den), rules, key)
    newest = kept.sort_values(["submitted_at", "filename"]).groupby(
        ["organisation_code", "period"]
    )["filename"].transform("last").reindex(kept.index)  # fmt: skip
    latest = kept[kept["filename"] == newest].rename(columns={"period": "month"})
    if "service_line" not in latest:
        latest = latest.assign(service_line="all")
    latest = latest[["organisation_code", "month", "service_line", "metric_code", "numerator",
                     "denominator", "filename", "source_sha256", "submitted_at",
                     "period_label"]]  # fmt: skip
    write_lake(latest.rename(columns={"filename": "source_file"}), job, dataset, "period_label")
    return latest.assign(collection=collection, period=latest["month"])


def ingest_ae(job: Job, q: Quarantine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The A&E metric values, and each provider's most type 1 attendances and latest parent."""
    months = {str(path): month for month, path in job.ae}
    frame = read([p for _, p in job.ae], [*AE_TEXT, *AE_COUNTS], q)
    frame = frame[frame["Period"].fillna("").str.upper() != "TOTAL"]
    frame = frame.rename(columns={**AE_TEXT, **AE_COUNTS})
    for column in AE_COUNTS.values():
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    month = frame["filename"].map(months)
    rules: list[Rule] = [
        ("period", "period is not this file's month", frame["period"] == month.map(nhse_period)),
        ("organisation_code", "not an ODS organisation code",
         matches(frame["organisation_code"], AE_ORGANISATION_CODE)),
        ("parent_org", "empty", frame["parent_org"].str.len() >= 1),
        ("organisation_name", "empty", frame["organisation_name"].str.len() >= 1),
        *[(c, "not a whole number at least 0", (frame[c] >= 0) & (frame[c] % 1 == 0))
          for c in AE_COUNTS.values()],
        *[(over, f"more attendances over 4 hours than {att}", frame[over] <= frame[att])
          for over, att in AE_OVER_WITHIN],
    ]  # fmt: skip
    kept = q.check(frame, rules, ["organisation_code"])
    kept = kept.assign(period=month).drop(columns="line")
    write_lake(
        kept.rename(columns={"filename": "source_file"}), job, "nhse_ae_attendances", "period"
    )
    metrics = []
    for metric, ((plus, minus), denominator, type1_only) in AE_METRICS.items():
        rows = kept[kept["att_t1"] > 0] if type1_only else kept
        metrics.append(
            pd.DataFrame(
                {
                    "metric_code": metric,
                    "organisation_code": rows["organisation_code"],
                    "period": rows["period"],
                    "numerator": rows[plus].sum(axis=1) - rows[minus].sum(axis=1),
                    # a count has no denominator
                    "denominator": rows[denominator].sum(axis=1) if denominator else float("nan"),
                }
            )
        )
    values = pd.concat(metrics, ignore_index=True)
    providers = kept.sort_values("period").groupby("organisation_code")
    national = providers.agg(att_t1=("att_t1", "max"), parent_org=("parent_org", "last"))
    has_value = values["denominator"].fillna(values["numerator"]) > 0
    ae_values = values[has_value].assign(collection="nhse_ae", service_line="all")
    return ae_values, national.reset_index()


def organisations(register: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """Members from the register, then providers known only from A&E: an acute trust where it
    ever had type 1 attendances, else a walk-in / urgent treatment centre (the demo's other sites
    have type 3 attendances only and are no NHS trust: the mart's rule for them), its region
    from NHS England's parent organisation."""
    regions = pd.read_csv(REGIONS).set_index("nhse_parent_org")["region_code"]
    others = national[~national["organisation_code"].isin(register["organisation_code"])]
    others = pd.DataFrame(
        {
            "organisation_code": others["organisation_code"],
            "organisation_type": np.where(others["att_t1"] > 0, "acute_trust", "walk_in_centre"),
            "region_code": others["parent_org"].map(regions),
        }
    )
    columns = ["organisation_code", "organisation_type", "region_code"]
    return pd.concat([register[columns], others], ignore_index=True)


def minutes(times: pd.Series) -> pd.Series:
    """`HH:MM` as minutes after midnight; past 1440 for the next day; NaN where not a time."""
    hours = pd.to_numeric(times.str.slice(0, 2), errors="coerce")
    return hours * 60 + pd.to_numeric(times.str.slice(3, 5), errors="coerce")


def nhs_number_valid(numbers: pd.Series) -> pd.Series:
    """Modulus 11: the tenth digit is (11 - sum of the first nine weighted 10..2) mod 11."""
    ten_digits = matches(numbers, NHS_NUMBER)
    values = numbers.where(ten_digits).astype("float64").fillna(0).astype("int64")
    digits = values.to_numpy()[:, None] // 10 ** np.arange(9, -1, -1) % 10
    check = (11 - (digits[:, :9] @ np.arange(10, 1, -1)) % 11) % 11
    return numbers.isna() | ~ten_digits | pd.Series(check == digits[:, 9], numbers.index)


def optional(series: pd.Series, passes: pd.Series) -> pd.Series:
    return series.isna() | passes.fillna(False).astype(bool)


def identifier(frame: pd.DataFrame, column: str, nullable: bool = False) -> Rule:
    passes = frame[column].str.len().between(1, 64)
    return (column, "not an identifier", optional(frame[column], passes) if nullable else passes)


def code(frame: pd.DataFrame, column: str, values: tuple[str, ...], nullable: bool = False) -> Rule:
    passes = frame[column].isin(values)
    return (column, "not allowed", optional(frame[column], passes) if nullable else passes)


def whole_number(series: pd.Series) -> pd.Series:
    """Each cell as a whole number at least 0 where it is one (NaN elsewhere)."""
    return pd.to_numeric(series.where(matches(series, WHOLE_NUMBER)), errors="coerce").where(
        lambda value: value >= 0
    )


def number(series: pd.Series) -> pd.Series:
    """Each cell as a finite number (NaN elsewhere)."""
    values = pd.to_numeric(series, errors="coerce")
    return values.where(np.isfinite(values))


def not_an_nhs_number(frame: pd.DataFrame, column: str) -> Rule:
    """Values kept in clear may not hold anything shaped like an NHS number, anywhere in them."""
    shaped = frame[column].str.contains(NHS_NUMBER_WITHIN, regex=True)
    rule = "an NHS number shape in a value kept in clear"
    return (column, rule, optional(frame[column], ~shaped))


def day(series: pd.Series) -> pd.Series:
    """A date or date-time column's day (NaT where it is none)."""
    return pd.to_datetime(series.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")


def date(frame: pd.DataFrame, column: str, nullable: bool = False) -> Rule:
    values = frame[column]
    passes = matches(values, ISO_DATE) & day(values).notna()
    rule = "not a calendar date written YYYY-MM-DD"
    return (column, rule, optional(values, passes) if nullable else passes)


def date_time(frame: pd.DataFrame, column: str, nullable: bool = False) -> Rule:
    values = frame[column]
    parsed = pd.to_datetime(values, format="%Y-%m-%d %H:%M", errors="coerce")
    passes = matches(values, ISO_DATETIME) & parsed.notna()
    rule = "not a date and time written YYYY-MM-DD HH:MM"
    return (column, rule, optional(values, passes) if nullable else passes)


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = pd.Period(month, freq="M")
    return first.start_time, (first + 1).start_time


def by_month_end(frame: pd.DataFrame, column: str, month: str) -> Rule:
    days = day(frame[column])
    passes = days.isna() | (days < month_bounds(month)[1])
    return (column, f"after the extract's month {month}: not known at its end", passes)


def not_before(frame: pd.DataFrame, column: str, earlier: str) -> Rule:
    later, first = day(frame[column]), day(frame[earlier])
    return (column, f"before {earlier}", later.isna() | first.isna() | (later >= first))


def in_month(frame: pd.DataFrame, column: str, month: str) -> list[Rule]:
    first, after = month_bounds(month)
    days = day(frame[column])
    return [
        date(frame, column),
        (column, f"date is not in the extract's month {month}", (days >= first) & (days < after)),
    ]


def read_operational(
    files: list[Path], columns: list[str], q: Quarantine, folders_up: int
) -> pd.DataFrame:
    """A register's or an extract's files, with the provider their landing folder names
    (`<ORG>/teams.csv`: one folder up; `<ORG>/<YYYY-MM>/<extract>.csv`: two)."""
    frame = read(files, columns, q, optional=OPTIONAL_COLUMNS, strict=True, text=True)
    folders = {str(path): path.parents[folders_up - 1].name for path in files}
    return frame.assign(organisation_code=frame["filename"].map(folders).astype("str"))


def submitter_rules(frame: pd.DataFrame, register: pd.DataFrame) -> list[Rule]:
    """The landing folder's provider: an ODS-style code, a community provider of the register."""
    members = register.loc[
        register["organisation_type"] == OPERATIONAL_SUBMITTER, "organisation_code"
    ]
    return [
        ("organisation_code", "landing folder is not an ODS-style organisation code",
         matches(frame["organisation_code"], ORGANISATION_CODE)),
        ("organisation_code", f"the provider is not a {OPERATIONAL_SUBMITTER} of the register",
         frame["organisation_code"].isin(members)),
    ]  # fmt: skip


def team_rules(frame: pd.DataFrame, teams: set[str]) -> list[Rule]:
    """Every extract row's team: a team code, no NHS number, in its provider's register."""
    known = (frame["organisation_code"] + "/" + frame["team_code"]).isin(teams)
    return [
        ("team_code", "not a team code", matches(frame["team_code"], TEAM_CODE)),
        not_an_nhs_number(frame, "team_code"),
        ("team_code", "team is not in the provider's team register", known),
    ]


def nhs_number_rules(frame: pd.DataFrame) -> list[Rule]:
    nhs = frame["nhs_number"]
    return [
        ("nhs_number", "not 10 digits", optional(nhs, matches(nhs, NHS_NUMBER))),
        ("nhs_number", "NHS number fails the modulus 11 check", nhs_number_valid(nhs)),
    ]


def times(frame: pd.DataFrame) -> tuple[list[Rule], pd.Series]:
    """The rules of a row's start and end; and its length in minutes, where both are times."""
    start_ok = matches(frame["start_time"], START_TIME)
    end_ok = matches(frame["end_time"], END_TIME)
    duration = minutes(frame["end_time"].where(end_ok)) - minutes(
        frame["start_time"].where(start_ok)
    )
    rules: list[Rule] = [
        ("start_time", "not a time", start_ok),
        ("end_time", "not a time", end_ok),
        ("end_time", "end is not after start", duration > 0),
    ]
    return rules, duration


def patient_pseudonyms(frame: pd.DataFrame, key: bytes) -> pd.Series:
    """The NHS number's pseudonym, else (a patient without one) the local patient id's."""
    return pseudonymised(frame["nhs_number"], key, "nhs_number").fillna(
        pseudonymised(frame["patient_id"], key, "patient")
    )


def lineage(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"filename": "source_file"}).drop(columns="line")


def ingest_teams(job: Job, register: pd.DataFrame, q: Quarantine) -> set[str]:
    """Every provider's team register, checked and written; the accepted teams, as
    `<ORG>/<team code>`, that every extract row's team is checked against."""
    teams = read_operational(job.teams, TEAM_COLUMNS, q, folders_up=1)
    rules = [
        *submitter_rules(teams, register),
        ("team_code", "not a team code", matches(teams["team_code"], TEAM_CODE)),
        not_an_nhs_number(teams, "team_code"),
        ("team_name", "not a name", teams["team_name"].str.len().between(1, 200)),
        not_an_nhs_number(teams, "team_name"),
        code(teams, "department", DEPARTMENTS),
        date(teams, "opened_on", nullable=True),
        date(teams, "closed_on", nullable=True),
        not_before(teams, "closed_on", "opened_on"),
    ]
    teams = q.check(teams, rules, ["team_code"])
    folder = job.out / "lake" / "operational_teams"
    folder.mkdir(parents=True, exist_ok=True)
    lineage(
        teams.assign(opened_on=day(teams["opened_on"]).dt.date,
                     closed_on=day(teams["closed_on"]).dt.date)
    ).to_parquet(folder / "data.parquet", index=False)  # fmt: skip
    return set(teams["organisation_code"] + "/" + teams["team_code"])


def write_extract(frame: pd.DataFrame, job: Job, extract: str, month: str) -> None:
    folder = job.out / "lake" / extract / f"period={month}"
    folder.mkdir(parents=True, exist_ok=True)
    lineage(frame).to_parquet(folder / "data.parquet", index=False)


def ingest_referrals(job: Job, month: str, common: Common, q: Quarantine) -> None:
    referrals = read_operational(job.extracts["epr_referrals"][month], REFERRAL_COLUMNS, q, 2)
    first, _ = month_bounds(month)
    discharged = day(referrals["discharged_on"])
    rules = [
        *common(referrals),
        identifier(referrals, "referral_id"),
        identifier(referrals, "patient_id"),
        *nhs_number_rules(referrals),
        code(referrals, "referral_source", REFERRAL_SOURCES),
        code(referrals, "priority", PRIORITIES),
        date_time(referrals, "received_at"),
        date(referrals, "accepted_on", nullable=True),
        date_time(referrals, "first_contact_at", nullable=True),
        date(referrals, "discharged_on", nullable=True),
        *[by_month_end(referrals, c, month)
          for c in ("received_at", "accepted_on", "first_contact_at", "discharged_on")],
        not_before(referrals, "accepted_on", "received_at"),
        not_before(referrals, "discharged_on", "received_at"),
        ("first_contact_at", "before the referral was received",
         optional(referrals["first_contact_at"],
                  referrals["first_contact_at"] >= referrals["received_at"])),
        ("discharged_on", f"discharged before {month}", discharged.isna() | (discharged >= first)),
    ]  # fmt: skip
    referrals = q.check(referrals, rules, ["organisation_code", "referral_id"])
    timestamp = "%Y-%m-%d %H:%M"
    referrals = referrals.assign(
        referral_pseudonym=pseudonymised(referrals["referral_id"], job.key, "referral"),
        patient_pseudonym=patient_pseudonyms(referrals, job.key),
        received_at=pd.to_datetime(referrals["received_at"], format=timestamp),
        accepted_on=day(referrals["accepted_on"]).dt.date,
        first_contact_at=pd.to_datetime(referrals["first_contact_at"], format=timestamp),
        discharged_on=day(referrals["discharged_on"]).dt.date,
    ).drop(columns=["referral_id", "patient_id", "nhs_number"])
    write_extract(referrals, job, "epr_referrals", month)


def ingest_contacts(job: Job, month: str, common: Common, q: Quarantine) -> pd.DataFrame:
    contacts = read_operational(job.extracts["epr_contacts"][month], CONTACT_COLUMNS, q, 2)
    time_rules, duration = times(contacts)
    counts = {c: whole_number(contacts[c]) for c in ("travel_minutes", "interventions")}
    rules = [
        *common(contacts),
        identifier(contacts, "contact_id"),
        not_an_nhs_number(contacts, "contact_id"),
        identifier(contacts, "patient_id"),
        identifier(contacts, "staff_id"),
        *nhs_number_rules(contacts),
        *in_month(contacts, "contact_date", month),
        *time_rules,
        ("end_time", "contact is over 12 hours", duration <= MAX_CONTACT_MINUTES),
        code(contacts, "contact_type", CONTACT_TYPES),
        code(contacts, "location", LOCATIONS),
        code(contacts, "outcome", OUTCOMES),
        *[(c, "not a whole number at least 0", values.notna()) for c, values in counts.items()],
        not_an_nhs_number(contacts, "travel_minutes"),
        not_an_nhs_number(contacts, "interventions"),
        code(contacts, "activity_type", ACTIVITY_TYPES, nullable=True),
    ]
    contacts = q.check(contacts, rules, ["organisation_code", "contact_id"])
    kept = contacts.index
    contacts = contacts.assign(
        contact_date=day(contacts["contact_date"]).dt.date,
        duration_minutes=duration[kept].astype("int64"),
        travel_minutes=counts["travel_minutes"][kept].astype("int64"),
        interventions=counts["interventions"][kept].astype("int64"),
        patient_pseudonym=patient_pseudonyms(contacts, job.key),
        staff_pseudonym=pseudonymised(contacts["staff_id"], job.key, "staff"),
    ).drop(columns=["nhs_number", "patient_id", "staff_id"])
    write_extract(contacts, job, "epr_contacts", month)
    return contacts


def ingest_shifts(job: Job, month: str, common: Common, q: Quarantine) -> pd.DataFrame:
    shifts = read_operational(job.extracts["eroster_shifts"][month], SHIFT_COLUMNS, q, 2)
    time_rules, duration = times(shifts)
    breaks = whole_number(shifts["break_minutes"])
    rules = [
        *common(shifts),
        identifier(shifts, "staff_id"),
        *in_month(shifts, "shift_date", month),
        *time_rules,
        ("end_time", "shift is over 24 hours", duration <= MAX_SHIFT_MINUTES),
        ("break_minutes", "not a whole number at least 0", breaks.notna()),
        ("break_minutes", "break is not shorter than the shift", breaks < duration),
        code(shifts, "shift_type", SHIFT_TYPES),
        code(shifts, "employment_type", EMPLOYMENT),
        code(shifts, "overtime", OVERTIME),
        ("band", "not an AfC band", optional(shifts["band"], matches(shifts["band"], AFC_BAND))),
    ]
    shifts = q.check(shifts, rules, ["organisation_code", "staff_id", "shift_date", "start_time"])
    kept = shifts.index
    shifts = shifts.assign(
        shift_date=day(shifts["shift_date"]).dt.date,
        duration_minutes=duration[kept].astype("int64"),
        break_minutes=breaks[kept].astype("int64"),
        staff_pseudonym=pseudonymised(shifts["staff_id"], job.key, "staff"),
    ).drop(columns=["staff_id"])
    write_extract(shifts, job, "eroster_shifts", month)
    return shifts


def ingest_staff(job: Job, month: str, common: Common, q: Quarantine) -> None:
    staff = read_operational(job.extracts["esr_staff"][month], STAFF_COLUMNS, q, 2)
    first, _ = month_bounds(month)
    days = pd.Period(month, freq="M").days_in_month
    values = {c: number(staff[c]) for c in ("wte", "budgeted_wte", "sickness_absence_days")}
    wte, sickness = values["wte"], values["sickness_absence_days"]
    vacant = staff["assignment_number"].isna()
    leaving = day(staff["leaving_date"])
    rules = [
        *common(staff),
        ("position_id", "not a position number", staff["position_id"].str.len().between(1, 64)),
        not_an_nhs_number(staff, "position_id"),
        identifier(staff, "assignment_number", nullable=True),
        code(staff, "role", ROLES),
        ("band", "not an AfC band", matches(staff["band"], AFC_BAND)),
        ("wte", "not a number in range", wte.between(0, MAX_WTE)),
        ("budgeted_wte", "not a number in range", values["budgeted_wte"].between(0, MAX_WTE)),
        date(staff, "start_date", nullable=True),
        date(staff, "leaving_date", nullable=True),
        ("sickness_absence_days", "not a number in range", sickness >= 0),
        by_month_end(staff, "start_date", month),
        not_before(staff, "leaving_date", "start_date"),
        ("leaving_date", f"left before {month}", leaving.isna() | (leaving >= first)),
        ("wte", "a vacant position has a WTE or a start date",
         ~vacant | ((wte == 0) & staff["start_date"].isna())),
        ("start_date", "an assignment has no start date", vacant | staff["start_date"].notna()),
        ("sickness_absence_days", f"more days of sickness than {month} has", sickness <= days),
        ("sickness_absence_days", "more WTE days of sickness than the assignment's WTE",
         (sickness > days) | (sickness <= wte * days)),
        ("leaving_date", "a vacant position has a leaving date",
         ~vacant | staff["leaving_date"].isna()),
    ]  # fmt: skip
    staff = q.check(staff, rules, ["organisation_code", "position_id", "assignment_number"])
    staff = staff.assign(
        **{c: v[staff.index] for c, v in values.items()},
        staff_pseudonym=pseudonymised(staff["assignment_number"], job.key, "staff"),
        start_date=day(staff["start_date"]).dt.date,
        leaving_date=leaving[staff.index].dt.date,
    ).drop(columns=["assignment_number"])
    write_extract(staff, job, "esr_staff", month)


def ingest_operational(
    job: Job, month: str, register: pd.DataFrame, teams: set[str], q: Quarantine
) -> pd.DataFrame:
    """One month of the four extracts from every provider: check, pseudonymise, write; return
    its per-team metrics."""

    def common(frame: pd.DataFrame) -> list[Rule]:
        return [*submitter_rules(frame, register), *team_rules(frame, teams)]

    if job.extracts["epr_referrals"][month]:
        ingest_referrals(job, month, common, q)
    contacts = ingest_contacts(job, month, common, q)
    shifts = ingest_shifts(job, month, common, q)
    if job.extracts["esr_staff"][month]:
        ingest_staff(job, month, common, q)
    return team_month(contacts, shifts).assign(period=month)


def pseudonymised(values: pd.Series, key: bytes, domain: str) -> pd.Series:
    """Each value's pseudonym, computed once per distinct value; missing stays missing."""
    pseudonym = pseudonymiser(key, domain)
    codes, distinct = pd.factorize(values)  # a missing value has code -1: the None at the end
    pseudonyms = np.array([*map(pseudonym, distinct), None], dtype=object)
    return pd.Series(pseudonyms[codes], index=values.index, dtype="str")


def team_month(contacts: pd.DataFrame, shifts: pd.DataFrame) -> pd.DataFrame:
    attended = contacts["outcome"] == "attended"
    face_to_face = attended & (contacts["contact_type"] == "F2F")
    flags = contacts.assign(
        booked=1,
        attended=attended,
        did_not_attend=contacts["outcome"] == "dna",
        face_to_face=face_to_face,
        at_home=face_to_face & (contacts["location"] == "home"),
        contact_minutes=contacts["duration_minutes"].where(attended, 0),
        travel_minutes=contacts["travel_minutes"].where(attended, 0),  # to attended contacts
    )
    keys = ["organisation_code", "team_code"]
    counts = flags.groupby(keys).agg(
        booked=("booked", "sum"),
        attended=("attended", "sum"),
        did_not_attend=("did_not_attend", "sum"),
        face_to_face=("face_to_face", "sum"),
        at_home=("at_home", "sum"),
        contact_minutes=("contact_minutes", "sum"),
        travel_minutes=("travel_minutes", "sum"),
        patients=("patient_pseudonym", "nunique"),
    )
    clinical = shifts[shifts["shift_type"] == "clinical"]
    days = clinical.drop_duplicates([*keys, "staff_pseudonym", "shift_date"]).groupby(keys).size()
    teams = counts.join(days.rename("clinical_shift_days"), how="outer").reset_index()
    return teams.assign(
        dna_rate=teams["did_not_attend"] / (teams["attended"] + teams["did_not_attend"]),
        face_to_face_share=teams["face_to_face"] / teams["attended"],
        home_visit_share=teams["at_home"] / teams["face_to_face"],
        contacts_per_shift_day=teams["attended"] / teams["clinical_shift_days"],
    )


def operational_values(teams: pd.DataFrame) -> pd.DataFrame:
    provider = teams.groupby(["organisation_code", "period"], as_index=False)[
        ["attended", "did_not_attend", "face_to_face", "at_home", "clinical_shift_days"]
    ].sum()  # fmt: skip
    metrics = {
        "OP_DNA_RATE": ("did_not_attend", provider["attended"] + provider["did_not_attend"]),
        "OP_HOME_VISIT_SHARE": ("at_home", provider["face_to_face"]),
        "OP_CONTACTS_PER_SHIFT_DAY": ("attended", provider["clinical_shift_days"]),
    }
    return pd.concat(
        provider[["organisation_code", "period"]].assign(
            metric_code=metric, numerator=provider[numerator], denominator=denominator
        )
        for metric, (numerator, denominator) in metrics.items()
    ).assign(collection="operational", service_line="all")


def benchmark(values: pd.DataFrame, catalogue: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """Peer statistics per metric, service line, month and peer group (all, organisation type,
    NHS region); each organisation's rank and band within its group; the national figure."""
    valued = values[values["value"].notna()]
    months = ["metric_code", "service_line", "period_start"]
    known = known.set_index("organisation_code")
    peers = pd.concat(
        [
            valued.assign(peer_group="all", peer_group_value="all"),
            valued.assign(
                peer_group="organisation_type",
                peer_group_value=valued["organisation_code"].map(known["organisation_type"]),
            ),
            valued.assign(
                peer_group="nhs_region",
                peer_group_value=valued["organisation_code"].map(known["region_code"]),
            ),
        ],
        ignore_index=True,
    ).dropna(subset=["peer_group_value"])
    keys = [*months, "peer_group", "peer_group_value"]
    value = peers.groupby(keys)["value"]
    statistics = value.agg(peer_n="count", peer_mean="mean", peer_min="min", peer_max="max")
    for name, q in (("peer_lower_quartile", 0.25), ("peer_median", 0.5),
                    ("peer_upper_quartile", 0.75)):  # fmt: skip
        statistics[name] = value.quantile(q)  # linear interpolation, as quantile_cont
    sums = valued.groupby(months)[["numerator", "denominator"]].sum()
    multiplier = sums.index.get_level_values("metric_code").map(
        catalogue.set_index("metric_code")["multiplier"].astype(float)
    )
    counts = sums.index.get_level_values("metric_code").map(
        catalogue.set_index("metric_code")["aggregation"] == "sum"
    )
    national = (
        (sums["numerator"] / sums["denominator"] * multiplier)
        .where(~counts.to_numpy(dtype=bool), sums["numerator"])
        .rename("national_value")
    )
    ranked = peers.merge(statistics.reset_index(), on=keys).merge(national.reset_index(), on=months)
    lower_is_better = catalogue.set_index("metric_code")["polarity"] == "lower_is_better"
    direction = ranked["metric_code"].map(lower_is_better.map({True: -1, False: 1})).astype(float)
    by_peer_group = (ranked["value"] * direction).groupby([ranked[k] for k in keys])
    ranked["peer_rank"] = by_peer_group.rank(method="min", ascending=False)
    neutral = ranked["metric_code"].map(catalogue.set_index("metric_code")["polarity"]) == "neutral"
    ranked.loc[neutral, "peer_rank"] = np.nan  # no best, so no rank: a position
    below = ranked.groupby(keys)["value"].rank(method="min") - 1
    ranked["peer_percentile"] = (
        below / (ranked["peer_n"] - 1).where(ranked["peer_n"] > 1) * 100
    ).fillna(0.0)
    quartiles = ("peer_lower_quartile", "peer_median", "peer_upper_quartile")
    ranked["quartile_band"] = np.select(
        [ranked["value"] <= ranked[q] for q in quartiles], [1, 2, 3], 4
    )
    ranked["difference_from_median"] = ranked["value"] - ranked["peer_median"]
    previous = valued[[*months, "organisation_code", "value"]].assign(
        period_start=valued["period_start"] + pd.DateOffset(months=1)
    )  # fmt: skip
    return ranked.merge(
        previous.rename(columns={"value": "previous_value"}),
        on=[*months, "organisation_code"],
        how="left",
    )


def main() -> None:
    job = parse_job("pandas", __doc__.splitlines()[0])
    shutil.rmtree(job.out, ignore_errors=True)
    (job.out / "mart").mkdir(parents=True)
    catalogue = pd.read_csv(CATALOGUE)
    register = pd.read_csv(job.landing / "reference" / "organisations.csv", dtype=str)
    q = Quarantine()
    values, national = [], pd.DataFrame(columns=["organisation_code", "att_t1", "parent_org"])
    if not job.operational_only:
        values = [ingest_returns(job, c, catalogue, register, q) for c in COLLECTIONS]
        ae_values, national = ingest_ae(job, q)
        values.append(ae_values)
    months = operational_months(job)
    known_teams = ingest_teams(job, register, q) if months else set()
    teams = [ingest_operational(job, m, register, known_teams, q) for m in months]
    if teams:
        team_months = pd.concat(teams, ignore_index=True)
        team_months.to_parquet(job.out / "mart" / "operational_team_month.parquet", index=False)
        values.append(operational_values(team_months))
    if job.operational_only:
        report_quarantine(job, q)
        return
    columns = ["collection", "metric_code", "organisation_code", "service_line", "period",
               "numerator", "denominator"]  # fmt: skip
    metric_value = pd.concat([v[columns] for v in values], ignore_index=True).merge(
        catalogue[["metric_code", "multiplier", "aggregation"]], on="metric_code"
    )
    ratio = (
        metric_value["numerator"]
        / metric_value["denominator"].where(metric_value["denominator"] != 0)
        * metric_value["multiplier"]
    )
    metric_value = metric_value.assign(
        period_start=pd.to_datetime(metric_value["period"] + "-01"),
        value=ratio.where(metric_value["aggregation"] != "sum", metric_value["numerator"]),
    ).drop(columns=["multiplier", "aggregation"])
    metric_value.to_parquet(job.out / "mart" / "fct_metric_value.parquet", index=False)
    benchmark(metric_value, catalogue, organisations(register, national)).to_parquet(
        job.out / "mart" / "fct_benchmark.parquet", index=False
    )
    report_quarantine(job, q)


def report_quarantine(job: Job, q: Quarantine) -> None:
    violations = q.table()
    violations.to_csv(job.out / "quarantine.csv", index=False)
    print(
        f"pandas baseline: {violations['file'].nunique()} files quarantined "
        f"({len(violations)} violations)"
    )


if __name__ == "__main__":
    main()
