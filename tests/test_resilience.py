"""Resilience: a refresh killed midway and re-run gives the mart of an uninterrupted run, and after
a run with misplaced identifiers no NHS number appears anywhere outside `landing/`.

Both run the real command line in a subprocess against a temporary home, as an operator would:
the first kills it with SIGKILL (process group: dbt dies with it) at a point read from the home
itself (a lake write in progress, a Dagster run started, dbt's write-ahead log), the second reads
back every file the runs wrote.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import new_dagster_home

from contracts.nhs_number import is_valid_nhs_number
from contracts.validation import MASKED
from orchestration.demo_data import DemoConfig, generate

PROJECT = Path(__file__).parents[1]
PEERBENCH = Path(sys.executable).parent / "peerbench"
NOW = datetime(2024, 12, 1)  # demo data as it stood then: every window up to July closed
KEY = "resilience-test-key-" + "0" * 44  # one key for every home, so pseudonyms compare
REFRESH = ["refresh", "--start", "2024-04", "--to", "2024-07"]
TIMEOUT = 240  # seconds for one command; a hung command fails the test instead of the suite


def _environment(home: Path) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PEERBENCH_") and name != "DAGSTER_HOME"
    }
    return environment | {
        "PEERBENCH_HOME": str(home),
        "PEERBENCH_PSEUDONYM_KEY": KEY,
        "DAGSTER_HOME": str(home / "dagster"),
    }


def _new_home(home: Path) -> Path:
    new_dagster_home(home)
    return home


def _peerbench(home: Path, *argv: str) -> subprocess.CompletedProcess:
    """One `peerbench` command to its end, with its console output."""
    return subprocess.run(
        [str(PEERBENCH), *argv],
        cwd=PROJECT,
        env=_environment(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home / "dagster"))


# 1. a refresh killed midway and re-run gives the mart of an uninterrupted run

# Landing as it stood after June's data arrived; July's files and a corrected MHLDA Q1 return
# arrive later, so the refresh that is killed has both cadences to ingest and a mart to extend.
# A provider sends 40,000 contacts a month: writing that partition takes long enough to be seen.
KILLED_DEMO = DemoConfig(
    rtt_start=None,  # RTT is tested in test_rtt and test_pipeline
    mhsds_start=None,  # and MHSDS in test_mhsds and test_pipeline
    cwt_start=None,  # and CWT in test_cwt and test_pipeline
    seed=31,
    community_start="2024-04",
    mhlda_start="2024-04",
    ae_start="2024-04",
    operational_start="2024-06",
    last_month="2024-07",
    community_providers=8,
    mental_health_trusts=5,
    operational_providers=1,
    contacts_per_month=40_000,
)
JULY = re.compile(r"(^|/)2024-07/|July-2024")
RESUBMITTED_STAMP = "20241101T0900"


@pytest.fixture(scope="module")
def before_july(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A home refreshed up to June, and the files that arrive after it (mtimes kept)."""
    template = tmp_path_factory.mktemp("template")
    generate(template / "landing", KILLED_DEMO, now=NOW)
    arrivals = sorted(
        path.relative_to(template / "landing").as_posix()
        for path in (template / "landing").rglob("*.csv")
        if JULY.search(path.relative_to(template / "landing").as_posix())
    )
    arrivals.append(_correct_an_mhlda_return(template / "landing"))
    home = _new_home(tmp_path_factory.mktemp("before_july"))
    shutil.copytree(template / "landing", home / "landing")
    for relative in arrivals:
        (home / "landing" / relative).unlink()
    done = _peerbench(home, *REFRESH)
    assert done.returncode == 0, done.stdout + done.stderr
    arrived = [template / "landing" / relative for relative in arrivals]
    return {"home": home, "arrivals": arrived, "root": template, "console": done.stdout}


def test_the_console_shows_each_runs_outcome_and_dbts_output_is_in_the_compute_logs(
    before_july: dict,
):
    """A refresh prints a line per run, not dbt's page of output (a line per model and test):
    that is in the run's compute logs, where Dagster's UI shows it."""
    console = before_july["console"]
    assert "ok     mart_refresh_job" in console
    assert "START sql" not in console and "Running with dbt" not in console
    assert len(console.splitlines()) < 20, console
    logs = (before_july["home"] / "dagster" / "storage").glob("*/compute_logs/*.out")
    assert any("START sql" in log.read_text() for log in logs)


