"""Publishing, end to end through the CLI on real runs: ``overstap report`` (the static site),
``overstap diff`` and ``overstap merge``; plus the small pure parts (status order, clause links)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from lxml import etree

from conftest import load_json, overstap, require_now
from harness import catalog
from harness.providers.local import LocalTarget
from harness.report import validate
from harness.report.diff import classify
from harness.report.site import clause_links, result_stem

EXTERNAL_LINK_HOSTS = {"www.rfc-editor.org", "docs.oasis-open.org"}


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(webdav_run, tmp_path_factory) -> Path:
    """The site of the shared wsgidav + nginx run (conftest.webdav_run)."""
    out = tmp_path_factory.mktemp("site") / "site"
    proc = overstap("report", str(webdav_run.out), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def shards(webdav_run, tmp_path_factory) -> list[Path]:
    """The same run as webdav_run in two shards: 2 units (nginx/webdav, wsgidav/webdav) dealt 1 each."""
    base = tmp_path_factory.mktemp("shards")
    outs = []
    for i in (1, 2):
        out = base / f"results-{i}"
        proc = overstap("run", "--target", "wsgidav", "--target", "nginx", "--suite", "webdav", "--shard", f"{i}/2",
                        "--out", str(out), "--expectations", str(webdav_run.expectations))
        assert proc.returncode in (0, 1), proc.stderr
        outs.append(out)
    return outs


def _flip_one_pass(report: dict, later_by_s: int = 3600) -> tuple[dict, dict]:
    """A copy of ``report`` with its first wsgidav PASS turned into a FAIL, started ``later_by_s`` later."""
    from datetime import datetime, timedelta

    new = json.loads(json.dumps(report))
    victim = next(r for r in new["results"] if r["target"] == "wsgidav" and r["status"] == "PASS")
    victim.update(status="FAIL", expected=False, message="flipped by the test")
    for key in ("started", "finished"):
        ts = datetime.fromisoformat(new["run_info"][key]) + timedelta(seconds=later_by_s)
        new["run_info"][key] = ts.isoformat(timespec="seconds")
    return new, victim


def _write(path: Path, report: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def _page(path: Path):
    return lxml.html.parse(str(path)).getroot()


# -- the site ----------------------------------------------------------------------------------------
def test_site_has_its_pages(site, webdav_run):
    report = webdav_run.report
    assert (site / "index.html").is_file() and (site / "suites" / "webdav.html").is_file()
    for r in report["results"]:
        assert (site / f"{result_stem(r)}.html").is_file(), r["check"]
    # a whole run ends with the moves phase: the site has a moves page exactly when the report has moves
    assert (site / "moves.html").exists() == bool(report.get("moves")), "moves page iff moves[] in the report"
    assert not (site / "history.html").exists(), "one run: no history page"
    assert json.loads((site / "report.json").read_text()) == report


def test_every_link_resolves_and_nothing_is_loaded_from_elsewhere(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 50, f"only {len(pages)} pages: did the run collect its checks? (see the run's logs/)"
    ids_cache: dict[Path, set[str]] = {}

    def ids(path: Path) -> set[str]:
        if path not in ids_cache:
            found = [e.get("id") for e in _page(path).iter() if isinstance(e.tag, str) and e.get("id")]
            assert len(found) == len(set(found)), f"{path}: duplicate ids"
            ids_cache[path] = set(found)
        return ids_cache[path]

    checked = 0
    for page in pages:
        root = _page(page)
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for attr in ("href", "src"):
                link = element.get(attr)
                if link is None:
                    continue
                parts = urlsplit(link)
                if parts.scheme or parts.netloc:
                    assert element.tag == "a" and attr == "href", f"{page}: external resource {link}"
                    assert parts.scheme == "https" and parts.netloc in EXTERNAL_LINK_HOSTS, f"{page}: {link}"
                    continue
                assert not link.startswith("/"), f"{page}: absolute link {link}"
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                assert target.is_file(), f"{page}: broken link {link}"
                if parts.fragment:
                    assert parts.fragment in ids(target), f"{page}: no #{parts.fragment} in {target}"
                checked += 1
    assert checked > 1000


def test_failing_nginx_cell_shows_passes_total_and_fail_in_words(site, webdav_run):
    report = webdav_run.report
    nginx = [r for r in report["results"] if r["target"] == "nginx" and r["suite"] == "webdav"]
    fails = sum(r["status"] == "FAIL" for r in nginx)
    assert fails, "nginx is known to FAIL some WebDAV checks"
    passes = sum(r["status"] == "PASS" for r in nginx)
    total = sum(r["status"] not in ("SKIP", "PRECONDITION_FAILED") for r in nginx)
    [cell] = _page(site / "index.html").xpath('//td[@data-suite="webdav"][@data-target="nginx"]')
    text = " ".join(cell.text_content().split())
    assert f"{passes} / {total} passed" in text
    assert f"✗ {fails} FAIL (MUST violated)" in text
    warns = sum(r["status"] == "WARN" for r in nginx)
    assert ("WARN (SHOULD violated)" in text) == bool(warns)
    # the cell leads to the suite grid, whose nginx cells link to result pages
    [link] = cell.xpath(".//a/@href")
    grid = _page((site / link.split("#")[0]))
    fail_links = [a for a in grid.xpath('//td[contains(concat(" ", @class, " "), " FAIL ")]/a')
                  if "/nginx/" in a.get("href")]
    assert len(fail_links) == fails and all("✗ FAIL" in a.text_content() for a in fail_links)


def test_result_page_has_clause_link_evidence_and_reproducers(site, webdav_run):
    r = next(r for r in webdav_run.report["results"] if r["target"] == "nginx" and r["status"] == "FAIL")
    page = _page(site / f"{result_stem(r)}.html")
    text = page.text_content()
    for piece in (r["check"], r["level"], "FAIL", r["message"]):
        assert piece in text
    m = re.match(r"RFC (\d+) §([\d.]+)", r["clause"])
    hrefs = page.xpath('//td[@class="clause"]/a/@href')
    assert f"https://www.rfc-editor.org/rfc/rfc{m[1]}#section-{m[2]}" in hrefs
    exchanges = page.xpath('//pre[@class="exchange"]')
    assert len(exchanges) == len(r["evidence"]["exchanges"])
    first = r["evidence"]["exchanges"][0]["request"]
    assert f"{first['method']} {first['url']}" in exchanges[0].text_content()
    [curl] = page.xpath('//pre[contains(@class, "curl")]')
    curl_text = curl.text_content()
    assert 'curl ' in curl_text and '-u "$USER:$PASSWORD"' in curl_text and "Authorization" not in curl_text
    assert "[redacted]" not in curl_text
    assert curl_text == (site / f"{result_stem(r)}.sh").read_text()
    [python] = page.xpath('//pre[contains(@class, "python")]')
    assert "import requests" in python.text_content()
    compile(python.text_content(), "reproducer.py", "exec")


def test_no_authorization_value_but_redacted_anywhere_in_the_site(site):
    found = 0
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        text = _page(path).text_content() if path.suffix == ".html" else path.read_text(encoding="utf-8")
        for m in re.finditer(r'Authorization"?\s*:\s*"?([^\s"]*)', text):
            found += 1
            assert m[1] == "[redacted]", f"{path}: Authorization {m[1]!r}"
    assert found  # the evidence does show the header, redacted


def test_junit_per_target(site, webdav_run):
    report = webdav_run.report
    for t in report["targets"]:
        root = etree.parse(str(site / "junit" / f"{t['id']}.xml")).getroot()
        [suite] = root.findall("testsuite")
        assert suite.get("name") == t["id"]
        cases = suite.findall("testcase")
        mine = [r for r in report["results"] if r["target"] == t["id"]]
        assert len(cases) == len(mine)
        assert {c.get("classname") for c in cases} == {".".join(r["check"].split("/")[:2]) for r in mine}
        assert int(suite.get("failures")) == sum(r["status"] == "FAIL" for r in mine)


def test_report_refuses_a_broken_run(tmp_path):
    bad = _write(tmp_path / "bad.json", {"schema": "overstap-report/1.0"})
    proc = overstap("report", str(bad), "-o", str(tmp_path / "site"))
    assert proc.returncode == 2 and "does not follow" in proc.stderr
    proc = overstap("report", str(tmp_path / "missing"), "-o", str(tmp_path / "site"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def test_history_with_two_runs_shows_the_regression(webdav_run, tmp_path):
    new, victim = _flip_one_pass(webdav_run.report)
    later = _write(tmp_path / "later" / "report.json", new)
    # given newest first: the site still orders by run_info.started
    proc = overstap("report", str(later), str(webdav_run.out), "-o", str(tmp_path / "site"))
    assert proc.returncode == 0, proc.stderr
    history = _page(tmp_path / "site" / "history.html")
    rows = [[" ".join(td.text_content().split()) for td in tr] for tr in history.xpath('//tr[@class="regressed"]')]
    assert rows == [["▼ regressed", victim["target"], victim["check"], "✓ PASS", "✗ FAIL"]]
    index = (tmp_path / "site" / "index.html").read_text()
    assert "history.html" in index
    assert load_json(tmp_path / "site" / "report.json")["run_info"]["started"] == new["run_info"]["started"]


def test_moves_render_pair_matrices_only_when_present(webdav_run, tmp_path):
    report = json.loads(json.dumps(webdav_run.report))
    report["moves"] = [
        {"source": "wsgidav", "destination": "nginx", "kind": "files", "items": 10, "items_intact": 9,
         "properties_total": 20, "properties_lost": 2,
         "losses": [{"item": "a.txt", "property": "getcontenttype", "kind": "changed", "original": "text/plain",
                     "received": "application/octet-stream", "note": "Content-Type not kept", "hop": "B",
                     "detail": "text/plain → application/octet-stream"}]},
        {"source": "nginx", "destination": "wsgidav", "kind": "files", "items": 10, "items_intact": 10,
         "properties_total": 20, "properties_lost": 0, "losses": []},
    ]
    validate(report)
    proc = overstap("report", str(_write(tmp_path / "r.json", report)), "-o", str(tmp_path / "site"))
    assert proc.returncode == 0, proc.stderr
    page = _page(tmp_path / "site" / "moves.html")
    [table] = page.xpath('//h2[@id="kind-files"]/following-sibling::table[1]')
    row = {" ".join(tr[0].text_content().split()): [" ".join(td.text_content().split()) for td in tr[1:]]
           for tr in table.xpath("./tbody/tr")}
    cols = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")][1:]
    assert cols == ["nginx", "wsgidav"]
    assert row["wsgidav"][0] == "✗ 9 / 10 items intact 2 / 20 properties lost"
    assert row["nginx"][1] == "✓ 10 / 10 items intact 0 / 20 properties lost"
    assert row["nginx"][0] == "– not moved"
    assert "getcontenttype" in page.text_content()


# -- reproducers against a live server whose password we know --------------------------------------------
USER_ENV, PASS_ENV = "OVT_PUBLISH_USER", "OVT_PUBLISH_PASSWORD"


@pytest.fixture(scope="module")
def live(webdav_run, tmp_path_factory):
    """A real WsgiDAV named in a targets file, a run against it and its site: (target, site, report)."""
    require_now("wsgidav")
    base = tmp_path_factory.mktemp("live")
    with LocalTarget(catalog.get("wsgidav"), target_id="live-backend") as target:
        targets_file = base / "targets.toml"
        targets_file.write_text(f'[[targets]]\nid = "live"\nproduct = "wsgidav"\n'
                                f'endpoints = {{ webdav = "{target.endpoints["webdav"]}" }}\n'
                                f'username_env = "{USER_ENV}"\npassword_env = "{PASS_ENV}"\n')
        env = {USER_ENV: target.credentials.username, PASS_ENV: target.credentials.password}
        proc = overstap("run", "--targets-file", str(targets_file), "--suite", "webdav", "--out", str(base / "out"),
                        "--expectations", str(webdav_run.expectations), env=env)
        assert proc.returncode in (0, 1), proc.stderr
        proc = overstap("report", str(base / "out"), "-o", str(base / "site"))
        assert proc.returncode == 0, proc.stderr
        yield target, base / "site", load_json(base / "out" / "report.json")


def test_live_site_never_holds_the_password(live):
    target, site, _report = live
    creds = target.credentials
    basic = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 50
    for path in files:
        data = path.read_bytes()
        for secret in (creds.password, basic):
            assert secret.encode() not in data, f"{path} holds a secret"


def _status_lines(output: str) -> list[int]:
    return [int(m[1]) for m in re.finditer(r"^HTTP/[\d.]+ (\d{3})", output, re.M)]


def test_live_reproducers_replay_the_failure(live):
    """The curl script and the Python script of a FAIL, run against the same server with USER and
    PASSWORD set, get the answers the evidence recorded."""
    target, site, report = live
    def replayable(r: dict) -> bool:  # every request answered, no lock tokens (new ones on a replay)
        exchanges = r["evidence"].get("exchanges") or []
        return bool(exchanges) and all(ex.get("response") and not {"If", "Lock-Token"} & set(ex["request"]["headers"])
                                       for ex in exchanges)

    failing = sorted((r for r in report["results"] if r["status"] in ("FAIL", "WARN") and replayable(r)),
                     key=lambda r: r["check"] != "webdav/names/question-move-destination")
    assert failing, "wsgidav is known to FAIL some WebDAV checks"
    r = failing[0]
    recorded = [ex["response"]["status"] for ex in r["evidence"]["exchanges"] if ex.get("response")]
    env = {**os.environ, "USER": target.credentials.username, "PASSWORD": target.credentials.password}
    script = site / f"{result_stem(r)}.sh"
    proc = subprocess.run(["sh", str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert _status_lines(proc.stdout) == recorded, proc.stdout
    assert "MKCOL 201" in proc.stdout and "DELETE 204" in proc.stdout  # its own collection, made and removed
    proc = subprocess.run([sys.executable, str(site / f"{result_stem(r)}.py")], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    answers = [int(m[1]) for m in re.finditer(r"^[A-Z]+ \S+ -> (\d{3})", proc.stdout, re.M)]
    assert answers[1:-1] == recorded and answers[0] == 201 and answers[-1] == 204, proc.stdout


# -- diff --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("old,new,kind", [
    ("PASS", "PASS", None), ("FAIL", "PASS", "improved"), ("PASS", "WARN", "regressed"),
    ("WARN", "FAIL", "regressed"), ("FAIL", "ERROR", "regressed"), ("TIMEOUT", "FAIL", "improved"),
    ("ERROR", "TIMEOUT", "changed"), ("PASS", "SKIP", "changed"), ("PRECONDITION_FAILED", "FAIL", "changed"),
    ("SKIP", "PRECONDITION_FAILED", "changed"), (None, "FAIL", "new"), ("PASS", None, "gone"),
])
def test_status_order(old, new, kind):
    assert classify(old, new) == kind


def test_diff_of_a_run_with_itself_is_empty(webdav_run):
    proc = overstap("diff", str(webdav_run.out), str(webdav_run.out / "report.json"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("0 regressed, 0 improved, 0 changed, 0 new, 0 gone")
    proc = overstap("diff", str(webdav_run.out), str(webdav_run.out), "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["changes"] == []


def test_diff_reports_a_regression_with_exit_1(webdav_run, tmp_path):
    new, victim = _flip_one_pass(webdav_run.report)
    newer = _write(tmp_path / "new.json", new)
    proc = overstap("diff", str(webdav_run.out), str(newer))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("1 regressed, 0 improved")
    assert f"{victim['check']}: PASS → FAIL" in proc.stdout
    data = json.loads(overstap("diff", str(webdav_run.out), str(newer), "--format", "json").stdout)
    assert data["summary"]["regressed"] == 1
    assert [(c["kind"], c["target"], c["check"]) for c in data["changes"]] == [
        ("regressed", victim["target"], victim["check"])]
    # the other way round it is an improvement, and improvements exit 0
    assert overstap("diff", str(newer), str(webdav_run.out)).returncode == 0


def test_diff_markdown_is_a_merge_request_comment(webdav_run, tmp_path):
    new, victim = _flip_one_pass(webdav_run.report)
    proc = overstap("diff", str(webdav_run.out), str(_write(tmp_path / "new.json", new)), "--format", "markdown")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert "**Overstap diff**" in lines[0] and "1 regressed" in lines[0]
    header = lines.index("| target | check | before | after | level | clause | message |")
    assert re.fullmatch(r"\|(---\|)+", lines[header + 1])
    row = [cell.strip() for cell in lines[header + 2].strip("|").split("|")]
    assert row[:4] == [victim["target"], f"`{victim['check']}`", "PASS", "FAIL"]
    assert lines[header - 2] == "### Regressed (1)"


def test_diff_unreadable_input_exits_2(webdav_run, tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    for old, new in ((str(garbage), str(webdav_run.out)), (str(webdav_run.out), str(tmp_path / "absent.json"))):
        proc = overstap("diff", old, new)
        assert proc.returncode == 2 and proc.stderr.startswith("overstap diff: ") and not proc.stdout


# -- merge -------------------------------------------------------------------------------------------
def _triples(report: dict) -> set[tuple[str, str, str]]:
    return {(r["target"], r["check"], r["status"]) for r in report["results"]}


def test_merge_of_shards_equals_the_whole_run(shards, webdav_run, tmp_path):
    parts = [load_json(s / "report.json") for s in shards]
    assert [sorted({t["id"] for t in p["targets"]}) for p in parts] == [["nginx"], ["wsgidav"]]
    out = tmp_path / "all.json"
    proc = overstap("merge", *map(str, shards), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    merged = load_json(out)
    validate(merged)
    whole = webdav_run.report
    differ = sorted(_triples(merged) ^ _triples(whole))
    assert not differ, f"merged shards and the whole run differ (a flaky check, or suites edited between runs): {differ[:20]}"
    assert [r["check"] for r in merged["results"]] == [r["check"] for r in whole["results"]]  # same order
    assert {t["id"]: t["version"] for t in merged["targets"]} == {t["id"]: t["version"] for t in whole["targets"]}
    info = merged["run_info"]
    assert info["started"] == min(p["run_info"]["started"] for p in parts)
    assert info["finished"] == max(p["run_info"]["finished"] for p in parts)
    assert info["suites"] == ["webdav"]
    assert merged["summary"]["total"] == sum(p["summary"]["total"] for p in parts)
    assert merged["summary"]["unexpected"] == sum(p["summary"]["unexpected"] for p in parts)
    # the merged report is a run like any other: the site builds from it
    assert overstap("report", str(out), "-o", str(tmp_path / "site")).returncode == 0


def test_merge_refuses_a_duplicate_and_a_conflicting_target(shards, tmp_path):
    proc = overstap("merge", str(shards[0]), str(shards[0]), "-o", str(tmp_path / "dup.json"))
    assert proc.returncode == 2 and "duplicate result" in proc.stderr
    assert not (tmp_path / "dup.json").exists()
    other = load_json(shards[0] / "report.json")
    other["targets"][0]["version"] = "99.0"
    other["results"] = []
    other["summary"] = {"total": 0, "unexpected": 0, "by_status": {}}
    proc = overstap("merge", str(shards[0]), str(_write(tmp_path / "other.json", other)), "-o",
                    str(tmp_path / "conflict.json"))
    assert proc.returncode == 2 and "'nginx' is version" in proc.stderr and "99.0" in proc.stderr


def _later(report: dict, by_s: int = 3600) -> dict:
    """A deep copy of ``report`` started ``by_s`` seconds later."""
    from datetime import datetime, timedelta

    new = json.loads(json.dumps(report))
    for key in ("started", "finished"):
        ts = datetime.fromisoformat(new["run_info"][key]) + timedelta(seconds=by_s)
        new["run_info"][key] = ts.isoformat(timespec="seconds")
    return new


def _worsen(move: dict) -> None:
    """One more item of ``move`` arrives broken: its first intact item loses its content."""
    victim = next(v for v in move["item_verdicts"] if v["intact"])
    victim["intact"] = False
    move["items_intact"] -= 1
    move["properties_lost"] += 1
    move["losses"].append({"item": victim["item"], "property": "content", "kind": "changed", "original": "a",
                           "received": "b", "note": "content changed", "hop": "B"})


def test_merge_keeps_one_entry_per_move_when_shards_overlap(webdav_run, tmp_path):
    whole = webdav_run.report
    assert len(whole.get("moves", [])) >= 2, "a whole run moves files between wsgidav and nginx"
    # a second input that made the same moves (no results: the shards' results never overlap)
    other = _later(whole)
    other["results"], other["summary"] = [], {"total": 0, "unexpected": 0, "by_status": {}}
    worse = next(m for m in other["moves"] if m["items_intact"] > 0)
    _worsen(worse)
    broken = next(m for m in other["moves"] if m is not worse)
    broken["error"] = "MoveSetupError: the collection could not be made"
    other["rejected_inputs"] = [*whole.get("rejected_inputs", []), {"path": "bad.ics", "kind": "icalendar",
                                                                     "reasons": ["not iCalendar"]}]
    first, second = _write(tmp_path / "a.json", whole), _write(tmp_path / "b.json", other)
    out = tmp_path / "merged.json"
    proc = overstap("merge", str(first), str(second), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    merged = load_json(out)
    validate(merged)
    keys = [(m["kind"], m["source"], m["destination"]) for m in merged["moves"]]
    assert keys == sorted({(m["kind"], m["source"], m["destination"]) for m in whole["moves"]})
    got = {(m["kind"], m["source"], m["destination"]): m for m in merged["moves"]}
    # the later input's entry is kept, with a note naming the other input's different result
    kept = got[(worse["kind"], worse["source"], worse["destination"])]
    assert kept["items_intact"] == worse["items_intact"]
    assert any(n.startswith(f"merge: {first} also made this move") for n in kept["notes"])
    # an entry with an error gives way to one without
    fine = got[(broken["kind"], broken["source"], broken["destination"])]
    assert "error" not in fine and any("MoveSetupError" in n for n in fine["notes"])
    assert [r["path"] for r in merged["rejected_inputs"]].count("bad.ics") == 1
    assert len(merged["rejected_inputs"]) == len(whole.get("rejected_inputs", [])) + 1
    # the same input twice: identical moves merge silently (results would clash, so none here)
    proc = overstap("merge", str(second), str(second), "-o", str(tmp_path / "same.json"))
    assert proc.returncode == 0, proc.stderr
    same = load_json(tmp_path / "same.json")
    assert same["moves"] == sorted(other["moves"], key=lambda m: (m["kind"], m["source"], m["destination"]))


def test_diff_reports_move_regressions_with_exit_1(webdav_run, tmp_path):
    old = webdav_run.report
    new = _later(old)
    worse = next(m for m in new["moves"] if m["items_intact"] > 0)
    _worsen(worse)
    gone = next(m for m in new["moves"] if m is not worse)
    new["moves"].remove(gone)
    newer = _write(tmp_path / "new.json", new)
    proc = overstap("diff", str(webdav_run.out), str(newer))
    assert proc.returncode == 1, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("0 regressed, 0 improved") and "moves: 1 regressed, 0 improved, 0 changed, 0 new, 1 gone" in first
    victim = worse["losses"][-1]["item"]
    assert f"{worse['kind']:<9} {worse['source']} → {worse['destination']}: " in proc.stdout
    assert f"lost now: {victim}: content" in proc.stdout
    data = json.loads(overstap("diff", str(webdav_run.out), str(newer), "--format", "json").stdout)
    assert data["moves_summary"]["regressed"] == 1 and data["moves_summary"]["gone"] == 1
    [reg] = [m for m in data["moves"] if m["change"] == "regressed"]
    assert reg["new"]["items_intact"] == reg["old"]["items_intact"] - 1 and reg["lost_now"] == [f"{victim}: content"]
    md = overstap("diff", str(webdav_run.out), str(newer), "--format", "markdown").stdout
    assert md.startswith("❌") and "### Moves (2)" in md
    assert any(line.startswith("| regressed | files |") for line in md.splitlines())
    # the other way round: an improvement and a new pair, exit 0
    back = overstap("diff", str(newer), str(webdav_run.out))
    assert back.returncode == 0 and "moves: 0 regressed, 1 improved, 0 changed, 1 new, 0 gone" in back.stdout
    assert f"kept now: {victim}: content" in back.stdout
    # a run without moves is no "gone" for every move: moves are compared only when both runs have them
    bare = _later(old)
    bare.pop("moves")
    bare.pop("rejected_inputs", None)
    proc = overstap("diff", str(webdav_run.out), str(_write(tmp_path / "bare.json", bare)))
    assert proc.returncode == 0 and "moves:" not in proc.stdout


# -- pure parts --------------------------------------------------------------------------------------
def test_clause_links():
    assert clause_links("RFC 4918 §9.9, §10.3, RFC 3986 §3.4") == [
        ("RFC 4918 §9.9", "https://www.rfc-editor.org/rfc/rfc4918#section-9.9"), (", ", None),
        ("§10.3", "https://www.rfc-editor.org/rfc/rfc4918#section-10.3"), (", ", None),
        ("RFC 3986 §3.4", "https://www.rfc-editor.org/rfc/rfc3986#section-3.4")]
    assert clause_links("RFC 4918 §A.2") == [("RFC 4918 §A.2", "https://www.rfc-editor.org/rfc/rfc4918#appendix-A.2")]
    assert clause_links("RFC 6578") == [("RFC 6578", "https://www.rfc-editor.org/rfc/rfc6578")]
    [(text, url)] = clause_links("ODF 1.3 Part 3 §19.1")
    assert url == "https://docs.oasis-open.org/office/OpenDocument/v1.3/os/part3-schema/OpenDocument-v1.3-os-part3-schema.html"
    assert clause_links("vendor notes §2") == [("vendor notes ", None), ("§2", None)]


def test_a_new_loss_is_a_regression_whatever_the_totals_say():
    """A move whose totals improved but that lost something it kept before has regressed (review of issue 6)."""
    from harness.report.diff import classify_move

    def move(intact: int, lost: int, losses: list[tuple[str, str]]) -> dict:
        return {"kind": "documents", "source": "a", "destination": "b", "items": 3, "items_intact": intact,
                "properties_total": 30, "properties_lost": lost,
                "losses": [{"item": i, "property": p, "kind": "lost"} for i, p in losses]}

    before = move(1, 5, [("x.odt", "comments"), ("y.odt", "tables")])
    assert classify_move(before, move(2, 4, [("x.odt", "comments"), ("z.odt", "bookmarks")])) == "regressed"
    assert classify_move(before, move(1, 5, [("y.odt", "tables"), ("x.odt", "notes")])) == "regressed"
    assert classify_move(before, move(2, 3, [("x.odt", "comments")])) == "improved"
    assert classify_move(before, dict(before)) is None
    assert classify_move(before, {**before, "error": "b did not start: connection refused"}) == "regressed"
