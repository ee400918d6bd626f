"""The operational stage at scale: the platform against bare DuckDB and pandas scripts (issue 14).

    .venv/bin/python benchmarks/operational.py [--scale full|moderate|small] [--keep]
        [--memory-limit GiB] [--stage-timeout MINUTES]
    make benchmark-operational [SCALE=small]

Why: issue 14 asks that 20 providers x 2 million contacts a year (40M contact rows) plus their
rosters and ESR go through the platform's operational stage within twice the time of a bare
DuckDB script computing the same per-team monthly figures from the same files (the issue
measured that script at 9.1 s and 3.5 GB on its machine: contacts, DNA rate, minutes, travel,
distinct patients and face-to-face share per team and month), and with no more memory. A time
alone says little; so the yardsticks run beside the platform, in one run on one machine, and
the ratios are what the benchmark reports.

What it does, in a fresh temporary PEERBENCH_HOME (deleted at the end unless --keep):

1. Generates landing files with the demo generator (`orchestration/demo_data`, seeded: every
   run sees the same files): the organisation register (the operational providers, community
   providers all) and each provider's team register and four monthly extracts (EPR referrals
   and contacts, eRoster shifts, ESR), every file in the canonical layout. `full` is issue 14's
   scale: 20 providers x 12 months x 170,000 booked contacts a month (about 40.8M contact rows,
   4 GB of CSV; writing it takes a while); `moderate` 5 x 3 x 170,000 (for profiling);
   `small` 2 x 2 x 5,000 (for checking the benchmark itself).
2. Times each stage as a whole process (`benchmarks/national.py`'s `run`: wall and CPU seconds,
   peak RSS of the largest process, sampled RSS of the whole process tree):
   - platform: `peerbench refresh --start <first month> --to <last month>`: the register and
     the team registers, the four lake assets over all the months in one run (contract,
     pseudonyms, Parquet), then the one dbt build of the mart (62 operational metrics per team,
     provider, department, band and activity, per month, quarter and rolling 12 months, and
     every other model and test of the project);
   - duckdb_metrics (`benchmarks/duckdb_metrics.py`): the issue's yardstick, one bare DuckDB
     script reading the same contacts and shifts CSVs and computing per team and month the
     booked contacts, DNA rate, attended minutes, travel minutes, distinct patients,
     face-to-face share and clinical shift days;
   - pandas_metrics (`benchmarks/pandas_metrics.py`): the same in pandas;
   - baseline_duckdb (`benchmarks/baseline_duckdb.py --operational-only`): national.py's DuckDB
     yardstick restricted to the operational extracts, to show what the platform does beyond
     the issue's yardstick: it reads all four extracts and the team registers, applies the
     platform's contract rules, pseudonymises, writes Parquet per extract and month, and
     computes per-team monthly figures (not the platform's 62 metrics, grains and slices).
   - duckdb_floor (`benchmarks/duckdb_metrics.py --floor`): the issue's yardstick doing also
     what the issue asks of any ingest, and nothing else: all four extracts read, identifiers
     pseudonymised (keyed HMAC, once per distinct value), the rows written as Parquet, the same
     figures computed from them; no contract rule. A floor under the platform's stage, to set
     the issue's 2x target against.
3. Prints rows, seconds, CPU, peak and tree RSS per stage; the ratios platform / duckdb_metrics
   (wall: target <= 2; peak RSS: target <= 1) and pandas_metrics / platform, with PASS or MISS
   (nothing is asserted); a check, team by team, that the platform's per-team monthly figures
   (`intermediate.int_operational_team_months`, slice 'all', and the team values of
   `marts.fct_metric_value`) equal each yardstick's for the measures both compute (contacts
   booked, attended, DNA, attended face to face, attended minutes, travel minutes, clinical
   shift days); and where the platform's time went: each Dagster run and step (the lake
   ingest of each extract over all months), and dbt's own timing of its models and tests.

`--stage-timeout` stops a stage running longer (with all its processes), so a run on a slow
machine still prints what finished; `--idle-load` waits, after generating and
for at most `--idle-wait` minutes, until the machine's load average drops below it.
--memory-limit is national.py's: a stage whose processes together hold more is stopped.
Timings compare only within one run on one machine: run it on an otherwise idle machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from national import (  # noqa: E402
    LAST_MONTH,
    PEERBENCH,
    SEED,
    Stage,
    benchmark_parser,
    data_rows,
    lake_rows,
    month_offset,
    run,
)

from orchestration.demo_data import months_between  # noqa: E402
from orchestration.demo_data.operational import write_operational_extracts  # noqa: E402
from orchestration.demo_data.organisations import (  # noqa: E402
    declare_local_authorities,
    make_register,
    write_register,
)


@dataclass(frozen=True)
class Scale:
    providers: int
    months: int
    contacts_per_month: int  # booked contacts a month of each provider


SCALES = {
    "full": Scale(20, 12, 170_000),
    "moderate": Scale(5, 3, 170_000),
    "small": Scale(2, 2, 5_000),
}
EXTRACTS = ("epr_referrals", "epr_contacts", "eroster_shifts", "esr_staff")
# the per-team monthly measures the platform and every yardstick compute
MEASURES = ("contacts_booked", "contacts_attended", "contacts_dna", "contacts_attended_f2f",
            "attended_minutes", "travel_minutes", "clinical_shift_days")  # fmt: skip
PLATFORM_TEAM_MONTHS = """
    select organisation_code, team_code, strftime(period_start, '%Y-%m') as month,
           contacts_booked, contacts_attended, contacts_dna, contacts_attended_f2f,
           clinical_hours * 60 as attended_minutes, travel_hours * 60 as travel_minutes,
           clinical_shift_days
    from platform.intermediate.int_operational_team_months
    where slice = 'all'
