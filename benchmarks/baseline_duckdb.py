"""Baseline: the platform's refresh written as one bare DuckDB script.

    PEERBENCH_PSEUDONYM_KEY=... .venv/bin/python benchmarks/baseline_duckdb.py \\
        --home <PEERBENCH_HOME> --start 2020-04 --to 2026-03

`benchmarks/national.py` times this script beside `peerbench refresh` to show what the platform's
machinery (Dagster, dbt, pandera, per-file work) costs over the work itself. It reads every
landing CSV of the months (all files of a dataset in one `read_csv`, with the file name as a
column), checks each row against the contract rules in one pass, quarantines a file whole if
any of its rows fails, keeps the latest return per organisation and period, pseudonymises NHS
numbers, patient, staff, assignment and referral ids with keyed HMAC-SHA256 (computed in SQL
from two sha256 calls, once per distinct value), writes Parquet per dataset and period, then
computes the metric values, the peer statistics (N, mean, min, quartiles with `quantile_cont`,
median, max, rank by polarity) in three peer groups (all, organisation type, NHS region), the
national figure and per-team monthly operational metrics. The operational extracts are the
providers' team registers (read first: every extract row's team must be in its provider's
accepted register) and, month by month, their four extracts (referrals, contacts, shifts, ESR
establishment). Outputs are described in `baseline_common.py`.
"""

from __future__ import annotations

import shutil
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import duckdb
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
    CONTACT_TYPES,
    DEPARTMENTS,
    EMPLOYMENT,
    END_TIME,
    EXTRACTS,
    ISO_DATE,
    ISO_DATETIME,
    LOCATIONS,
    MAX_CONTACT_MINUTES,
    MAX_SHIFT_MINUTES,
    MAX_WTE,
    NHS_NUMBER,
    NHS_NUMBER_WITHIN,
    OPERATIONAL_METRICS,
    OPERATIONAL_SUBMITTER,
    OPTIONAL_COLUMNS,
    ORGANISATION_CODE,
    OUTCOMES,
    OVERTIME,
    PRIORITIES,
    REFERRAL_SOURCES,
    REGIONS,
    ROLES,
    SERVICE_LINES,
    SHIFT_TYPES,
    START_TIME,
    TEAM_CODE,
    TEAM_COLUMNS,
    WHOLE_NUMBER,
    Job,
    file_sha256,
    nhse_period,
    operational_months,
    parse_job,
    read_header,
    submission,
    window_months,
)
from keyed_hash import hmac_sql, pads

Rule = tuple[str, str, str]  # (column, rule, SQL that is true when the row passes)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(sql_text(value) for value in values) + "]"


def load(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: list[Path],
    columns: list[str],
    file_columns: str = "",
    *,
    optional: tuple[str, ...] = (),
    strict: bool = False,
    lower: bool = False,
) -> None:
    """All `files` as the view `table`: text columns, trimmed (an empty cell missing), with
    `filename`, `line` and `source_sha256` (and any `file_columns`, SQL over `filename`). A file
    without the expected columns (`optional` ones may be left out: missing values), with columns
    the contract does not have (`strict`), or without rows, is reported at line 1 instead; `lower`
    reads the header in lower case. Files are read in one `read_csv` per distinct header (column
    order may differ between files) into `<table>_rows`, the only copy of the data;
    `<table>_files` holds one row per file."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in files:
        header = read_header(path, lower)
        missing = [column for column in columns if column not in header]
        missing = [column for column in missing if column not in optional]
        for column in missing:
            report(con, str(path), 1, column, "expected column is missing")
        unknown = [column for column in header if column not in columns] if strict else []
        for column in unknown:
            report(con, str(path), 1, column or "(blank)", "column is not in the contract")
        if not missing and not unknown:
            groups[tuple(header)].append(str(path))

    def trimmed(header: tuple[str, ...]) -> str:
        return ", ".join(
            f'nullif(trim("{column}"), \'\') as "{column}"'
            if column in header
            else f'null::varchar as "{column}"'
            for column in columns
        )

    selects = [
        f"select filename, {trimmed(header)} from read_csv(?, columns = {_text_columns(header)}, "
        "header = true, auto_detect = false, delim = ',', quote = '\"', filename = true)"
        for header in groups
    ]
    empty = ", ".join(f'null::varchar as "{column}"' for column in columns)
    union = " union all ".join(selects) or f"select null::varchar as filename, {empty} limit 0"
    con.execute(f"create or replace table {table}_rows as {union}", list(groups.values()))
    paths = [path for group in groups.values() for path in group]
    hashes = pd.DataFrame(
        {"filename": paths, "source_sha256": [file_sha256(Path(p)) for p in paths]}
    )
    con.register("hashes", hashes)
    # rows keep their order within a file, so a row's line is its rowid less the file's first
    # rowid, plus 2 (the header is line 1)
    con.execute(f"""
        create or replace table {table}_files as
        select filename, first, source_sha256 {file_columns}
        from (select filename, min(rowid) as first from {table}_rows group by 1)
        join hashes using (filename)
    """)
    con.unregister("hashes")
    con.execute(f"""
        create or replace view {table} as
        select r.*, r.rowid - f.first + 2 as line, f.* exclude (filename, first)
        from {table}_rows as r join {table}_files as f using (filename)
    """)
    loaded = {row[0] for row in con.execute(f"select filename from {table}_files").fetchall()}
    for path in paths:
        if path not in loaded:
            report(con, path, 1, None, "file has no rows")


def unload(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Drop what `load` made (and any further tables), freeing their memory."""
    for table in tables:
        con.execute(f"drop view if exists {table}")
        con.execute(f"drop table if exists {table}_rows")
        con.execute(f"drop table if exists {table}_files")


