"""`peerbench validate <file>` judges a return as ingest does: on a matrix of bad returns, each
file gets from `validate` the violations the lake asset's quarantine report gives it (same
lines, columns and rules) and exit status 1, the good one exit 0; it writes nothing; and it finds
the file's place in landing from its folders, or from --as.

Each variant's rule is also named here, by hand, so that a rule both paths lost would fail."""

import re
from pathlib import Path

import dagster as dg
import pytest
from conftest import land_register

from assets.indicators import community_indicator_returns
from assets.reference import organisations
from orchestration.cli import main
from orchestration.quality import Review
from orchestration.registry import recognise
from orchestration.resources import HomeResource
from orchestration.validate import Verdict, report

HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
JUNE = "community_indicators/2024-06"
# submitter: (rows, what its refusal says; None: accepted)
RETURNS = {
    "ZAA": ("ZAA,2024-06,CI_DNA_RATE,12,300\n", None),
    "ZAB": ("ZAB,2024-06,CI_UNKNOWN,1,2\n", "not in the community_indicators catalogue"),
    "ZAC": ("ZAC,2024-06,CI_WAIT_18WK,400,300\n", "numerator is above denominator"),
    "ZAD": ("ZAD,2024-05,CI_DNA_RATE,12,300\n", "period is not one of this window's"),
    "ZAE": ("ZAE,2024-06,CI_DNA_RATE,12,300\n" * 2, "duplicates an earlier row's key"),
    "ZAG": ("ZAH,2024-06,CI_DNA_RATE,12,300\n", "the file name names another organisation"),
    "ZAJ": ("ZAJ,2024-06,CI_DNA_RATE,twelve,300\n", "not a number"),
    "ZAK": ("", "no data rows"),
    "ZQQ": ("ZQQ,2024-06,CI_DNA_RATE,12,300\n", "ZQQ is not a member of community_indicators"),
}
MEMBERS = {code: "community_provider" for code in RETURNS if code != "ZQQ"} | {
    "ZAH": "community_provider"
}
LINE = re.compile(
    r"^  (?P<file>[^,:]+)(?:, line (?P<line>\d+))?(?:, column '(?P<column>[^']*)')?: "
    r"(?P<rule>.*?)(?: \(value .*\))?$"
)


def _violations(output: str) -> list[tuple[int | None, str | None, str]]:
    found = []
    for text in output.splitlines():
        match = LINE.match(text)
        if match:
            line = int(match["line"]) if match["line"] else None
            found.append((line, match["column"], match["rule"]))
    return sorted(found, key=repr)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every return landed in one June folder and ingested by the lake asset through Dagster."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBENCH_HOME", str(home))
        land_register(home, MEMBERS)
        for code, (rows, _) in RETURNS.items():
            path = home / "landing" / JUNE / f"{code}_20240705T0900.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(HEADER + rows)
        resources = {"home": HomeResource()}
        with dg.instance_for_test() as instance:
            dg.materialize([organisations], instance=instance, resources=resources)
            dg.materialize(
                [community_indicator_returns],
                partition_key="2024-06-01",
                instance=instance,
                resources=resources,
            )
    return home


def _quarantined(home: Path, code: str) -> list[tuple[int | None, str | None, str]] | None:
    folder = home / "quarantine" / "community_indicator_returns" / "period=2024-06"
    report = folder / f"community_indicators__2024-06__{code}_20240705T0900.csv.violations.json"
    if not report.exists():
        return None
    import json

    found = json.loads(report.read_text())["violations"]
    return sorted(((v["line"], v["column"], v["rule"]) for v in found), key=repr)


