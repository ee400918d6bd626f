"""A real browser for the tests: Debian's chromium, headless, opening pages over HTTP on loopback.

`open_page` serves a folder, loads one page, saves a screenshot and returns what went wrong:
every console message (the pages carry no scripts, so any message is a fault) and every request
the server could not answer (a missing chart, stylesheet or linked file)."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts" / "screenshots"
CONSOLE = re.compile(r":CONSOLE(?::\d+)?\] (.*)")


@dataclass
class PageLoad:
    console: list[str]
    failed: list[str]  # "404 /path" for each request the server could not answer
    requested: list[str]
    screenshot: Path


def _handler(root: Path, log: list[tuple[int, str]]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            log.append((int(code) if str(code).isdigit() else 0, self.path))

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    return functools.partial(Handler, directory=str(root))  # type: ignore[return-value]


def open_page(root: Path, page: str, name: str, height: int = 2400) -> PageLoad:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed: `make setup` installs it"
    log: list[tuple[int, str]] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, log))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / f"{name}.png"
    screenshot.unlink(missing_ok=True)
    profile = tempfile.TemporaryDirectory(prefix="chromium-")  # its own: tests run side by side
    try:
        result = subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                f"--user-data-dir={profile.name}",
                "--enable-logging=stderr", "--v=0", f"--window-size=1280,{height}",
                f"--screenshot={screenshot}",
                f"http://127.0.0.1:{server.server_address[1]}/{page}",
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
        profile.cleanup()
    assert screenshot.exists(), result.stderr[-2000:]
    return PageLoad(
        console=[m.group(1) for m in CONSOLE.finditer(result.stderr)],
        failed=[f"{code} {path}" for code, path in log if code >= 400],
        requested=[path for _, path in log],
        screenshot=screenshot,
    )
