"""`peerbench status` and `marts.fct_submission`, on a small home built by the real commands.

The home holds demo MHLDA, A&E and operational files (so the whole mart builds) and a register
given a joiner; the Community Indicators returns are landed here by hand, so what status and the
mart must say about them is worked out below from those files and a calendar, not from the code:

June 2024 closes on Fri 19 July 2024 (15 working days: 1-5, 8-12, 15-19 July); July 2024 on
Wed 21 August 2024 (1-2, 5-9, 12-16, 19-21 August; the bank holiday is the 26th).
"""

import contextlib
import hashlib
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import use_home

from orchestration.cli import main
from orchestration.demo_data import DemoConfig, generate
from orchestration.resources import dbt_resource

ROOT = Path(__file__).parents[1]
DEMO = DemoConfig(
    rtt_start=None,  # RTT is tested in test_rtt and test_pipeline
    mhsds_start=None,  # and MHSDS in test_mhsds and test_pipeline
    cwt_start=None,  # and CWT in test_cwt and test_pipeline
    seed=5,
    community_start="2099-01",  # no demo returns: those below are the only ones
    mhlda_start="2024-04",
    ae_start="2024-04",
    operational_start="2024-06",
    last_month="2024-06",
    community_providers=4,
    mental_health_trusts=2,
    operational_providers=1,
    contacts_per_month=40,
)
NOW = datetime(2024, 12, 1)
REFRESH = ["refresh", "--start", "2024-04", "--to", "2024-07"]
JUNE_CLOSES, JULY_CLOSES = date(2024, 7, 19), date(2024, 8, 21)
JOINER = "ZJN"  # a member from July 2024: owes nothing for June
HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
UNRECOGNISED = "community_indicators/2024-06/notes.txt"


def _rows(organisation: str, period: str, dna: int) -> str:
    return (
        f"{organisation},{period},CI_DNA_RATE,{dna},300\n"
        f"{organisation},{period},CI_SICKNESS,310,6200\n"
    )


def _landed(codes: list[str]) -> dict[str, dict]:
    """The returns landed by hand: landing path -> what the mart must record of it."""
    a, b, c, d = codes
    refused = f"{d},2024-06,CI_DNA_RATE,many,300\n"  # not a number: d's only return is refused
    table = [
        # organisation, period, stamp, data rows, status, late
        (a, "2024-06", "20240705T0900", _rows(a, "2024-06", 12), "accepted", False),
        (b, "2024-06", "20240704T0900", _rows(b, "2024-06", 30), "superseded", False),
        (b, "2024-06", "20240710T1000", _rows(b, "2024-06", 15), "accepted", False),  # corrected
        (c, "2024-06", "20240725T0900", _rows(c, "2024-06", 9), "accepted", True),  # after 19 July
        (d, "2024-06", "20240708T0900", refused, "quarantined", False),
        (JOINER, "2024-07", "20240802T0900", _rows(JOINER, "2024-07", 7), "accepted", False),
    ]
    return {
        f"community_indicators/{period}/{organisation}_{stamp}.csv": {
            "organisation": organisation,
            "period": period,
            "stamp": datetime.strptime(stamp, "%Y%m%dT%H%M"),
            "text": HEADER + rows,
            "rows": rows.count("\n"),
            "status": status,
            "late": late,
        }
        for organisation, period, stamp, rows, status, late in table
    }


def _land(home: Path, relative: str, text: str) -> Path:
    path = home / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _status(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["status", *argv]) == 0
    return out.getvalue()


