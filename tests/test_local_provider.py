"""The local provider against real servers on loopback: start, answer, version, capabilities, stop,
and what happens when things go wrong (missing binary, a server that dies or never answers, a
killed harness, Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from conftest import (
    REPO, load_json, overstap_bin, overstap_processes, process_alive, private_tmp, wait_until,
)
from harness import catalog
from harness.catalog import LocalSpec, Product, ProductUnavailable
from harness.providers.local import LocalTarget, TargetStartError

PY = sys.executable

# What each product claims, written down here on purpose: a change in the catalog must show up as a test change.
CLAIMS = {
    "wsgidav": {"webdav", "webdav-locking", "webdav-dead-properties"},
    "apache": {"webdav", "webdav-locking", "webdav-dead-properties"},
    "lighttpd": {"webdav", "webdav-locking", "webdav-dead-properties"},
    "nginx": {"webdav"},
    "rclone": {"webdav", "webdav-locking"},
    "radicale": {"caldav", "carddav", "webdav-sync"},
    "xandikos": {"caldav", "carddav", "webdav-sync"},
    "davical": {"caldav", "carddav", "webdav-sync", "caldav-scheduling"},
    "cyrus": {"caldav", "carddav", "webdav-sync"},
}
NOT_CLAIMED = {
    "nginx": {"webdav-locking", "webdav-dead-properties", "caldav"},
    "rclone": {"webdav-dead-properties", "caldav"},
    "radicale": {"webdav-locking", "webdav"},
    "xandikos": {"webdav-locking", "webdav"},
    "wsgidav": {"caldav", "carddav"},
}
# The product's own word on its version: (command, text that must contain the version as "{v}").
VERSION_COMMANDS = {
    "wsgidav": ([PY, "-m", "wsgidav.server.server_cli", "--version"], "{v}"),
    "radicale": ([PY, "-m", "radicale", "--version"], "{v}"),
    "xandikos": ([PY, "-m", "xandikos", "--version"], " {v}"),
    "apache": (["apache2", "-v"], "Apache/{v}"),
    "nginx": (["nginx", "-v"], "nginx/{v}"),
    "lighttpd": (["lighttpd", "-v"], "lighttpd/{v}"),
    "rclone": (["rclone", "version"], "rclone v{v}"),
    "davical": (["dpkg-query", "-W", "-f=${Version}", "davical"], "{v}"),
    "cyrus": (["/usr/lib/cyrus/bin/master", "-V"], "cyrus-imapd {v}"),
}
PROPFIND_HEADERS = {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"}
PROPFIND_BODY = b'<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>'


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _port_open(url: str) -> bool:
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


def test_catalog_holds_the_products_these_tests_cover():
    local = {p.name for p in catalog.all_products() if p.local}
    assert set(CLAIMS) <= local
    for product in catalog.all_products():  # every entry declares what a report and `overstap targets` need
        if product.local:
            assert product.title and product.install_hint and product.capabilities and product.suites, product.name
        else:  # remote only: what to set up replaces how to install (La Suite Docs claims nothing testable yet)
            assert product.title and product.remote_setup, product.name


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_start_answer_version_capabilities_stop(name, require, no_leftovers):
    require(name)
    product = catalog.get(name)
    provider = LocalTarget(product, timeout_s=30)
    started = provider.start()
    try:
        workdir = provider.workdir
        assert workdir is not None and workdir.is_dir() and workdir.parent == private_tmp()
        guard_pid = provider.guard.pid
        server_pids = _children(guard_pid)
        assert server_pids, "the guard runs no server"

        # the target, as a check sees it
        assert started.id == name and started.product == name and started.provider == "local"
        assert started.capabilities == frozenset(CLAIMS[name]) == product.capabilities
        assert not (started.capabilities & NOT_CLAIMED.get(name, set()))
        for capability in CLAIMS[name]:
            assert started.claims(capability)

        # the version: non-empty and what the product itself prints
        assert started.version and started.version != "unknown"
        argv, pattern = VERSION_COMMANDS[name]
        printed = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert pattern.format(v=started.version) in printed.stdout + printed.stderr

        # every endpoint answers a PROPFIND with a multistatus, and authentication is really enforced
        services = set(started.endpoints)
        assert services == set(product.services) or services == {"webdav"}
        auth = (started.credentials.username, started.credentials.password) if started.credentials else None
        for service, url in started.endpoints.items():
            assert url.startswith("http://127.0.0.1:") and url.endswith("/")
            response = requests.request("PROPFIND", url, auth=auth, headers=PROPFIND_HEADERS, data=PROPFIND_BODY,
                                        timeout=10)
            assert response.status_code == 207, f"{service} {url}: {response.status_code} {response.text[:300]}"
            assert b"multistatus" in response.content
            if started.credentials:
                anonymous = requests.request("PROPFIND", url, headers=PROPFIND_HEADERS, data=PROPFIND_BODY, timeout=10)
                assert anonymous.status_code == 401, f"{service} answers without credentials"
        if started.credentials:
            assert started.credentials.password in started.secrets
        assert Path(started.log_path).is_file()
    finally:
        provider.stop()

    # stop: no guard, no server, no port, no folder; stop twice is harmless
    assert not workdir.exists()
    assert not process_alive(guard_pid)
    assert wait_until(lambda: not any(process_alive(p) for p in server_pids), timeout=5)
    for url in started.endpoints.values():
        assert not _port_open(url)
    provider.stop()


def test_context_manager_stops(require, no_leftovers):
    require("wsgidav")
    with LocalTarget(catalog.get("wsgidav"), target_id="dav-one") as started:
        workdir = Path(started.log_path).parent
        assert started.id == "dav-one" and workdir.name.startswith("overstap-dav-one-")
        assert overstap_processes()
    assert not workdir.exists()


# -- failure paths: real Product subclasses with real (broken) commands -----------------------------
class _Broken(Product):
    """A product whose start command is given per test."""

    capabilities = frozenset({"webdav"})
    suites = ("webdav",)

    def __init__(self, name: str, argv_for_port, binaries=(), install_hint: str = ""):
        self.name = name
        self.title = name
        self.binaries = tuple(binaries)
        self.install_hint = install_hint
        self._argv_for_port = argv_for_port

    def local_version(self) -> str:
        return "0.0"

    def local_spec(self, workdir: Path, port: int) -> LocalSpec:
        url = f"http://127.0.0.1:{port}/"
        return LocalSpec(argv=self._argv_for_port(port), endpoints={"webdav": url}, probe_url=url)


def test_missing_binary_raises_product_unavailable_with_install_hint(no_leftovers):
    product = _Broken("ghostdav", lambda port: ["ghostdav-server-that-does-not-exist"],
                      binaries=("ghostdav-server-that-does-not-exist",),
                      install_hint="apt-get install ghostdav")
    assert product.missing() is not None
    with pytest.raises(ProductUnavailable) as info:
        LocalTarget(product).start()
    assert "ghostdav-server-that-does-not-exist not found" in str(info.value)
    assert "apt-get install ghostdav" in str(info.value)


def test_server_that_exits_at_once_gives_its_log_tail(require, no_leftovers):
    require("sh")
    product = _Broken("boomdav", lambda port: ["sh", "-c", "echo boom; exit 3"])
    provider = LocalTarget(product, timeout_s=20)
    t0 = time.monotonic()
    with pytest.raises(TargetStartError) as info:
        provider.start()
    assert time.monotonic() - t0 < 10, "an exited server must be noticed at once, not after the timeout"
    message = str(info.value)
    assert "boomdav exited with status 3" in message
    assert "boom" in message.split("its log ends with:", 1)[1]
    assert provider.workdir is None and provider.guard is None


def test_server_that_never_answers_times_out(no_leftovers):
    # listens on the port but never accepts or answers
    script = ("import socket, sys, time; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); "
              "s.listen(); print('listening, not answering', flush=True); time.sleep(600)")
    product = _Broken("mutedav", lambda port: [PY, "-c", script, str(port)])
    provider = LocalTarget(product, timeout_s=1.0)
    t0 = time.monotonic()
    with pytest.raises(TargetStartError) as info:
        provider.start()
    elapsed = time.monotonic() - t0
    assert 1.0 <= elapsed < 10
    message = str(info.value)
    assert "mutedav did not answer" in message and "within 1 s" in message
    assert "listening, not answering" in message
    assert provider.workdir is None and provider.guard is None


# -- the guard: a killed harness leaves nothing behind ----------------------------------------------
CRASH_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from harness import catalog
    from harness.providers.local import LocalTarget

    provider = LocalTarget(catalog.get(sys.argv[1]))
    started = provider.start()
    print(json.dumps({"guard": provider.guard.pid, "workdir": str(provider.workdir),
                      "url": next(iter(started.endpoints.values()))}), flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("name", ["wsgidav", "nginx"])
def test_killed_harness_leaves_no_server_and_no_folder(name, require, no_leftovers):
    require(name)
    harness = subprocess.Popen([PY, "-c", CRASH_SCRIPT, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=REPO)
    try:
        line = harness.stdout.readline()
        assert line, f"the script did not start the target: {harness.stderr.read()}"
        info = json.loads(line)
        workdir = Path(info["workdir"])
        assert workdir.is_dir() and _port_open(info["url"])
        servers = _children(info["guard"])
        assert servers
        harness.send_signal(signal.SIGKILL)
        harness.wait(timeout=5)

        def gone():
            return (not workdir.exists() and not process_alive(info["guard"])
                    and not any(process_alive(p) for p in servers) and not _port_open(info["url"]))

        assert wait_until(gone, timeout=10), (
            f"after SIGKILL of the harness: folder exists={workdir.exists()}, guard alive="
            f"{process_alive(info['guard'])}, servers alive={[p for p in servers if process_alive(p)]}")
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()


# -- Ctrl-C during `overstap run` -------------------------------------------------------------------
def _first_result_seen(out: Path) -> bool:
    for folder in out.glob(".events-*"):  # the runner keeps the test processes' events beside the report
        if folder.is_dir():
            for events in folder.glob("*.jsonl"):
                try:
                    if b'"event": "result"' in events.read_bytes():
                        return True
                except OSError:
                    pass
    return False


def test_ctrl_c_stops_run_with_status_2_and_leaves_nothing(require, tmp_path, no_leftovers):
    require("wsgidav")
    for attempt in range(3):  # the whole run takes seconds: retry if it finished before our Ctrl-C
        out = tmp_path / f"out{attempt}"
        proc = subprocess.Popen([overstap_bin(), "run", "--target", "wsgidav", "--suite", "webdav", "--out", str(out),
                                 "--expectations", str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                start_new_session=True, env=os.environ.copy())
        try:
            seen = wait_until(lambda: _first_result_seen(out) or proc.poll() is not None, timeout=60, step=0.01)
            assert seen, "no result appeared within 60 s"
            if proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        break
    else:
        pytest.fail("the run always finished before the first result could be interrupted")

    assert proc.returncode == 2, stderr
    assert "interrupted" in stderr
    report = load_json(out / "report.json")
    assert report["run_info"]["interrupted"] is True
    from harness.report import validate

    validate(report)
    # what ran is reported; what did not run is an ERROR saying why
    assert report["results"]
    not_run = [r for r in report["results"] if "interrupted" in r["message"]]
    assert all(r["status"] == "ERROR" for r in not_run)


def test_leftover_snapshot_sees_a_running_server_and_its_workers(require, no_leftovers):
    """The no_leftovers fixture must be able to see what it guards against: guard, server, workers, folder."""
    require("nginx")
    from conftest import Snapshot

    provider = LocalTarget(catalog.get("nginx"))
    provider.start()
    try:
        procs, folders = Snapshot.take().new_since(no_leftovers)
        assert folders == {provider.workdir}
        master = _children(provider.guard.pid)
        workers = [w for m in master for w in _children(m)]
        assert workers, "nginx runs no worker process"
        assert {provider.guard.pid, *master, *workers} <= set(procs)
        assert any("worker process" in procs[w] for w in workers)
    finally:
        provider.stop()
    assert Snapshot.take().new_since(no_leftovers) == ({}, set())


# -- the require() helper itself -------------------------------------------------------------------
def test_require_skips_locally_and_fails_in_ci_naming_the_install_command(monkeypatch, require):
    monkeypatch.delenv("OVERSTAP_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install litmus-that-is-not-here"):
        require("litmus-that-is-not-here")
    monkeypatch.setenv("OVERSTAP_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="OVERSTAP_REQUIRE_ALL.*apt-get install litmus-that-is-not-here"):
        require("litmus-that-is-not-here")
    # a catalog product is judged by the catalog, with its own install hint
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    if catalog.get("nginx").binaries:
        with pytest.raises(pytest.fail.Exception, match="apt-get install nginx-light libnginx-mod-http-dav-ext"):
            require("nginx")
    require("wsgidav")  # a Python product needs no PATH: passes without raising