def _correct_an_mhlda_return(landing: Path) -> str:
    """A later return from one trust for Q1, its first metric's numerator halved."""
    original = sorted((landing / "mhlda" / "2024-25-Q1").glob("*.csv"))[0]
    rows = pd.read_csv(original, dtype={"numerator": float, "denominator": float})
    first = rows["metric_code"] == rows.loc[rows["denominator"] > 0, "metric_code"].iloc[0]
    rows.loc[first, "numerator"] = rows.loc[first, "numerator"] // 2
    corrected = original.with_name(f"{original.name.split('_')[0]}_{RESUBMITTED_STAMP}.csv")
    rows.to_csv(corrected, index=False)
    return corrected.relative_to(landing).as_posix()


def _home_after_july(before_july: dict, home: Path) -> Path:
    """A copy of the home refreshed up to June (lake, mart, Dagster instance) with July arrived."""
    shutil.copytree(before_july["home"], home)
    for path in before_july["arrivals"]:
        target = home / "landing" / path.relative_to(before_july["root"] / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return home


@pytest.fixture(scope="module")
def uninterrupted(before_july: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = _home_after_july(before_july, tmp_path_factory.mktemp("uninterrupted") / "home")
    done = _peerbench(home, *REFRESH)
    assert done.returncode == 0, done.stdout + done.stderr
    mart = _mart(home)
    assert (mart["fct_metric_value"]["period_start"] == pd.Timestamp("2024-07-01")).any()
    return {"home": home, "mart": mart, "lake": _lake(home)}


BUILD_TIME = "refreshed_at"  # when dbt wrote the row: differs between any two builds


def _mart(home: Path) -> dict[str, pd.DataFrame]:
    """Every table of the marts schema, every row but its build time, in a canonical order."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        columns: dict[str, list[str]] = {}
        for table, column in connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(table, []).append(column)
        marts = {}
        for table, names in columns.items():
            kept = ", ".join(f'"{name}"' for name in names if name != BUILD_TIME)
            marts[table] = connection.sql(f"select {kept} from marts.{table} order by all").df()
        return marts


def _lake(home: Path) -> dict[str, pd.DataFrame]:
    """Every Parquet file in the lake, hidden ones too (the dbt sources' globs read them all),
    every row in a canonical order; and the names of all its files, whatever they are."""
    lake = home / "lake"
    files = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())
    with duckdb.connect() as connection:
        return {
            path.relative_to(lake).as_posix(): connection.execute(
                "select * from read_parquet(?) order by all", [str(path)]
            ).df()
            for path in sorted(lake.rglob("*.parquet"))
        } | {"(every file)": pd.DataFrame({"path": files})}


def _writing_in_epr_july(home: Path, instance: dg.DagsterInstance) -> bool:
    folder = home / "lake" / "epr_contacts" / "period=2024-07"
    if not folder.is_dir():
        return False
    with os.scandir(folder) as entries:
        return any(".writing-" in entry.name for entry in entries)


def _run_started(job_name: str) -> Callable[[Path, dg.DagsterInstance], bool]:
    def started(home: Path, instance: dg.DagsterInstance) -> bool:
        statuses = [dg.DagsterRunStatus.STARTED]
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=statuses))
        return bool(runs)

    return started


def _dbt_writing(home: Path, instance: dg.DagsterInstance) -> bool:
    return (home / "warehouse.duckdb.wal").exists()


# kill point -> the moment to kill, which is still the state of the home once it is dead (the
# kill came before the step was done), and how often to look
KILL_POINTS = {
    # inside the write of a lake partition: its temporary file beside data.parquet
    "lake_write": (_writing_in_epr_july, 0.0005),
    # the first lake run done, the quarterly one under way: July is in the lake, not the mart
    "between_lake_runs": (_run_started("quarterly_from_2020_04_refresh_job"), 0.02),
    # dbt writing the warehouse: its write-ahead log not yet checkpointed
    "dbt_build": (_dbt_writing, 0.02),
}


def _kill_when(home: Path, instance: dg.DagsterInstance, kill_point: str) -> int:
    """Start a refresh, SIGKILL its process group (dbt included) at the kill point; its status."""
    moment, interval = KILL_POINTS[kill_point]
    process = subprocess.Popen(
        [str(PEERBENCH), *REFRESH],
        cwd=PROJECT,
        env=_environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + TIMEOUT
    try:
        while not moment(home, instance):
            assert process.poll() is None, f"the refresh ended before {kill_point}"
            assert time.monotonic() < deadline, f"{kill_point} never came"
            time.sleep(interval)
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
def test_a_refresh_killed_midway_and_rerun_gives_the_mart_of_an_uninterrupted_run(
    kill_point: str, before_july: dict, uninterrupted: dict, tmp_path: Path
):
    home = _home_after_july(before_july, tmp_path / "home")
    with _instance(home) as instance:
        assert _kill_when(home, instance, kill_point) == -signal.SIGKILL
        moment, _ = KILL_POINTS[kill_point]
        assert moment(home, instance), f"the refresh was past {kill_point} when it died"
        left_started = [
            r.run_id
            for r in instance.get_runs()
            if r.status in (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING)
        ]
    assert len(left_started) == 1  # the run the kill interrupted

    rerun = _peerbench(home, *REFRESH)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"marked run {left_started[0]} failed" in rerun.stdout

    with _instance(home) as instance:
        assert instance.get_run_by_id(left_started[0]).status == dg.DagsterRunStatus.FAILURE
        statuses = {r.status for r in instance.get_runs()}
    assert statuses <= {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}
    mart = _mart(home)
    assert list(mart) == list(uninterrupted["mart"])
    for table, expected in uninterrupted["mart"].items():
        pd.testing.assert_frame_equal(mart[table], expected, obj=f"marts.{table}")
    lake = _lake(home)
    assert list(lake) == list(uninterrupted["lake"])
    for path, expected in uninterrupted["lake"].items():
        pd.testing.assert_frame_equal(lake[path], expected, obj=f"lake/{path}")


# 2. after a run with misplaced identifiers, no NHS number appears anywhere outside landing/

LEAK_DEMO = DemoConfig(
    rtt_start=None,  # RTT is tested in test_rtt and test_pipeline
    mhsds_start=None,  # and MHSDS in test_mhsds and test_pipeline
    cwt_start=None,  # and CWT in test_cwt and test_pipeline
    seed=5,
    community_start="2024-06",
    mhlda_start="2024-04",
    ae_start="2024-06",
    operational_start="2024-06",
    last_month="2024-06",
    community_providers=4,
    mental_health_trusts=3,
    operational_providers=1,
    contacts_per_month=300,
)
# valid NHS numbers (modulus 11), none from the demo's 999 test range, each planted in one place
PLANTED = {
    "metric_code": "9434765919",
    "numerator": "4010232137",
    "organisation_code": "4505577104",
    "period": "4857773457",
    "service_line": "6541234566",
    "roster_team_code": "7153214569",
    "hyphenated_team_code": "6789012346",
    "roster_band": "8210987658",
    "file_name": "6123456784",
    "spaced_file_name": "7345678911",
    "header": "4567890124",
    "contact_id": "5678901230",
}
# ten digits, whatever separates them: `9434765919`, `943 476 5919`, `943-476-5919`, `94 34...`
DIGITS = re.compile(rb"(?<![0-9])[0-9](?:[ -]?[0-9]){9}(?![0-9])")
DATE_AND_HOUR = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}")


def _spaced(number: str, separator: str = " ") -> str:
    return separator.join((number[:3], number[3:6], number[6:]))


def _numbers_in(data: bytes) -> set[str]:
    """Every ten-digit number in the bytes, separators dropped, but a date and hour
    (`2023-05-29 04`, the start of a referral's date-time), which is no identifier."""
    found = {
        re.sub(rb"[ -]", b"", m).decode()
        for m in DIGITS.findall(data)
        if not DATE_AND_HOUR.fullmatch(m)
    }
    return {n for n in found if is_valid_nhs_number(n)}


def _forms(number: str) -> list[bytes]:
    return [number.encode(), _spaced(number).encode(), _spaced(number, "-").encode()]


def _leaked(data: bytes, numbers: set[str]) -> set[str]:
    """The NHS numbers among `numbers` that `data` holds, plain or spaced."""
    exact = {n for n in PLANTED.values() if n in numbers and any(f in data for f in _forms(n))}
    return (_numbers_in(data) & numbers) | exact


def _query_text(connection: duckdb.DuckDBPyConnection, relation: str) -> bytes:
    """Every value of a table or Parquet file as text (compressed columns hide from a byte scan)."""
    rows = connection.execute(f"select * from {relation}").fetchall()
    return "\n".join("\t".join(map(str, row)) for row in rows).encode()


def _readable_text(path: Path) -> bytes:
    if path.suffix == ".parquet":
        with duckdb.connect() as connection:
            return _query_text(connection, f"read_parquet('{path}')")
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as connection:
            tables = connection.execute(
                "select schema_name, table_name from duckdb_tables() order by all"
            ).fetchall()
            return b"\n".join(
                _query_text(connection, f'"{schema}"."{table}"') for schema, table in tables
            )
    return b""


def _land(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _land_misplaced_identifiers(landing: Path) -> None:
    """Files a confused or careless submitter might send, beside the demo's good ones."""
    register = pd.read_csv(landing / "reference" / "organisations.csv")
    community = register.query("organisation_type == 'community_provider'")["organisation_code"]
    trust = register.query("organisation_type == 'mental_health_trust'")["organisation_code"]
    operational, second, third, fourth = community.tolist()[:4]
    n = PLANTED
    # the second and third providers register the first's teams, so their copies of its
    # extracts are refused for the identifiers planted in them, not for teams they do not have
    register = (landing / "operational" / operational / "teams.csv").read_text()
    for provider in (second, third):
        _land(landing / "operational" / provider / "teams.csv", register)
    extract = (landing / "operational" / operational / "2024-06" / "epr_contacts.csv").read_text()
    header, *rows = extract.splitlines()
    # NHS numbers in the team_code column: the export's two columns swapped
    swapped = header.replace("nhs_number", "@").replace("team_code", "nhs_number")
    _land(
        landing / "operational" / second / "2024-06" / "epr_contacts.csv",
        "\n".join([swapped.replace("@", "team_code"), *rows]) + "\n",
    )
    # an NHS number keyed into the contact id of an otherwise good extract
    first = rows[0].split(",")
    _land(
        landing / "operational" / third / "2024-06" / "epr_contacts.csv",
        "\n".join([header, ",".join([n["contact_id"], *first[1:]]), *rows[1:]]) + "\n",
    )
    roster = (landing / "operational" / operational / "2024-06" / "eroster_shifts.csv").read_text()
    roster_header, *shifts = roster.splitlines()
    one, two = shifts[0].split(","), shifts[1].split(",")
    one[1] = n["roster_team_code"]
    two[-1] = _spaced(n["roster_band"])
    _land(
        landing / "operational" / second / "2024-06" / "eroster_shifts.csv",
        "\n".join([roster_header, ",".join(one), ",".join(two), *shifts[2:]]) + "\n",
    )
    # `943-476-5919` is shaped like a team code (`RXA-DN1`): one row of a good roster
    one = shifts[0].split(",")
    one[1] = _spaced(n["hyphenated_team_code"], "-")
    _land(
        landing / "operational" / third / "2024-06" / "eroster_shifts.csv",
        "\n".join([roster_header, ",".join(one), *shifts[1:]]) + "\n",
    )
    returns = landing / "community_indicators" / "2024-06"
    _land(
        returns / f"{fourth}_20240801T0900.csv",
        "organisation_code,period,metric_code,numerator,denominator\n"
        f"{fourth},2024-06,{n['metric_code']},12,300\n"
        f"{fourth},2024-06,CI_DNA_RATE,{n['numerator']},300\n"
        f"{_spaced(n['organisation_code'])},2024-06,CI_SICKNESS,12,300\n"
        f"{fourth},{_spaced(n['period'], '-')},CI_LEAVERS,1,100\n",
    )
    _land(
        returns / f"{third}_20240801T0900.csv",
        f"organisation_code,period,metric_code,numerator,denominator,{n['header']}\n"
        f"{third},2024-06,CI_DNA_RATE,12,300,1\n",
    )
    _land(returns / f"{n['file_name']}.csv", "organisation_code\n")
    spaced_name = f"epr {_spaced(n['spaced_file_name'])}.csv"
    _land(landing / "operational" / operational / "2024-06" / spaced_name, extract)
    _land(
        landing / "mhlda" / "2024-25-Q1" / f"{trust.iloc[0]}_20240801T0900.csv",
        "organisation_code,period,service_line,metric_code,numerator,denominator\n"
        f"{trust.iloc[0]},2024-04,{n['service_line']},MH_BED_OCCUPANCY,10,20\n",
    )


@pytest.fixture(scope="module")
def misplaced_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Demo data with misplaced NHS numbers beside it, refreshed and published; then every file
    the run wrote (dbt's own files among them) scanned for every NHS number landed."""
    home = _new_home(tmp_path_factory.mktemp("misplaced") / "home")
    generate(home / "landing", LEAK_DEMO, now=NOW)
    _land_misplaced_identifiers(home / "landing")
    landing = [p for p in (home / "landing").rglob("*") if p.is_file()]
    landed = b"\n".join([*(p.read_bytes() for p in landing), *(str(p).encode() for p in landing)])
    numbers = _numbers_in(landed)  # the demo's patients and the planted numbers
    # the scan finds every planted number where it is allowed, in the form it was written
    assert _leaked(landed, numbers) >= set(PLANTED.values())
    assert len(numbers) > 200

    refresh = _peerbench(home, "refresh", "--start", "2024-04", "--to", "2024-06")
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    publish = _peerbench(home, "publish", "--as-of", NOW.date().isoformat())
    assert publish.returncode == 0, publish.stdout + publish.stderr

    leaks: dict[str, set[str]] = {}
    for name, output in {
        "refresh stdout": refresh.stdout,
        "refresh stderr": refresh.stderr,
        "publish stdout": publish.stdout,
        "publish stderr": publish.stderr,
    }.items():
        leaks[name] = _leaked(output.encode(), numbers)
    scanned, masked = [], set()
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        if relative.parts[0] == "landing" or not path.is_file():
            continue
        data = str(relative).encode() + b"\n" + path.read_bytes() + _readable_text(path)
        leaks[relative.as_posix()] = _leaked(data, numbers)
        scanned.append(relative)
        if MASKED.encode() in data:
            masked.add(relative.parts[0])
    with _instance(home) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="mart_refresh_job"))
    in_project = [  # a dbt folder of these runs in the project (dagster-dbt's default place)
        folder
        for run in runs
        for folder in (PROJECT / "dbt_project" / "target").glob(f"*-{run.run_id[:7]}-*")
    ]
    return {
        "home": home,
        "refresh": refresh,
        "leaks": leaks,
        "scanned": scanned,
        "masked": masked,
        "runs": runs,
        "in_project": in_project,
    }


def test_after_a_run_with_misplaced_identifiers_no_nhs_number_is_anywhere_but_landing(
    misplaced_run: dict,
):
    home, scanned = misplaced_run["home"], misplaced_run["scanned"]
    # the scan covered every kind of output
    assert {"lake", "quarantine", "published", "dagster", "warehouse.duckdb"} <= {
        p.parts[0] for p in scanned
    }
    assert any(p.suffix == ".err" for p in scanned)  # Dagster's compute logs
    assert any(p.suffix == ".html" for p in scanned)
    # dbt's own files (its log, compiled SQL, run results) are the home's, scanned with it
    assert misplaced_run["runs"] and not misplaced_run["in_project"]
    assert {Path("dbt/dbt.log"), Path("dbt/run_results.json")} <= set(scanned)

    leaks = misplaced_run["leaks"]
    assert {name: found for name, found in leaks.items() if found} == {}

    # and the misplaced numbers did reach messages, masked: quarantine, run log, console
    reports = sorted((home / "quarantine").rglob("*.violations.json"))
    assert len(reports) == 7, reports  # every planted file but the two unrecognised ones
    assert {"quarantine", "dagster"} <= misplaced_run["masked"]
    console = misplaced_run["refresh"].stdout.splitlines()
    warnings = [line for line in console if "matches no source" in line]
    assert len(warnings) == 2 and all(MASKED in line for line in warnings)


def test_an_nhs_number_keyed_into_the_contact_id_stays_in_landing(misplaced_run: dict):
    leaks = {
        name for name, found in misplaced_run["leaks"].items() if PLANTED["contact_id"] in found
    }
    assert not leaks, f"the NHS number in a contact_id column is in {sorted(leaks)}"
