"""Hostile and faulty targets: Overstap must survive them (README "Safety", DESIGN "Statuses").

One real HTTP server on loopback (:mod:`tests.hostile.server`) serves one fault per endpoint. Each
fault is driven twice: directly through a :class:`harness.http.DavClient` doing what a check does
(with a small response-size limit), and through the real CLI -- one ``overstap run`` naming every
fault as a remote ``wsgidav`` deployment plus a real local WsgiDAV -- after which:

- the run ended in bounded time with exit status 1 (unexpected results), never 2 (harness error);
- every hostile result is ERROR, TIMEOUT, FAIL or WARN with a message, never a traceback;
- the real WsgiDAV in the same run still PASSes;
- the memory of the run's processes stayed bounded (ru_maxrss of the waited-for children);
- the secret marker of the local file named by the XXE fault appears in no output file, the
  network-entity listener saw no connection, and the other host (127.0.0.2) never saw a request.

Also: office-tool stand-ins (:mod:`tests.hostile.odf`) that the XML and zip readers must refuse.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from conformance.xml import XMLProblem, iter_events, parse_xml
from harness.http import DavClient, ResponseTooLarge
from harness.plugin import CheckTimeout, classify
from harness.target import Credentials, Target
from conftest import overstap_bin, require_now
from hostile import odf
from hostile.server import FAULTS, ConnectionRecorder, HostileServer

SECRET_MARKER = "OVERSTAP-SECRET-MARKER-7f3c9a"
PASSWORD = "hostile-pw-Zq8!x"
STATUSES_FOR_FAULTS = {"ERROR", "TIMEOUT", "FAIL", "WARN"}
RUN_FAULTS = (*FAULTS, "setup-drip", "setup-hang")  # setup-*: the run collection's MKCOL already misbehaves
KEYWORD = "test_basic and (options_dav_header or put_get) or propfind_depth"  # 5 checks


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(main server, server on 127.0.0.2, connection recorder, secret file); all stopped at teardown."""
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text(f"{SECRET_MARKER}\n")
    recorder = ConnectionRecorder().start()
    other = HostileServer(host="127.0.0.2", fault="none").start()
    server = HostileServer(secret_path=secret, recorder_url=recorder.url, other_origin=other.origin).start()
    try:
        yield server, other, recorder, secret
    finally:
        server.stop()
        other.stop()
        recorder.stop()


# -- 1. each fault through a DavClient, as a check drives it -----------------------------------------

