"""The command line lists its commands, refuses to ingest identifiers without a key and finds
its Dagster instance."""

import os

import pytest

from orchestration.cli import main


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for command in ("prepare", "demo-data", "demo", "refresh", "publish"):
        assert command in text


def test_publish_without_a_key_fails_and_says_why(home, monkeypatch, capsys):
    monkeypatch.delenv("PEERBENCH_PSEUDONYM_KEY")
    (home / "lake" / "community_indicator_returns" / "period=2024-06").mkdir(parents=True)
    assert main(["publish", "--as-of", "2024-12-01"]) == 1
    assert "PEERBENCH_PSEUDONYM_KEY is not set" in capsys.readouterr().err


def test_a_blank_dagster_home_means_the_home_folder_s_own_instance(home, monkeypatch, capsys):
    """`DAGSTER_HOME=` (set, but blank) is not a folder: the home's own instance is used."""
    monkeypatch.setenv("DAGSTER_HOME", "")
    (home / "lake").mkdir()
    assert main(["publish", "--as-of", "2024-12-01"]) == 0
    assert "no window is due" in capsys.readouterr().out
    assert os.environ["DAGSTER_HOME"] == str(home / "dagster")  # the instance it ran in
