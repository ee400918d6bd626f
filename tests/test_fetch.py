"""`peerbench fetch` against a publisher on loopback: NHS England's index page and real files,
served by a local HTTP server that can fail, stall and disappear as the real one may."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import Publisher

from orchestration.cli import main
from orchestration.fetch import FetchError, fetch, find_link, latest_expected, template_fields
from orchestration.registry import SOURCES, STATIC_PERIOD, scan_landing
from orchestration.settings import get_settings

AE = SOURCES["nhse_ae_attendances"]
AE_PAGE = (
    "/statistics/statistical-work-areas/ae-waiting-times-and-activity/"
    "ae-attendances-and-emergency-admissions-2024-25/"
)
UPLOADS = "/statistics/wp-content/uploads/sites/2/2024/"


def _index(*names: str) -> bytes:
    links = "".join(f'<li><a href="{UPLOADS}{n}">{n}</a></li>' for n in names)
    return f"<html><body><ul>{links}</ul></body></html>".encode()


def _serve_ae(publisher: Publisher, real_data: Path, *names: str) -> dict[str, bytes]:
    """The real monthly files under NHS England's upload path, listed on the year's page."""
    bodies = {}
    for name in names:
        bodies[name] = (real_data / "ae_monthly" / name).read_bytes()
        publisher.files[UPLOADS + name] = bodies[name]
    publisher.files[AE_PAGE] = _index("Monthly-AE-May-2024.csv", *names)
    return bodies


def test_a_real_file_is_found_on_the_index_page_and_landed_byte_for_byte(
    mirrored: Path, publisher: Publisher, real_data: Path
) -> None:
    bodies = _serve_ae(publisher, real_data, "Monthly-AE-June-2024.csv")
    assert main(["fetch", "nhse_ae_attendances", "--period", "2024-06"]) == 0
    landed = mirrored / "landing" / "nhse_ae" / "Monthly-AE-June-2024.csv"
    assert landed.read_bytes() == bodies["Monthly-AE-June-2024.csv"]
    manifest = (mirrored / "fetch" / "manifest.json").read_text()
    assert hashlib.sha256(bodies["Monthly-AE-June-2024.csv"]).hexdigest() in manifest
    scan = scan_landing(mirrored / "landing")
    assert [f.relative for f in scan.of(AE, "2024-06")] == ["nhse_ae/Monthly-AE-June-2024.csv"]
    assert not scan.unrecognised
    assert not [p for p in landed.parent.iterdir() if p.name.startswith(".")]  # no partial file


def test_a_revised_release_is_preferred_to_the_original(
    mirrored: Path, publisher: Publisher, real_data: Path
) -> None:
    bodies = _serve_ae(publisher, real_data, "Monthly-AE-July-2024-revised.csv")
    publisher.files[UPLOADS + "Monthly-AE-July-2024.csv"] = b"the original release"
    publisher.files[AE_PAGE] = _index(
        "Monthly-AE-July-2024-revised.csv", "Monthly-AE-July-2024.csv"
    )
    got = fetch(AE, "2024-07", get_settings())
    assert got.landed == "nhse_ae/Monthly-AE-July-2024-revised.csv"
    landed = mirrored / "landing" / got.landed
    assert landed.read_bytes() == bodies["Monthly-AE-July-2024-revised.csv"]


def test_server_errors_and_stalls_are_retried(
    mirrored: Path, publisher: Publisher, real_data: Path
) -> None:
    _serve_ae(publisher, real_data, "Monthly-AE-June-2024.csv")
    publisher.fail[UPLOADS + "Monthly-AE-June-2024.csv"] = 1
    publisher.stall[AE_PAGE] = 1
    got = fetch(AE, "2024-06", get_settings())
    assert got.changed and not got.from_cache
    assert publisher.requests[AE_PAGE] == 2  # timed out once, answered the second time
    assert publisher.requests[UPLOADS + "Monthly-AE-June-2024.csv"] == 2  # 503, then 200


def test_a_server_that_keeps_failing_gives_one_clear_error_and_lands_nothing(
    mirrored: Path, publisher: Publisher, real_data: Path, capsys: pytest.CaptureFixture
) -> None:
    _serve_ae(publisher, real_data, "Monthly-AE-June-2024.csv")
    publisher.fail[UPLOADS + "Monthly-AE-June-2024.csv"] = 10
    assert main(["fetch", "nhse_ae_attendances", "--period", "2024-06"]) == 1
    out = capsys.readouterr().out
    assert "Monthly-AE-June-2024.csv: HTTP 503" in out and "3 attempt(s)" in out
    assert publisher.requests[UPLOADS + "Monthly-AE-June-2024.csv"] == 3
    assert not (mirrored / "landing" / "nhse_ae").exists()


def test_a_month_not_yet_published_is_not_retried(
    mirrored: Path, publisher: Publisher, real_data: Path
) -> None:
    _serve_ae(publisher, real_data, "Monthly-AE-June-2024.csv")
    with pytest.raises(FetchError, match="no link matching 'Monthly-AE-March-2025"):
        fetch(AE, "2025-03", get_settings())  # listed on another year's page, not served
    publisher.files[AE_PAGE] = _index("Monthly-AE-August-2024.csv")  # listed, file missing
    with pytest.raises(FetchError, match=r"HTTP 404 not published \(yet\)"):
        fetch(AE, "2024-08", get_settings())
    assert publisher.requests[UPLOADS + "Monthly-AE-August-2024.csv"] == 1


def test_the_cache_serves_a_second_fetch_and_an_offline_one(
    mirrored: Path, publisher: Publisher, real_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = _serve_ae(publisher, real_data, "Monthly-AE-June-2024.csv")
    first = fetch(AE, "2024-06", get_settings())
    landed = mirrored / "landing" / first.landed
    landed.unlink()  # landing is tidied away; the cache still has it
    requests = sum(publisher.requests.values())
    monkeypatch.setenv("PEERBENCH_FETCH_MIRROR", "http://127.0.0.1:9")  # nothing listens: offline
    again = fetch(AE, "2024-06", get_settings())
    assert again.from_cache and again.changed and again.sha256 == first.sha256
    assert landed.read_bytes() == bodies["Monthly-AE-June-2024.csv"]
    assert sum(publisher.requests.values()) == requests
    assert not fetch(AE, "2024-06", get_settings()).changed  # the same bytes: nothing rewritten


def test_offline_without_a_cache_says_so_and_points_at_landing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PEERBENCH_FETCH_MIRROR", "http://127.0.0.1:9")
    monkeypatch.setenv("PEERBENCH_FETCH_ATTEMPTS", "2")
    assert main(["fetch", "nhse_ae_attendances", "--period", "2024-06"]) == 1
    out = capsys.readouterr().out
    assert "cannot connect" in out and "offline?" in out and "landing/" in out


def test_a_damaged_cache_file_is_fetched_again(
    mirrored: Path, publisher: Publisher, real_data: Path
) -> None:
    bodies = _serve_ae(publisher, real_data, "Monthly-AE-June-2024.csv")
    fetch(AE, "2024-06", get_settings())
    [cached] = (mirrored / "fetch" / "cache").iterdir()
    cached.write_bytes(b"damaged")
    (mirrored / "landing" / "nhse_ae" / "Monthly-AE-June-2024.csv").unlink()
    got = fetch(AE, "2024-06", get_settings())
    assert not got.from_cache
    assert cached.read_bytes() == bodies["Monthly-AE-June-2024.csv"]


def test_template_fields_and_link_choice() -> None:
    fields = template_fields(AE, "2025-01")
    assert (fields["financial_year"], fields["month_name"], fields["mon"], fields["yy"]) == (
        "2024-25",
        "January",
        "Jan",
        "25",
    )
    assert (fields["published_year"], fields["published_month"]) == ("2025", "02")  # 13 Feb
    assert latest_expected(AE, date(2025, 2, 13)) == "2024-12"  # January is out the next day
    assert latest_expected(AE, date(2025, 2, 14)) == "2025-01"
    page = "https://example.org/stats/page/"
    html = '<a href="../f/Monthly-AE-June-2024.csv">x</a><a href="other.csv">y</a>'
    assert find_link(page, html, r"Monthly-AE-June-2024\.csv") == (
        "https://example.org/stats/f/Monthly-AE-June-2024.csv"
    )


def test_fetch_refuses_a_source_without_a_publisher(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fetch", "community_indicator_returns"])
    assert exited.value.code == 2
    listed = (
        "not a source with a publisher (ods_trusts, ods_independent_providers, "
        "ods_gp_practices, ods_successors, nhse_ae_attendances"
    )
    assert listed in capsys.readouterr().err


ODS = SOURCES["ods_trusts"]
ETR_ZIP = "/assets/ods/current/etr.zip"


def _zipped(name: str, body: bytes) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(name, body)
    return archive.getvalue()


def test_a_static_file_replaced_in_place_is_downloaded_each_time_the_cache_serving_offline(
    mirrored: Path, publisher: Publisher, real_data: Path
) -> None:
    real = (real_data / "ods" / "etr.csv").read_bytes()
    earlier = b"\n".join(real.splitlines()[:-1]) + b"\n"  # the release before: a trust fewer
    publisher.files[ETR_ZIP] = _zipped("etr.csv", earlier)
    assert main(["fetch", "ods_trusts"]) == 0
    landed = mirrored / "landing" / "ods" / "etr.csv"
    assert landed.read_bytes() == earlier
    scan = scan_landing(mirrored / "landing")
    assert [f.relative for f in scan.of(ODS, STATIC_PERIOD)] == ["ods/etr.csv"]

    publisher.files[ETR_ZIP] = _zipped("etr.csv", real)  # ODS replaces the file at its URL
    got = fetch(ODS, STATIC_PERIOD, get_settings())
    assert got.changed and not got.from_cache and landed.read_bytes() == real
    assert publisher.requests[ETR_ZIP] == 2

    landed.unlink()
    publisher.fail[ETR_ZIP] = 3  # down for every attempt: the last download is landed
    offline = fetch(ODS, STATIC_PERIOD, get_settings())
    assert offline.from_cache and landed.read_bytes() == real
    assert publisher.requests[ETR_ZIP] == 5


def test_a_static_source_takes_no_period(mirrored: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["fetch", "ods_trusts", "--period", "2024-06"]) == 2
    assert "not published by period" in capsys.readouterr().out
