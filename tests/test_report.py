"""report.json, junit.xml and index.html of a real run, and the expectations that judge results."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from harness import expectations
from harness.expectations import ExpectationsError
from harness.report import SCHEMA_ID, build_report, validate
from harness.report.model import ReportError

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "harness" / "report" / "schema" / "report-1.0.json"
TARGET_FIELDS = {"id", "product", "version", "provider", "capabilities"}
RESULT_FIELDS = {"check", "suite", "target", "status", "level", "clause", "message", "duration_s", "expected",
                 "evidence"}


@pytest.fixture(scope="module")
def report(webdav_run):
    return webdav_run.report


def test_report_validates_against_shipped_schema(report):
    validate(report)
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)
    # the schema the package ships (importlib.resources) is the same file
    shipped = json.loads(resources.files("harness.report").joinpath("schema/report-1.0.json").read_text("utf-8"))
    assert shipped == schema


def test_validate_rejects_a_broken_report(report):
    broken = json.loads(json.dumps(report))
    broken["results"][0]["status"] = "MAYBE"
    with pytest.raises(ReportError, match="results/0/status"):
        validate(broken)
    del broken["targets"]
    with pytest.raises(ReportError):
        validate(broken)


def test_report_targets_and_results(report, webdav_run):
    assert report["schema"] == SCHEMA_ID
    assert report["run_info"]["suites"] == ["webdav"] and report["run_info"]["interrupted"] is False
    assert {t["id"] for t in report["targets"]} == {"wsgidav", "nginx"}
    for t in report["targets"]:
        assert TARGET_FIELDS <= set(t) and t["provider"] == "local" and t["version"] not in ("", "unknown")
        assert "error" not in t
    assert report["results"]
    for r in report["results"]:
        assert RESULT_FIELDS <= set(r)
        assert r["suite"] == "webdav" and r["check"].startswith("webdav/") and r["clause"]
    assert {r["check"].split("/")[1] for r in report["results"]} >= {"basic", "props"}  # the run reached both groups
    per_target = {t: sorted(r["check"] for r in report["results"] if r["target"] == t) for t in ("wsgidav", "nginx")}
    assert per_target["wsgidav"] == per_target["nginx"]  # same checks, each target once
    assert len(set(per_target["nginx"])) == len(per_target["nginx"])
    summary = report["summary"]
    assert summary["total"] == len(report["results"]) == sum(summary["by_status"].values())
    assert summary["unexpected"] == sum(not r["expected"] for r in report["results"])
    # without expectations, exactly the non-passing results are unexpected
    for r in report["results"]:
        assert r["expected"] == (r["status"] in ("PASS", "SKIP", "PRECONDITION_FAILED"))
    # nginx does not claim locking: that optional feature is "absent", not "wrong"
    locking = [r for r in report["results"] if r["target"] == "nginx" and r["check"] == "webdav/basic/options-class-2"]
    assert [r["status"] for r in locking] == ["PRECONDITION_FAILED"]


def test_failures_carry_redacted_evidence(report):
    failures = [r for r in report["results"] if r["status"] == "FAIL"]
    assert failures, "nginx is expected to fail some WebDAV MUSTs"
    for r in failures:
        assert r["level"] == "MUST" and r["message"]
    with_exchanges = [r for r in failures if r["evidence"].get("exchanges")]
    assert with_exchanges
    authorizations = [ex["request"]["headers"]["Authorization"]
                      for r in with_exchanges for ex in r["evidence"]["exchanges"]
                      if "Authorization" in ex["request"]["headers"]]
    assert authorizations and set(authorizations) == {"[redacted]"}
    for r in with_exchanges:
        for ex in r["evidence"]["exchanges"]:
            assert ex["request"]["method"] and ex["request"]["url"].startswith("http://127.0.0.1:")


def test_junit_one_testsuite_per_target(report, webdav_run):
    tree = etree.parse(str(webdav_run.out / "junit.xml"))
    root = tree.getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert sorted(s.get("name") for s in suites) == sorted(t["id"] for t in report["targets"])
    for suite in suites:
        results = {r["check"]: r for r in report["results"] if r["target"] == suite.get("name")}
        cases = suite.findall("testcase")
        assert len(cases) == len(results) == int(suite.get("tests"))
        for case in cases:
            r = results[case.get("name")]
            assert case.get("classname") == ".".join(r["check"].split("/")[:2])  # suite.group
            assert (case.find("failure") is not None) == (r["status"] == "FAIL")
        assert int(suite.get("failures")) == sum(r["status"] == "FAIL" for r in results.values())
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        target = next(t for t in report["targets"] if t["id"] == suite.get("name"))
        assert props["version"] == target["version"] and props["product"] == target["product"]


def test_html_names_each_target(report, webdav_run):
    html = (webdav_run.out / "index.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    for t in report["targets"]:
        assert t["id"] in html and t["version"] in html
    for r in report["results"]:
        if r["status"] == "FAIL":
            assert r["check"] in html
    etree.fromstring(html.encode(), etree.HTMLParser())  # parses


# -- expectations ---------------------------------------------------------------------------------
def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _result(check: str, status: str) -> dict:
    return {"check": check, "status": status}


def test_expectations_load_and_judge_by_version_range(tmp_path):
    folder = _write(tmp_path / "exp", "nginx.toml", """
["webdav/basic/put-no-parent"]
status = "FAIL"
versions = ">=1.18,<2"
reason = "answers 500 instead of 409"
link = "https://trac.nginx.org/nginx/ticket/0"

