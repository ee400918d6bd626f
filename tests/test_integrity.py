"""The integrity defects found by trying the engine as a hostile submitter, each reproduced.

Every test lands files in a temporary home, runs the real lake assets through Dagster, and reads
the lake, the quarantine reports and the run's event log as a user would.
"""

import json
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import land_register

from assets.indicators import community_indicator_returns
from assets.national import nhse_ae_attendances
from assets.reference import organisations
from contracts.indicator_return import indicator_return_contract
from contracts.validation import MASKED, validate_files
from orchestration.cli import main
from orchestration.registry import SOURCES, parse_stamp, scan_landing
from orchestration.resources import HomeResource

HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
MEMBERS = {"ZAF": "community_provider", "ZBB": "community_provider", "ZMH": "mental_health_trust"}
JUNE = "2024-06-01"

RESOURCES = {"home": HomeResource()}  # national and reference data need no key


def _return(home: Path, name: str, rows: str, period: str = "2024-06") -> Path:
    path = home / "landing" / "community_indicators" / period / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows)
    return path


def _run(home: Path, *assets: dg.AssetsDefinition, partition: str | None = JUNE):
    with dg.instance_for_test() as instance:
        dg.materialize([organisations], instance=instance, resources=RESOURCES)
        result = dg.materialize(
            list(assets), partition_key=partition, instance=instance, resources=RESOURCES
        )
        logs = "\n".join(dg.serialize_value(e) for e in instance.all_logs(result.run_id))
    return result, logs


def _lake(home: Path, dataset: str = "community_indicator_returns") -> pd.DataFrame:
    return pd.read_parquet(home / "lake" / dataset / "period=2024-06" / "data.parquet")


def _reports(home: Path, dataset: str = "community_indicator_returns") -> dict[str, dict]:
    folder = home / "quarantine" / dataset / "period=2024-06"
    return {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}


# 1. a file named for one organisation carrying another's rows


def test_a_return_cannot_carry_another_organisations_rows(home):
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    _return(home, "ZAF_20240706T0900.csv", "ZBB,2024-06,CI_DNA_RATE,1,300\n")  # ZBB's, by ZAF
    _run(home, community_indicator_returns)
    lake = _lake(home)
    assert lake["source_file"].unique().tolist() == [
        "community_indicators/2024-06/ZBB_20240705T0900.csv"
    ]
    [report] = _reports(home).values()
    assert report["violations"][0]["column"] == "organisation_code"
    assert "file name names another organisation" in report["violations"][0]["rule"]


def test_a_stamp_in_the_future_is_refused(home):
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    _return(home, "ZBB_29990101T0000.csv", "ZBB,2024-06,CI_DNA_RATE,1,300\n")
    _run(home, community_indicator_returns)
    assert _lake(home)["numerator"].tolist() == [12.0]
    [report] = _reports(home).values()
    assert "later than now" in report["violations"][0]["rule"]


def test_a_resubmission_counts_and_the_earlier_return_is_recorded_superseded(home):
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    _return(home, "ZBB_20240709T1400.csv", "ZBB,2024-06,CI_DNA_RATE,15,300\n")
    _return(home, "ZAF_20240706T0900.csv", "ZAF,2024-06,CI_DNA_RATE,9,300\n")
    _run(home, community_indicator_returns)
    assert sorted(_lake(home)["numerator"]) == [9.0, 15.0]
    submissions = pd.read_parquet(
        home / "lake/submissions/dataset=community_indicator_returns/period=2024-06"
    ).set_index("source_file")["status"]
    assert submissions.to_dict() == {
        "community_indicators/2024-06/ZAF_20240706T0900.csv": "accepted",
        "community_indicators/2024-06/ZBB_20240705T0900.csv": "superseded",
        "community_indicators/2024-06/ZBB_20240709T1400.csv": "accepted",
    }


def test_invented_codes_and_non_members_cannot_join_the_peer_group(home):
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    invented = "".join(f"Q{i:03d},2024-06,CI_DNA_RATE,12,300\n" for i in range(500))
    _return(home, "ZQQ_20240706T0900.csv", invented)  # not in the register
    _return(home, "ZMH_20240706T0900.csv", "ZMH,2024-06,CI_DNA_RATE,12,300\n")  # wrong type
    _run(home, community_indicator_returns)
    assert _lake(home)["organisation_code"].unique().tolist() == ["ZBB"]
    rules = {name: r["violations"][0]["rule"] for name, r in _reports(home).items()}
    assert (
        "ZQQ is not a member of community_indicators"
        in rules["community_indicators__2024-06__ZQQ_20240706T0900.csv.violations.json"]
    )
    assert (
        "ZMH is not a member"
        in rules["community_indicators__2024-06__ZMH_20240706T0900.csv.violations.json"]
    )


