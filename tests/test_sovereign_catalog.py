"""The openDesk and La Suite catalog entries, tested through the remote provider against local stand-ins
that serve the real products' paths (tests/standins/: WsgiDAV, Radicale and LibreOffice behind Nextcloud's,
Open-Xchange's and Collabora's URLs). Every run goes through the real CLI with a targets file and
credentials from environment variables; nothing is mocked."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
import requests

from conftest import load_json, overstap, require_now
from harness import catalog
from harness.office import ToolError, ToolLog, convert, load_fixtures, roundtrip
from harness.report import validate
from standins import running

SOVEREIGN = ("nextcloud_files", "nextcloud_groupware", "openxchange", "collabora", "lasuite_docs")
NC_USER, NC_PASS = "OVT_NEXTCLOUD_USER", "OVT_NEXTCLOUD_APP_PASSWORD"
OX_USER, OX_PASS = "OVT_OX_USER", "OVT_OX_PASSWORD"
WRITES = {"PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH", "MOVE", "COPY", "LOCK", "UNLOCK", "POST"}


def _empty(base: Path) -> Path:
    folder = base / "no-expectations"
    folder.mkdir(exist_ok=True)
    return folder


def _exchanges(results: list[dict]) -> list[dict]:
    return [x for r in results for x in r["evidence"].get("exchanges", [])]


# -- the catalog ------------------------------------------------------------------------------------------

def test_targets_lists_the_sovereign_products_as_remote_with_their_set_up():
    proc = overstap("targets")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    for name in SOVEREIGN:
        assert rows[name].split()[1] == "remote", rows[name]
        assert "remote only" in rows[name] and "set up first:" in rows[name], rows[name]
        assert not catalog.get(name).local
    assert "app password" in rows["nextcloud_files"] and "app password" in rows["nextcloud_groupware"]
    assert "e-mail address" in rows["openxchange"]
    assert "net.post_allow.host" in rows["collabora"]
    assert "browser" in rows["lasuite_docs"]


@pytest.mark.parametrize("name", SOVEREIGN)
def test_each_entry_documents_suites_deviations_setup_and_an_example(name):
    doc = __import__(f"harness.catalog.{name}", fromlist=["PRODUCT"]).__doc__
    for part in ("Suites that apply", "Known deviations", "set up", "Example targets-file block"):
        assert part in doc, f"{name}: no {part!r} in the module docstring"
    assert name in Path(__file__).resolve().parents[1].joinpath("docs", "opendesk.md").read_text()


def test_a_sovereign_product_named_as_a_local_target_says_it_is_remote_only(tmp_path):
    proc = overstap("run", "--target", "nextcloud_files", "--suite", "webdav", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "nextcloud_files: not available here: remote only" in proc.stderr
    assert "app password" in proc.stderr


# -- Nextcloud and Open-Xchange ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dav_standins(tmp_path_factory):
    """The Nextcloud and the Open-Xchange stand-in, each with a user whose password only the env holds.
    Alice's Nextcloud files already hold a document that no run may touch."""
    for name in ("wsgidav", "radicale"):
        require_now(name)
    base = tmp_path_factory.mktemp("dav-standins")
    secrets = {"nc": "nc-" + uuid.uuid4().hex, "ox": "ox-" + uuid.uuid4().hex}
    (base / "nc" / "files" / "alice").mkdir(parents=True)
    (base / "nc" / "files" / "alice" / "Report.odt").write_bytes(b"alice's own document")
    with running("nextcloud", base / "nc", env={"STANDIN_PASSWORD": secrets["nc"]}) as nc, \
            running("openxchange", base / "ox", env={"STANDIN_PASSWORD": secrets["ox"]}) as ox:
        yield nc, ox, secrets, base


def _dav_targets(nc, ox) -> str:
    return f'''
[[targets]]
id = "od-files"
product = "nextcloud_files"
endpoints = {{ webdav = "{nc.base}/remote.php/dav/files/alice/" }}
username_env = "{NC_USER}"
password_env = "{NC_PASS}"

[[targets]]
id = "od-groupware"
product = "nextcloud_groupware"
username_env = "{NC_USER}"
password_env = "{NC_PASS}"
[targets.endpoints]
caldav = "{nc.base}/remote.php/dav/calendars/alice/"
carddav = "{nc.base}/remote.php/dav/addressbooks/users/alice/"

[[targets]]
id = "od-ox"
product = "openxchange"
endpoints = {{ caldav = "{ox.base}/caldav/", carddav = "{ox.base}/carddav/" }}
username_env = "{OX_USER}"
password_env = "{OX_PASS}"
version = "standin"
'''