def _every_file(home: Path) -> dict[str, int]:
    return {
        p.relative_to(home).as_posix(): p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("code", list(RETURNS))
def test_validate_and_ingest_agree_on_every_return(ingested, code, monkeypatch, capsys):
    monkeypatch.setenv("PEERBENCH_HOME", str(ingested))
    before = _every_file(ingested)
    status = main(["validate", str(ingested / "landing" / JUNE / f"{code}_20240705T0900.csv")])
    output = capsys.readouterr().out
    assert _every_file(ingested) == before  # validate writes nothing
    quarantined = _quarantined(ingested, code)
    expected_rule = RETURNS[code][1]
    if expected_rule is None:
        assert status == 0 and quarantined is None
        assert "ok: 1 rows would be accepted" in output
        return
    assert status == 1, output
    assert quarantined, f"ingest accepted {code}"
    assert _violations(output) == quarantined
    assert any(expected_rule in rule for _, _, rule in quarantined), quarantined


def test_a_return_outside_landing_is_placed_by_its_folders_or_by_as(
    ingested, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PEERBENCH_HOME", str(ingested))
    copy = tmp_path / "community_indicators" / "2024-06" / "ZAA_20240706T0900.csv"
    copy.parent.mkdir(parents=True)
    copy.write_text(HEADER + RETURNS["ZAA"][0])
    assert main(["validate", str(copy)]) == 0
    assert "community_indicator_returns, period 2024-06, from ZAA" in capsys.readouterr().out

    loose = tmp_path / "my return.csv"
    loose.write_text(HEADER + RETURNS["ZAA"][0])
    assert main(["validate", str(loose)]) == 1
    assert "--as" in capsys.readouterr().err
    as_july = "community_indicators/2024-07/ZAA_20240806T0900.csv"
    assert main(["validate", str(loose), "--as", as_july]) == 1  # June's rows sent as July's
    assert "period is not one of this window's" in capsys.readouterr().out


def test_without_a_register_membership_is_not_checked_and_the_report_says_so(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PEERBENCH_HOME", str(tmp_path / "empty home"))
    path = tmp_path / "community_indicators" / "2024-06" / "ZQQ_20240705T0900.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + RETURNS["ZQQ"][0])
    assert main(["validate", str(path)]) == 0
    assert "membership not checked" in capsys.readouterr().out
    register = land_register(tmp_path, {"ZAA": "community_provider"})
    assert main(["validate", str(path), "--register", str(register)]) == 1
    assert "ZQQ is not a member" in capsys.readouterr().out


def test_without_a_warehouse_an_accepted_return_is_not_compared_and_the_report_says_so(
    ingested, monkeypatch, capsys
):
    """The lake holds June, but no mart has been built: a line says the values were not
    compared with history or peers, and the return is accepted (tests/test_quality.py judges
    returns against a built mart)."""
    monkeypatch.setenv("PEERBENCH_HOME", str(ingested))
    assert not (ingested / "warehouse.duckdb").exists()
    assert main(["validate", str(ingested / "landing" / JUNE / "ZAA_20240705T0900.csv")]) == 0
    output = capsys.readouterr().out.splitlines()
    assert "note: no warehouse yet: values not compared with history or peers" in output
    assert output[-1] == "ok: 1 rows would be accepted"


def test_values_for_review_are_warnings_and_leave_the_return_accepted():
    """A verdict with two values for review, laid out: a warning each, then accepted."""
    file = recognise("community_indicators/2024-07/ZAG_20240805T0900.csv")
    own, peers = "far from its own history (median 10.00)", "outside the peers' usual range"
    reviews = [
        Review(file.relative, 2, None, "CI_DNA_RATE", "all", "2024-07", own),
        Review(file.relative, 4, "Productivity", "CI_LEAVERS", "all", "2024-07", peers),
    ]
    verdict = Verdict(file, [], 2, True, reviews)
    assert not verdict.refused
    assert report(verdict).splitlines()[1:] == [
        "  warning: community_indicators/2024-07/ZAG_20240805T0900.csv, line 2: CI_DNA_RATE, "
        "service line all, 2024-07: far from its own history (median 10.00)",
        "  warning: community_indicators/2024-07/ZAG_20240805T0900.csv, sheet 'Productivity', "
        "row 4: CI_LEAVERS, service line all, 2024-07: outside the peers' usual range",
        "ok: 2 rows would be accepted, with 2 values for review",
    ]
