"""The `overstap` console script as users and CI call it: every exit status of `overstap run`, and the
help and listing commands."""

from __future__ import annotations

import os
import sys

import pytest

from conftest import QUICK_CHECKS, load_json, overstap, require_now
from harness import catalog, expectations
from harness.report import validate


# -- exit 0: every result expected ----------------------------------------------------------------
@pytest.fixture(scope="module")
def expected_run(webdav_run, tmp_path_factory):
    """Expectations written from the shared run (via `overstap expectations update`), then a second run with
    them (of QUICK_CHECKS only, to keep it short: every result of it is also one of the shared run)."""
    base = tmp_path_factory.mktemp("expected")
    exp_dir = base / "expectations"
    update = overstap("expectations", "update", str(webdav_run.out), "--expectations", str(exp_dir))
    out = base / "out"
    proc = overstap("run", "--target", "wsgidav", "--target", "nginx", "--suite", "webdav", "--out", str(out),
                    "--expectations", str(exp_dir), "-k", QUICK_CHECKS)
    return update, exp_dir, proc, out


def test_expectations_update_writes_the_failures_of_the_run(expected_run, webdav_run):
    update, exp_dir, _proc, _out = expected_run
    assert update.returncode == 0, update.stderr
    first = webdav_run.report
    unexpected = {(r["target"], r["check"], r["status"]) for r in first["results"] if not r["expected"]}
    assert unexpected, "the shared run should have unexpected results (nginx)"
    known = expectations.load(exp_dir)
    versions = {t["id"]: (t["product"], t["version"]) for t in first["targets"]}
    for target_id, check, status in unexpected:
        product, version = versions[target_id]
        exp = expectations.find(known, product, version, check)
        assert exp is not None and status in exp.statuses and exp.reason
    assert (exp_dir / "nginx.toml").is_file()


def test_exit_0_when_every_result_is_expected(expected_run):
    _update, _exp_dir, proc, out = expected_run
    report = load_json(out / "report.json")
    validate(report)
    assert proc.returncode == 0, proc.stderr + "\nunexpected: " + str(
        [(r["target"], r["check"], r["status"]) for r in report["results"] if not r["expected"]])
    assert report["summary"]["unexpected"] == 0
    # the expectations were used, not merely absent: some non-passing results are expected ones
    judged = [r for r in report["results"] if r.get("expected_status")]
    assert judged and all(r["expected"] and r["expectation_reason"] for r in judged)
    assert any(r["status"] not in ("PASS", "SKIP", "PRECONDITION_FAILED") for r in judged)


# -- exit 1: an unexpected result -----------------------------------------------------------------
def test_exit_1_on_unexpected_result(webdav_run):
    proc, report = webdav_run.proc, webdav_run.report
    assert proc.returncode == 1, proc.stderr
    assert report["summary"]["unexpected"] > 0
    unexpected = [r for r in report["results"] if not r["expected"]]
    assert any(r["target"] == "nginx" for r in unexpected)
    # progress on stderr names each unexpected failure and the summary
    for r in unexpected:
        assert r["check"] in proc.stderr
    assert f"{report['summary']['unexpected']} unexpected" in proc.stderr
    assert "Report: " in proc.stderr


def test_exit_1_on_a_deliberately_broken_expectation(tmp_path):
    """An expectation that says a passing check fails: the PASS is unexpected, so the run exits 1."""
    exp_dir = tmp_path / "expectations"
    exp_dir.mkdir()
    (exp_dir / "wsgidav.toml").write_text(
        '["webdav/basic/put-get"]\nstatus = "FAIL"\nreason = "deliberately wrong, to prove expectations decide"\n')
    out = tmp_path / "out"
    proc = overstap("run", "--target", "wsgidav", "--suite", "webdav", "--out", str(out),
                    "--expectations", str(exp_dir), "-k", "test_put_get and not utf8")
    assert proc.returncode == 1, proc.stderr
    report = load_json(out / "report.json")
    [result] = [r for r in report["results"] if r["check"] == "webdav/basic/put-get"]
    assert result["status"] == "PASS" and result["expected"] is False and result["expected_status"] == "FAIL"


# -- exit 2: harness errors -----------------------------------------------------------------------
def _assert_harness_error(proc, *words):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


def test_exit_2_unknown_suite(tmp_path):
    proc = overstap("run", "--suite", "smtp", "--target", "wsgidav", "--out", str(tmp_path / "out"))
    _assert_harness_error(proc, "unknown suite 'smtp'", "webdav")
    assert not (tmp_path / "out").exists()


def test_exit_2_unknown_target(tmp_path):
    proc = overstap("run", "--target", "sharepoint9000", "--suite", "webdav", "--out", str(tmp_path / "out"))
    _assert_harness_error(proc, "unknown product 'sharepoint9000'", "wsgidav")
    assert not (tmp_path / "out").exists()