def _text_columns(header: tuple[str, ...]) -> str:
    """A read_csv `columns` struct naming the file's own header, every column as text."""
    return "{" + ", ".join(f"{sql_text(column)}: 'VARCHAR'" for column in header) + "}"


def report(con: duckdb.DuckDBPyConnection, file: str, line, column, rule: str) -> None:
    con.execute("insert into violations values (?, ?, ?, ?)", [file, line, column, rule])


def check(con: duckdb.DuckDBPyConnection, table: str, rules: list[Rule], key: list[str]) -> None:
    """Every failed rule of every row of `table`, and keys repeated within a file. One pass finds
    the failing rows; only those are then checked rule by rule, to name every failure."""
    passes = " and ".join(f"coalesce({ok}, false)" for _, _, ok in rules)
    failures = ", ".join(
        f"case when coalesce({ok}, false) then null else {sql_text(f'{column}|{rule}')} end"
        for column, rule, ok in rules
    )
    failing = con.execute(f"select count(*) from {table} where not ({passes})").fetchone()[0]
    if failing:
        con.execute(f"""
            insert into violations
            select filename, line, split_part(failure, '|', 1), split_part(failure, '|', 2)
            from (
                select filename, line,
                       unnest(list_filter([{failures}], lambda x: x is not null)) as failure
                from (select * from {table} where not ({passes}))
            )
        """)
    columns = ", ".join(key)
    con.execute(f"""
        insert into violations
        select filename, max(line), '{key[-1]}', 'key repeats an earlier row of the file'
        from {table} group by filename, {columns} having count(*) > 1
    """)


def accepted(table: str) -> str:
    """The rows of `table` from files without a violation."""
    return f"(select * from {table} where filename not in (select file from violations))"


def ingest_returns(con: duckdb.DuckDBPyConnection, job: Job, collection: str) -> None:
    dataset, columns, organisation_type = COLLECTIONS[collection]
    files = pd.DataFrame(
        [
            (str(p), p.parent.name, window_months(collection, p.parent.name), *submission(p))
            for p in job.returns[collection]
        ],
        columns=["filename", "period_label", "months", "file_org", "submitted_at"],
    )
    con.register("files", files)
    load(con, "landed", job.returns[collection], columns)
    con.execute(f"""
        create or replace table returns as
        select r.*, f.period_label, f.months, f.file_org, f.submitted_at,
               try_cast(r.numerator as double) as num, try_cast(r.denominator as double) as den,
               c.metric_code is not null as known_metric, c.unit, c.multiplier,
               c.plausible_min, c.plausible_max, c.service_lines,
               o.organisation_code is not null as member
        from landed as r
        join files as f using (filename)
        left join catalogue as c
            on c.metric_code = r.metric_code and c.collection = '{collection}'
        left join register as o
            on o.organisation_code = f.file_org and o.organisation_type = '{organisation_type}'
    """)
    unload(con, "landed")
    rules: list[Rule] = [
        ("organisation_code", "not an ODS-style organisation code",
         f"regexp_full_match(organisation_code, '{ORGANISATION_CODE}')"),
        ("organisation_code", "not the organisation the file name names",
         "organisation_code = file_org"),
        ("organisation_code", "the file's organisation is not a member of the collection",
         "member"),
        ("organisation_code", "the file name's submission time is in the future",
         "submitted_at <= localtimestamp"),
        ("period", "period is not one of this window's", "list_contains(months, period)"),
        ("metric_code", f"metric is not in the {collection} catalogue", "known_metric"),
        ("numerator", "not a number at least 0", "num >= 0"),
        ("denominator", "not a number above 0", "den > 0"),
        ("numerator", "numerator is above denominator for a percentage",
         "coalesce(unit <> 'percent' or num <= den, true)"),
        ("numerator", "value is outside the catalogue's plausible range",
         "coalesce(num / den * multiplier between plausible_min and plausible_max, true)"),
    ]  # fmt: skip
    if "service_line" in columns:
        rules.append(
            ("service_line", "the metric is not collected for this service line",
             f"list_contains({sql_list(SERVICE_LINES)}, service_line) and coalesce(service_lines"
             " = 'all' or list_contains(string_split(service_lines, '|'), service_line), true)")
        )  # fmt: skip
    check(con, "returns", rules, [c for c in columns if c not in ("numerator", "denominator")])
    line = ", service_line" if "service_line" in columns else ", 'all' as service_line"
    con.execute(f"""
        copy (
            select organisation_code, period as month{line}, metric_code, num as numerator,
                   den as denominator, filename as source_file, source_sha256, submitted_at,
                   period_label as period
            from {accepted("returns")} as r
            qualify dense_rank() over (
                partition by r.organisation_code, r.period
                order by r.submitted_at desc, r.filename desc
            ) = 1
        ) to '{job.out}/lake/{dataset}' (format parquet, partition_by (period))
    """)
    con.unregister("files")
    con.execute("drop table returns")


