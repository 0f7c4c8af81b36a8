"""The published site as a person sees it: rendered by headless Chromium from file:// (no server, no
network), following the link from a failing cell to its result page and its evidence."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from conftest import REQUIRE_ALL, overstap

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path:
        return path
    why = "chromium not found; install with: apt-get install chromium"
    if os.environ.get(REQUIRE_ALL):
        pytest.fail(f"chromium is required ({REQUIRE_ALL} is set) but missing: {why}", pytrace=False)
    pytest.skip(why)


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def dump_dom(chromium: str, profile: Path, url: str):
    """The DOM after rendering ``url`` (scripts run), parsed with lxml."""
    proc = _run(chromium, profile, "--dump-dom", url)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr.decode(errors="replace")[-2000:]
    return lxml.html.document_fromstring(proc.stdout.decode("utf-8"))


def _text(element) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture(scope="module")
def rendered(webdav_run, tmp_path_factory):
    chromium = _chromium()
    base = tmp_path_factory.mktemp("chromium")
    site = base / "site"
    proc = overstap("report", str(webdav_run.out), "-o", str(site))
    assert proc.returncode == 0, proc.stderr
    return chromium, base, site


def test_overview_screenshot(rendered):
    chromium, base, site = rendered
    shot = base / "shot.png"  # kept under pytest's tmp dir as the test's artifact
    proc = _run(chromium, base / "profile-shot", f"--screenshot={shot}", "--window-size=1400,1000",
                (site / "index.html").as_uri())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 1000)
    assert len(data) > 20_000, "a blank page compresses to almost nothing"


def test_failing_cell_leads_to_its_evidence(rendered, webdav_run):
    chromium, base, site = rendered
    report = webdav_run.report
    nginx = [r for r in report["results"] if r["target"] == "nginx"]
    fails = [r for r in nginx if r["status"] == "FAIL"]
    assert fails, "nginx is known to FAIL some WebDAV checks"
    passes = sum(r["status"] == "PASS" for r in nginx)
    total = sum(r["status"] not in ("SKIP", "PRECONDITION_FAILED") for r in nginx)

    index_url = (site / "index.html").as_uri()
    dom = dump_dom(chromium, base / "profile", index_url)
    [cell] = dom.xpath('//td[@data-suite="webdav"][@data-target="nginx"]')
    text = _text(cell)
    assert f"{passes} / {total} passed" in text and f"{len(fails)} FAIL (MUST violated)" in text

    # follow the cell to the suite grid, then the first FAIL of nginx to its result page
    [href] = cell.xpath(".//a/@href")
    grid_url = urljoin(index_url, href)
    grid = dump_dom(chromium, base / "profile", grid_url)
    row_id = "c-" + fails[0]["check"].replace("/", ".")
    [row] = grid.xpath(f'//tr[@id="{row_id}"]')
    nginx_links = [a for a in row.xpath(".//td/a") if "/nginx/" in a.get("href")]
    [link] = nginx_links
    assert _text(link) == "✗ FAIL"
    result_url = urljoin(grid_url, link.get("href"))
    assert Path(urlsplit(result_url).path).is_file()
    page = dump_dom(chromium, base / "profile", result_url)
    body = _text(page.body)
    r = fails[0]
    assert f"✗ FAIL {r['check']}" in body and r["message"] in body
    exchange = r["evidence"]["exchanges"][-1]
    evidence = " ".join(_text(pre) for pre in page.xpath('//pre[@class="exchange"]'))
    assert f"{exchange['request']['method']} {exchange['request']['url']}" in evidence
    assert f"── {exchange['response']['status']} {exchange['response']['reason']}" in evidence
    curl = _text(page.xpath('//pre[contains(@class, "curl")]')[0])
    assert '-u "$USER:$PASSWORD"' in curl


def test_filters_appear_with_javascript_and_hide_passing_rows(rendered):
    chromium, base, site = rendered
    grid = dump_dom(chromium, base / "profile", (site / "suites" / "webdav.html").as_uri())
    [form] = grid.xpath("//form[@class='filters']")
    assert form.get("hidden") is None, "filter.js shows the filters"
    rows = grid.xpath("//table[@data-filterable]/tbody/tr")
    count = _text(form.xpath(".//output")[0])
    assert count == f"{len(rows)} of {len(rows)} checks shown"
