"""The engine at national scale: time the platform against a bare DuckDB and a pandas script.

    .venv/bin/python benchmarks/national.py [--scale full|small] [--keep] [--memory-limit GiB]
    make benchmark [SCALE=small]

Why: every later source, metric and output multiplies the engine's cost, so issue 10 asks that
at national scale a full refresh cost no more than twice one bare DuckDB script doing the same
work, run at least five times faster than the same work in pandas, that one new month cost no
more than a tenth of a full rebuild, that memory stay within the DuckDB script's, and that a
window be published within a minute of closing. The two scripts are the yardsticks: what the
work costs without Dagster, dbt and pandera. A check that all three give the same benchmark,
row for row, keeps the comparison honest.

What it does, in a fresh temporary PEERBENCH_HOME (deleted at the end unless --keep):

1. Generates landing files with the demo generator (`orchestration/demo_data`, seeded, so every
   run sees the same files). `full` is national scale: 200 community providers x 72 months of
   Community Indicators returns (the whole community catalogue), 44 mental health trusts' MHLDA
   returns and NHS England's A&E files over the same months, and EPR contacts and eRoster shifts
   of 20 providers x 170,000 contacts a month for 12 months (about 40M contact rows, 4 GB of CSV,
   several minutes to write). `small` (20 providers x 6 months, 2 x 5,000 contacts x 2 months)
   runs in a few minutes, for checking the benchmark itself. One more month is generated and
   held back: it lands after the full refresh.
2. Times each stage as a whole process (wall seconds, CPU seconds, peak memory):
   - the platform's full refresh, `peerbench refresh --start <first month> --to <last month>`;
   - `baseline_duckdb.py` and `baseline_pandas.py`: the same work (read, contract rules, latest
     return, pseudonyms, Parquet per dataset and period, metric values, peer statistics,
     per-team operational metrics) as one plain script each, the yardsticks. Of the
     operational extracts they ingest what the platform does (every provider's team register
     and its four monthly extracts: referrals, contacts, shifts, ESR establishment, under the
     same contract rules, the team register check included) but compute three of the 62
     operational metrics (OP_DNA_RATE, OP_HOME_VISIT_SHARE, OP_CONTACTS_PER_SHIFT_DAY), per
     month and for the provider as a whole;
   - `peerbench publish` of all history (the first publication, for information);
   - one new month: its files land, then `peerbench refresh --start M --to M`;
   - one window's close to publication: `peerbench publish --as-of <the day the new month's
     Community Indicators window is closed>`, which publishes the newest windows only
     (Community Indicators and A&E for the new month: history is already published).
3. Prints rows (landing, lake, mart), seconds and peak memory per stage, checks that the
   platform's and the baselines' benchmarks agree on what the baselines compute (monthly
   values; of the operational collection only the three metrics above, service_line 'all':
   the platform's other operational metrics, its quarters and rolling 12 months and its
   operational slices are left out of the comparison, and the printout says how many rows
   that is), and prints the ratios beside the targets of issue 10 (PASS or MISS; nothing is
   asserted). The new month is given two ways: its refresh against the full refresh, and, as
   issue 10 measured it, refresh and publication (the close of its window) against a rebuild
   of everything (the full refresh and the publication of all history). The platform's lake
   holds a few more rows than the scripts': it keeps superseded returns (the mart uses the
   latest), the scripts drop them.

The platform is run as `peerbench` from this interpreter's environment with PYTHONPATH set to
this checkout, so the figures are those of the code beside this script.

Peak memory: "peak RSS" is `/usr/bin/time -v`'s maximum resident set size, the largest single
process of the stage's process tree (a Python wrapper reports the same from getrusage when
`/usr/bin/time` is missing); "tree RSS" samples the resident memory of every process of the tree
five times a second and keeps the largest sum (children running side by side add up; shared
pages count once per process, so it errs high). A stage whose tree holds more than
--memory-limit (default half the machine's memory) is stopped and reported (every process of
its tree), not left to exhaust a shared machine. DuckDB sizes its buffers to the machine (its
default memory_limit is 80% of RAM), so the DuckDB script's peak is what a bare script takes by
default, not its minimum.
Timings are only comparable within one run on one machine: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from baseline_common import OPERATIONAL_METRICS, ae_file_stem  # noqa: E402

from orchestration.calendar import window  # noqa: E402
from orchestration.demo_data import DemoConfig, generate  # noqa: E402

SEED = 2026
LAST_MONTH = "2026-03"  # the full refresh's last month
NEW_MONTH = "2026-04"  # the month that lands after it
ARRIVED_BY = datetime(2026, 7, 1)  # every return of the new month has been submitted by then
PEERBENCH = Path(sys.executable).parent / "peerbench"
LAKE_DATASETS = ("community_indicator_returns", "mhlda_indicator_returns", "nhse_ae_attendances",
                 "operational_teams", "epr_referrals", "epr_contacts", "eroster_shifts",
                 "esr_staff")  # fmt: skip
TIME = Path("/usr/bin/time")
RUSAGE_WRAPPER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"User time (seconds): {usage.ru_utime}\\nSystem time (seconds): {usage.ru_stime}\\n"
              f"Maximum resident set size (kbytes): {usage.ru_maxrss}\\n")
sys.exit(code)
"""


