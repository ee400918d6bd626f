"""One settings object for every path and secret, read from `PEERBENCH_*` environment variables.

Everything a run reads or writes lives under one home folder, so a test (or a second deployment)
points the whole platform somewhere else by setting `PEERBENCH_HOME`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

ENV_PREFIX = "PEERBENCH_"
PSEUDONYM_KEY_ENV = f"{ENV_PREFIX}PSEUDONYM_KEY"
MEMORY_LIMIT_ENV = f"{ENV_PREFIX}DUCKDB_MEMORY_LIMIT"
# a size as DuckDB reads it: 2GB, 1.5GiB, 500MB, or a share of the machine's memory, 50%
SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|%)", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """Where the platform keeps its data; derived folders are properties so they cannot drift."""

    home: Path
    real_data_dir: Path
    pack_days: int = 31  # windows closed this recently get packs (PDF, deck, workbook, images)
    fetch_mirror: str | None = None  # replaces the scheme and host of publishers' URLs
    fetch_timeout: float = 30.0  # seconds a download may wait for the connection or a read
    fetch_attempts: int = 3  # tries per URL on timeouts, dropped connections and 5xx
    # what DuckDB may hold in memory, in the lake's ingest and in dbt's build ('1GB', '25%');
    # beyond it, joins, aggregates and sorts spill to `duckdb_scratch` instead of growing
    duckdb_memory_limit: str = "1GB"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def dbt_target(self) -> Path:
        """dbt's folder for this home's builds: the parse state each build leaves for the next
        (which then parses only what changed), and the last build's log, compiled SQL and run
        results (each build's log is also in its Dagster run's compute logs)."""
        return self.home / "dbt"

    @property
    def duckdb_scratch(self) -> Path:
        """Where DuckDB spills what exceeds its memory limit (made and emptied by DuckDB itself,
        so directly under the home: DuckDB makes one folder, not its parents)."""
        return self.home / "duckdb_scratch"

    @property
    def duckdb_config(self) -> dict[str, str]:
        """The DuckDB settings of every connection that reads landing files or builds the mart."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "temp_directory": str(self.duckdb_scratch),
        }

    @property
    def key_file(self) -> Path:
        """The demo's locally generated pseudonymisation key (never committed: it sits in home)."""
        return self.home / "pseudonym.key"


def get_settings(home: Path | None = None) -> Settings:
    """Read the settings afresh each call, so a test that changes the environment is obeyed."""
    home = home or Path(os.environ.get(f"{ENV_PREFIX}HOME", PROJECT_ROOT / "var"))
    real = os.environ.get(f"{ENV_PREFIX}REAL_DATA_DIR", PROJECT_ROOT.parent / "shared/data/real")
    pack_days = int(os.environ.get(f"{ENV_PREFIX}PACK_DAYS", Settings.pack_days))
    return Settings(
        home=home.resolve(),
        real_data_dir=Path(real).resolve(),
        pack_days=pack_days,
        fetch_mirror=os.environ.get(f"{ENV_PREFIX}FETCH_MIRROR") or None,
        fetch_timeout=float(os.environ.get(f"{ENV_PREFIX}FETCH_TIMEOUT", Settings.fetch_timeout)),
        fetch_attempts=int(os.environ.get(f"{ENV_PREFIX}FETCH_ATTEMPTS", Settings.fetch_attempts)),
        duckdb_memory_limit=memory_limit(
            os.environ.get(MEMORY_LIMIT_ENV, Settings.duckdb_memory_limit)
        ),
    )


def memory_limit(value: str) -> str:
    """A DuckDB memory limit, checked before anything runs with it."""
    if not SIZE.fullmatch(value.strip()):
        raise RuntimeError(f"{MEMORY_LIMIT_ENV}={value!r} is not a size such as 2GB, 500MB or 50%")
    return value.strip()


def checked_key(key: str) -> bytes:
    """The HMAC key for identifiers, never defaulted, so a run cannot silently pseudonymise with
    a guessable key."""
    if len(key) < 16:
        raise RuntimeError(
            f"{PSEUDONYM_KEY_ENV} is not set (or shorter than 16 characters): operational extracts "
            "hold NHS numbers and staff identifiers and are only ingested with a secret key. "
            "`peerbench demo` makes a local one in the home folder."
        )
    return key.encode()


def pseudonym_key() -> bytes:
    """The key from the environment: what the CLI checks before a command writes anything."""
    return checked_key(os.environ.get(PSEUDONYM_KEY_ENV, ""))
