"""Shared fixtures: the dbt manifest once per session, and a temporary peerbench home per test."""

import secrets
from pathlib import Path

import pytest

from orchestration.settings import get_settings

REAL_DATA = get_settings().real_data_dir


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """dagster-dbt reads the manifest when the definitions load: parse the project first, unless
    the manifest is newer than every file of the project (`make test` has just parsed it)."""
    from orchestration.resources import dbt_project, prepare_manifest
    from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR

    manifest = dbt_project().manifest_path
    sources = [
        path
        for folder in (
            DBT_PROJECT_DIR / "models",
            DBT_PROJECT_DIR / "macros",
            DBT_PROJECT_DIR / "tests",
            SEEDS_DIR,
        )
        for path in folder.rglob("*")
    ]
    newest = max(path.stat().st_mtime for path in [*sources, DBT_PROJECT_DIR / "dbt_project.yml"])
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        prepare_manifest()
    return manifest


def new_dagster_home(home: Path) -> Path:
    """The home's own Dagster instance folder, telemetry off."""
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home / "dagster"


def use_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the platform at a whole peerbench home, with its own key and Dagster instance."""
    monkeypatch.setenv("PEERBENCH_HOME", str(home))
    monkeypatch.setenv("PEERBENCH_PSEUDONYM_KEY", secrets.token_hex(32))
    monkeypatch.setenv("DAGSTER_HOME", str(new_dagster_home(home)))
    return home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A whole peerbench home in a temporary folder."""
    return use_home(tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real NHS files beside the project: their absence fails the tests that read them."""
    if not REAL_DATA.is_dir():
        pytest.fail(f"real data folder {REAL_DATA} is missing: tests of real files cannot run")
    return REAL_DATA


REGISTER_HEADER = "organisation_code,organisation_name,organisation_type,region_code,region_name\n"


def land_register(home: Path, members: dict[str, str]) -> Path:
    """A membership register in landing: each code with its organisation type."""
    path = home / "landing" / "reference" / "organisations.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{code},{code} NHS Trust,{kind},Y60,Midlands\n" for code, kind in members.items()]
    path.write_text(REGISTER_HEADER + "".join(rows))
    return path