"""
# the team values of the mart's operational metrics made of those measures: metric code ->
# (numerator, denominator) over a yardstick's measures (None: not compared)
MART_METRICS = {
    "OP_DNA_RATE": ("contacts_dna", "contacts_attended + contacts_dna"),
    "OP_FACE_TO_FACE_PCT": ("contacts_attended_f2f", "contacts_attended"),
    "OP_APPOINTMENT_UTILISATION": ("contacts_attended", "contacts_booked"),
    "OP_CONTACTS_PER_SHIFT_DAY": ("contacts_attended", "clinical_shift_days"),
    "OP_CLINICAL_HOURS": ("attended_minutes / 60", None),
    "OP_SHIFT_DAYS": ("clinical_shift_days", None),
    "OP_TRAVEL_PER_VISIT": ("travel_minutes / 60", None),  # over home visits: not computed
}


def yardstick_team_months(home: Path) -> dict[str, str]:
    """Each yardstick's per-team monthly figures under the platform's measure names."""
    baseline = home / "baseline_duckdb" / "mart" / "operational_team_month.parquet"
    found = {
        "duckdb_metrics": f"select * from '{home / 'duckdb_metrics' / 'team_month.parquet'}'",
        "pandas_metrics": f"select * from '{home / 'pandas_metrics' / 'team_month.parquet'}'",
        "duckdb_floor": f"select * from '{home / 'duckdb_floor' / 'team_month.parquet'}'",
        "baseline_duckdb": f"""
            select organisation_code, team_code, period as month, booked as contacts_booked,
                   attended as contacts_attended, did_not_attend as contacts_dna,
                   face_to_face as contacts_attended_f2f, contact_minutes as attended_minutes,
                   travel_minutes, clinical_shift_days
            from '{baseline}'
        """,
    }
    return found


def generate(landing: Path, scale: Scale, months: list[str]) -> dict[str, int]:
    """The register (the operational providers, as `orchestration.demo_data.generate` draws it)
    and each provider's team register and extracts for `months`, canonical layout."""
    register = make_register(np.random.default_rng(SEED), scale.providers, 0)
    places = np.random.default_rng([SEED, 5])
    register["local_authorities"] = declare_local_authorities(register, places)
    write_register(landing, register)
    written = write_operational_extracts(
        landing,
        list(register["organisation_code"]),
        months,
        np.random.default_rng([SEED, 6]),
        scale.contacts_per_month,
        vendor_layouts=False,
    )
    return {"organisations": 1, "operational": written}