@pytest.fixture(scope="module")
def dav_run(dav_standins):
    """One `overstap run` of every suite on the three DAV targets of the stand-ins, moves included."""
    nc, ox, secrets, base = dav_standins
    targets_file = base / "opendesk.toml"
    targets_file.write_text(_dav_targets(nc, ox))
    out = base / "out"
    env = {NC_USER: "alice", NC_PASS: secrets["nc"], OX_USER: "alice@example.org", OX_PASS: secrets["ox"]}
    proc = overstap("run", "--targets-file", str(targets_file), "--out", str(out),
                    "--expectations", str(_empty(base)), env=env, timeout=900)
    assert (out / "report.json").exists(), proc.stderr
    return proc, load_json(out / "report.json"), out


def test_dav_run_has_results_for_the_right_suites(dav_run):
    proc, report, _out = dav_run
    assert proc.returncode in (0, 1), proc.stderr
    validate(report)
    targets = {t["id"]: t for t in report["targets"]}
    assert set(targets) == {"od-files", "od-groupware", "od-ox"}
    for entry in targets.values():
        assert entry["provider"] == "remote" and "error" not in entry, entry
    assert targets["od-files"]["product"] == "nextcloud_files"
    assert targets["od-groupware"]["product"] == "nextcloud_groupware"
    # the version came from the stand-in's status.php, as from a real Nextcloud's
    assert targets["od-files"]["version"].startswith("standin-wsgidav")
    assert targets["od-ox"]["version"] == "standin"
    suites = {t: {r["suite"] for r in report["results"] if r["target"] == t} for t in targets}
    assert suites == {"od-files": {"webdav"}, "od-groupware": {"caldav", "carddav"}, "od-ox": {"caldav", "carddav"}}
    for target_id in targets:
        mine = [r for r in report["results"] if r["target"] == target_id]
        passed = sum(r["status"] == "PASS" for r in mine)
        assert passed >= len(mine) // 2, (target_id, passed, len(mine))
        assert not [r for r in mine if r["status"] in ("ERROR", "TIMEOUT")], \
            [(r["check"], r["message"][:200]) for r in mine if r["status"] in ("ERROR", "TIMEOUT")]
    # locking is not claimed for Nextcloud files: its checks are PRECONDITION_FAILED, not FAIL
    locks = [r for r in report["results"] if r["target"] == "od-files" and r["check"].startswith("webdav/locks/")]
    assert locks and {r["status"] for r in locks} == {"PRECONDITION_FAILED"}
    # openDesk's two groupware servers moved calendars and contacts to each other
    pairs = {(m["source"], m["destination"]) for m in report.get("moves") or []}
    assert {("od-groupware", "od-ox"), ("od-ox", "od-groupware")} <= pairs, pairs


def test_dav_run_writes_only_below_the_documented_homes(dav_run, dav_standins):
    nc, ox, _secrets, base = dav_standins
    proc, report, _out = dav_run
    run_id = re.search(r"Overstap run (\S+):", proc.stderr).group(1)
    nc_writes = [r for r in nc.requests() if r["method"] in WRITES]
    ox_writes = [r for r in ox.requests() if r["method"] in WRITES]
    assert nc_writes and ox_writes
    allowed_nc = (f"/remote.php/dav/files/alice/overstap-{run_id}",
                  f"/remote.php/dav/calendars/alice/overstap-{run_id}-",
                  f"/remote.php/dav/addressbooks/users/alice/overstap-{run_id}-")
    stray = [r for r in nc_writes if not r["path"].startswith(allowed_nc)]
    assert not stray, stray[:5]
    allowed_ox = (f"/caldav/alice@example.org/overstap-{run_id}-", f"/carddav/alice@example.org/overstap-{run_id}-")
    stray = [r for r in ox_writes if not r["path"].startswith(allowed_ox)]
    assert not stray, stray[:5]
    # each documented home was really used, and the user's own file is as it was
    for prefix in allowed_nc:
        assert any(r["path"].startswith(prefix) for r in nc_writes), prefix
    assert (base / "nc" / "files" / "alice" / "Report.odt").read_bytes() == b"alice's own document"
    # discovery went through the documented endpoints; the evidence names the same URLs
    urls = [x["request"]["url"] for x in _exchanges(report["results"])]
    files_urls = [u for u in urls if "/remote.php/dav/files/" in u]
    assert files_urls and all(u.startswith(f"{nc.base}/remote.php/dav/files/alice/overstap-{run_id}/")
                              for u in files_urls)