def ingest_ae(con: duckdb.DuckDBPyConnection, job: Job) -> None:
    files = pd.DataFrame([(str(p), m, nhse_period(m)) for m, p in job.ae],
                         columns=["filename", "month", "nhse_period"])  # fmt: skip
    con.register("files", files)
    load(con, "landed", [p for _, p in job.ae], [*AE_TEXT, *AE_COUNTS])
    renamed = [f'"{h}" as {c}' for h, c in AE_TEXT.items()]
    counts = [f'try_cast("{h}" as bigint) as {c}' for h, c in AE_COUNTS.items()]
    con.execute(f"""
        create or replace table ae as
        select filename, line, source_sha256, {", ".join(renamed + counts)}, f.month,
               f.nhse_period
        from landed join files as f using (filename)
        where upper(coalesce("Period", '')) <> 'TOTAL'
    """)
    unload(con, "landed")
    rules: list[Rule] = [
        ("period", "period is not this file's month", "period = nhse_period"),
        ("organisation_code", "not an ODS organisation code",
         f"regexp_full_match(organisation_code, '{AE_ORGANISATION_CODE}')"),
        ("parent_org", "empty", "length(parent_org) >= 1"),
        ("organisation_name", "empty", "length(organisation_name) >= 1"),
        *[(c, "not a whole number at least 0", f"{c} >= 0") for c in AE_COUNTS.values()],
        *[(over, f"more attendances over 4 hours than {att}", f"{over} <= {att}")
          for over, att in AE_OVER_WITHIN],
    ]  # fmt: skip
    check(con, "ae", rules, ["organisation_code"])
    con.execute(f"""
        copy (select * exclude (filename, line, period, nhse_period, month),
                     filename as source_file, month as period
              from {accepted("ae")})
        to '{job.out}/lake/nhse_ae_attendances' (format parquet, partition_by (period))
    """)
    con.unregister("files")
    con.execute("drop table ae")


def _minutes(column: str) -> str:
    """`HH:MM` as minutes after midnight (past 1440 for the next day)."""
    hours, minutes = f"left({column}, 2)", f"substr({column}, 4, 2)"
    return f"(try_cast({hours} as integer) * 60 + try_cast({minutes} as integer))"


def _nhs_number_valid(column: str) -> str:
    """Modulus 11: the tenth digit is (11 - sum of the first nine weighted 10..2) mod 11."""
    digit = "try_cast(substr({column}, {i}, 1) as integer)"
    weighted = " + ".join(f"{digit.format(column=column, i=i)} * {11 - i}" for i in range(1, 10))
    return f"(11 - ({weighted}) % 11) % 11 = {digit.format(column=column, i=10)}"


DURATION = f"{_minutes('end_time')} - {_minutes('start_time')}"


def _optional(column: str, holds: str) -> str:
    return f"{column} is null or ({holds})"


def _matches(column: str, pattern: str) -> str:
    return f"regexp_full_match({column}, '{pattern}')"


def _one_of(column: str, values: Iterable[str]) -> str:
    return f"list_contains({sql_list(values)}, {column})"


def _identifier(column: str, optional: bool = False) -> Rule:
    holds = f"length({column}) between 1 and 64"
    return (column, "not an identifier", _optional(column, holds) if optional else holds)


def _count(column: str) -> Rule:
    holds = f"{_matches(column, WHOLE_NUMBER)} and try_cast({column} as bigint) >= 0"
    return (column, "not a whole number at least 0", holds)