def extract_rows(landing: Path) -> dict[str, int]:
    """Data rows of each operational extract, and of the team registers."""
    rows = {"teams": data_rows(sorted(landing.glob("operational/*/teams.csv")))}
    for extract in EXTRACTS:
        rows[extract] = data_rows(sorted(landing.glob(f"operational/*/*/{extract}.csv")))
    return rows


def platform_outputs(home: Path) -> str:
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        return "no warehouse"
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            teams = con.execute(
                "select count(*) from intermediate.int_operational_team_months where slice = 'all'"
            ).fetchone()[0]
            values = con.execute(
                "select count(*) from marts.fct_metric_value where collection = 'operational'"
            ).fetchone()[0]
    except duckdb.Error as error:
        return f"unreadable: {str(error).splitlines()[0][:60]}"
    return f"{teams:,} team months; {values:,} operational metric values"


def parquet_rows(path: Path) -> str:
    try:
        rows = duckdb.execute(f"select count(*) from '{path}'").fetchone()[0]
    except duckdb.Error:
        return "none"
    return f"{rows:,} team months"


def team_month_checks(home: Path) -> list[str]:
    """Does each yardstick's per-team monthly figure equal the platform's, team by team, for
    every measure both compute? Team months where either side has a booked contact or a
    clinical shift day are compared; a measure one side lacks counts 0."""
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        return ["platform: no warehouse, nothing to compare"]
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as platform (read_only)")
    lines = []
    differing = ", ".join(
        f"count(*) filter (abs(coalesce(a.{m}, 0) - coalesce(b.{m}, 0)) > 1e-6)" for m in MEASURES
    )
    for name, source in yardstick_team_months(home).items():
        try:
            counts = con.execute(f"""
                with a as ({PLATFORM_TEAM_MONTHS}), b as ({source})
                select count(*), count(distinct (organisation_code, team_code)), {differing}
                from a full join b using (organisation_code, team_code, month)
                where coalesce(a.contacts_booked, 0) > 0 or coalesce(b.contacts_booked, 0) > 0
                   or coalesce(a.clinical_shift_days, 0) > 0
                   or coalesce(b.clinical_shift_days, 0) > 0
            """).fetchone()  # fmt: skip
        except duckdb.Error as error:
            lines.append(f"{name}: not comparable ({str(error).splitlines()[0][:100]})")
            continue
        rows, teams, *wrong = counts
        verdict = "agree" if rows and not any(wrong) else "DIFFER"
        detail = ", ".join(f"{m} {n:,}" for m, n in zip(MEASURES, wrong, strict=True))
        lines.append(
            f"platform team months vs {name}: {verdict} ({rows:,} team months of {teams} teams "
            f"compared; differing: {detail})"
        )
        lines.append(mart_check(con, name, source))
    return lines