def test_dav_run_takes_credentials_from_the_environment_and_keeps_them_secret(dav_run, dav_standins):
    proc, _report, out = dav_run
    _nc, _ox, secrets, _base = dav_standins
    forms = [secrets["nc"], secrets["ox"],
             base64.b64encode(f"alice:{secrets['nc']}".encode()).decode(),
             base64.b64encode(f"alice@example.org:{secrets['ox']}".encode()).decode()]
    for path in (p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert not [s for s in forms if s.encode() in data], f"{path} holds a secret"
    assert not [s for s in forms if s in proc.stdout + proc.stderr]


def test_a_missing_app_password_variable_is_named(dav_standins, tmp_path, monkeypatch):
    nc, ox, _secrets, _base = dav_standins
    for name in (NC_USER, NC_PASS, OX_USER, OX_PASS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(NC_USER, "alice")
    targets_file = tmp_path / "opendesk.toml"
    targets_file.write_text(_dav_targets(nc, ox))
    proc = overstap("run", "--targets-file", str(targets_file), "--target", "od-files", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"target od-files: set the environment variable(s) {NC_PASS}" in proc.stderr
    assert str(targets_file) in proc.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_a_wrong_app_password_fails_the_checks_not_the_harness(dav_standins, tmp_path):
    """The stand-in really checks credentials: a wrong one gives ERRORs naming the 401, no traceback."""
    nc, ox, _secrets, _base = dav_standins
    targets_file = tmp_path / "opendesk.toml"
    targets_file.write_text(_dav_targets(nc, ox))
    out = tmp_path / "out"
    proc = overstap("run", "--targets-file", str(targets_file), "--target", "od-files", "--suite", "webdav",
                    "-k", "test_basic", "--out", str(out), "--expectations", str(_empty(tmp_path)),
                    env={NC_USER: "alice", NC_PASS: "not-the-app-password"})
    assert proc.returncode == 2, proc.stderr  # a target that did not start is set-up trouble
    assert proc.stderr.count("did not start") == 2  # once as it happens, once in the closing errors
    report = load_json(out / "report.json")
    statuses = {r["status"] for r in report["results"]}
    assert "ERROR" in statuses and statuses <= {"ERROR", "PRECONDITION_FAILED"}, statuses
    assert all("401" in r["message"] for r in report["results"] if r["status"] == "ERROR")
    # one clear reason, found at start: the account was refused, naming the variables that hold it
    (target,) = report["targets"]
    assert "401 Unauthorized" in target["error"] and NC_PASS in target["error"], target


# -- Collabora ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def collabora(tmp_path_factory):
    require_now("libreoffice")
    with running("collabora", tmp_path_factory.mktemp("collabora"), timeout=120) as standin:
        yield standin


def _collabora_targets(standin, target_id="od-office") -> str:
    return (f'[[targets]]\nid = "{target_id}"\nproduct = "collabora"\n'
            f'endpoints = {{ odf-roundtrip = "{standin.base}/cool/convert-to/" }}\n')


@pytest.fixture(scope="module")
def odf_run(collabora, tmp_path_factory):
    base = tmp_path_factory.mktemp("collabora-run")
    targets_file = base / "office.toml"
    targets_file.write_text(_collabora_targets(collabora))
    out = base / "out"
    proc = overstap("run", "--targets-file", str(targets_file), "--out", str(out),
                    "--expectations", str(_empty(base)), timeout=900)
    assert (out / "report.json").exists(), proc.stderr
    return proc, load_json(out / "report.json")


def test_collabora_round_trips_real_documents(odf_run, collabora):
    proc, report = odf_run
    assert proc.returncode in (0, 1), proc.stderr
    validate(report)
    [target] = report["targets"]
    assert target["product"] == "collabora" and target["provider"] == "remote" and "error" not in target
    assert target["version"].startswith("standin-libreoffice")  # read from /hosting/capabilities
    assert {r["suite"] for r in report["results"]} == {"odf"}
    statuses = [r["status"] for r in report["results"]]
    assert statuses.count("PASS") >= len(statuses) // 2, statuses
    assert "ERROR" not in statuses and "TIMEOUT" not in statuses
    valid = [r for r in report["results"] if r["check"].startswith("odf/roundtrip-valid/")]
    assert valid and all(r["status"] == "PASS" for r in valid)
    # every conversion went through the API: ODF->ODF and ODF->OOXML->ODF per feature
    posts = [r for r in collabora.requests() if r["method"] == "POST"]
    features = len(load_fixtures())
    assert len([p for p in posts if p["status"] == 200]) >= 3 * features
    assert {p["path"] for p in posts} >= {"/cool/convert-to/odt", "/cool/convert-to/docx"}


def test_collabora_conversions_are_recorded_as_evidence(collabora, odf_run):
    _proc, report = odf_run
    steps = [x for x in _exchanges(report["results"]) if x["request"]["method"] == "POST"]
    if steps:  # a run whose survival checks all pass carries no evidence; the conversion below does
        assert all(x["request"]["url"].startswith("curl -sS -F data=@") for x in steps)
    fixture = next(f for f in load_fixtures() if f.ext == "odt")
    log = ToolLog()
    out = roundtrip(f"{collabora.base}/cool/convert-to/", fixture.path.read_bytes(), "odt", log, via="docx")
    assert out[:2] == b"PK" and b"application/vnd.oasis.opendocument.text" in out[:100]
    assert [x.method for x in log.exchanges] == ["POST", "POST"]
    first, second = log.exchanges
    assert first.url == f"curl -sS -F data=@1-in.odt {collabora.base}/cool/convert-to/docx"
    assert second.url == f"curl -sS -F data=@2-in.docx {collabora.base}/cool/convert-to/odt"
    assert first.error.startswith("HTTP 200 OK; returned ") and first.request_body_size == fixture.path.stat().st_size


def test_collabora_closing_the_connection_on_a_failed_conversion_is_a_clear_tool_error(collabora, tmp_path):
    """coolwsd answers a format it cannot write with no response at all; so does the stand-in (the same
    request through requests), and the harness says what that means."""
    fixture = next(f for f in load_fixtures() if f.ext == "odt")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{collabora.base}/cool/convert-to/nosuchformat",
                      files={"data": ("a.odt", fixture.path.read_bytes())}, timeout=120)
    log = ToolLog()
    with pytest.raises(ToolError, match="closed the connection without an answer.*CollaboraOnline/online#5924"):
        convert(f"{collabora.base}/cool/convert-to/", fixture.path.read_bytes(), "odt", "nosuchformat", log,
                tmp_path)
    [step] = log.exchanges
    assert "closed the connection without an answer" in step.error


def test_collabora_without_the_file_part_or_format_answers_400(collabora):
    bare = requests.post(f"{collabora.base}/cool/convert-to/odt", data={"data": "no file name"}, timeout=30)
    no_format = requests.post(f"{collabora.base}/cool/convert-to", files={"data": ("a.odt", b"PK")}, timeout=30)
    assert (bare.status_code, bare.content) == (400, b"")
    assert (no_format.status_code, no_format.content) == (400, b"")


def test_collabora_refusing_this_address_stops_the_target_naming_post_allow(tmp_path):
    """With this machine outside net.post_allow.host, the API answers 403 and the target does not start: its
    checks are ERROR with a reason that names the setting (no LibreOffice is started for this)."""
    with running("collabora", tmp_path / "refusing", "--post-allow", r"10\.0\.0\.1") as refusing:
        answer = requests.post(f"{refusing.base}/cool/convert-to/odt", files={"data": ("a.odt", b"PK")}, timeout=30)
        assert (answer.status_code, answer.content) == (403, b"")
        log = ToolLog()
        with pytest.raises(ToolError, match=r"403 Forbidden: .*net\.post_allow\.host"):
            convert(f"{refusing.base}/cool/convert-to/", b"PK", "odt", "odt", log, tmp_path)
        targets_file = tmp_path / "office.toml"
        targets_file.write_text(_collabora_targets(refusing, "refused-office"))
        out = tmp_path / "out"
        proc = overstap("run", "--targets-file", str(targets_file), "--suite", "odf", "-k", "roundtrip_valid",
                        "--out", str(out), "--expectations", str(_empty(tmp_path)))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    report = load_json(out / "report.json")
    [target] = report["targets"]
    assert "net.post_allow.host" in target["error"] and "refuses conversion requests" in target["error"]
    assert report["results"] and {r["status"] for r in report["results"]} == {"ERROR"}


def test_the_collabora_stand_in_stops_its_libreoffice_and_leaves_nothing_behind(tmp_path, no_leftovers):
    require_now("libreoffice")
    fixture = next(f for f in load_fixtures() if f.ext == "odt")
    with running("collabora", tmp_path / "once", timeout=120) as standin:
        answer = requests.post(f"{standin.base}/cool/convert-to/odt",
                               files={"data": ("a.odt", fixture.path.read_bytes())}, timeout=120)
        assert answer.status_code == 200 and answer.content[:2] == b"PK"
        assert answer.headers["Content-Disposition"] == 'attachment; filename="a.odt"'
    assert standin.proc.returncode == 0


# -- La Suite Docs ---------------------------------------------------------------------------------------

def test_lasuite_docs_is_accepted_and_skipped_with_the_reason(tmp_path):
    targets_file = tmp_path / "lasuite.toml"
    targets_file.write_text('[[targets]]\nid = "docs"\nproduct = "lasuite_docs"\n'
                            'endpoints = { docs-api = "https://docs.example.org/external_api/v1.0/" }\n')
    proc = overstap("run", "--targets-file", str(targets_file), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "skipped docs: no requested suite applies (it supports: none)" in proc.stderr
    assert "nothing to run" in proc.stderr
    assert not re.search(r"docs\.example\.org", proc.stdout)
