"""Baseline: the platform's refresh written as one plain pandas script.

    PEERBENCH_PSEUDONYM_KEY=... .venv/bin/python benchmarks/baseline_pandas.py \\
        --home <PEERBENCH_HOME> --start 2020-04 --to 2026-03

`benchmarks/national.py` times this script beside `peerbench refresh` and the DuckDB baseline:
it is what the work costs written the everyday way, one `read_csv` per landing file into one
frame per dataset (one per month for the operational extracts), every contract rule as a
vectorised mask, HMAC-SHA256 pseudonyms computed once per distinct identifier, Parquet per
dataset and period, then metric values, peer statistics (linear quartiles, as `quantile_cont`)
in three peer groups (all, organisation type, NHS region), the national figure and per-team
monthly operational metrics. It does exactly what `baseline_duckdb.py` does and
writes the same outputs (described in `baseline_common.py`), under `baseline_pandas/`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_common import (
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
    EMPLOYMENT,
    END_TIME,
    ISO_DATE,
    LOCATIONS,
    MAX_SHIFT_MINUTES,
    NHS_NUMBER,
    NHS_NUMBER_SHAPED,
    ORGANISATION_CODE,
    OUTCOMES,
    REGIONS,
    SERVICE_LINES,
    SHIFT_COLUMNS,
    STAFF_GROUPS,
    START_TIME,
    TEAM_CODE,
    Job,
    file_sha256,
    nhse_period,
    parse_job,
    pseudonymiser,
    submission,
    window_months,
)

Rule = tuple[str, str, pd.Series]  # (column, rule, True where the row passes)
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


def read(files: list[Path], columns: list[str], quarantine: Quarantine) -> pd.DataFrame:
    """Every file as text, trimmed, with `filename`, `line` and `source_sha256` columns; a file
    without the expected columns, or without rows, is quarantined at line 1."""
    frames = []
    for path in files:
        frame = pd.read_csv(path, dtype=str)
        frame.columns = [str(column).strip() for column in frame.columns]
        missing = [column for column in columns if column not in frame.columns]
        for column in missing:
            quarantine.add(str(path), 1, column, "expected column is missing")
        if frame.empty and not missing:
            quarantine.add(str(path), 1, None, "file has no rows")
        if missing or frame.empty:
            continue
        frame = frame[columns].apply(lambda column: column.str.strip())
        frames.append(
            frame.assign(filename=str(path), line=frame.index + 2, source_sha256=file_sha256(path))
        )
    if not frames:
        return pd.DataFrame(columns=[*columns, "filename", "line", "source_sha256"], dtype=str)
    return pd.concat(frames, ignore_index=True)


def matches(series: pd.Series, pattern: str) -> pd.Series:
    return series.str.fullmatch(pattern.strip("^$")).fillna(False)


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
    """`HH:MM` (already checked) as minutes after midnight; past 1440 for the next day."""
    return times.str.slice(0, 2).astype("float64") * 60 + times.str.slice(3, 5).astype("float64")


def nhs_number_valid(numbers: pd.Series) -> pd.Series:
    """Modulus 11: the tenth digit is (11 - sum of the first nine weighted 10..2) mod 11."""
    ten_digits = matches(numbers, NHS_NUMBER)
    values = numbers.where(ten_digits).astype("float64").fillna(0).astype("int64")
    digits = values.to_numpy()[:, None] // 10 ** np.arange(9, -1, -1) % 10
    check = (11 - (digits[:, :9] @ np.arange(10, 1, -1)) % 11) % 11
    return numbers.isna() | ~ten_digits | pd.Series(check == digits[:, 9], numbers.index)


def read_extract(files: list[Path], columns: list[str], q: Quarantine) -> pd.DataFrame:
    """An extract's files, with the provider their landing folder `<ORG>/<YYYY-MM>/` names."""
    frame = read(files, columns, q)
    folders = {str(path): path.parent.parent.name for path in files}
    return frame.assign(organisation_code=frame["filename"].map(folders).astype("str"))


def extract_rules(
    frame: pd.DataFrame, date_column: str, month: str
) -> tuple[list[Rule], pd.Series, pd.Series]:
    """The rules both extracts share; and each row's date and length in minutes, where valid."""
    dates = frame[date_column]
    day = pd.to_datetime(dates.where(matches(dates, ISO_DATE)), format="%Y-%m-%d", errors="coerce")
    start_ok = matches(frame["start_time"], START_TIME)
    end_ok = matches(frame["end_time"], END_TIME)
    duration = minutes(frame["end_time"].where(end_ok)) - minutes(
        frame["start_time"].where(start_ok)
    )
    rules: list[Rule] = [
        ("organisation_code", "landing folder is not an ODS-style organisation code",
         matches(frame["organisation_code"], ORGANISATION_CODE)),
        (date_column, "not a calendar date written YYYY-MM-DD", day.notna()),
        (date_column, f"date is not in the extract's month {month}",
         dates.str.startswith(f"{month}-")),
        ("start_time", "not a time", start_ok),
        ("end_time", "not a time", end_ok),
        ("end_time", "end is not after start", duration > 0),
        ("team_code", "not a team code", matches(frame["team_code"], TEAM_CODE)),
        ("team_code", "an NHS number, not a team code",
         ~matches(frame["team_code"], NHS_NUMBER_SHAPED)),
        ("staff_id", "not an identifier", frame["staff_id"].str.len().between(1, 64)),
    ]  # fmt: skip
    return rules, day, duration


