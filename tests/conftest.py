"""Shared helpers for the harness's own tests: real servers, real processes, no mocks.

- ``require(name)``: skip a test that needs a system package (a catalog product such as ``apache``
  or a binary such as ``litmus``) when it is missing -- unless ``OVERSTAP_REQUIRE_ALL`` is set (CI),
  in which case the test fails and names the install command.
- ``no_leftovers``: snapshot Overstap's processes and ``overstap-*`` work folders before a test and
  assert that nothing new is left after it.
- ``overstap(...)``: run the real ``overstap`` console script as a subprocess.
- ``webdav_run``: one ``overstap run --target wsgidav --target nginx --suite webdav`` per session,
  shared by the report and CLI tests.

Every test session gets a private temporary folder (``TMPDIR``), so the ``overstap-*`` folders and
processes of the tests are told apart from those of other runs on the same machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TMP_PREFIX = "overstap-"  # harness.providers.local.TMP_PREFIX

# -- a private TMPDIR for the whole session ---------------------------------------------------------
# Servers that drop root (apache, nginx, lighttpd) must be able to reach their work folder, so the
# private folder is world-traversable, unlike pytest's tmp_path.
_PRIVATE_TMP = Path(tempfile.mkdtemp(prefix="ovtest-"))
_PRIVATE_TMP.chmod(0o755)
os.environ["TMPDIR"] = str(_PRIVATE_TMP)
tempfile.tempdir = None  # recomputed from TMPDIR on next use


def pytest_unconfigure(config):
    shutil.rmtree(_PRIVATE_TMP, ignore_errors=True)


def private_tmp() -> Path:
    """The session's TMPDIR, where every ``overstap-*`` work folder of the tests is made."""
    return _PRIVATE_TMP


# -- require ---------------------------------------------------------------------------------------
REQUIRE_ALL = "OVERSTAP_REQUIRE_ALL"
# install commands for binaries that are not catalog products
BINARY_INSTALL = {
    "apache2": "apt-get install apache2",
    "nginx": "apt-get install nginx-light libnginx-mod-http-dav-ext",
    "lighttpd": "apt-get install lighttpd lighttpd-mod-webdav",
    "rclone": "apt-get install rclone",
    "litmus": "apt-get install litmus",
    "cadaver": "apt-get install cadaver",
    "sh": "apt-get install dash",
}


def missing_reason(name: str) -> str | None:
    """Why ``name`` (a catalog product, a binary on PATH, or ``image:PRODUCT``: a reference image built
    here with a Docker Engine API answering) cannot be used here, or None.

    The reason names the install command.
    """
    from harness import catalog

    if name.startswith("image:"):
        return _image_missing(name[len("image:"):])

    if name in catalog.names():
        return catalog.get(name).missing()
    if shutil.which(name) is None:
        return f"{name} not found; install with: {BINARY_INSTALL.get(name, f'apt-get install {name}')}"
    return None


def _image_missing(product: str) -> str | None:
    from harness.images import image_exists
    from harness.providers.containers import EngineUnavailable, engine, image_tag

    try:
        client = engine()
    except EngineUnavailable as exc:
        return str(exc)
    try:
        from harness import catalog

        tag = image_tag(catalog.get(product))
        return None if image_exists(client, tag) else f"{tag} not built; build with: overstap images build {product}"
    finally:
        client.close()


def require_now(name: str) -> None:
    """Skip (or, with OVERSTAP_REQUIRE_ALL set, fail) the current test when ``name`` is missing."""
    why = missing_reason(name)
    if why is None:
        return
    if os.environ.get(REQUIRE_ALL):
        pytest.fail(f"{name} is required ({REQUIRE_ALL} is set) but missing: {why}", pytrace=False)
    pytest.skip(f"{name} missing: {why}")


@pytest.fixture
def require():
    """``require("apache")`` or ``require("litmus")``: see :func:`require_now`."""
    return require_now


