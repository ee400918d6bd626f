"""Fetching national open data: a publisher's file for a period, downloaded into `landing/`.

The registry says where each publisher puts a period's file (`registry.Publication`): a URL
template, or the template of an index page and the pattern of the file's link on it (NHS England's
upload folders and the sizes in its archive names cannot be predicted). A download has a timeout
and is retried with a growing pause on timeouts, dropped connections and server errors (never on a
4xx: a file not yet published will not appear by asking again). Each file is kept in a local cache
keyed by its URL, its SHA-256 and size are recorded in `fetch/manifest.json` beside the URL, the
publisher's date and the landing path, and it is landed atomically under a hidden name then renamed,
so a half-downloaded file is never read. Offline, a cached file is landed from the cache; without
one the error says so, and `refresh` still reads what is already in landing. An unpartitioned
(static) source has one URL whose file the publisher replaces in place (ODS's etr.zip): it is
downloaded every time, the cache serving only when the download fails.

`PEERBENCH_FETCH_MIRROR` replaces the scheme and host of every publisher URL, pages and the files
they link to on other hosts alike (a local mirror, or the loopback server the tests run).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

from orchestration.calendar import window
from orchestration.registry import STATIC_PERIOD, Source
from orchestration.settings import Settings

USER_AGENT = "peerbench-fetch/0.1 (+https://github.com/peerbench)"


class FetchError(RuntimeError):
    """A file could not be fetched; the message says which URL and why, in one line."""


@dataclass(frozen=True)
class Fetched:
    """One landed file: where it came from, where it went, and its checksum."""

    source: str
    period: str
    url: str
    landed: str  # path under landing/
    sha256: str
    bytes: int
    from_cache: bool
    changed: bool  # the landing file was missing or held other bytes


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float  # seconds for the connection and for each read
    attempts: int
    pause: float = 0.5  # seconds before the second attempt; doubled each time after


def with_mirror(url: str, mirror: str | None) -> str:
    """The URL with its scheme and host replaced by the mirror's, path and query kept."""
    if not mirror:
        return url
    parts, base = urllib.parse.urlsplit(url), urllib.parse.urlsplit(mirror)
    path = base.path.rstrip("/") + parts.path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def download(url: str, policy: HttpPolicy) -> bytes:
    """The body at `url`, retrying what may pass (timeouts, connection errors, 5xx, 429)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    last = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=policy.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code < 500 and error.code != 429:
                why = "not published (yet)" if error.code == 404 else error.reason
                raise FetchError(f"{url}: HTTP {error.code} {why}") from None
            last = f"HTTP {error.code} {error.reason}"
        except TimeoutError:
            last = f"timed out after {policy.timeout:g} s"
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                last = f"timed out after {policy.timeout:g} s"
            else:
                last = f"cannot connect ({error.reason})"
        except (ConnectionError, OSError) as error:
            last = f"connection lost ({error})"
        if attempt < policy.attempts:
            time.sleep(policy.pause * 2 ** (attempt - 1))
    raise FetchError(f"{url}: {last}, {policy.attempts} attempt(s); offline? {OFFLINE_HINT}")


OFFLINE_HINT = "files already in landing/ are still read by `peerbench refresh`"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def find_link(page_url: str, html: str, pattern: str) -> str:
    """The absolute URL of the link on the page whose file name matches `pattern`: a revised
    (or final, after a provisional) release before the original, then the highest version
    (`_v2`), else the last listed."""
    parser = _Links()
    parser.feed(html)
    found = [
        urllib.parse.urljoin(page_url, href)
        for href in parser.hrefs
        if re.fullmatch(pattern, urllib.parse.unquote(href.rsplit("/", 1)[-1]), re.IGNORECASE)
    ]
    if not found:
        raise FetchError(f"{page_url}: no link matching {pattern!r}: not published (yet)?")

    def rank(item: tuple[int, str]) -> tuple[bool, int, int]:
        index, url = item
        version = re.search(r"_v(\d+)\.\w+$", url, re.IGNORECASE)
        revised = re.search(r"revised|final", url.rsplit("/", 1)[-1], re.IGNORECASE)
        return revised is not None, int(version[1]) if version else 1, index

    return max(enumerate(found), key=rank)[1]


def latest_expected(source: Source, today: date) -> str:
    """The newest period the publisher should have released by `today`: the latest whose window
    (the collection's publication day in the calendar) has passed."""
    assert source.collection is not None
    key = f"{today:%Y-%m}-01"
    while not window(source.collection, key).is_closed(today):
        year, month = int(key[:4]), int(key[5:7]) - 1
        key = f"{year - (month == 0)}-{month or 12:02d}-01"
    return key[:7]


def months_between(first: str, last: str) -> list[str]:
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(start, end + 1)]


def _month(period: str) -> datetime:
    return datetime.strptime(period[:7], "%Y-%m")