def _as_a_check(client: DavClient, limit_s: float) -> None:
    """What the WebDAV checks do (OPTIONS, PUT, GET, PROPFIND + multistatus), under a check timeout."""
    from suites.webdav.helpers import multistatus

    def expire(_signum, _frame):
        raise CheckTimeout(f"the check did not finish within {limit_s:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    try:
        options = client.options("")
        assert "1" in options.headers.get("DAV", ""), f"OPTIONS answered {options.status_code} without DAV"
        assert client.put("res.bin", b"data").status_code == 201, "PUT failed"
        got = client.get("res.bin")
        assert got.content == b"data", f"GET answered {got.status_code} with other content"
        multistatus(client.propfind("", depth="1"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("fault", FAULTS)
def test_davclient_survives_fault(hostile, fault):
    server, other, recorder, _secret = hostile
    target = Target("h", "wsgidav", "0", "remote", frozenset({"webdav"}), {"webdav": server.endpoint(fault)},
                    Credentials("user", PASSWORD))
    client = DavClient(target, base=server.endpoint(fault) + "overstap-r/check/", timeout=(2.0, 2.0),
                       max_response_bytes=8 * 1024 * 1024)
    started = time.monotonic()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises((Exception, CheckTimeout)) as caught:  # CheckTimeout is a BaseException on purpose
        _as_a_check(client, limit_s=5.0)
    elapsed = time.monotonic() - started
    exc = caught.value
    # only the kinds of exception the plugin turns into a meaningful status
    assert isinstance(exc, (AssertionError, CheckTimeout, requests.RequestException, ResponseTooLarge)), (
        f"{fault}: {type(exc).__name__}: {exc}")
    status, message = classify(exc, "MUST")
    assert status.value in STATUSES_FOR_FAULTS and message and "Traceback" not in message
    assert elapsed < 8, f"{fault}: took {elapsed:.1f} s"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 100, f"{fault}: the peak RSS grew by {grown_mb:.0f} MB"
    assert not recorder.connections, f"{fault}: something fetched a network entity"
    assert not other.requests, f"{fault}: a request reached the other host"
    for exchange in client.exchanges:
        assert SECRET_MARKER.encode() not in exchange.response_body
    print(f"{fault:15} {status.value:8} {elapsed:4.1f}s {message[:110]}")


def test_davclient_huge_body_at_the_default_limit_is_refused_without_holding_it_twice(hostile):
    """300 MB streamed against the real default limit (256 MiB): refused, and the client lets go of it."""
    server, *_ = hostile
    target = Target("h", "wsgidav", "0", "remote", frozenset({"webdav"}), {}, None)
    client = DavClient(target, base=server.endpoint("huge") + "overstap-r/check/", timeout=(2.0, 2.0))
    started = time.monotonic()
    with pytest.raises(ResponseTooLarge):
        client.get("big")
    assert time.monotonic() - started < 30
    assert client.exchanges[-1].response_body == b"" or len(client.exchanges[-1].response_body) <= 16 * 1024


def test_xml_parsers_fetch_nothing(hostile):
    """parse_xml and the streaming iter_events refuse the XXE bodies and never open the file or the listener."""
    server, _other, recorder, secret = hostile
    from hostile.server import xxe_file_body, xxe_net_body, BILLION_LAUGHS

    for body in (xxe_file_body(secret), xxe_net_body(recorder.url), BILLION_LAUGHS):
        with pytest.raises(XMLProblem) as caught:
            parse_xml(body)
        assert caught.value.kind in ("entities", "external-dtd")
        assert SECRET_MARKER not in str(caught.value)
        with pytest.raises(XMLProblem):
            list(iter_events(body))
    assert not recorder.connections


# -- 2. every fault at once through `overstap run`, next to a real WsgiDAV -----------------------------

RUSAGE_WRAPPER = ("import resource, subprocess, sys\n"
                  "code = subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL)\n"
                  "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
                  "sys.exit(code)\n")


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def test_overstap_run_survives_every_fault(hostile, tmp_path):
    require_now("wsgidav")
    server, other, recorder, secret = hostile
    entries = []
    for fault in RUN_FAULTS:
        entries.append(f'[[targets]]\nid = "hostile-{fault}"\nproduct = "wsgidav"\nversion = "0-hostile"\n'
                       f'endpoints = {{ webdav = "{server.endpoint(fault)}" }}\n'
                       f'username_env = "HOSTILE_USER"\npassword_env = "HOSTILE_PASSWORD"\n')
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text("\n".join(entries))
    out = tmp_path / "out"
    argv = [sys.executable, "-c", RUSAGE_WRAPPER, overstap_bin(), "run", "--targets-file", str(targets_file),
            "--target", "wsgidav", *[a for f in RUN_FAULTS for a in ("--target", f"hostile-{f}")],
            "--suite", "webdav", "-k", KEYWORD, "--request-timeout", "2", "--check-timeout", "5", "--out", str(out)]
    env = {**os.environ, "HOSTILE_USER": "hostile-user", "HOSTILE_PASSWORD": PASSWORD}
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=110, env=env)
    elapsed = time.monotonic() - started
    maxrss_mb = int(proc.stderr.rsplit("MAXRSS_KB", 1)[1].split()[0]) / 1024
    print(f"\noverstap run over {len(RUN_FAULTS)} faults + wsgidav: {elapsed:.1f} s, exit {proc.returncode}, "
          f"largest process peak RSS {maxrss_mb:.0f} MB")
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout

    report = json.loads((out / "report.json").read_text())
    # 1: unexpected results; 2 when a hostile target could not even be started (said once, not per check)
    not_started = [t["id"] for t in report["targets"] if t.get("error")]
    assert proc.returncode == (2 if not_started else 1), f"got {proc.returncode}:\n{proc.stderr[-4000:]}"
    results = report["results"]
    by_target: dict[str, list[dict]] = {}
    for r in results:
        by_target.setdefault(r["target"], []).append(r)
    assert set(by_target) == {"wsgidav", *(f"hostile-{f}" for f in RUN_FAULTS)}, sorted(by_target)
    for fault in RUN_FAULTS:
        mine = by_target[f"hostile-{fault}"]
        assert len(mine) == 5, f"{fault}: {len(mine)} results"
        for r in mine:
            assert r["status"] in STATUSES_FOR_FAULTS, f"{fault}: {r['check']} is {r['status']}: {r['message']}"
            assert r["message"].strip(), f"{fault}: {r['check']} has no reason"
            assert "Traceback" not in r["message"] and 'File "' not in r["message"], r["message"]
        print(f"  {fault:15} " + ", ".join(f"{r['status']}" for r in mine) + f" | {mine[0]['message'][:90]}")
    real = by_target["wsgidav"]
    assert all(r["status"] == "PASS" for r in real), [(r["check"], r["status"], r["message"]) for r in real]

    # bounded memory: the 300 MB body stops at the 256 MiB limit; the 1 GiB gzip bomb likewise
    assert maxrss_mb < 700, f"a process of the run peaked at {maxrss_mb:.0f} MB"
    # nothing leaked, nothing fetched, nothing sent elsewhere
    written = _all_text(out)
    assert SECRET_MARKER not in written + proc.stdout + proc.stderr
    token = base64.b64encode(f"hostile-user:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, token, f"Basic {token}", f"hostile-user:{PASSWORD}"):
        assert secret not in written + proc.stdout + proc.stderr, "a credential leaked into the output"
    assert not recorder.connections, f"a network entity was fetched: {recorder.connections[:3]}"
    assert not other.requests, f"a request reached 127.0.0.2: {[(r.method, r.path) for r in other.requests]}"
    assert elapsed < 120


# -- 3. office-tool stand-ins --------------------------------------------------------------------------
# There is no conformance/odf yet. What a future ODF package reader must do, shown here with zipfile and
# conformance.xml: read entry sizes from the central directory and refuse a package whose declared or
# actual decompressed size passes a limit (reading with a bounded read, never trusting file_size alone);
# refuse entry names that are absolute, contain '..' segments or backslashes (never extract by name);
# parse every XML part with conformance.xml.parse_xml (no entities, no DTD, depth limited by libxml2),
# reporting non-UTF-8 or undeclared encodings as findings, not crashes.

ZIP_LIMIT = 64 * 1024 * 1024


def read_package_safely(path: Path, limit: int = ZIP_LIMIT) -> dict[str, bytes]:
    """A reference reader for the tests: the parts of a zip, refused when unsafe (ValueError)."""
    parts: dict[str, bytes] = {}
    total = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name.split("/")[0]:
                raise ValueError(f"unsafe entry name {name!r}")
            with zf.open(info) as fh:
                data = fh.read(limit - total + 1)  # bounded, whatever the header claims
            total += len(data)
            if total > limit:
                raise ValueError(f"the package decompresses to more than {limit} bytes (at {name!r})")
            parts[name] = data
    return parts


def test_zip_bomb_is_refused_with_bounded_memory(tmp_path):
    path = odf.zip_bomb(tmp_path / "bomb.odt")
    assert path.stat().st_size < 2 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="decompresses to more than"):
        read_package_safely(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 3 * ZIP_LIMIT / 2**20, f"peak RSS grew by {grown_mb:.0f} MB"


def test_path_traversal_entries_are_refused(tmp_path):
    path = odf.traversal_zip(tmp_path / "traversal.odt")
    with pytest.raises(ValueError, match="unsafe entry name"):
        read_package_safely(path)
    assert not (tmp_path.parent / "x").exists()


def test_non_utf8_xml_is_a_problem_not_a_crash():
    for data in odf.non_utf8_xml_samples():
        try:
            parse_xml(data)
        except XMLProblem as exc:
            assert exc.kind in ("malformed", "empty")


def test_absurdly_nested_xml_is_refused():
    with pytest.raises(XMLProblem):
        parse_xml(odf.deeply_nested_xml(depth=100_000))
    with pytest.raises(XMLProblem):
        list(iter_events(odf.deeply_nested_xml(depth=100_000)))
