"""The pytest plugin on its own: `python -m pytest suites/webdav --target T --overstap-out DIR`, and
how outcomes become statuses (a violated SHOULD is WARN, never FAIL)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from conftest import QUICK_CHECKS, REPO, load_json, require_now
from harness.checks import PreconditionFailed, Status
from harness.http import WriteOutsideRunCollection
from harness.plugin import classify
from harness.report import validate

SUITE = REPO / "suites" / "webdav"


def plain_pytest(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", "-q", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def plugin_runs(tmp_path_factory):
    """Plain pytest runs of the WebDAV suite, one per product, each writing a report."""
    runs = {}
    for name in ("wsgidav", "apache"):
        require_now(name)
        out = tmp_path_factory.mktemp(f"plugin-{name}")
        runs[name] = (plain_pytest("--target", name, "--overstap-out", str(out), "-k", QUICK_CHECKS,
                                   "--overstap-json", str(out / "events.jsonl")), out)
    return runs


def test_plain_pytest_writes_a_report(plugin_runs):
    proc, out = plugin_runs["wsgidav"]
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr
    for name in ("report.json", "junit.xml", "index.html"):
        assert (out / name).is_file()
    report = load_json(out / "report.json")
    validate(report)
    [entry] = report["targets"]
    assert entry["id"] == "wsgidav" and entry["provider"] == "local" and entry["version"]
    assert report["results"] and {r["target"] for r in report["results"]} == {"wsgidav"}
    # pytest's own verdict agrees with the report: one pytest test per result
    passed = sum(r["status"] == "PASS" for r in report["results"])
    assert f"{passed} passed" in proc.stdout
    if proc.returncode == 0:
        assert all(r["status"] in ("PASS", "SKIP", "PRECONDITION_FAILED") for r in report["results"])
    # the JSON-lines stream holds the same results
    events = [line for line in (out / "events.jsonl").read_text().splitlines() if '"event": "result"' in line]
    assert len(events) == len(report["results"])


def test_should_violation_is_warn_not_fail(plugin_runs):
    _proc, out = plugin_runs["apache"]
    report = load_json(out / "report.json")
    validate(report)
    should = [r for r in report["results"] if r["level"] == "SHOULD"]
    assert should, "the WebDAV suite has SHOULD-level checks"
    violated = [r for r in should if r["status"] not in ("PASS", "SKIP", "PRECONDITION_FAILED")]
    assert violated, "apache gives weak ETags (webdav/basic/put-etag), a SHOULD-level finding"
    assert {r["status"] for r in violated} == {"WARN"}
    warn = violated[0]
    assert warn["message"] and warn["clause"].startswith("RFC")
    assert warn["evidence"].get("exchanges"), "a WARN carries its evidence too"
    assert not [r for r in report["results"] if r["status"] == "FAIL" and r["level"] != "MUST"]


def test_no_target_is_a_usage_error():
    proc = plain_pytest()
    assert proc.returncode == 4  # pytest's usage error
    assert "no target: run with --target NAME" in proc.stdout + proc.stderr


def test_unknown_target_is_a_usage_error_without_traceback():
    proc = plain_pytest("--target", "sharepoint9000")
    assert proc.returncode == 4
    text = proc.stdout + proc.stderr
    assert "unknown product 'sharepoint9000'" in text and "Traceback" not in text


@pytest.mark.parametrize("exc, level, status", [
    (AssertionError("no ETag"), "MUST", Status.FAIL),
    (AssertionError("weak ETag"), "SHOULD", Status.WARN),
    (AssertionError("x"), "MAY", Status.WARN),
    (PreconditionFailed("no locking"), "MUST", Status.PRECONDITION_FAILED),
    (requests.ReadTimeout("slow"), "MUST", Status.TIMEOUT),
    (requests.ConnectionError("refused"), "SHOULD", Status.ERROR),
    (WriteOutsideRunCollection("PUT /elsewhere"), "MUST", Status.ERROR),
    (KeyError("bug"), "MUST", Status.ERROR),
])
def test_classify(exc, level, status):
    got, message = classify(exc, level)
    assert got == status and message


def test_classify_strips_pytest_assert_rewriting():
    status, message = classify(AssertionError("the ETag is weak\nassert not True\n +  where ..."), "SHOULD")
    assert status == Status.WARN and message == "the ETag is weak"