def template_fields(source: Source, period: str) -> dict[str, str]:
    """What a URL template may name, for a month label; `published_*` is the month of the
    publication day in the calendar (NHS England's upload folders are named by it). A static
    source's URL names no period."""
    if period == STATIC_PERIOD:
        return {"period": period}
    day = _month(period)
    published = window(source.collection, f"{period}-01").closes_on if source.collection else day
    start = day.year if day.month >= 4 else day.year - 1
    return {
        "period": period,
        "year": f"{day.year}",
        "yy": f"{day.year % 100:02d}",
        "month": f"{day.month:02d}",
        "month_name": day.strftime("%B"),
        "MONTH_NAME": day.strftime("%B").upper(),
        "month_name_lower": day.strftime("%B").lower(),
        "mon": day.strftime("%b"),
        "published_year": f"{published.year}",
        "published_month": f"{published.month:02d}",
        "financial_year": f"{start}-{(start + 1) % 100:02d}",
    }


class Cache:
    """Downloaded files by URL, and the manifest of every file fetched (checksum, landing path)."""

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.home / "fetch"
        self.manifest_path = self.folder / "manifest.json"

    def manifest(self) -> dict[str, dict]:
        if not self.manifest_path.exists():
            return {}
        return json.loads(self.manifest_path.read_text())

    def path(self, url: str) -> Path:
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        return self.folder / "cache" / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{name}"

    def get(self, url: str) -> bytes | None:
        """The cached body, if it is there and still has the checksum recorded for it."""
        record, path = self.manifest().get(url), self.path(url)
        if not record or not path.exists():
            return None
        body = path.read_bytes()
        if hashlib.sha256(body).hexdigest() != record["download_sha256"]:
            return None  # damaged: fetched again
        return body

    def url_of(self, source: str, period: str) -> str | None:
        """The URL an earlier fetch found for a period (index pages need the network)."""
        for url, record in self.manifest().items():
            if record["source"] == source and record["period"] == period:
                return url
        return None

    def put(self, url: str, body: bytes, record: dict) -> None:
        _write_atomic(self.path(url), body)
        manifest = self.manifest()
        manifest[url] = record
        _write_atomic(self.manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())


def _write_atomic(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(body)
    os.replace(temporary, path)


def _member(body: bytes, url: str, pattern: str) -> tuple[str, bytes]:
    """The archive member whose name matches `pattern`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile:
        raise FetchError(f"{url}: not a zip archive") from None
    names = [n for n in archive.namelist() if re.fullmatch(pattern, n.rsplit("/", 1)[-1])]
    if not names:
        raise FetchError(f"{url}: no member matching {pattern!r} in the archive")
    return names[0].rsplit("/", 1)[-1], archive.read(names[0])


def fetch(source: Source, period: str, settings: Settings, *, force: bool = False) -> Fetched:
    """Download (or take from the cache) the source's file for `period` and land it."""
    publication = source.publication
    if publication is None:
        raise FetchError(f"{source.name} has no publisher to fetch from: its files are submitted")
    policy = HttpPolicy(settings.fetch_timeout, settings.fetch_attempts)
    mirror = settings.fetch_mirror
    cache = Cache(settings)
    fields = template_fields(source, period)
    if publication.link:
        url = None if force else cache.url_of(source.name, period)
        if url is None:
            page = with_mirror(publication.url.format(**fields), mirror)
            html = download(page, policy).decode("utf-8", errors="replace")
            url = find_link(page, html, publication.link.format(**fields))
            if mirror and not url.startswith(mirror):  # a file on another host (NHS Digital's)
                url = with_mirror(url, mirror)
    else:
        url = with_mirror(publication.url.format(**fields), mirror)
    replaced_in_place = source.cadence == "static"
    body = None if force or replaced_in_place else cache.get(url)
    from_cache = body is not None
    if body is None:
        try:
            body = download(url, policy)
        except FetchError:
            body = cache.get(url) if replaced_in_place and not force else None
            if body is None:
                raise
            from_cache = True
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    content = body
    if publication.archive_member:
        name, content = _member(body, url, publication.archive_member.format(**fields))
    relative = f"{publication.folder}/{name}"
    found = source.match(relative)
    if found is None or found.period != period:
        raise FetchError(
            f"{url}: the file {name!r} is not {source.name}'s file for {period}; "
            "the registry's URL or link pattern needs correcting"
        )
    sha256 = hashlib.sha256(content).hexdigest()
    target = settings.landing / relative
    changed = not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() != sha256
    if changed:
        _write_atomic(target, content)
    if not from_cache:
        record = {
            "source": source.name,
            "period": period,
            "landed": relative,
            "sha256": sha256,
            "bytes": len(content),
            "download_sha256": hashlib.sha256(body).hexdigest(),
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "publisher": publication.publisher,
            "licence": publication.licence,
        }
        cache.put(url, body, record)
    return Fetched(source.name, period, url, relative, sha256, len(content), from_cache, changed)