def mart_check(con: duckdb.DuckDBPyConnection, name: str, source: str) -> str:
    """The mart's team values (monthly, service line 'all') of the metrics made of the shared
    measures: numerator and denominator against the yardstick's."""
    cases = " ".join(
        f"when '{code}' then {numerator}" for code, (numerator, _) in MART_METRICS.items()
    )
    denominators = " ".join(
        f"when '{code}' then {denominator}"
        for code, (_, denominator) in MART_METRICS.items()
        if denominator
    )
    codes = ", ".join(f"'{code}'" for code in MART_METRICS)
    try:
        rows, found, wrong = con.execute(f"""
            with b as ({source}),
            values as (
                select organisation_code, team_code, strftime(period_start, '%Y-%m') as month,
                       metric_code, numerator, denominator
                from platform.marts.fct_metric_value
                where collection = 'operational' and team_code is not null and grain = 'month'
                  and service_line = 'all' and metric_code in ({codes})
            ),
            expected as (
                select v.*, b.organisation_code is not null as found,
                       case v.metric_code {cases} end as b_numerator,
                       case v.metric_code {denominators} end as b_denominator
                from values as v left join b using (organisation_code, team_code, month)
            )
            select count(*), count(*) filter (found),
                   count(*) filter (abs(coalesce(numerator, 0) - coalesce(b_numerator, 0)) > 1e-6
                                    or (b_denominator is not null
                                        and abs(coalesce(denominator, 0) - b_denominator) > 1e-6))
            from expected
        """).fetchone()  # fmt: skip
    except duckdb.Error as error:
        return f"mart team values vs {name}: not comparable ({str(error).splitlines()[0][:100]})"
    verdict = "agree" if rows and rows == found and not wrong else "DIFFER"
    return (
        f"mart team values vs {name}: {verdict} ({rows:,} monthly team values of "
        f"{len(MART_METRICS)} metrics, {found:,} with the yardstick's team month, {wrong:,} with "
        "a different numerator or denominator)"
    )


def platform_profile(home: Path, wall: float | None = None, top: int = 12) -> list[str]:
    """Where the platform's refresh spent its time: each Dagster run and step (from the run
    storage of the temporary home), and dbt's own timing of the mart build's nodes (the last
    build's, which dbt keeps in the home)."""
    import dagster as dg

    from orchestration.jobs import MART_REFRESH_JOB
    from orchestration.settings import get_settings

    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    lines = []
    in_runs = 0.0
    records = list(reversed(instance.get_runs()))
    last_build = [r.run_id for r in records if r.job_name == MART_REFRESH_JOB][-1:]
    run_results = get_settings(home).dbt_target / "run_results.json"  # the last build's
    for record in records:
        stats = instance.get_run_stats(record.run_id)
        if stats.start_time is None or stats.end_time is None:
            continue
        in_runs += stats.end_time - stats.start_time
        lines.append(f"run {record.job_name}: {stats.end_time - stats.start_time:.1f} s")
        for step in instance.get_run_step_stats(record.run_id):
            if step.start_time is not None and step.end_time is not None:
                lines.append(f"    step {step.step_key}: {step.end_time - step.start_time:.1f} s")
        if record.run_id not in last_build or not run_results.exists():
            continue
        results = json.loads(run_results.read_text())
        lines.append(f"    dbt build: {results['elapsed_time']:.1f} s elapsed inside dbt")
        by_kind: dict[str, tuple[int, float]] = {}
        for node in results["results"]:
            kind = node["unique_id"].split(".")[0]
            count, seconds = by_kind.get(kind, (0, 0.0))
            by_kind[kind] = (count + 1, seconds + node["execution_time"])
        lines.append(
            "    dbt node time (summed over its threads): "
            + ", ".join(f"{n} {k}s {s:.1f} s" for k, (n, s) in sorted(by_kind.items()))
        )
        slowest = sorted(results["results"], key=lambda node: -node["execution_time"])[:top]
        for node in slowest:
            lines.append(f"      {node['execution_time']:7.1f} s  {node['unique_id']}")
    if wall is not None:
        lines.append(
            f"outside the runs (start-up, imports, definitions, the refresh plan): "
            f"{wall - in_runs:.1f} s of the stage's {wall:.1f} s"
        )
    return lines


def wait_for_idle(load: float, minutes: float) -> None:
    """Wait until the 1-minute load average is below `load`, for at most `minutes`."""
    deadline = time.monotonic() + 60 * minutes
    while os.getloadavg()[0] >= load and time.monotonic() < deadline:
        time.sleep(15)
    now = os.getloadavg()[0]
    state = "idle enough" if now < load else f"still busy after {minutes:.0f} minutes"
    print(f"  load average {now:.2f} ({state}; threshold {load})", flush=True)