def _tree(home: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(home).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(home.rglob("*"))
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        generate(home / "landing", DEMO, now=NOW)
        register_file = home / "landing" / "reference" / "organisations.csv"
        register = pd.read_csv(register_file).assign(member_from=None, member_to=None)
        community = register["organisation_type"] == "community_provider"
        codes = sorted(register.loc[community, "organisation_code"])
        register.loc[len(register)] = {  # by name: the register has optional columns
            "organisation_code": JOINER,
            "organisation_name": "Joiner NHS Trust",
            "organisation_type": "community_provider",
            "region_code": "Y60",
            "region_name": "Midlands",
            "member_from": "2024-07",
        }
        register.to_csv(register_file, index=False)
        landed = _landed(codes)
        for relative, entry in landed.items():
            _land(home, relative, entry["text"])
        _land(home, UNRECOGNISED, "a note the provider dropped in by mistake\n")

        assert main(REFRESH) == 0
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
            submissions = connection.sql("select * from marts.fct_submission").df()
        landing = home / "landing"
        files = {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}
        before_status = _tree(home)
        during = _status("--as-of", "2024-07-15")
        after_status = _tree(home)
        closed = _status("--as-of", "2024-07-20", "--collection", "community_indicators")
        overdue = _status("--as-of", "2024-07-21", "--collection", "community_indicators")
        assert main(["publish", "--as-of", NOW.date().isoformat()]) == 0
        published = _status("--as-of", NOW.date().isoformat())
        ae_default = _status("--as-of", NOW.date().isoformat(), "--collection", "nhse_ae")
        ae_all = _status("--as-of", NOW.date().isoformat(), "--collection", "nhse_ae", "--all")

        # the first provider corrects its June return after publication (and after the deadline)
        resubmitted = f"community_indicators/2024-06/{codes[0]}_20240801T0900.csv"
        _land(home, resubmitted, HEADER + _rows(codes[0], "2024-06", 20))
        assert main(REFRESH) == 0
        stale = _status("--as-of", NOW.date().isoformat())
        yield {
            "home": home,
            "codes": codes,
            "landed": landed,
            "submissions": submissions,
            "landing_files": files,
            "unchanged": (before_status, after_status),
            "during": during,
            "closed": closed,
            "overdue": overdue,
            "published": published,
            "ae": (ae_default, ae_all),
            "stale": stale,
            "resubmitted": resubmitted,
        }


def _window(text: str, collection: str, period: str) -> tuple[dict[str, str], list[str]]:
    """A window's row of the collection's table (by column) and the detail lines under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f"({collection})" in line)
    header = re.split(r"\s{2,}", lines[start + 1].strip())
    row = next(i for i in range(start + 2, len(lines)) if lines[i].startswith(f"  {period} "))
    cells = dict(zip(header, re.split(r"\s{2,}", lines[row].strip()), strict=True))
    details = []
    for line in lines[row + 1 :]:
        if not line.startswith("      "):
            break
        details.append(line.strip())
    return cells, details


def _detail(details: list[str], kind: str) -> str | None:
    found = [d for d in details if d.startswith(f"{kind}: ")]
    return found[0][len(kind) + 2 :] if found else None


# fct_submission


def test_fct_submission_holds_every_landed_return_as_landed(built):
    rows = built["submissions"].query("dataset == 'community_indicator_returns'")
    actual = rows.set_index("source_file").sort_index()
    landed = built["landed"]
    assert sorted(actual.index) == sorted(landed)
    for relative, expected in landed.items():
        row = actual.loc[relative]
        closes = JUNE_CLOSES if expected["period"] == "2024-06" else JULY_CLOSES
        path = built["home"] / "landing" / relative
        assert row["collection"] == "community_indicators", relative
        assert row["period"] == expected["period"], relative
        assert row["organisation_code"] == expected["organisation"], relative
        assert row["status"] == expected["status"], relative
        assert row["row_count"] == expected["rows"], relative
        assert row["submitted_at"] == pd.Timestamp(expected["stamp"]), relative
        assert row["window_closes_on"] == pd.Timestamp(closes), relative
        assert bool(row["submitted_late"]) is expected["late"], relative
        assert row["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), relative
        if expected["status"] == "quarantined":
            assert "line 2" in row["first_error"] and "numerator" in row["first_error"]
            assert row["violation_count"] >= 1
        else:
            assert pd.isna(row["first_error"]) and row["violation_count"] == 0


def test_fct_submission_accounts_for_every_recognised_landing_file_once(built):
    submissions = built["submissions"]
    assert not submissions["submission_id"].duplicated().any()
    assert sorted(submissions["source_file"]) == sorted(built["landing_files"] - {UNRECOGNISED})
    register = submissions.query("dataset == 'organisations'")
    assert register["period"].tolist() == ["current"]
    assert register["collection"].isna().all() and register["submitted_late"].isna().all()


def test_an_empty_lake_still_builds_fct_submission(home, tmp_path):
    """Before any file has been ingested the submissions dataset has no file at all (the window
    calendar, which the mart joins, is written here as the reference refresh would)."""
    calendar = home / "lake" / "collection_windows"
    calendar.mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute(
            "copy (select 'community_indicators' as collection, timestamp '2024-06-01' as "
            "period_start, '2024-06' as window_period, timestamp '2024-07-19' as window_closes_on)"
            f" to '{calendar / 'data.parquet'}' (format parquet)"
        )
    assert not (home / "lake" / "submissions").exists()
    invocation = dbt_resource().cli(
        ["build", "--select", "+fct_submission"], target_path=tmp_path / "dbt", raise_on_error=False
    )
    invocation.wait()
    assert invocation.is_successful()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.sql("select count(*) from marts.fct_submission").fetchall() == [(0,)]


# status: who is missing, who was late, what was refused


def test_a_member_without_an_accepted_return_is_missing(built):
    a, b, c, d = built["codes"]
    june, details = _window(built["closed"], "community_indicators", "2024-06")
    assert june["received"] == "3/4"  # the joiner owes nothing before July
    assert _detail(details, "missing") == d  # its only return was refused
    july, details = _window(built["published"], "community_indicators", "2024-07")
    assert july["received"] == "1/5"
    assert _detail(details, "missing") == ", ".join([a, b, c, d])


def test_a_return_after_the_deadline_is_late(built):
    c = built["codes"][2]
    june, details = _window(built["closed"], "community_indicators", "2024-06")
    assert june["late"] == "1"
    assert _detail(details, "late") == f"{c} (2024-07-25)"


def test_a_quarantined_file_is_shown_with_its_first_error(built):
    d = built["codes"][3]
    june, details = _window(built["closed"], "community_indicators", "2024-06")
    assert june["quarantined"] == "1"
    error = _detail(details, "quarantined")
    assert error.startswith(f"community_indicators/2024-06/{d}_20240708T0900.csv, line 2")
    assert "numerator" in error


def test_a_landing_file_that_matches_no_source_is_listed(built):
    lines = built["closed"].splitlines()
    at = lines.index("landing files not read: 1")
    assert lines[at + 1].strip() == f"{UNRECOGNISED}: matches no source"


# status: the window's state


def test_a_window_is_open_until_its_deadline_and_closed_after(built):
    assert _window(built["during"], "community_indicators", "2024-06")[0]["state"] == "open"
    assert _window(built["closed"], "community_indicators", "2024-06")[0]["state"] == "closed"
    assert _window(built["closed"], "community_indicators", "2024-06")[0]["closes on"] == (
        JUNE_CLOSES.isoformat()
    )


def test_a_closed_window_unpublished_a_day_later_is_overdue(built):
    cells, details = _window(built["overdue"], "community_indicators", "2024-06")
    assert cells["state"] == "overdue"
    assert f"overdue: closed on {JUNE_CLOSES.isoformat()} and not published within a day" in [
        d.strip() for d in details
    ]


def test_a_published_window_shows_its_version(built):
    for period in ("2024-06", "2024-07"):
        cells, details = _window(built["published"], "community_indicators", period)
        assert cells["state"] == "published v1", period
        assert not [d for d in details if d.startswith("stale")]
    assert _window(built["published"], "mhlda", "2024-25-Q1")[0]["state"] == "published v1"


def test_a_resubmission_after_publication_makes_the_window_stale(built):
    a = built["codes"][0]
    june, details = _window(built["stale"], "community_indicators", "2024-06")
    assert june["state"] == "stale v1"
    assert _detail(details, "stale") == (
        "the inputs of v1 changed in the lake (1 file(s) new, 1 gone) "
        "and in the mart (1 file(s) new, 1 gone)"
    )
    assert f"{a} (2024-08-01)" in _detail(details, "late")  # the correction counts, and is late
    july, details = _window(built["stale"], "community_indicators", "2024-07")
    assert july["state"] == "stale v1"  # its reports show June as the previous value
    assert _detail(details, "stale") == _detail(_window(built["stale"], "community_indicators",
                                                        "2024-06")[1], "stale")  # fmt: skip
    august, _ = _window(built["stale"], "community_indicators", "2024-08")
    assert august["state"] != "stale v1"  # nothing of August's or July's changed


def test_the_latest_windows_by_default_and_every_one_with_all(built):
    default, every = built["ae"]
    assert "(--all for every one)" in default
    with pytest.raises(StopIteration):
        _window(default, "nhse_ae", "2024-04")
    for period in ("2024-04", "2024-05", "2024-06"):
        cells, _ = _window(every, "nhse_ae", period)
        assert cells["state"] == "published v1" and cells["missing"] == "0", period
    cells, details = _window(every, "nhse_ae", "2024-07")  # no July file landed
    assert cells["missing"] == "1" and _detail(details, "missing") == "the national file"


def test_status_writes_nothing(built):
    before, after = built["unchanged"]
    assert before == after


# status: arguments and an unbuilt home


def test_status_on_an_unbuilt_home_says_so_in_one_line(home):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "peerbench"), "status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line == f"peerbench: nothing has been built in {home} yet: run `peerbench refresh` first"
    assert sorted(p.name for p in home.iterdir()) == ["dagster"]  # and nothing was written


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["status", "--as-of", "2024-13-01"], "'2024-13-01' is not a date written YYYY-MM-DD"),
        (["status", "--as-of", "yesterday"], "'yesterday' is not a date written YYYY-MM-DD"),
        (["status", "--collection", "community"], "'community' is not a collection"),
    ],
)
def test_bad_status_arguments_get_a_one_line_error_and_exit_2(argv, said, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("peerbench status: error:") and said in error