def _number(column: str, low: float, high: float | None = None) -> Rule:
    value = f"try_cast({column} as double)"
    bound = f"{value} >= {low}" + (f" and {value} <= {high}" if high is not None else "")
    return (column, "not a number in range", f"isfinite({value}) and {bound}")


def _code(column: str, values: Iterable[str], optional: bool = False) -> Rule:
    holds = _one_of(column, values)
    return (column, "not allowed", _optional(column, holds) if optional else holds)


def _not_an_nhs_number(column: str) -> Rule:
    """Values kept in clear may not hold anything shaped like an NHS number, anywhere in them."""
    holds = f"not regexp_matches({column}, '{NHS_NUMBER_WITHIN}')"
    return (column, "an NHS number shape in a value kept in clear", _optional(column, holds))


def _day(column: str) -> str:
    """A date or date-time column's day (null where it is none)."""
    return f"try_cast(try_strptime(substr({column}, 1, 10), '%Y-%m-%d') as date)"


def _date(column: str, optional: bool = False) -> Rule:
    holds = f"{_matches(column, ISO_DATE)} and try_strptime({column}, '%Y-%m-%d') is not null"
    rule = "not a calendar date written YYYY-MM-DD"
    return (column, rule, _optional(column, holds) if optional else holds)


def _datetime(column: str, optional: bool = False) -> Rule:
    holds = (
        f"{_matches(column, ISO_DATETIME)} and try_strptime({column}, '%Y-%m-%d %H:%M') is not null"
    )
    rule = "not a date and time written YYYY-MM-DD HH:MM"
    return (column, rule, _optional(column, holds) if optional else holds)


def _month_bounds(month: str) -> tuple[str, str]:
    """The month's first day and the first day after it, as SQL dates."""
    first = pd.Period(month, freq="M")
    return f"date '{first.start_time.date()}'", f"date '{(first + 1).start_time.date()}'"


def _by_month_end(column: str, month: str) -> Rule:
    _, after = _month_bounds(month)
    holds = f"{_day(column)} is null or {_day(column)} < {after}"
    return (column, f"after the extract's month {month}: not known at its end", holds)


def _not_before(column: str, earlier: str) -> Rule:
    later, first = _day(column), _day(earlier)
    holds = f"{later} is null or {first} is null or {later} >= {first}"
    return (column, f"before {earlier}", holds)


def _submitter_rules() -> list[Rule]:
    """The landing folder's provider: an ODS-style code, a community provider of the register."""
    return [
        ("organisation_code", "landing folder is not an ODS-style organisation code",
         _matches("organisation_code", ORGANISATION_CODE)),
        ("organisation_code", f"the provider is not a {OPERATIONAL_SUBMITTER} of the register",
         "organisation_code in (select organisation_code from register "
         f"where organisation_type = '{OPERATIONAL_SUBMITTER}')"),
    ]  # fmt: skip


def _team_rules() -> list[Rule]:
    """Every extract row's team: a team code, no NHS number, in its provider's register."""
    return [
        ("team_code", "not a team code", _matches("team_code", TEAM_CODE)),
        _not_an_nhs_number("team_code"),
        ("team_code", "team is not in the provider's team register",
         "organisation_code || '/' || team_code in (select team_key from teams)"),
    ]  # fmt: skip


def _times() -> list[Rule]:
    return [
        ("start_time", "not a time", _matches("start_time", START_TIME)),
        ("end_time", "not a time", _matches("end_time", END_TIME)),
        ("end_time", "end is not after start", f"{DURATION} > 0"),
    ]


def _in_month(column: str, month: str) -> list[Rule]:
    first, after = _month_bounds(month)
    holds = f"{_day(column)} >= {first} and {_day(column)} < {after}"
    return [_date(column), (column, f"date is not in the extract's month {month}", holds)]


def _nhs_number() -> list[Rule]:
    return [
        ("nhs_number", "not 10 digits",
         _optional("nhs_number", _matches("nhs_number", NHS_NUMBER))),
        ("nhs_number", "NHS number fails the modulus 11 check",
         _optional("nhs_number", _nhs_number_valid("nhs_number"))),
    ]  # fmt: skip


def teams_rules() -> list[Rule]:
    return [
        *_submitter_rules(),
        ("team_code", "not a team code", _matches("team_code", TEAM_CODE)),
        _not_an_nhs_number("team_code"),
        ("team_name", "not a name", "length(team_name) between 1 and 200"),
        _not_an_nhs_number("team_name"),
        _code("department", DEPARTMENTS),
        _date("opened_on", optional=True),
        _date("closed_on", optional=True),
        _not_before("closed_on", "opened_on"),
    ]


