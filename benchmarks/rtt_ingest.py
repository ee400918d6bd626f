"""RTT ingest against a bare DuckDB read_csv and pandas: one month's full extract, side by side.

    .venv/bin/python benchmarks/rtt_ingest.py [--repeat 3] [--copies 37]

Why: NHS England's monthly RTT full CSV extract is 82 MB and 180,781 rows of 121 columns. Issue
12 asks that the platform ingest it (contract, lake Parquet) in no more than 1.5x the time of a
bare DuckDB `read_csv` of the same file, and at least 5x faster than pandas.

The file: the real April 2026 extract's first 5,000 rows (`../shared/data/real/rtt`), repeated
with the provider codes changed so that every key stays unique, to the real month's size (37
copies: 185,000 rows, about 80 MB). Each approach runs in a fresh process, in rounds (every
approach once a round, `--repeat` rounds); the table shows the median wall seconds and the
largest peak RSS, and each ratio is the median over rounds of the two approaches' times in the
same round, so that a machine whose speed drifts does not move it:

- `duckdb`: `create table as select * from read_csv(file)`, DuckDB's own type detection;
- `duckdb_unchecked`: the least any ingest of the file does, and a floor for the platform: one
  DuckDB statement reading the file with the counts declared as integers and writing the lake's
  Parquet as it reads, no rule checked (DuckDB's reader takes `1.5` as 2, `1e3`, `0x10`, `1_000`
  as numbers, so it cannot stand for the contract's conversion);
- `duckdb_checked`: the contract's checks written by hand in one DuckDB script (the text read,
  each count an integer as written, the text rules, a unique key, the row rules, Parquet out):
  the same work as the platform's, without locating errors or quarantining a file;
- `platform`: the lake asset's work for the month (`assets.lake.ingest_partition`): the contract
  judged set-wise in DuckDB, the accepted rows written to the lake as Parquet, the submission
  record, under the home's DuckDB settings as the asset runs it (`PEERBENCH_DUCKDB_MEMORY_LIMIT`,
  1GB by default, which slows DuckDB's reading of one wide file by about 40%: set it higher to
  see); and, for information, the same through a Dagster materialisation (`dagster`);
- `pandas`: `pandas.read_csv` (counts as nullable integers), the same pandera schema validated
  by pandera's own pandas backend (its cell rules; the two SQL row rules are left out, which
  favours pandas), and the same rows written as Parquet.

Imports are loaded before the clock starts, in every approach: the work, not the interpreter.

It prints the ratios beside the targets (PASS or MISS); nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = "rtt/20260430-RTT-April-2026-full-extract-first5000.csv"
NAME = "20260430-RTT-April-2026-full-extract.csv"
APRIL = "2026-04"
CODES = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def make_file(real: Path, folder: Path, copies: int) -> Path:
    """The real sample repeated `copies` times, provider codes changed per copy."""
    with (real / SAMPLE).open(newline="") as handle:
        reader = csv.reader(handle)
        header, rows = next(reader), list(reader)
    provider = header.index("Provider Org Code")
    path = folder / "landing" / "nhse_rtt" / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for copy in range(copies):
            prefix = CODES[copy % len(CODES)] + CODES[copy // len(CODES)]
            for row in rows:
                writer.writerow([*row[:provider], prefix + row[provider][2:], *row[provider + 1 :]])
    return path


def run_duckdb(path: Path, _: Path) -> int:
    import duckdb

    with duckdb.connect() as connection:
        connection.execute(f"create table rtt as select * from read_csv('{path}')")
        return connection.execute("select count(*) from rtt").fetchall()[0][0]


def run_duckdb_unchecked(path: Path, home: Path) -> int:
    """Read and write, nothing checked: the counts typed by DuckDB's reader, the rows renamed as
    the lake names them and streamed to Parquet in the same statement."""
    import duckdb

    from contracts.rtt import COUNT_COLUMNS, LAKE_COLUMNS

    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    types = {name: "BIGINT" if name in COUNT_COLUMNS else "VARCHAR" for name in header}
    renamed = ", ".join(f'"{c}" as {n}' for c, n in LAKE_COLUMNS.items() if c != "Period")
    lake = home / "unchecked_lake" / f"period={APRIL}"
    lake.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        [(rows,)] = connection.execute(
            f"copy (select '{APRIL}' as period, {renamed} "
            f"from read_csv('{path}', header = true, columns = {types!r})) "
            f"to '{lake / 'data.parquet'}' (format parquet)"
        ).fetchall()
        return rows


def run_duckdb_checked(path: Path, home: Path) -> int:
    """The contract's work written by hand in one DuckDB script: the text read, every count an
    integer as written (DuckDB's own cast would take `1.5` as 2), the text rules, a unique key,
    the two row rules, and the rows written as Parquet; no locations, no quarantine."""
    import duckdb

    from contracts.rtt import BAND_COLUMNS, COUNT_COLUMNS, LAKE_COLUMNS, TEXT_COLUMNS

    def q(name: str) -> str:
        return '"' + name + '"'

    counts = ", ".join(
        f"case when regexp_full_match({q(c)}, '[+-]?[0-9]+') then try_cast({q(c)} as bigint) "
        f"end as {q(c)}, {q(c)} is not null and not regexp_full_match({q(c)}, '[+-]?[0-9]+') "
        f"as {q(c + '!')}"
        for c in COUNT_COLUMNS
    )
    bands = " + ".join(f"coalesce({q(c)}, 0)" for c in BAND_COLUMNS)
    unconverted = " or ".join(q(c + "!") for c in COUNT_COLUMNS)
    negative = " or ".join(f"{q(c)} < 0" for c in COUNT_COLUMNS)
    texts = ", ".join(q(c) for c in TEXT_COLUMNS)
    lake = home / "duckdb_lake" / f"period={APRIL}"
    lake.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute(
            f"create temporary table rtt as select {texts}, {counts} "
            f"from read_csv('{path}', all_varchar=true, header=true)"
        )
        [(broken,)] = connection.execute(
            f"""select count(*) from rtt where {unconverted} or {negative}
            or "Period" is distinct from 'RTT-April-2026'
            or not regexp_matches("Provider Org Code", '^[A-Z0-9]{{3,5}}$')
            or not regexp_matches("Commissioner Org Code", '^[A-Z0-9]{{3,5}}$')
            or "RTT Part Type" not in ('Part_1A', 'Part_1B', 'Part_2', 'Part_2A', 'Part_3')
            or not regexp_matches("Treatment Function Code", '^(C_\\d{{3}}|X0[1-6])$')
            or "Total All" is null
            or ("Total" is not null and {bands} <> "Total")
            or ("RTT Part Type" <> 'Part_3' and "Total All" <> coalesce("Total", {bands})
                + coalesce("Patients with unknown clock start date", 0))"""
        ).fetchall()
        [(repeated,)] = connection.execute(
            'select count(*) - count(distinct ("Provider Org Code", "Commissioner Org Code", '
            '"RTT Part Type", "Treatment Function Code")) from rtt'
        ).fetchall()
        assert broken == 0 and repeated == 0, (broken, repeated)
        renamed = ", ".join(f"{q(c)} as {n}" for c, n in LAKE_COLUMNS.items() if c != "Period")
        connection.execute(
            f"copy (select '{APRIL}' as period, {renamed} from rtt) "
            f"to '{lake / 'data.parquet'}' (format parquet)"
        )
        return connection.execute("select count(*) from rtt").fetchall()[0][0]


def run_platform(path: Path, home: Path) -> int:
    import duckdb

    from assets.lake import ingest_partition
    from assets.national import renamed_select
    from contracts.rtt import LAKE_COLUMNS
    from orchestration.registry import SOURCES, scan_landing
    from orchestration.settings import get_settings

    settings = get_settings(home)
    source = SOURCES["nhse_rtt_pathways"]
    files = scan_landing(settings.landing).of(source, APRIL)
    with duckdb.connect(config=settings.duckdb_config) as connection:  # as the lake asset's
        outcome = ingest_partition(
            connection,
            source,
            APRIL,
            files,
            renamed_select(LAKE_COLUMNS),
            landing=settings.landing,
            lake=settings.lake,
            quarantine=settings.quarantine,
            register=None,
            now=datetime.now(),
        )
    assert not outcome.quarantined, outcome.quarantined
    return outcome.rows


def run_dagster(path: Path, home: Path) -> int:
    import dagster as dg

    from assets.national import nhse_rtt_pathways
    from orchestration.resources import HomeResource

    os.environ["PEERBENCH_HOME"] = str(home)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [nhse_rtt_pathways],
            partition_key=f"{APRIL}-01",
            instance=instance,
            resources={"home": HomeResource()},
        )
    assert result.success
    [event] = result.get_asset_materialization_events()
    return int(event.materialization.metadata["run_rows"].value)


def run_pandas(path: Path, home: Path) -> int:
    import pandas as pd

    from contracts.rtt import COUNT_COLUMNS, LAKE_COLUMNS, rtt_contract

    counts = dict.fromkeys(COUNT_COLUMNS, "Int64")  # nullable: Total is blank on Part_2 rows
    frame = pd.read_csv(path, dtype={**dict.fromkeys(LAKE_COLUMNS, str), **counts})
    schema = rtt_contract(APRIL).schema.update_columns(
        {name: {"dtype": "Int64"} for name in COUNT_COLUMNS}
    )
    typed = schema.validate(frame, lazy=True)  # the cell rules; the SQL row rules are not run
    lake = home / "pandas_lake" / f"period={APRIL}"
    lake.mkdir(parents=True, exist_ok=True)
    renamed = typed.rename(columns=LAKE_COLUMNS).drop(columns=["period"]).assign(period=APRIL)
    renamed.to_parquet(lake / "data.parquet", index=False)
    return len(renamed)


APPROACHES = {
    "duckdb": run_duckdb,
    "duckdb_unchecked": run_duckdb_unchecked,
    "duckdb_checked": run_duckdb_checked,
    "platform": run_platform,
    "dagster": run_dagster,
    "pandas": run_pandas,
}


def child(approach: str, path: Path, home: Path) -> None:
    import dagster  # noqa: F401  (imports are not the work: every approach starts with them loaded)
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    import assets.lake
    import assets.national  # noqa: F401  (its import builds the lake assets' definitions)
    import contracts.rtt  # noqa: F401
    import orchestration.registry  # noqa: F401

    started = time.perf_counter()
    rows = APPROACHES[approach](path, home)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mib": peak}))


def run_once(approach: str, path: Path, home: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", approach, str(path), str(home)]
    env = {**os.environ, "PEERBENCH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio(runs: dict[str, list[dict[str, float]]], of: str, to: str) -> float:
    """The median over rounds of one approach's time over another's in the same round: a
    machine whose speed drifts moves both sides of each ratio alike."""
    return statistics.median(
        a["seconds"] / b["seconds"] for a, b in zip(runs[of], runs[to], strict=True)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=37)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    from orchestration.settings import get_settings

    real = get_settings().real_data_dir
    with tempfile.TemporaryDirectory(prefix="peerbench-rtt-") as folder:
        home = Path(folder)
        path = make_file(real, home, args.copies)
        size = path.stat().st_size
        print(f"file {path.name}: {size / 2**20:.1f} MiB, {args.copies * 5_000:,} rows", flush=True)
        runs: dict[str, list[dict[str, float]]] = {approach: [] for approach in APPROACHES}
        for _ in range(args.repeat):  # round by round: every approach once, in turn
            for approach in APPROACHES:
                runs[approach].append(run_once(approach, path, home))
    for approach, measured in runs.items():
        seconds = statistics.median(r["seconds"] for r in measured)
        peak = max(r["peak_mib"] for r in measured)
        print(
            f"  {approach:16} {measured[0]['rows']:>9,} rows {seconds:7.2f} s peak {peak:7.0f} MiB"
        )
    platform_bare, pandas_platform = (
        ratio(runs, "platform", "duckdb"),
        ratio(runs, "pandas", "platform"),
    )
    targets = [
        ("platform / DuckDB read_csv", platform_bare, "<= 1.5", platform_bare <= 1.5),
        ("pandas / platform", pandas_platform, ">= 5", pandas_platform >= 5),
        ("Dagster run / platform", ratio(runs, "dagster", "platform"), "info", None),
        (
            "read and write, unchecked / read",
            ratio(runs, "duckdb_unchecked", "duckdb"),
            "info",
            None,
        ),
        ("pandas / DuckDB read_csv", ratio(runs, "pandas", "duckdb"), "info", None),
        ("platform / DuckDB, same checks", ratio(runs, "platform", "duckdb_checked"), "info", None),
    ]
    for label, value, target, ok in targets:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"  {label:33} {value:6.2f}x  (target {target}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