def main() -> None:
    parser = benchmark_parser(__doc__.splitlines()[0], SCALES)
    parser.add_argument(
        "--stage-timeout", type=float, help="minutes a stage may run before it is stopped"
    )
    parser.add_argument(
        "--idle-load",
        type=float,
        help="before timing, wait (at most --idle-wait minutes) until the 1-minute load average "
        "is below this (a shared machine: another process may be running)",
    )
    parser.add_argument("--idle-wait", type=float, default=30, help="minutes (default 30)")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    first = month_offset(LAST_MONTH, 1 - scale.months)
    months = months_between(first, LAST_MONTH)

    home = Path(tempfile.mkdtemp(prefix=f"peerbench-operational-{args.scale}-"))
    landing, logs = home / "landing", home / "logs"
    logs.mkdir()
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "PEERBENCH_HOME": str(home),
        "PEERBENCH_PSEUDONYM_KEY": secrets.token_hex(32),
        "DAGSTER_HOME": str(home / "dagster"),
        "PYTHONPATH": str(ROOT),  # measure the code beside this script
    }
    print(f"home {home}\nscale {args.scale}: {scale}; months {first}..{LAST_MONTH}", flush=True)

    started = time.perf_counter()
    counts = generate(landing, scale, months)
    rows = extract_rows(landing)
    generated = Stage("generate landing files", time.perf_counter() - started)
    every = sum(rows.values())
    metric_inputs = rows["epr_contacts"] + rows["eroster_shifts"]
    print(f"  generated {counts} in {generated.seconds:.0f} s: "
          + ", ".join(f"{name} {n:,}" for name, n in rows.items()) + " rows",
          flush=True)  # fmt: skip

    if not (ROOT / "dbt_project" / "target" / "manifest.json").exists():  # as `make setup` does
        prepare = subprocess.run([PEERBENCH, "prepare"], env=env, capture_output=True, text=True)
        if prepare.returncode:
            print(f"  peerbench prepare FAILED:\n{prepare.stdout[-2000:]}{prepare.stderr[-2000:]}")

    if args.idle_load:
        wait_for_idle(args.idle_load, args.idle_wait)
    stages: list[tuple[Stage, int, str]] = []  # (stage, landing rows it reads, its output)

    def stage(name: str, command: list[str]) -> Stage:
        seconds = args.stage_timeout * 60 if args.stage_timeout else None
        result = run(name, command, env, logs, int(args.memory_limit * 2**30), seconds)
        print(f"  {name}: {result.seconds:.1f} s, {result.peak_mib:.0f} MiB", flush=True)
        return result

    window = ["--start", first, "--to", LAST_MONTH]
    platform = stage("platform", [str(PEERBENCH), "refresh", *window])
    lake = f"lake {lake_rows(home / 'lake'):,} rows; "
    stages.append((platform, every, lake + platform_outputs(home)))
    for name in ("duckdb_metrics", "pandas_metrics"):
        script = ROOT / "benchmarks" / f"{name}.py"
        out = home / name
        result = stage(name, [sys.executable, str(script), "--landing", str(landing), *window,
                              "--out", str(out)])  # fmt: skip
        stages.append((result, metric_inputs, parquet_rows(out / "team_month.parquet")))
    script = ROOT / "benchmarks" / "baseline_duckdb.py"
    baseline = stage("baseline_duckdb", [sys.executable, str(script), "--home", str(home),
                                         *window, "--operational-only"])  # fmt: skip
    out = home / "baseline_duckdb"
    lake = f"lake {lake_rows(out / 'lake'):,} rows; "
    stages.append((baseline, every, lake + parquet_rows(out / "mart" / "operational_team_month"
                                                       ".parquet")))  # fmt: skip
    script, out = ROOT / "benchmarks" / "duckdb_metrics.py", home / "duckdb_floor"
    floor = stage("duckdb_floor", [sys.executable, str(script), "--landing", str(landing),
                                   *window, "--out", str(out), "--floor"])  # fmt: skip
    lake = f"lake {lake_rows(out / 'lake'):,} rows; "
    stages.append((floor, every, lake + parquet_rows(out / "team_month.parquet")))

    checks = team_month_checks(home)
    try:
        profile = platform_profile(home, platform.seconds if platform.ok else None)
    except Exception as error:  # a profile is information: never lose the table for it
        profile = [f"not available: {type(error).__name__}: {error}"]
    report(generated, stages, checks, profile)
    if args.keep:
        print(f"kept {home}")
    else:
        shutil.rmtree(home)