def referral_rules(month: str) -> list[Rule]:
    first, _ = _month_bounds(month)
    return [
        *_submitter_rules(),
        *_team_rules(),
        _identifier("referral_id"),
        _identifier("patient_id"),
        *_nhs_number(),
        _code("referral_source", REFERRAL_SOURCES),
        _code("priority", PRIORITIES),
        _datetime("received_at"),
        _date("accepted_on", optional=True),
        _datetime("first_contact_at", optional=True),
        _date("discharged_on", optional=True),
        *[_by_month_end(c, month) for c in ("received_at", "accepted_on", "first_contact_at",
                                             "discharged_on")],
        _not_before("accepted_on", "received_at"),
        _not_before("discharged_on", "received_at"),
        ("first_contact_at", "before the referral was received",
         _optional("first_contact_at", "first_contact_at >= received_at")),
        ("discharged_on", f"discharged before {month}",
         _optional("discharged_on", f"{_day('discharged_on')} >= {first}")),
    ]  # fmt: skip


def contact_rules(month: str) -> list[Rule]:
    return [
        *_submitter_rules(),
        *_team_rules(),
        _identifier("contact_id"),
        _not_an_nhs_number("contact_id"),
        _identifier("patient_id"),
        _identifier("staff_id"),
        *_nhs_number(),
        *_in_month("contact_date", month),
        *_times(),
        ("end_time", "contact is over 12 hours", f"{DURATION} <= {MAX_CONTACT_MINUTES}"),
        _code("contact_type", CONTACT_TYPES),
        _code("location", LOCATIONS),
        _code("outcome", OUTCOMES),
        _count("travel_minutes"),
        _not_an_nhs_number("travel_minutes"),
        _count("interventions"),
        _not_an_nhs_number("interventions"),
        _code("activity_type", ACTIVITY_TYPES, optional=True),
    ]


def shift_rules(month: str) -> list[Rule]:
    return [
        *_submitter_rules(),
        *_team_rules(),
        _identifier("staff_id"),
        *_in_month("shift_date", month),
        *_times(),
        ("end_time", "shift is over 24 hours", f"{DURATION} <= {MAX_SHIFT_MINUTES}"),
        _count("break_minutes"),
        ("break_minutes", "break is not shorter than the shift",
         f"try_cast(break_minutes as bigint) < {DURATION}"),
        _code("shift_type", SHIFT_TYPES),
        _code("employment_type", EMPLOYMENT),
        _code("overtime", OVERTIME),
        ("band", "not an AfC band", _optional("band", _matches("band", AFC_BAND))),
    ]  # fmt: skip


def staff_rules(month: str) -> list[Rule]:
    first, _ = _month_bounds(month)
    days = pd.Period(month, freq="M").days_in_month
    sickness, wte = "try_cast(sickness_absence_days as double)", "try_cast(wte as double)"
    vacant = "assignment_number is null"
    return [
        *_submitter_rules(),
        *_team_rules(),
        ("position_id", "not a position number", "length(position_id) between 1 and 64"),
        _not_an_nhs_number("position_id"),
        _identifier("assignment_number", optional=True),
        _code("role", ROLES),
        ("band", "not an AfC band", _matches("band", AFC_BAND)),
        _number("wte", 0, MAX_WTE),
        _number("budgeted_wte", 0, MAX_WTE),
        _date("start_date", optional=True),
        _date("leaving_date", optional=True),
        _number("sickness_absence_days", 0),
        _by_month_end("start_date", month),
        _not_before("leaving_date", "start_date"),
        ("leaving_date", f"left before {month}",
         _optional("leaving_date", f"{_day('leaving_date')} >= {first}")),
        ("wte", "a vacant position has a WTE or a start date",
         f"not ({vacant}) or ({wte} = 0 and start_date is null)"),
        ("start_date", "an assignment has no start date", f"{vacant} or start_date is not null"),
        ("sickness_absence_days", f"more days of sickness than {month} has",
         f"{sickness} <= {days}"),
        ("sickness_absence_days", "more WTE days of sickness than the assignment's WTE",
         f"{sickness} > {days} or {sickness} <= {wte} * {days}"),
        ("leaving_date", "a vacant position has a leaving date",
         f"not ({vacant}) or leaving_date is null"),
    ]  # fmt: skip


def _pseudonyms(column: str, domain: str) -> str:
    """A join of the extract's distinct `column` values to their pseudonyms (`<domain>_hmac`)."""
    return (
        f"left join (select {column}, {hmac_sql(domain, column)} as {domain}_hmac "
        f"from (select distinct {column} from extract where {column} is not null)) "
        f"using ({column})"
    )