# -- leftovers -------------------------------------------------------------------------------------
def _read(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    text = _read(f"/proc/{pid}/stat")
    if not text:
        return None
    # the command name (field 2) may hold spaces; everything after its closing ")" is regular
    return text[text.rfind(")") + 2:].split()


def process_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie (zombies serve nothing and hold no port)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def overstap_processes(tmp: Path | None = None) -> dict[int, str]:
    """Live processes that belong to Overstap in the tests' TMPDIR: ``{pid: command line}``.

    A process belongs when its command line or working directory points into an ``overstap-*``
    folder of ``tmp``, or it runs the guard, or it is in the session of such a process that leads
    its own session (servers and their workers: nginx's ``worker process`` names no folder).
    """
    tmp = tmp or private_tmp()
    marker = str(tmp / TMP_PREFIX)
    procs: dict[int, tuple[str, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        fields = _stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X"):
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        procs[pid] = (_read(f"/proc/{pid}/cmdline").strip(), cwd, int(fields[3]))  # sid
    own = {pid for pid, (cmd, cwd, _sid) in procs.items()
           if marker in cmd or cwd.startswith(marker)
           or ("harness.providers._guard" in cmd and str(tmp) in cmd)}
    leaders = {pid for pid in own if procs[pid][2] == pid}
    own |= {pid for pid, (_c, _w, sid) in procs.items() if sid in leaders}
    own.discard(os.getpid())
    return {pid: procs[pid][0] for pid in sorted(own)}


def overstap_folders(tmp: Path | None = None) -> set[Path]:
    """The ``overstap-*`` folders in ``tmp`` (default: the tests' TMPDIR)."""
    return set((tmp or private_tmp()).glob(f"{TMP_PREFIX}*"))


def wait_until(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


@dataclass
class Snapshot:
    processes: dict[int, str]
    folders: set[Path]

    @classmethod
    def take(cls) -> "Snapshot":
        return cls(overstap_processes(), overstap_folders())

    def new_since(self, before: "Snapshot") -> tuple[dict[int, str], set[Path]]:
        return ({p: c for p, c in self.processes.items() if p not in before.processes},
                self.folders - before.folders)


@pytest.fixture
def no_leftovers():
    """Assert that the test leaves no new Overstap process and no new ``overstap-*`` folder.

    Processes get a few seconds to go (a guard may still be removing its folder).
    """
    before = Snapshot.take()
    yield before

    def clean():
        procs, folders = Snapshot.take().new_since(before)
        return not procs and not folders

    if not wait_until(clean, timeout=10):
        procs, folders = Snapshot.take().new_since(before)
        for pid in procs:  # do not let one test's leak break the next ones
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"left behind: processes {procs}, folders {sorted(map(str, folders))}", pytrace=False)


# -- the CLI ---------------------------------------------------------------------------------------
def overstap_bin() -> str:
    """The ``overstap`` console script of this venv (the real entry point)."""
    candidate = Path(sys.executable).parent / "overstap"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("overstap")
    if not found:
        pytest.fail("the overstap console script is not installed; run `pip install -e .`", pytrace=False)
    return found


def overstap(*args: str, env: dict | None = None, timeout: float = 180, cwd: Path | None = None
             ) -> subprocess.CompletedProcess:
    """Run ``overstap ARGS`` and return the completed process (text stdout/stderr)."""
    return subprocess.run([overstap_bin(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or REPO, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# The WebDAV suite grows (hundreds of checks per target); runs other than the shared webdav_run need a
# real run, not every check: they select the basic and property checks, which include known FAILs
# (nginx) and WARNs (apache's weak ETags). One place to change when the suite's modules move.
QUICK_CHECKS = "test_basic or test_props"


@dataclass
class RunOutput:
    proc: subprocess.CompletedProcess
    out: Path
    expectations: Path

    @property
    def report(self) -> dict:
        return load_json(self.out / "report.json")


@pytest.fixture(scope="session")
def webdav_run(tmp_path_factory) -> RunOutput:
    """One real run of the whole WebDAV suite on wsgidav and nginx with *no* expectations (an empty folder),
    shared by every test that needs a real report (tests/test_report.py, test_cli.py, test_publish.py).

    nginx has known WebDAV failures, so this run has unexpected results.
    """
    for name in ("wsgidav", "nginx"):
        require_now(name)
    base = tmp_path_factory.mktemp("webdav-run")
    empty = base / "no-expectations"
    empty.mkdir()
    out = base / "out"
    proc = overstap("run", "--target", "wsgidav", "--target", "nginx", "--suite", "webdav", "--out", str(out),
                    "--expectations", str(empty))
    assert (out / "report.json").exists(), f"no report; stderr:\n{proc.stderr}"
    return RunOutput(proc, out, empty)
