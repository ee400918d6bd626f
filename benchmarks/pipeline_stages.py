"""Time the demo pipeline stage by stage in a fresh temporary home; print rows and seconds.

    .venv/bin/python benchmarks/pipeline_stages.py [--last-month YYYY-MM] [--keep]

Stages: demo data generation, the monthly and quarterly single-run backfills (lake assets and
partitioned dbt models), the mart refresh, publication of every closed window; and, beside the
mart, the Community Indicators peer statistics as one bare DuckDB query over the lake, the
baseline the mart's overhead is judged against. Each stage runs
in this process exactly as `peerbench demo` runs it; peak memory is the process's own maximum
resident set so far (ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rows_in_lake(lake: Path) -> int:
    files = list(lake.glob("**/*.parquet"))
    if not files:
        return 0
    paths = ", ".join(f"'{f}'" for f in files)
    return duckdb.sql(
        f"select count(*) from read_parquet([{paths}], union_by_name = true)"
    ).fetchall()[0][0]


def _rows_in_mart(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        counts = {
            table: connection.sql(f"select count(*) from marts.{table}").fetchall()[0][0]
            for table in ("fct_metric_value", "fct_benchmark")
        }
    return ", ".join(f"{table} {count:,}" for table, count in counts.items())


BARE_DUCKDB_BENCHMARK = """
    with returns as (
        select *, dense_rank() over (
            partition by organisation_code, period order by submitted_at desc, source_file desc
        ) as submission_rank
        from read_parquet('{lake}/community_indicator_returns/*/*.parquet')
    ),
    catalogue as (select * from read_csv('{catalogue}')),
    valued as (
        select r.metric_code, r.period, r.organisation_code,
               r.numerator / nullif(r.denominator, 0) * c.multiplier as value
        from returns as r join catalogue as c using (metric_code)
        where submission_rank = 1
    )
    select metric_code, period, count(*) as n, avg(value) as mean, min(value) as lowest,
           quantile_cont(value, 0.25) as lower_quartile, median(value) as median,
           quantile_cont(value, 0.75) as upper_quartile, max(value) as highest
    from valued group by metric_code, period
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--last-month", help="last month of demo data (default: last ended)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    home = Path(tempfile.mkdtemp(prefix="peerbench-benchmark-"))
    os.environ.update(
        PEERBENCH_HOME=str(home),
        PEERBENCH_PSEUDONYM_KEY=secrets.token_hex(32),
        DAGSTER_HOME=str(home / "dagster"),
    )
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.demo_data import DemoConfig, generate
    from orchestration.partitions import monthly_partition, nhs_quarter_partition
    from orchestration.runs import partition_keys_between, publish_due, range_tags, run_job

    instance = dg.DagsterInstance.get()
    now = datetime.now()
    last = args.last_month or f"{now:%Y-%m}"
    results: list[tuple[str, str, float, float]] = []

    def stage(name: str, work, rows) -> None:
        started = time.perf_counter()
        outcome = work()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.append((name, rows(outcome), seconds, peak))
        print(f"{name:28} {seconds:8.2f} s  {peak:7.0f} MiB  {results[-1][1]}", flush=True)

    def refresh(job: str, partitions_def) -> None:
        keys = partition_keys_between(partitions_def, "2020-04-01", f"{last}-01", now)
        outcome = run_job(defs, job, instance, tags=range_tags(keys[0], keys[-1]))
        assert outcome.success, outcome
        return len(keys)

    print(f"home {home}")
    stage(
        "demo data",
        lambda: generate(home / "landing", DemoConfig(last_month=args.last_month)),
        lambda counts: ", ".join(f"{n:,} {kind} files" for kind, n in counts.items()),
    )
    stage(
        "monthly backfill (1 run)",
        lambda: refresh("monthly_refresh_job", monthly_partition),
        lambda n: f"{n} partitions, lake rows {_rows_in_lake(home / 'lake'):,}",
    )
    stage(
        "quarterly backfill (1 run)",
        lambda: refresh("quarterly_refresh_job", nhs_quarter_partition),
        lambda n: f"{n} partitions, lake rows {_rows_in_lake(home / 'lake'):,}",
    )
    stage(
        "mart refresh",
        lambda: run_job(defs, "mart_refresh_job", instance),
        lambda _: _rows_in_mart(home / "warehouse.duckdb"),
    )
    stage(
        "bare DuckDB, same statistics",
        lambda: duckdb.sql(
            BARE_DUCKDB_BENCHMARK.format(
                lake=home / "lake", catalogue=ROOT / "seeds" / "metric_catalogue.csv"
            )
        ).df(),
        lambda frame: f"{len(frame):,} community metric-months (one query over the lake)",
    )
    stage(
        "publish closed windows",
        lambda: publish_due(defs, instance, now),
        lambda outcomes: (
            f"{len(list((home / 'published').glob('*/*/v*')))} windows, "
            f"{len(list((home / 'published').glob('**/*.*')))} files"
        ),
    )
    total = sum(seconds for _, _, seconds, _ in results)
    print(f"{'total':28} {total:8.2f} s")
    if not args.keep:
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