@dataclass(frozen=True)
class Scale:
    community_providers: int
    months: int  # of the full refresh
    mental_health_trusts: int
    operational_providers: int
    operational_months: int
    contacts_per_month: int


SCALES = {
    "full": Scale(200, 72, 44, 20, 12, 170_000),
    "small": Scale(20, 6, 10, 2, 2, 5_000),
}


@dataclass
class Stage:
    name: str
    seconds: float
    cpu: float | None = None
    peak_mib: float | None = None  # largest single process (/usr/bin/time -v)
    tree_mib: float | None = None  # largest sampled sum over the process tree
    ok: bool = True
    note: str = ""  # why a stage failed
    landing: str = ""
    lake: str = ""
    mart: str = ""


def month_offset(month: str, offset: int) -> str:
    return str(pd.Period(month, freq="M") + offset)


def new_month_files(landing: Path, month: str) -> list[Path]:
    """The files of `month` that arrive once it is over: returns, the A&E file, extracts."""
    patterns = [f"community_indicators/{month}/*.csv", f"nhse_ae/{ae_file_stem(month)}*.csv",
                f"operational/*/{month}/*.csv"]  # fmt: skip
    return sorted(path for pattern in patterns for path in landing.glob(pattern))


def move(files: list[Path], source: Path, target: Path) -> None:
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        path.rename(destination)