def test_a_file_over_the_row_limit_is_refused_before_it_counts(tmp_path):
    contract = indicator_return_contract("community_indicators", ("2024-06",), False)
    rows = contract.limits.max_rows + 1
    path = tmp_path / "ZBB_20240705T0900.csv"
    path.write_text(HEADER + "ZBB,2024-06,CI_DNA_RATE,12,300\n" * rows)
    with duckdb.connect() as connection:
        result = validate_files(connection, {path.name: path}, contract, submitters={})
    rules = [v.rule for v in result.quarantined[path.name]]
    assert any(f"over the {contract.limits.max_rows:,}-row limit" in r for r in rules)


# 2. empty files never delete data


def test_a_header_only_revised_ae_file_does_not_delete_the_month(home, real_data):
    landing = home / "landing" / "nhse_ae"
    landing.mkdir(parents=True)
    june = real_data / "ae_monthly" / "Monthly-AE-June-2024.csv"
    (landing / june.name).write_bytes(june.read_bytes())
    _run(home, nhse_ae_attendances)
    before = _lake(home, "nhse_ae_attendances")
    header = june.read_text().splitlines()[0]
    (landing / "Monthly-AE-June-2024-revised.csv").write_text(header + "\n")
    result, _ = _run(home, nhse_ae_attendances)
    pd.testing.assert_frame_equal(_lake(home, "nhse_ae_attendances"), before)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["contract"].passed
    [report] = _reports(home, "nhse_ae_attendances").values()
    assert "no data rows" in report["violations"][0]["rule"]


def test_a_header_only_register_leaves_the_last_one_in_force(home):
    register = land_register(home, MEMBERS)
    dg.materialize([organisations], resources=RESOURCES)
    before = pd.read_parquet(home / "lake" / "organisations" / "data.parquet")
    register.write_text(register.read_text().splitlines()[0] + "\n")
    result = dg.materialize([organisations], resources=RESOURCES)
    after = pd.read_parquet(home / "lake" / "organisations" / "data.parquet")
    pd.testing.assert_frame_equal(after, before)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed


# 3. a return whose rows all fail is quarantined, not a crash


@pytest.mark.parametrize(
    "text",
    [
        "",  # header only
        "ZBB,2024-05,CI_DNA_RATE,12,300\nZBB,2024-05,CI_SICKNESS,310,6200\n",  # wrong period
    ],
)
def test_a_return_whose_rows_all_fail_is_quarantined_and_the_rest_kept(home, text):
    land_register(home, MEMBERS)
    _return(home, "ZAF_20240705T0900.csv", "ZAF,2024-06,CI_DNA_RATE,12,300\n")
    _return(home, "ZBB_20240705T0900.csv", text)
    result, _ = _run(home, community_indicator_returns)
    assert result.success
    assert _lake(home)["organisation_code"].tolist() == ["ZAF"]
    assert list(_reports(home)) == [
        "community_indicators__2024-06__ZBB_20240705T0900.csv.violations.json"
    ]


# 4. an NHS number in a column that is not an identifier column


def test_an_nhs_number_in_any_column_is_masked_everywhere(home):
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,9434765919,12,300\n")
    _, logs = _run(home, community_indicator_returns)
    [report] = _reports(home).values()
    text = json.dumps(report)
    assert "9434765919" not in text and MASKED in text
    assert "9434765919" not in logs
    assert "9434765919" not in "".join(
        p.read_text(errors="ignore") for p in (home / "quarantine").rglob("*") if p.is_file()
    )


# 5. settings are checked before anything is written


def test_refresh_without_the_key_writes_nothing(home, monkeypatch, capsys):
    monkeypatch.delenv("PEERBENCH_PSEUDONYM_KEY")
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    assert main(["refresh", "--start", "2024-06", "--to", "2024-06"]) == 1
    assert "PEERBENCH_PSEUDONYM_KEY is not set" in capsys.readouterr().err
    assert not (home / "lake").exists() and not (home / "warehouse.duckdb").exists()


# 6. every landing file is accounted for