["webdav/props/getetag-matches-etag"]
status = "FAIL"
versions = "*"
reason = "no DAV:getetag"
""")
    known = expectations.load(folder)
    assert set(known) == {"nginx"}
    exp = known["nginx"]["webdav/basic/put-no-parent"]
    assert exp.statuses == ("FAIL",) and not exp.intermittent
    assert exp.link.startswith("https://") and exp.reason == "answers 500 instead of 409"
    open_range = known["nginx"]["webdav/props/getetag-matches-etag"]

    def judge(check, status, product="nginx", version="1.22.1"):
        return expectations.judge(_result(check, status), product, version, known)

    put = "webdav/basic/put-no-parent"
    assert judge(put, "FAIL") == (True, exp)
    # outside the range: the default applies, and a FAIL is unexpected
    assert judge(put, "FAIL", version="1.10.3") == (False, None)
    assert judge(put, "FAIL", version="2.0") == (False, None)
    assert judge(put, "PASS", version="2.0") == (True, None)
    # an unparseable version matches only open ranges
    assert judge(put, "FAIL", version="unknown") == (False, None)
    assert judge("webdav/props/getetag-matches-etag", "FAIL", version="unknown") == (True, open_range)
    # a fixed bug (PASS where FAIL is expected) is a change, so unexpected
    assert judge(put, "PASS") == (False, exp)
    # wrong status: a WARN where a FAIL is expected
    assert judge(put, "WARN") == (False, exp)
    # other products and other checks: the defaults
    assert judge(put, "FAIL", product="apache", version="2.4.71") == (False, None)
    for status in ("PASS", "SKIP", "PRECONDITION_FAILED"):
        assert judge("webdav/basic/mkcol", status) == (True, None)
    for status in ("FAIL", "WARN", "ERROR", "TIMEOUT"):
        assert judge("webdav/basic/mkcol", status) == (False, None)


def test_intermittent_expectation_accepts_each_listed_status(tmp_path):
    folder = _write(tmp_path / "exp", "rclone.toml",
                    '["webdav/basic/mkcol-again"]\nstatus = ["PASS", "FAIL"]\nreason = "flips"\n')
    known = expectations.load(folder)
    exp = known["rclone"]["webdav/basic/mkcol-again"]
    assert exp.intermittent and set(exp.statuses) == {"PASS", "FAIL"}
    for status, expected in (("PASS", True), ("FAIL", True), ("ERROR", False)):
        assert expectations.judge(_result("webdav/basic/mkcol-again", status), "rclone", "1.60", known)[0] is expected


def test_build_report_applies_expectations(tmp_path):
    folder = _write(tmp_path / "exp", "nginx.toml",
                    '["webdav/basic/put-no-parent"]\nstatus = "FAIL"\nreason = "answers 500"\n')
    known = expectations.load(folder)
    base = {"suite": "webdav", "target": "n", "level": "MUST", "clause": "RFC 4918 §9.7.1", "message": "m",
            "duration_s": 0.1, "evidence": {}}
    results = [{**base, "check": "webdav/basic/put-no-parent", "status": "FAIL"},
               {**base, "check": "webdav/basic/mkcol-again", "status": "FAIL"}]
    targets = [{"id": "n", "product": "nginx", "version": "1.22.1", "provider": "local", "capabilities": ["webdav"]}]
    report = build_report(targets=targets, results=results, started=0.0, finished=1.0, suites=["webdav"], known=known)
    validate(report)
    by_check = {r["check"]: r for r in report["results"]}
    assert by_check["webdav/basic/put-no-parent"]["expected"] is True
    assert by_check["webdav/basic/put-no-parent"]["expectation_reason"] == "answers 500"
    assert by_check["webdav/basic/mkcol-again"]["expected"] is False
    assert "expected_status" not in by_check["webdav/basic/mkcol-again"]
    assert report["summary"]["unexpected"] == 1


@pytest.mark.parametrize("text, problem", [
    ('["webdav/basic/mkcol"]\nstatus = "FAIL"\n', "give a reason"),
    ('["webdav/basic/mkcol"]\nstatus = "FAIL"\nreason = ""\n', "give a reason"),
    ('["webdav/basic/mkcol"]\nstatus = "BROKEN"\nreason = "r"\n', "status must be one of"),
    ('["webdav/basic/mkcol"]\nstatus = ["PASS", "BROKEN"]\nreason = "r"\n', "status must be one of"),
    ('["webdav/basic/mkcol"]\nreason = "r"\n', "status must be one of"),
    ('["webdav/basic/mkcol"]\nstatus = []\nreason = "r"\n', "status must be one of"),
    ('["webdav/basic/mkcol"]\nstatus = "FAIL"\nreason = "r"\nversions = "about 1.2"\n', "bad versions"),
    ('["webdav/basic/mkcol"\nstatus = "FAIL"\n', "not valid TOML"),
    ('"webdav/basic/mkcol" = "FAIL"\n', "must be a table"),
])
def test_expectations_errors_name_file_and_problem(tmp_path, text, problem):
    folder = _write(tmp_path / "exp", "apache.toml", text)
    with pytest.raises(ExpectationsError) as info:
        expectations.load(folder)
    assert problem in str(info.value) and "apache.toml" in str(info.value)


def test_expectations_missing_folder_is_empty(tmp_path):
    assert expectations.load(tmp_path / "none") == {}
    assert expectations.load(None) == {}