def data_rows(files: list[Path]) -> int:
    """Lines after the header, counted in the bytes (cheap even for 4 GB of CSV)."""
    total = 0
    for path in files:
        with path.open("rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
        total += max(lines - 1, 0)
    return total


def lake_rows(lake: Path) -> int:
    """Rows in the lake's source datasets (the platform's also holds the register and windows)."""
    files = [str(f) for dataset in LAKE_DATASETS for f in (lake / dataset).rglob("*.parquet")]
    if not files:
        return 0
    query = "select sum(num_rows) from parquet_file_metadata(?)"
    return int(duckdb.execute(query, [files]).fetchone()[0] or 0)


def platform_mart_rows(warehouse: Path) -> str:
    if not warehouse.exists():
        return "no warehouse"
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            counts = [
                con.execute(f"select count(*) from marts.{t}").fetchone()[0]
                for t in ("fct_metric_value", "fct_benchmark")
            ]
    except duckdb.Error as error:
        return f"unreadable: {str(error).splitlines()[0][:60]}"
    return f"{counts[0]:,} values / {counts[1]:,} benchmarks"


def baseline_mart_rows(mart: Path) -> str:
    try:
        counts = [
            duckdb.execute(f"select count(*) from '{mart}/{t}.parquet'").fetchone()[0]
            for t in ("fct_metric_value", "fct_benchmark")
        ]
    except duckdb.Error:
        return "none"
    return f"{counts[0]:,} values / {counts[1]:,} benchmarks"


def _process_table() -> tuple[dict[int, list[int]], dict[int, int]]:
    """Every process's children and resident bytes, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return children, rss


def tree_pids(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """`root` and all its descendants."""
    children = _process_table()[0] if children is None else children
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc."""
    children, rss = _process_table()
    return sum(rss.get(pid, 0) for pid in tree_pids(root, children))


def stop_tree(root: int) -> None:
    """Kill `root`'s process group and every descendant (one may have left the group)."""
    for pid in tree_pids(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(root, signal.SIGKILL)  # the stage's own process group


def run(
    name: str,
    command: list[str],
    env: dict[str, str],
    logs: Path,
    limit: int,
    seconds_limit: float | None = None,
) -> Stage:
    """Run `command` as a child process; measure wall and CPU time and peak memory. A stage whose
    processes together hold more than `limit` bytes, or that runs longer than `seconds_limit`,
    is stopped with all its processes (the machine may be shared)."""
    usage = logs / f"{name}.rusage"
    if TIME.exists():
        wrapped = [str(TIME), "-v", "-o", str(usage), *command]
    else:
        wrapped = [sys.executable, "-c", RUSAGE_WRAPPER, str(usage), *command]
    log = logs / f"{name}.log"
    started = time.perf_counter()
    peak, stopped = 0, ""
    with log.open("w") as output:
        process = subprocess.Popen(
            wrapped, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, stopped
            while not done.wait(0.2):
                peak = max(peak, tree_rss_bytes(process.pid))
                if stopped:
                    continue
                if peak > limit:
                    stopped = f"stopped over {limit / 2**30:.1f} GiB"
                elif seconds_limit and time.perf_counter() - started > seconds_limit:
                    stopped = f"stopped after {seconds_limit / 60:g} minutes"
                if stopped:
                    stop_tree(process.pid)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    measured = {}
    if usage.exists():
        for line in usage.read_text().splitlines():
            label, _, value = line.strip().rpartition(": ")
            measured[label] = value
    cpu = float(measured.get("User time (seconds)", "nan")) + float(
        measured.get("System time (seconds)", "nan")
    )
    peak_mib = float(measured.get("Maximum resident set size (kbytes)", "nan")) / 1024
    if stopped:
        print(f"  {name} STOPPED: {stopped}", flush=True)
    elif code:
        tail = "\n    ".join(log.read_text().splitlines()[-15:])
        print(f"  {name} FAILED (exit {code}); log {log}:\n    {tail}", flush=True)
    result = Stage(name, seconds, cpu, peak_mib, peak / 2**20, ok=code == 0 and not stopped)
    if not result.ok:
        result.note = stopped or f"exit {code}"
    return result


# What the yardstick scripts compute, of the platform's benchmark: monthly values, and of the
# operational metrics the three they compute, for the provider as a whole. The platform's other
# 59 operational metrics, its quarters and rolling 12 months, and its operational slices
# (service_line: department, band group, activity type) are left out of the comparison, and so
# is the peer group of the comparators a provider names (`operational/<ORG>/comparators.csv`).
_YARDSTICK_METRICS = ", ".join(repr(code) for code in OPERATIONAL_METRICS)
YARDSTICK_ROWS = (
    "grain = 'month' and peer_group <> 'comparators' and (collection <> 'operational' or "
    f"(service_line = 'all' and metric_code in ({_YARDSTICK_METRICS})))"
)


def agreement(home: Path, last: str) -> list[str]:
    """Do the platform's and the baselines' benchmarks agree, row for row, up to `last`, on what
    the baselines compute (YARDSTICK_ROWS)?"""
    con = duckdb.connect()
    sources = {
        "DuckDB script": f"'{home}/baseline_duckdb/mart/fct_benchmark.parquet'",
        "pandas script": f"'{home}/baseline_pandas/mart/fct_benchmark.parquet'",
    }
    lines = []
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        try:
            con.execute(f"attach '{warehouse}' as platform (read_only)")
            sources = {
                "platform": f"(select * from platform.marts.fct_benchmark where {YARDSTICK_ROWS})",
                **sources,
            }
            left_out = con.execute(f"""
                select count(*), count(distinct metric_code), count(distinct grain),
                       count(distinct service_line)
                from platform.marts.fct_benchmark
                where period_start <= cast('{last}-01' as date) and not ({YARDSTICK_ROWS})
            """).fetchone()  # fmt: skip
            metrics = ", ".join(OPERATIONAL_METRICS)
            lines.append(
                f"compared: monthly benchmarks, and of the operational metrics {metrics} "
                f"for the whole provider (service_line 'all'), as the scripts compute them; left "
                f"out: {left_out[0]:,} platform rows the scripts do not compute (its other "
                "operational metrics, grains, operational slices and named comparators; metric "
                "codes, grains, "
                f"service lines among them: {left_out[1]}, {left_out[2]}, {left_out[3]})"
            )
        except duckdb.Error as error:
            print(f"  platform warehouse not readable: {error}")
    names = list(sources)
    for other in names[1:]:
        try:
            counts = con.execute(f"""
                with a as (select * from {sources[names[0]]}
                           where period_start <= cast('{last}-01' as date)),
                     b as (select * from {sources[other]}
                           where period_start <= cast('{last}-01' as date))
                select (select count(*) from a), (select count(*) from b), count(b.value),
                       count(*) filter (abs(a.value - b.value) > 1e-9
                                        or abs(a.peer_median - b.peer_median) > 1e-9
                                        or abs(a.peer_lower_quartile - b.peer_lower_quartile) > 1e-9
                                        or a.peer_n <> b.peer_n
                                        or a.peer_rank is distinct from b.peer_rank
                                        or abs(a.peer_percentile - b.peer_percentile) > 1e-9
                                        or abs(a.national_value - b.national_value) > 1e-9
                                        or (a.national_value is null)
                                           <> (b.national_value is null))
                from a left join b
                    on a.metric_code = b.metric_code and a.service_line = b.service_line
                    and a.organisation_code = b.organisation_code
                    and a.peer_group = b.peer_group
                    and a.period_start = cast(b.period_start as date)
            """).fetchone()  # fmt: skip
        except duckdb.Error as error:
            lines.append(f"{names[0]} vs {other}: not comparable ({str(error).splitlines()[0]})")
            continue
        rows_a, rows_b, matched, differing = counts
        verdict = "agree" if rows_a == rows_b == matched and not differing else "DIFFER"
        lines.append(
            f"{names[0]} vs {other}: {verdict} ({rows_a:,} vs {rows_b:,} benchmark rows, "
            f"{matched:,} matched, {differing:,} with a different value, median, quartile, "
            "national figure, N, rank or percentile)"
        )
    return lines


def published_versions(home: Path) -> int:
    return len(list((home / "published").glob("*/*/v*")))


def published_size(home: Path) -> str:
    """What the publications weigh: all of them, and the largest organisation report."""
    files = [p for p in (home / "published").rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    largest = max((p.stat().st_size for p in files if p.suffix == ".html"
                   and p.parent.name == "organisations"), default=0)  # fmt: skip
    return f"{total / 2**20:,.0f} MiB published, largest report {largest / 1024:,.0f} KiB"


def benchmark_parser(description: str, scales: Iterable[str]) -> argparse.ArgumentParser:
    """The options every scale benchmark takes: its scale, --keep and --memory-limit."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", choices=list(scales), default="full")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**31,
        help="GiB a stage may hold before it is stopped (default: half the machine's memory)",
    )
    return parser


def main() -> None:
    parser = benchmark_parser(__doc__.splitlines()[0], SCALES)
    args = parser.parse_args()
    scale = SCALES[args.scale]
    first = month_offset(LAST_MONTH, 1 - scale.months)
    operational_first = month_offset(LAST_MONTH, 1 - scale.operational_months)

    home = Path(tempfile.mkdtemp(prefix=f"peerbench-national-{args.scale}-"))
    landing, arriving, logs = home / "landing", home / "arriving", home / "logs"
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
    print(f"home {home}\nscale {args.scale}: {scale}; months {first}..{LAST_MONTH}, "
          f"then {NEW_MONTH}", flush=True)  # fmt: skip

    started = time.perf_counter()
    config = DemoConfig(
        rtt_start=None,  # the yardstick scripts do not read RTT
        mhsds_start=None,  # nor MHSDS
        cwt_start=None,  # nor Cancer Waiting Times
        merger_month=None,  # nor ODS's successions
        workbook_share=0.0,  # nor Excel returns: every return is the long CSV
        seed=SEED,
        community_start=first,
        mhlda_start=first,
        ae_start=first,
        operational_start=operational_first,
        last_month=NEW_MONTH,
        community_providers=scale.community_providers,
        mental_health_trusts=scale.mental_health_trusts,
        operational_providers=scale.operational_providers,
        contacts_per_month=scale.contacts_per_month,
        vendor_layouts=False,  # the yardstick scripts read the canonical layout only
    )
    counts = generate(landing, config, now=ARRIVED_BY)
    held_back = new_month_files(landing, NEW_MONTH)
    move(held_back, landing, arriving)
    landed = sorted(p for p in landing.rglob("*.csv") if p.parent.name != "reference")
    landing_rows = data_rows(landed)
    generated = Stage("generate landing files", time.perf_counter() - started)
    generated.landing = f"{landing_rows:,}"
    stages = [generated]
    print(f"  generated {counts} in {generated.seconds:.0f} s: {len(landed):,} files, "
          f"{landing_rows:,} rows; {len(held_back)} files held back for {NEW_MONTH}",
          flush=True)  # fmt: skip

    if not (ROOT / "dbt_project" / "target" / "manifest.json").exists():  # as `make setup` does
        prepare = subprocess.run([PEERBENCH, "prepare"], env=env, capture_output=True, text=True)
        if prepare.returncode:
            print(f"  peerbench prepare FAILED:\n{prepare.stdout[-2000:]}{prepare.stderr[-2000:]}")

    def stage(name: str, command: list[str]) -> Stage:
        label = name.split(":")[-1].strip().replace(" ", "_")
        result = run(label, command, env, logs, int(args.memory_limit * 2**30))
        result.name = name
        stages.append(result)
        print(f"  {name}: {result.seconds:.1f} s, {result.peak_mib:.0f} MiB", flush=True)
        return result

    window_range = ["--start", first, "--to", LAST_MONTH]
    full = stage("platform: full refresh", [str(PEERBENCH), "refresh", *window_range])
    full.landing, full.lake = f"{landing_rows:,}", f"{lake_rows(home / 'lake'):,}"
    full.mart = platform_mart_rows(home / "warehouse.duckdb")
    for engine in ("duckdb", "pandas"):
        script = ROOT / "benchmarks" / f"baseline_{engine}.py"
        name = f"{'DuckDB' if engine == 'duckdb' else 'pandas'} script"
        result = stage(name, [sys.executable, str(script), "--home", str(home), *window_range])
        result.landing = f"{landing_rows:,}"
        result.lake = f"{lake_rows(home / f'baseline_{engine}' / 'lake'):,}"
        result.mart = baseline_mart_rows(home / f"baseline_{engine}" / "mart")
    checks = agreement(home, LAST_MONTH)

    closes_on = window("community_indicators", f"{NEW_MONTH}-01").closes_on
    history = stage("platform: publish all history",
                    [str(PEERBENCH), "publish", "--as-of", closes_on.isoformat()])  # fmt: skip
    history.mart = f"{published_versions(home)} windows published; {published_size(home)}"

    move(sorted(arriving.rglob("*.csv")), arriving, landing)
    lake_before = lake_rows(home / "lake")
    new = stage("platform: one new month",
                [str(PEERBENCH), "refresh", "--start", NEW_MONTH, "--to", NEW_MONTH])  # fmt: skip
    new.landing = f"{data_rows(new_month_files(landing, NEW_MONTH)):,}"
    new.lake = f"+{lake_rows(home / 'lake') - lake_before:,}"
    new.mart = platform_mart_rows(home / "warehouse.duckdb")

    versions = published_versions(home)
    as_of = closes_on + timedelta(days=1)
    close = stage("platform: close to publication",
                  [str(PEERBENCH), "publish", "--as-of", as_of.isoformat()])  # fmt: skip
    close.mart = f"{published_versions(home) - versions} windows published (as of {as_of})"

    report(stages, checks)
    if args.keep:
        print(f"kept {home}")
    else:
        shutil.rmtree(home)


def report(stages: list[Stage], checks: list[str]) -> None:
    header = (f"{'stage':32} {'landing rows':>13} {'lake rows':>13} {'wall s':>8} {'CPU s':>8} "
              f"{'peak RSS MiB':>12} {'tree MiB':>9}  mart / output")  # fmt: skip
    print(f"\n{header}\n{'-' * len(header)}")
    for s in stages:
        cpu = f"{s.cpu:8.1f}" if s.cpu is not None else " " * 8
        peak = f"{s.peak_mib:12.0f}" if s.peak_mib is not None else " " * 12
        tree = f"{s.tree_mib:9.0f}" if s.tree_mib is not None else " " * 9
        state = "" if s.ok else f"FAILED ({s.note}) "
        print(f"{s.name:32} {s.landing:>13} {s.lake:>13} {s.seconds:8.1f} {cpu} {peak} {tree}  "
              f"{state}{s.mart}")  # fmt: skip
    print()
    for line in checks:
        print(f"benchmark check: {line}")
    by_name = {s.name: s for s in stages}
    full, bare, pandas_ = (by_name[n] for n in ("platform: full refresh", "DuckDB script",
                                                "pandas script"))  # fmt: skip
    new, close = by_name["platform: one new month"], by_name["platform: close to publication"]
    history = by_name["platform: publish all history"]

    def ratio(label: str, of: tuple[Stage, ...], value: float, target: str, passed: bool) -> None:
        verdict = ("PASS" if passed else "MISS") if all(s.ok for s in of) else "n/a (failed)"
        print(f"{label:40} {value:>9.2f}   target {target:8} {verdict}")

    print()
    ratio("full refresh / DuckDB script, wall x", (full, bare), full.seconds / bare.seconds,
          "<= 2", full.seconds <= 2 * bare.seconds)  # fmt: skip
    ratio("pandas script / full refresh, wall x", (full, pandas_),
          pandas_.seconds / full.seconds, ">= 5", pandas_.seconds >= 5 * full.seconds)  # fmt: skip
    ratio("one new month / full refresh, wall %", (full, new), 100 * new.seconds / full.seconds,
          "<= 10", new.seconds <= 0.1 * full.seconds)  # fmt: skip
    # the issue's own measure: a new month as a deployment runs it (refresh, then publication of
    # the windows it closes) against rebuilding everything (full refresh, publication of history)
    month, rebuild = new.seconds + close.seconds, full.seconds + history.seconds
    ratio("  with publication: month / rebuild, %", (full, history, new, close),
          100 * month / rebuild, "<= 10", month <= 0.1 * rebuild)  # fmt: skip
    ratio("peak RSS platform / DuckDB script, x", (full, bare), full.peak_mib / bare.peak_mib,
          "<= 1", full.peak_mib <= bare.peak_mib)  # fmt: skip
    ratio("close to publication, wall seconds", (close,), close.seconds, "< 60",
          close.seconds < 60)  # fmt: skip
    print(
        f"\nfor information: CPU full refresh / DuckDB {full.cpu / bare.cpu:.2f}x, "
        f"pandas / full refresh {pandas_.cpu / full.cpu:.2f}x, "
        f"new month / full refresh {100 * new.cpu / full.cpu:.1f}%; pandas / DuckDB wall "
        f"{pandas_.seconds / bare.seconds:.2f}x; sampled tree RSS platform / DuckDB "
        f"{full.tree_mib / bare.tree_mib:.2f}x"
    )


if __name__ == "__main__":
    main()