def report(
    generated: Stage, stages: list[tuple[Stage, int, str]], checks: list[str], profile: list[str]
) -> None:
    header = (f"{'stage':22} {'rows read':>12} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>12} "
              f"{'tree MiB':>9}  output")  # fmt: skip
    print(f"\n{header}\n{'-' * len(header)}")
    print(f"{generated.name:22} {'':>12} {generated.seconds:8.1f}")
    for s, rows, output in stages:
        state = "" if s.ok else f"FAILED ({s.note}) "
        print(f"{s.name:22} {rows:12,} {s.seconds:8.1f} {s.cpu:8.1f} {s.peak_mib:12.0f} "
              f"{s.tree_mib:9.0f}  {state}{output}")  # fmt: skip
    print()
    for line in checks:
        print(f"team check: {line}")
    by_name = {s.name: s for s, _, _ in stages}
    platform, bare, pandas_ = (by_name[n] for n in ("platform", "duckdb_metrics",
                                                    "pandas_metrics"))  # fmt: skip
    baseline, floor = by_name["baseline_duckdb"], by_name["duckdb_floor"]

    def ratio(label: str, of: tuple[Stage, ...], value: float, target: str, passed: bool | None):
        if not all(s.ok for s in of):
            verdict = "n/a (a stage failed)"
        else:
            verdict = "" if passed is None else ("PASS" if passed else "MISS")
        print(f"{label:44} {value:>9.2f}   target {target:10} {verdict}")

    print()
    ratio("platform / duckdb_metrics, wall x", (platform, bare), platform.seconds / bare.seconds,
          "<= 2", platform.seconds <= 2 * bare.seconds)  # fmt: skip
    ratio("pandas_metrics / platform, wall x", (platform, pandas_),
          pandas_.seconds / platform.seconds, "(none)", None)  # fmt: skip
    peak, bare_peak = platform.peak_mib, bare.peak_mib
    ratio("peak RSS platform / duckdb_metrics, x", (platform, bare), peak / bare_peak, "<= 1",
          peak <= bare_peak)  # fmt: skip
    # a stage shorter than the sampling interval has no sampled tree RSS
    tree = f"{platform.tree_mib / bare.tree_mib:.2f}x" if bare.tree_mib else "(not sampled)"
    print(
        f"\nfor information: CPU platform / duckdb_metrics {platform.cpu / bare.cpu:.2f}x; "
        f"sampled tree RSS platform / duckdb_metrics {tree}; "
        f"pandas_metrics / duckdb_metrics wall {pandas_.seconds / bare.seconds:.2f}x; "
        f"platform / baseline_duckdb (the four extracts ingested, contract, pseudonyms, lake) "
        f"wall {platform.seconds / baseline.seconds:.2f}x, peak RSS "
        f"{platform.peak_mib / baseline.peak_mib:.2f}x; baseline_duckdb / duckdb_metrics wall "
        f"{baseline.seconds / bare.seconds:.2f}x"
    )
    print(
        f"the floor (duckdb_floor: the four extracts read, pseudonymised and written, the same "
        f"figures from them; no rule) / duckdb_metrics wall {floor.seconds / bare.seconds:.2f}x; "
        f"platform / the floor wall {platform.seconds / floor.seconds:.2f}x"
    )
    print("\nwhere the platform's time went (Dagster runs and steps; dbt's own node timing):")
    for line in profile:
        print(f"  {line}")


if __name__ == "__main__":
    main()