LINEAGE = "filename as source_file, source_sha256"
PATIENT = (
    f"{_pseudonyms('nhs_number', 'nhs_number')} {_pseudonyms('patient_id', 'patient')}",
    "coalesce(nhs_number_hmac, patient_hmac) as patient_pseudonym",
)
TO_LAKE = {  # extract: the accepted rows, typed, identifiers replaced by their pseudonyms
    "epr_referrals": f"""
        select organisation_code, referral_hmac as referral_pseudonym, {PATIENT[1]}, team_code,
               referral_source, priority,
               strptime(received_at, '%Y-%m-%d %H:%M') as received_at,
               cast(accepted_on as date) as accepted_on,
               strptime(first_contact_at, '%Y-%m-%d %H:%M') as first_contact_at,
               cast(discharged_on as date) as discharged_on, {LINEAGE}
        from {accepted("extract")}
        {_pseudonyms("referral_id", "referral")} {PATIENT[0]}
    """,
    "epr_contacts": f"""
        select organisation_code, contact_id, team_code, cast(contact_date as date) as contact_date,
               start_time, end_time, {DURATION} as duration_minutes, contact_type, location,
               outcome, cast(travel_minutes as bigint) as travel_minutes,
               cast(interventions as bigint) as interventions, activity_type, {PATIENT[1]},
               staff_hmac as staff_pseudonym, {LINEAGE}
        from {accepted("extract")}
        {PATIENT[0]} {_pseudonyms("staff_id", "staff")}
    """,
    "eroster_shifts": f"""
        select organisation_code, team_code, cast(shift_date as date) as shift_date, start_time,
               end_time, {DURATION} as duration_minutes,
               cast(break_minutes as bigint) as break_minutes, shift_type, employment_type,
               overtime, band, staff_hmac as staff_pseudonym, {LINEAGE}
        from {accepted("extract")}
        {_pseudonyms("staff_id", "staff")}
    """,
    # ESR's assignment number is the staff id of the EPR and the roster: the same pseudonym
    "esr_staff": f"""
        select organisation_code, position_id, staff_hmac as staff_pseudonym, team_code, role,
               band, cast(wte as double) as wte, cast(budgeted_wte as double) as budgeted_wte,
               cast(start_date as date) as start_date, cast(leaving_date as date) as leaving_date,
               cast(sickness_absence_days as double) as sickness_absence_days, {LINEAGE}
        from {accepted("extract")}
        {_pseudonyms("assignment_number", "staff")}
    """,
}
RULES = {"epr_referrals": referral_rules, "epr_contacts": contact_rules,
         "eroster_shifts": shift_rules, "esr_staff": staff_rules}  # fmt: skip
FOLDER_ORGANISATION = ", split_part(filename, '/', -3) as organisation_code"


