"""The remote provider end to end: a real WsgiDAV started here, named as a deployment in a targets
file, tested through `overstap run --targets-file`; secrets never reach the output folder."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest

from conftest import QUICK_CHECKS, load_json, overstap, require_now
from harness import catalog
from harness.providers.local import LocalTarget
from harness.providers.remote import RemoteTarget, TargetsFileError, load_targets_file
from harness.report import validate

USER_ENV, PASS_ENV = "OVT_STAGING_DAV_USER", "OVT_STAGING_DAV_PASSWORD"


def targets_toml(url: str, target_id: str = "staging-files", extra: str = "") -> str:
    return (f'[[targets]]\nid = "{target_id}"\nproduct = "wsgidav"\n'
            f'endpoints = {{ webdav = "{url}" }}\n'
            f'username_env = "{USER_ENV}"\npassword_env = "{PASS_ENV}"\n{extra}')


def _empty(base: Path) -> Path:
    """An empty expectations folder: every non-PASS result is unexpected."""
    folder = base / "no-expectations"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def deployment():
    """A real WsgiDAV on loopback, playing a staging deployment."""
    require_now("wsgidav")
    with LocalTarget(catalog.get("wsgidav"), target_id="staging-backend") as started:
        yield started


@pytest.fixture(scope="module")
def remote_run(deployment, tmp_path_factory):
    base = tmp_path_factory.mktemp("remote")
    targets_file = base / "targets.toml"
    targets_file.write_text(targets_toml(deployment.endpoints["webdav"]))
    out = base / "out"
    creds = deployment.credentials
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(USER_ENV, creds.username)
        mp.setenv(PASS_ENV, creds.password)
        proc = overstap("run", "--targets-file", str(targets_file), "--target", "staging-files", "--suite", "webdav",
                        "--out", str(out), "--expectations", str(_empty(base)), "-k", QUICK_CHECKS)
    return proc, out, creds


def test_remote_run_has_results_for_the_remote_target(remote_run):
    proc, out, _creds = remote_run
    assert proc.returncode in (0, 1), proc.stderr
    report = load_json(out / "report.json")
    validate(report)
    [entry] = report["targets"]
    assert entry["id"] == "staging-files" and entry["provider"] == "remote" and entry["product"] == "wsgidav"
    assert "error" not in entry
    assert set(entry["capabilities"]) == set(catalog.get("wsgidav").capabilities)
    assert report["results"], proc.stderr
    assert {r["target"] for r in report["results"]} == {"staging-files"}
    # the deployment was really reached: the checks ran instead of failing in setup
    assert sum(r["status"] == "PASS" for r in report["results"]) >= len(report["results"]) // 2
    assert not [r for r in report["results"] if r["status"] == "ERROR"]


def test_remote_password_never_reaches_the_output(remote_run):
    proc, out, creds = remote_run
    basic = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"report.json", "junit.xml", "index.html"} <= {p.name for p in files}
    assert any(p.parent.name == "logs" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in (creds.password, basic):
            assert secret.encode() not in data, f"{path} holds a secret"
    for stream in (proc.stdout, proc.stderr):
        assert creds.password not in stream and basic not in stream
    # where evidence exists, the credentials were redacted rather than dropped silently
    report = load_json(out / "report.json")
    for r in report["results"]:
        for exchange in r["evidence"].get("exchanges", []):
            assert exchange["request"]["headers"].get("Authorization", "[redacted]") == "[redacted]"


def test_missing_credentials_env_exits_2_naming_the_variable(deployment, tmp_path, monkeypatch):
    """A credential variable the targets file names but the environment lacks stops the run before any
    target starts (exit 2, a setup error), so CI does not read a secrets typo as a regression."""
    monkeypatch.delenv(USER_ENV, raising=False)
    monkeypatch.delenv(PASS_ENV, raising=False)
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(targets_toml(deployment.endpoints["webdav"]))
    out = tmp_path / "out"
    proc = overstap("run", "--targets-file", str(targets_file), "--suite", "webdav", "--out", str(out),
                    "-k", "options", "--expectations", str(_empty(tmp_path)))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"set the environment variable(s) {USER_ENV}, {PASS_ENV}" in proc.stderr
    assert str(targets_file) in proc.stderr
    assert not (out / "report.json").exists()


def test_remote_target_in_process(deployment, tmp_path, monkeypatch):
    """RemoteTarget.start() reads the credentials from the environment and the version from the Server header."""
    targets_file = tmp_path / "t.toml"
    targets_file.write_text(targets_toml(deployment.endpoints["webdav"].rstrip("/"), extra='version = "9.9"\n'))
    [entry] = load_targets_file(targets_file)
    assert entry.endpoints["webdav"].endswith("/")  # normalised
    with pytest.raises(TargetsFileError, match=PASS_ENV):
        RemoteTarget(entry).start()
    monkeypatch.setenv(USER_ENV, deployment.credentials.username)
    monkeypatch.setenv(PASS_ENV, deployment.credentials.password)
    started = RemoteTarget(entry).start()
    assert started.provider == "remote" and started.version == "9.9"
    assert started.secrets == [deployment.credentials.password]
    entry.version = None
    assert RemoteTarget(entry).start().version == deployment.version  # the product token of the Server header, not the whole header


BAD_FILES = {
    "bad-toml": ('[[targets]\nid = "x"\n', "is not valid TOML"),
    "unknown-product": ('[[targets]]\nid = "x"\nproduct = "sharepoint9000"\n'
                        'endpoints = { webdav = "http://127.0.0.1:1/" }\n', "unknown product 'sharepoint9000'"),
    "password-in-file": ('[[targets]]\nid = "x"\nproduct = "wsgidav"\nendpoints = { webdav = "http://127.0.0.1:1/" }\n'
                         'username = "me"\npassword = "hunter2-secret"\n', "put the secret in an environment variable"),
    "no-targets": ('title = "nothing"\n', "no [[targets]] tables"),
    "no-endpoints": ('[[targets]]\nid = "x"\nproduct = "wsgidav"\n', "'endpoints' is required"),
    "not-http": ('[[targets]]\nid = "x"\nproduct = "wsgidav"\nendpoints = { webdav = "ftp://h/" }\n',
                 "must be an http(s) URL"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_targets_file_exits_2_saying_what_to_fix(kind, tmp_path):
    text, hint = BAD_FILES[kind]
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(text)
    proc = overstap("run", "--targets-file", str(targets_file), "--target", "x", "--suite", "webdav",
                    "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("overstap run: ") and hint in proc.stderr, proc.stderr
    assert str(targets_file) in proc.stderr
    assert "hunter2-secret" not in proc.stderr + proc.stdout
    assert not (tmp_path / "out").exists()


def test_missing_targets_file_exits_2(tmp_path):
    proc = overstap("run", "--targets-file", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot read targets file" in proc.stderr


def test_a_deployment_that_does_not_answer_is_said_once_and_exits_2(tmp_path):
    """An unreachable endpoint: one clear "did not start" line with the advice, not one ERROR line per check;
    the report still holds every check (as ERROR) and the target's error; exit 2 (set-up trouble)."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(targets_toml(f"http://127.0.0.1:{port}/dav/"))
    out = tmp_path / "out"
    proc = overstap("run", "--targets-file", str(targets_file), "--suite", "webdav", "--out", str(out),
                    env={USER_ENV: "alice", PASS_ENV: "whatever"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("does not answer") == 2, proc.stderr  # as it happens, and in the closing errors
    assert "check the URL and that this machine can reach it" in proc.stderr
    assert len(proc.stderr.splitlines()) < 15, proc.stderr
    report = load_json(out / "report.json")
    assert "does not answer" in report["targets"][0]["error"]
    assert len(report["results"]) > 100 and {r["status"] for r in report["results"]} <= {"ERROR", "PRECONDITION_FAILED"}


def test_moves_of_a_target_that_did_not_start_are_reported_as_failed_moves(tmp_path, require):
    """The moves phase neither starts a failed target again nor leaves its pairs out: each pair is a moves[]
    entry with the reason, so the matrix and `overstap diff` show it (review of issue 6)."""
    require("radicale")
    targets_file = tmp_path / "dead.toml"
    targets_file.write_text('[[targets]]\nid = "dead-cal"\nproduct = "radicale"\n'
                            'endpoints = { caldav = "http://127.0.0.1:9/", carddav = "http://127.0.0.1:9/" }\n')
    out = tmp_path / "out"
    proc = overstap("run", "--targets-file", str(targets_file), "--target", "dead-cal", "--target", "radicale",
                    "--suite", "caldav", "-k", "principal", "--moves", "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    report = load_json(out / "report.json")
    validate(report)
    pairs = {(m["kind"], m["source"], m["destination"]) for m in report["moves"]}
    assert pairs == {(k, a, b) for k in ("calendar", "contacts") for a, b in (("dead-cal", "radicale"),
                                                                              ("radicale", "dead-cal"))}
    assert all("dead-cal did not start" in m["error"] and m["items_intact"] == 0 for m in report["moves"])
    assert "moves: starting radicale" in proc.stderr  # dead-cal was not started a second time