def ingest_operational(job: Job, month: str, q: Quarantine) -> pd.DataFrame:
    """One month of both extracts: check, pseudonymise, write; return its per-team metrics."""
    contacts = read_extract(job.contacts[month], CONTACT_COLUMNS, q)
    rules, day, duration = extract_rules(contacts, "contact_date", month)
    count = {
        column: pd.to_numeric(contacts[column], errors="coerce")
        for column in ("travel_minutes", "interventions")
    }
    nhs = contacts["nhs_number"]
    rules += [
        ("contact_id", "not an identifier", contacts["contact_id"].str.len().between(1, 64)),
        ("contact_id", "an NHS number, not a contact id",
         ~matches(contacts["contact_id"], NHS_NUMBER_SHAPED)),
        ("patient_id", "not an identifier", contacts["patient_id"].str.len().between(1, 64)),
        ("nhs_number", "not 10 digits", nhs.isna() | matches(nhs, NHS_NUMBER)),
        ("nhs_number", "NHS number fails the modulus 11 check", nhs_number_valid(nhs)),
        ("contact_type", "not allowed", contacts["contact_type"].isin(CONTACT_TYPES)),
        ("location", "not allowed", contacts["location"].isin(LOCATIONS)),
        ("outcome", "not allowed", contacts["outcome"].isin(OUTCOMES)),
        *[(c, "not a count", (values >= 0) & (values % 1 == 0)) for c, values in count.items()],
    ]  # fmt: skip
    contacts = q.check(contacts, rules, ["organisation_code", "contact_id"])
    kept = contacts.index
    patient = pseudonymised(contacts["nhs_number"], job.key, "nhs_number")
    contacts = contacts.assign(
        contact_date=day[kept].dt.date,
        duration_minutes=duration[kept].astype("int64"),
        travel_minutes=count["travel_minutes"][kept].astype("int64"),
        interventions=count["interventions"][kept].astype("int64"),
        patient_pseudonym=patient.fillna(pseudonymised(contacts["patient_id"], job.key, "patient")),
        staff_pseudonym=pseudonymised(contacts["staff_id"], job.key, "staff"),
    ).drop(columns=["nhs_number", "patient_id", "staff_id", "line"])
    write_lake(contacts.assign(period=month).rename(columns={"filename": "source_file"}),
               job, "epr_contacts", "period")  # fmt: skip

    shifts = read_extract(job.shifts[month], SHIFT_COLUMNS, q)
    rules, day, duration = extract_rules(shifts, "shift_date", month)
    breaks = pd.to_numeric(shifts["break_minutes"], errors="coerce")
    rules += [
        ("break_minutes", "not a count", (breaks >= 0) & (breaks % 1 == 0)),
        ("end_time", "shift is over 24 hours", duration <= MAX_SHIFT_MINUTES),
        ("break_minutes", "break is not shorter than the shift", breaks < duration),
        ("staff_group", "not allowed", shifts["staff_group"].isin(STAFF_GROUPS)),
        ("employment_type", "not allowed", shifts["employment_type"].isin(EMPLOYMENT)),
        ("band", "not an AfC band", shifts["band"].isna() | matches(shifts["band"], AFC_BAND)),
    ]  # fmt: skip
    shifts = q.check(shifts, rules, ["organisation_code", "staff_id", "shift_date", "start_time"])
    kept = shifts.index
    shifts = shifts.assign(
        shift_date=day[kept].dt.date,
        duration_minutes=duration[kept].astype("int64"),
        break_minutes=breaks[kept].astype("int64"),
        staff_pseudonym=pseudonymised(shifts["staff_id"], job.key, "staff"),
    ).drop(columns=["staff_id", "line"])
    write_lake(shifts.assign(period=month).rename(columns={"filename": "source_file"}),
               job, "eroster_shifts", "period")  # fmt: skip
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
    clinical = shifts[shifts["staff_group"] == "clinical"]
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
    values = [ingest_returns(job, c, catalogue, register, q) for c in COLLECTIONS]
    ae_values, national = ingest_ae(job, q)
    values.append(ae_values)
    teams = [ingest_operational(job, m, q) for m in job.months if job.contacts[m] or job.shifts[m]]
    if teams:
        team_months = pd.concat(teams, ignore_index=True)
        team_months.to_parquet(job.out / "mart" / "operational_team_month.parquet", index=False)
        values.append(operational_values(team_months))
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
    violations = q.table()
    violations.to_csv(job.out / "quarantine.csv", index=False)
    print(
        f"pandas baseline: {violations['file'].nunique()} files quarantined "
        f"({len(violations)} violations)"
    )


if __name__ == "__main__":
    main()