def test_files_that_match_no_source_are_reported(home):
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    _return(home, "zbb-june.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    (home / "landing" / "nhse_ae").mkdir()
    (home / "landing" / "nhse_ae" / "Monthly-AE-June-2025-1-1.csv").write_text("x\n")
    _return(home, "ZBB_20190705T0900.csv", "ZBB,2019-06,CI_DNA_RATE,12,300\n", "2019-06")
    early = "community_indicators/2019-06/ZBB_20190705T0900.csv"
    scan = scan_landing(home / "landing")
    assert scan.unrecognised == {
        early: "is before community_indicator_returns starts (2020-04)",
        "community_indicators/2024-06/zbb-june.csv": "matches no source",
    }
    assert [f.relative for f in scan.files[("nhse_ae_attendances", "2025-06")]] == [
        "nhse_ae/Monthly-AE-June-2025-1-1.csv"
    ]
    _, logs = _run(home, community_indicator_returns)
    assert "zbb-june.csv (matches no source)" in logs
    assert "ZBB_20190705T0900.csv (is before community_indicator_returns starts" in logs


def test_an_assets_scan_of_its_folder_finds_what_the_whole_scan_finds(home):
    """Each lake asset walks only its source's top folder of landing/ (at national scale the
    whole walk, 17,000 files, cost every asset half a second): it must find the same files."""
    land_register(home, MEMBERS)
    _return(home, "ZBB_20240705T0900.csv", "ZBB,2024-06,CI_DNA_RATE,12,300\n")
    _return(home, "ZAA_20240706T1000.csv", "ZAA,2024-06,CI_DNA_RATE,10,200\n")
    (home / "landing" / "nhse_ae").mkdir()
    (home / "landing" / "nhse_ae" / "Monthly-AE-June-2025-1-1.csv").write_text("x\n")
    (home / "landing" / "nhse_ae" / ".Monthly-AE-July-2025.csv").write_text("x\n")  # hidden
    teams = home / "landing" / "operational" / "ZAA" / "2024-06"
    teams.mkdir(parents=True)
    (teams / "epr_contacts.csv").write_text("x\n")
    (teams.parent / "teams.csv").write_text("x\n")
    whole = scan_landing(home / "landing")
    found = {}
    for source in SOURCES.values():
        own = scan_landing(home / "landing", folders={source.folder})
        found |= {key: files for key, files in own.files.items() if key[0] == source.name}
    assert found == whole.files
    assert {(name, len(files)) for (name, _), files in found.items()} == {
        ("organisations", 1),
        ("community_indicator_returns", 2),
        ("nhse_ae_attendances", 1),
        ("epr_contacts", 1),
        ("operational_teams", 1),
    }


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [("20240915T0900", (2024, 9, 15, 9, 0)), ("20000229T2359", (2000, 2, 29, 23, 59))],
)
def test_a_submission_stamp_is_read_as_its_time(stamp, expected):
    assert parse_stamp(stamp) == datetime(*expected)


@pytest.mark.parametrize("stamp", ["20241301T0900", "20230229T0900", "20240915T2400"])
def test_a_stamp_that_is_no_real_time_is_refused(stamp):
    with pytest.raises(ValueError):
        parse_stamp(stamp)


# 7. bad bytes are located by line and column; files have a size limit


def test_latin1_bytes_are_located_by_line_and_character(home):
    land_register(home, MEMBERS)
    path = _return(home, "ZBB_20240705T0900.csv", "")
    path.write_bytes(
        HEADER.encode() + b"ZBB,2024-06,CI_DNA_RATE,12,300\nZBB,2024-06,CI_SICK\xe9,1,2\n"
    )
    _run(home, community_indicator_returns)
    [report] = _reports(home).values()
    [violation] = report["violations"]
    assert violation["line"] == 3 and "not UTF-8" in violation["rule"]


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    contract = indicator_return_contract("community_indicators", ("2024-06",), False)
    path = tmp_path / "ZBB_20240705T0900.csv"
    with path.open("w") as handle:
        handle.write(HEADER)
        handle.truncate(contract.limits.max_bytes + 1)
    with duckdb.connect() as connection:
        result = validate_files(connection, {path.name: path}, contract)
    [violation] = result.quarantined[path.name]
    assert "-byte limit" in violation.rule and violation.line is None


# 8. command-line arguments are validated


@pytest.mark.parametrize(
    "argv",
    [
        ["publish", "--as-of", "2026-13-01"],
        ["refresh", "--start", "2024-13"],
        ["refresh", "--start", "2024-06", "--to", "2024-01"],
        ["refresh", "--start", "June"],
    ],
)
def test_bad_arguments_get_a_one_line_error_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("peerbench") and "Traceback" not in error


def test_a_killed_run_is_marked_failed_on_the_next_command(home):
    from orchestration.runs import PID_TAG, fail_abandoned_runs

    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(
            dg.define_asset_job("j", selection=[organisations])
            .resolve(
                asset_graph=dg.Definitions(
                    assets=[organisations], resources=RESOURCES
                ).resolve_asset_graph()
            )
            .get_subset(),
            tags={PID_TAG: "999999999"},
        )
        instance.handle_run_event(
            run.run_id,
            dg.DagsterEvent(
                event_type_value="PIPELINE_START", job_name=run.job_name, message="started"
            ),
        )
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
        assert fail_abandoned_runs(instance) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
