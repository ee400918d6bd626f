"""Shared fixtures: the dbt manifest once per session, a temporary peerbench home per test, and a
publisher on loopback for `peerbench fetch`."""

import fcntl
import http.server
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from orchestration.settings import get_settings

REAL_DATA = get_settings().real_data_dir


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """dagster-dbt reads the manifest when the definitions load: parse the project first, unless
    the manifest is newer than every file of the project (`make test` has just parsed it). The
    suite's workers share the project: one parses while the others wait on a lock."""
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
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / "manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
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


@dataclass
class Publisher:
    """What the loopback server serves, and how it misbehaves: `fail[path]` 503s before it
    answers, `stall[path]` requests that get no answer within the client's timeout."""

    files: dict[str, bytes] = field(default_factory=dict)
    fail: Counter = field(default_factory=Counter)
    stall: Counter = field(default_factory=Counter)
    requests: Counter = field(default_factory=Counter)
    url: str = ""


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    """A publisher on loopback (`peerbench fetch`'s tests): serves `files` by URL path."""
    state = Publisher()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests[self.path] += 1
            if state.stall[self.path]:
                state.stall[self.path] -= 1
                time.sleep(1.5)
            if state.fail[self.path]:
                state.fail[self.path] -= 1
                self.send_error(503, "Service Unavailable")
                return
            if self.path not in state.files:
                self.send_error(404, "Not Found")
                return
            body = state.files[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def mirrored(home: Path, publisher: Publisher, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home whose fetches go to the loopback publisher, with short timeouts."""
    monkeypatch.setenv("PEERBENCH_FETCH_MIRROR", publisher.url)
    monkeypatch.setenv("PEERBENCH_FETCH_TIMEOUT", "0.5")
    monkeypatch.setenv("PEERBENCH_FETCH_ATTEMPTS", "3")
    return home