def ingest_teams(con: duckdb.DuckDBPyConnection, job: Job) -> None:
    """Every provider's team register: checked, written, and the accepted teams kept as the
    lookup (`teams`) every extract row's team is checked against."""
    load(con, "extract", job.teams, TEAM_COLUMNS,
         ", split_part(filename, '/', -2) as organisation_code", strict=True,
         lower=True)  # fmt: skip
    check(con, "extract", teams_rules(), ["team_code"])
    con.execute(f"""
        create or replace table teams as
        select organisation_code || '/' || team_code as team_key from {accepted("extract")}
    """)
    folder = job.out / "lake" / "operational_teams"
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        copy (select organisation_code, team_code, team_name, department,
                     cast(opened_on as date) as opened_on, cast(closed_on as date) as closed_on,
                     {LINEAGE}
              from {accepted("extract")})
        to '{folder}/data.parquet' (format parquet)
    """)
    unload(con, "extract")


def ingest_operational(con: duckdb.DuckDBPyConnection, job: Job, month: str) -> None:
    """One month of the four extracts from every provider: check, pseudonymise, write."""
    parameters = pads(job.key)
    for extract, (columns, key) in EXTRACTS.items():
        files = job.extracts[extract][month]
        if not files:
            continue
        load(con, "extract", files, columns, FOLDER_ORGANISATION, optional=OPTIONAL_COLUMNS,
             strict=True, lower=True)  # fmt: skip
        check(con, "extract", RULES[extract](month), ["organisation_code", *key])
        folder = job.out / "lake" / extract / f"period={month}"
        folder.mkdir(parents=True, exist_ok=True)
        query = TO_LAKE[extract]
        con.execute(f"copy ({query}) to '{folder}/data.parquet' (format parquet)", parameters)
        unload(con, "extract")


_RETURN = [("organisation_code", "varchar"), ("month", "varchar"), ("service_line", "varchar"),
           ("metric_code", "varchar"), ("numerator", "double"),
           ("denominator", "double")]  # fmt: skip
MART_INPUTS = {  # lake dataset: the columns the mart reads (to stand in for an empty dataset)
    "community_indicator_returns": _RETURN,
    "mhlda_indicator_returns": _RETURN,
    "nhse_ae_attendances": [("organisation_code", "varchar"), ("period", "varchar"),
                            ("parent_org", "varchar"),
                            *[(column, "bigint") for column in AE_COUNTS.values()]],
    "epr_contacts": [(c, "varchar") for c in ("organisation_code", "team_code", "period",
                     "outcome", "contact_type", "location", "patient_pseudonym")]
    + [("duration_minutes", "bigint"), ("travel_minutes", "bigint")],
    "eroster_shifts": [(c, "varchar") for c in ("organisation_code", "team_code", "period",
                       "staff_pseudonym", "shift_type")] + [("shift_date", "date")],
}  # fmt: skip


def build_mart(con: duckdb.DuckDBPyConnection, job: Job) -> None:
    lake, mart = job.out / "lake", job.out / "mart"
    mart.mkdir(parents=True, exist_ok=True)
    for dataset, columns in MART_INPUTS.items():
        if job.operational_only and dataset not in EXTRACTS:
            continue
        if any((lake / dataset).glob("*/*.parquet")):
            source = f"read_parquet('{lake}/{dataset}/*/*.parquet', hive_partitioning = true)"
        else:  # no period of the dataset was accepted
            source = f"(select {', '.join(f'null::{t} as {c}' for c, t in columns)} limit 0)"
        con.execute(f"create view {dataset} as select * from {source}")
    con.execute("""
        create table team_month as
        with contacts as (
            select organisation_code, team_code, period,
                   count(*) as booked,
                   count(*) filter (outcome = 'attended') as attended,
                   count(*) filter (outcome = 'dna') as did_not_attend,
                   count(*) filter (outcome = 'attended' and contact_type = 'F2F') as face_to_face,
                   count(*) filter (outcome = 'attended' and contact_type = 'F2F'
                                    and location = 'home') as at_home,
                   sum(duration_minutes) filter (outcome = 'attended') as contact_minutes,
                   sum(travel_minutes) filter (outcome = 'attended') as travel_minutes,
                   count(distinct patient_pseudonym) as patients
            from epr_contacts
            group by all
        ),
        shift_days as (
            select organisation_code, team_code, period,
                   count(distinct (staff_pseudonym, shift_date)) as clinical_shift_days
            from eroster_shifts
            where shift_type = 'clinical'
            group by all
        )
        select *,
               did_not_attend / nullif(attended + did_not_attend, 0) as dna_rate,
               face_to_face / nullif(attended, 0) as face_to_face_share,
               at_home / nullif(face_to_face, 0) as home_visit_share,
               attended / nullif(clinical_shift_days, 0) as contacts_per_shift_day
        from contacts full join shift_days using (organisation_code, team_code, period)
    """)
    con.execute(f"copy team_month to '{mart}/operational_team_month.parquet'")
    if job.operational_only:
        return
    ae_metrics = " union all ".join(
        f"select '{metric}' as metric_code, organisation_code, period, "
        f"{' + '.join(plus)}{''.join(f' - {c}' for c in minus)} as numerator, "
        f"{' + '.join(denominator) or 'null'} as denominator "
        f"from nhse_ae_attendances {'where att_t1 > 0' if type1 else ''}"
        for metric, ((plus, minus), denominator, type1) in AE_METRICS.items()
    )
    con.execute(f"""
        create table metric_value as
        with provider as (
            select organisation_code, period,
                   sum(attended) as attended, sum(did_not_attend) as did_not_attend,
                   sum(face_to_face) as face_to_face, sum(at_home) as at_home,
                   sum(clinical_shift_days) as clinical_shift_days
            from team_month group by all
        ),
        unioned as (
            select 'community_indicators' as collection, metric_code, organisation_code,
                   service_line, month as period, numerator, denominator
            from community_indicator_returns
            union all
            select 'mhlda', metric_code, organisation_code, service_line, month, numerator,
                   denominator
            from mhlda_indicator_returns
            union all
            select 'nhse_ae', metric_code, organisation_code, 'all', period, numerator, denominator
            from ({ae_metrics}) where coalesce(denominator, numerator) > 0
            union all
            select 'operational',
                   unnest({sql_list(OPERATIONAL_METRICS)}),  -- these numerators, denominators
                   organisation_code, 'all', period,
                   unnest([did_not_attend, at_home, attended]),
                   unnest([attended + did_not_attend, face_to_face, clinical_shift_days])
            from provider
        )
        select u.*, cast(u.period || '-01' as date) as period_start,
               case when c.aggregation = 'sum' then u.numerator
                    else u.numerator / nullif(u.denominator, 0) * c.multiplier end as value,
               c.polarity,
               case when c.polarity = 'lower_is_better' then -1 else 1 end as direction
        from unioned as u join catalogue as c using (metric_code)
    """)
    con.execute(f"""
        create table organisation as
        with national as (
            select organisation_code,
                   -- the demo's sites without type 1 are walk-in centres (type 3 only)
                   case when max(att_t1) > 0 then 'acute_trust' else 'walk_in_centre' end as kind,
                   arg_max(parent_org, period) as parent_org
            from nhse_ae_attendances group by all
        )
        select organisation_code, organisation_type, region_code from register
        union all
        select n.organisation_code, n.kind, r.region_code
        from national as n left join read_csv('{REGIONS}') as r on n.parent_org = r.nhse_parent_org
        where n.organisation_code not in (select organisation_code from register)
    """)
    con.execute(f"""
        copy (
            with valued as (select * from metric_value where value is not null),
            peers as (
                select v.*, g.peer_group, g.peer_group_value
                from valued as v left join organisation as o using (organisation_code),
                     (values ('all', 'all'), ('organisation_type', o.organisation_type),
                             ('nhs_region', o.region_code)) as g(peer_group, peer_group_value)
                where g.peer_group_value is not null
            ),
            national as (
                select metric_code, service_line, period_start,
                       case when any_value(c.aggregation) = 'sum' then sum(numerator)
                            else sum(numerator) / nullif(sum(denominator), 0)
                                * any_value(c.multiplier) end as national_value
                from valued join catalogue as c using (metric_code) group by all
            ),
            statistics as (
                select metric_code, service_line, period_start, peer_group, peer_group_value,
                       count(*) as peer_n,
                       avg(value) as peer_mean, min(value) as peer_min,
                       quantile_cont(value, 0.25) as peer_lower_quartile,
                       quantile_cont(value, 0.5) as peer_median,
                       quantile_cont(value, 0.75) as peer_upper_quartile,
                       max(value) as peer_max
                from peers group by all
            )
            select p.collection, p.metric_code, p.service_line, p.period_start, p.peer_group,
                   p.peer_group_value, p.organisation_code, p.numerator, p.denominator, p.value,
                   s.* exclude (metric_code, service_line, period_start, peer_group,
                                peer_group_value),
                   n.national_value,
                   case when p.polarity <> 'neutral' then
                       rank() over (partition by p.metric_code, p.service_line, p.period_start,
                                                 p.peer_group, p.peer_group_value
                                    order by p.value * p.direction desc) end as peer_rank,
                   100 * percent_rank() over (
                       partition by p.metric_code, p.service_line, p.period_start,
                                    p.peer_group, p.peer_group_value
                       order by p.value) as peer_percentile,
                   case when p.value <= s.peer_lower_quartile then 1
                        when p.value <= s.peer_median then 2
                        when p.value <= s.peer_upper_quartile then 3 else 4 end as quartile_band,
                   p.value - s.peer_median as difference_from_median,
                   previous.value as previous_value
            from peers as p
            join statistics as s
                using (metric_code, service_line, period_start, peer_group, peer_group_value)
            join national as n using (metric_code, service_line, period_start)
            left join valued as previous
                on previous.metric_code = p.metric_code and previous.service_line = p.service_line
                and previous.organisation_code = p.organisation_code
                and previous.period_start = p.period_start - interval 1 month
        ) to '{mart}/fct_benchmark.parquet'
    """)
    values = "select * exclude (direction, polarity) from metric_value"
    con.execute(f"copy ({values}) to '{mart}/fct_metric_value.parquet'")


def main() -> None:
    job = parse_job("duckdb", __doc__.splitlines()[0])
    shutil.rmtree(job.out, ignore_errors=True)
    (job.out / "lake").mkdir(parents=True)
    con = duckdb.connect()  # in memory; spills to disk beside the outputs if it must
    con.execute(f"set temp_directory = '{job.out / 'spill'}'")
    con.execute(
        "create table violations (file varchar, line bigint, column_name varchar, rule varchar)"
    )
    con.execute(f"create table catalogue as select * from read_csv('{CATALOGUE}')")
    con.execute(f"""create table register as select * from read_csv(
        '{job.landing / "reference" / "organisations.csv"}', all_varchar = true)""")
    if not job.operational_only:
        for collection in COLLECTIONS:
            ingest_returns(con, job, collection)
        ingest_ae(con, job)
    months = operational_months(job)
    if months:
        ingest_teams(con, job)
    for month in months:
        ingest_operational(con, job, month)
    build_mart(con, job)
    con.execute(f"copy violations to '{job.out / 'quarantine.csv'}'")
    rejected = con.execute("select count(distinct file), count(*) from violations").fetchone()
    print(f"duckdb baseline: {rejected[0]} files quarantined ({rejected[1]} violations)")


if __name__ == "__main__":
    main()