def test_exit_2_bad_targets_file(tmp_path):
    bad = tmp_path / "targets.toml"
    bad.write_text("[[targets]]\nid = 'x'\nproduct = \n")
    proc = overstap("run", "--targets-file", str(bad), "--out", str(tmp_path / "out"))
    _assert_harness_error(proc, "is not valid TOML", str(bad))


def test_exit_2_bad_expectations_file(tmp_path):
    (tmp_path / "nginx.toml").write_text('["webdav/basic/mkcol"]\nstatus = "FAIL"\n')
    proc = overstap("run", "--target", "nginx", "--suite", "webdav", "--out", str(tmp_path / "out"),
                    "--expectations", str(tmp_path))
    _assert_harness_error(proc, "give a reason", "nginx.toml")


def test_exit_2_bad_shard(tmp_path):
    proc = overstap("run", "--target", "wsgidav", "--shard", "5/4", "--out", str(tmp_path / "out"))
    _assert_harness_error(proc, "--shard")


def test_exit_2_explicitly_requested_unavailable_product(tmp_path):
    """apache is requested but not on PATH: the other target still runs, the run ends with status 2."""
    require_now("wsgidav")
    require_now("apache")
    env = {"PATH": os.path.dirname(sys.executable)}  # only the venv: apache2 (in /usr/sbin) is not found
    assert catalog.get("apache").missing() is None
    out = tmp_path / "out"
    proc = overstap("run", "--target", "wsgidav", "--target", "apache", "--suite", "webdav", "--out", str(out),
                    "-k", "options", "--expectations", str(tmp_path), env=env)
    _assert_harness_error(proc, "apache: not available here", "apache2 not found", "apt-get install apache2")
    report = load_json(out / "report.json")
    assert {t["id"] for t in report["targets"]} == {"wsgidav"}
    assert report["results"] and {r["target"] for r in report["results"]} == {"wsgidav"}


def test_exit_2_nothing_to_run(tmp_path, require):
    require("radicale")
    proc = overstap("run", "--target", "radicale", "--suite", "webdav", "--out", str(tmp_path / "out"))
    _assert_harness_error(proc, "skipped radicale: no requested suite applies", "nothing to run")


def test_exit_0_empty_shard_writes_an_empty_report(tmp_path):
    """A CI matrix wider than the (target, suite) units: shard 2/2 of a single unit has nothing to do."""
    out = tmp_path / "out"
    proc = overstap("run", "--target", "wsgidav", "--suite", "webdav", "--shard", "2/2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "is empty" in proc.stderr
    report = load_json(out / "report.json")
    validate(report)
    assert report["results"] == [] and report["targets"] == []


def test_exit_2_without_command():
    proc = overstap()
    assert proc.returncode == 2 and "usage: overstap" in proc.stdout


# -- help and listing -----------------------------------------------------------------------------
def test_help():
    proc = overstap("--help")
    assert proc.returncode == 0 and proc.stderr == ""
    for command in ("targets", "run", "expectations"):
        assert command in proc.stdout


def test_run_help_documents_exit_status():
    proc = overstap("run", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for option in ("--suite", "--target", "--targets-file", "--out", "--expectations", "-k"):
        assert option in text
    assert "Exit status: 0" in text and "1 some result unexpected" in text and "2 harness error" in text


def test_version():
    from harness import __version__

    proc = overstap("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"overstap {__version__}"


def test_targets_lists_every_product_with_yes_no_or_remote():
    proc = overstap("targets")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["product", "available", "version"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip()}
    assert set(rows) == set(catalog.names())
    for name, cells in rows.items():
        product = catalog.get(name)
        available = product.missing() is None
        assert cells[1] == ("yes" if available else "no" if product.local else "remote"), cells
        if available:
            assert cells[2] == product.local_version()
        assert cells[3] == (",".join(sorted(product.capabilities)) or "-")


def test_targets_says_no_and_how_to_install_when_missing():
    require_now("apache")
    proc = overstap("targets", env={"PATH": os.path.dirname(sys.executable)})
    assert proc.returncode == 0
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert rows["apache"].split()[1] == "no" and "apt-get install apache2" in rows["apache"]
    assert rows["wsgidav"].split()[1] == "yes"


def test_relative_out_from_another_folder(tmp_path, require):
    """`--out` relative to where the user is, not to the repository the test processes run in."""
    require("wsgidav")
    proc = overstap("run", "--target", "wsgidav", "--suite", "webdav", "-k", "test_put_get and not utf8",
                    "--no-moves", "--out", "relout", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    report = load_json(tmp_path / "relout" / "report.json")
    assert [r["status"] for r in report["results"]] == ["PASS"]
    assert not list((tmp_path / "relout").glob(".events-*"))
