"""Overstap's pytest plugin (entry point ``pytest11: overstap``).

It lets the suites run under plain pytest (``pytest suites/webdav --target wsgidav``) as well as
under ``overstap run``:

- ``--target NAME`` (repeatable), ``--targets-file FILE``: the targets; every check that uses the
  ``target`` fixture runs once per target.
- each check's outcome is turned into a DESIGN.md status (PASS, FAIL, WARN, PRECONDITION_FAILED,
  SKIP, ERROR, TIMEOUT) with its clause, level and, for anything but PASS, redacted evidence;
- ``--overstap-json PATH`` writes these results as JSON lines, and ``--overstap-out DIR`` writes a
  whole report (report.json, junit.xml, index.html) at the end of the session.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from harness.checks import PreconditionFailed, Status
from harness.evidence import redact_text, secret_variants
from harness.http import DEFAULT_TIMEOUT, DavClient, WriteOutsideRunCollection
from harness.targets import TargetPool, plan_targets

STATE = pytest.StashKey["OverstapState"]()
RECORD = pytest.StashKey[dict]()
CLIENTS = pytest.StashKey[list]()
SETUP_STATUS = pytest.StashKey[Status]()
EVIDENCE_EXCHANGES = 25  # the last N exchanges of a check go into its evidence


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("overstap", "Overstap: targets and reports")
    group.addoption("--target", action="append", default=[], metavar="NAME",
                    help="run the checks against this target: a product name (local start), an id from "
                         "--targets-file, or 'all' (every product available here). Repeatable.")
    group.addoption("--targets-file", metavar="FILE", help="TOML file naming remote deployments")
    group.addoption("--run-id", metavar="ID", help="name of this run (default: random); used in collection names")
    group.addoption("--request-timeout", type=float, default=DEFAULT_TIMEOUT[1], metavar="SECONDS",
                    help="read timeout of each HTTP request (default: %(default)s)")
    group.addoption("--check-timeout", type=float, default=120.0, metavar="SECONDS",
                    help="wall-time limit of one check; past it the check ends in TIMEOUT (default: %(default)s)")
    group.addoption("--overstap-json", metavar="PATH", help="append results as JSON lines to PATH")
    group.addoption("--overstap-out", metavar="DIR", help="write report.json, junit.xml and index.html into DIR")


class CheckTimeout(BaseException):
    """The check ran past ``--check-timeout`` seconds and was stopped.

    A BaseException, so that a check's ``except Exception`` cannot swallow it and turn a timeout into FAIL.
    """


class OverstapState:
    """Per-session state: the target pool, the results so far, and the JSON-lines sink."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.run_id = config.getoption("run_id") or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.request_timeout = (DEFAULT_TIMEOUT[0], config.getoption("request_timeout"))
        self.pool: TargetPool | None = None
        self.results: list[dict] = []
        self.usage_error: str | None = None  # a bad --target/--targets-file, reported after collection
        self.started = time.time()
        path = config.getoption("overstap_json")
        self.sink = open(path, "a", encoding="utf-8") if path else None

    def ensure_pool(self) -> TargetPool:
        if self.pool is None:
            names = self.config.getoption("target")
            targets_file = self.config.getoption("targets_file")
            if not names and not targets_file:
                raise pytest.UsageError("no target: run with --target NAME (see `overstap targets`) "
                                        "or --targets-file FILE")
            self.pool = TargetPool(plan_targets(names, targets_file))
        return self.pool

    def emit(self, event: dict) -> None:
        if self.sink:
            self.sink.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.sink.flush()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(id, clause, level, requires, optional, peer): an Overstap check")
    config.stash[STATE] = OverstapState(config)
    config.pluginmanager.register(_PhaseAlarm(), "overstap-phase-alarm")


def _state(config: pytest.Config) -> OverstapState:
    return config.stash[STATE]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        state = _state(metafunc.config)
        try:
            ids = state.ensure_pool().ids()
        except Exception as exc:  # no target, a bad targets file or an unknown product: say so, no traceback
            # raised here it would become a collection error with a traceback per module; raised after
            # collection (below) pytest prints "ERROR: <message>" and exits with status 4 (usage error)
            state.usage_error = str(exc)
            ids = []
        metafunc.parametrize("target", ids, indirect=True, scope="session", ids=ids)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if _state(config).usage_error:
        raise pytest.UsageError(_state(config).usage_error)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest):
    """The running :class:`harness.target.Target` for this parametrization (started on first use)."""
    pool = _state(request.config).ensure_pool()
    left, _interval = signal.getitimer(signal.ITIMER_REAL)
    if not left or threading.current_thread() is not threading.main_thread():
        return pool.start(request.param)
    signal.setitimer(signal.ITIMER_REAL, max(left, START_ALLOWANCE_S))  # a start may take longer than a check
    try:
        return pool.start(request.param)
    finally:
        signal.setitimer(signal.ITIMER_REAL, left)  # the rest of the setup gets the check's own limit


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> str:
    """The name of this run, e.g. ``20261129T081500-1a2b3c``; suites put it in their collection names."""
    return _state(request.config).run_id


@pytest.fixture
def register_client(request: pytest.FixtureRequest):
    """Call with a :class:`DavClient` to have its exchanges attached as evidence to the current check."""
    def register(client: DavClient) -> DavClient:
        request.node.stash.setdefault(CLIENTS, []).append(client)
        return client
    return register


@pytest.fixture(scope="session")
def request_timeout(request: pytest.FixtureRequest) -> tuple[float, float]:
    """(connect, read) timeout per HTTP request, in seconds."""
    return _state(request.config).request_timeout


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Stop a check that runs past ``--check-timeout`` (SIGALRM interrupts a blocked socket read too)."""
    yield from _alarm(item)


class _PhaseAlarm:
    """Bound a check's setup and teardown too (the run and check collections: a target that drips its
    answer one byte at a time defeats every socket read timeout); a target's start gets
    ``START_ALLOWANCE_S``. A class, registered in pytest_configure, because this module already has a
    ``pytest_runtest_setup``."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        yield from _alarm(item, checks_only=True)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item):
        yield from _alarm(item, checks_only=True)


START_ALLOWANCE_S = 90.0  # a local product's start (DAViCal, Cyrus: ~25 s) or a remote start probe


def _alarm(item: pytest.Item, checks_only: bool = False):
    limit = item.config.getoption("check_timeout")
    armed = bool(limit) and limit > 0 and threading.current_thread() is threading.main_thread()
    armed = armed and not (checks_only and _check_marker(item)[0] is None)
    if armed:
        def expire(_signum, _frame):
            raise CheckTimeout(f"the check did not finish within {limit:g} s (--check-timeout)")
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _check_marker(item: pytest.Item):
    marker = item.get_closest_marker("check")
    callspec = getattr(item, "callspec", None)
    if marker is None or callspec is None or "target" not in callspec.params:
        return None, None
    return marker.kwargs, callspec.params["target"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    meta, target_id = _check_marker(item)
    if meta is None:
        return
    pool = _state(item.config).ensure_pool()
    claims = pool.planned[target_id].capabilities
    if meta["requires"] not in claims:
        item.stash[SETUP_STATUS] = Status.SKIP
        pytest.skip(f"not applicable: {target_id} does not claim {meta['requires']}")
    if meta.get("optional") and meta["optional"] not in claims:
        item.stash[SETUP_STATUS] = Status.PRECONDITION_FAILED
        pytest.skip(f"{target_id} does not claim the optional capability {meta['optional']}")


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        # pytest's rewritten asserts append "assert ..." explanations after the author's message
        text = re.split(r"\n(?:assert |AssertionError)", text, maxsplit=1)[0].strip() or "assertion failed"
    return text or type(exc).__name__


def classify(exc: BaseException, level: str) -> tuple[Status, str]:
    """The status and message for an exception raised by a check at ``level``.

    AssertionError is the check's verdict (FAIL for MUST, WARN otherwise); a timeout is TIMEOUT; a
    target that does not answer, a refused write or any other exception is ERROR.
    """
    if isinstance(exc, PreconditionFailed):
        return Status.PRECONDITION_FAILED, _message(exc)
    if isinstance(exc, AssertionError):
        return (Status.FAIL if level == "MUST" else Status.WARN), _message(exc)
    if isinstance(exc, CheckTimeout):
        return Status.TIMEOUT, str(exc)
    if isinstance(exc, requests.Timeout):
        return Status.TIMEOUT, f"the target did not answer in time: {exc}"
    if isinstance(exc, requests.ConnectionError):
        return Status.ERROR, f"the target did not answer: {exc}"
    if isinstance(exc, WriteOutsideRunCollection):
        return Status.ERROR, f"harness guard: {exc}"
    return Status.ERROR, f"{type(exc).__name__}: {_message(exc)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    meta, target_id = _check_marker(item)
    if meta is None:
        return
    record = item.stash.setdefault(RECORD, {"status": None, "message": "", "duration_s": 0.0})
    exc = call.excinfo.value if call.excinfo else None
    if call.when == "setup":
        if report.skipped:
            record["status"] = item.stash.get(SETUP_STATUS, Status.SKIP)
            record["message"] = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            record["message"] = record["message"].removeprefix("Skipped: ")
        elif report.failed:
            status, message = classify(exc, "MUST")
            if status == Status.FAIL:  # an assertion in a fixture is the target's fault in setup
                status = Status.ERROR
            record["status"], record["message"] = status, f"setup: {message}"
    elif call.when == "call":
        record["duration_s"] = report.duration
        if report.passed:
            record["status"] = Status.PASS
        elif report.skipped:
            record["status"] = Status.SKIP
            record["message"] = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        else:
            record["status"], record["message"] = classify(exc, meta["level"])
            if record["status"] == Status.PRECONDITION_FAILED:
                report.outcome = "skipped"
                report.longrepr = (str(item.path), item.location[1] or 0, record["message"])
    elif call.when == "teardown":
        if report.failed and record["status"] in (Status.PASS, None):
            status, message = classify(exc, "MUST")
            record["status"], record["message"] = Status.ERROR, f"cleanup failed: {message}"
        _finish(item, meta, target_id, record)


def _finish(item: pytest.Item, meta: dict, target_id: str, record: dict) -> None:
    state = _state(item.config)
    status: Status = record["status"] or Status.ERROR
    pool = state.pool
    target = pool._targets.get(target_id) if pool else None
    secrets = secret_variants(pool.secrets() if pool else [],
                              target.credentials.username if target and target.credentials else None)
    evidence = {}
    if status not in (Status.PASS, Status.SKIP, Status.PRECONDITION_FAILED):
        exchanges = [ex for client in item.stash.get(CLIENTS, []) for ex in client.exchanges]
        if exchanges:
            evidence["exchanges"] = [ex.to_report(secrets) for ex in exchanges[-EVIDENCE_EXCHANGES:]]
        if status in (Status.ERROR, Status.TIMEOUT) and pool is not None:
            log = pool.log_tail(target_id)
            if log:
                evidence["target_log"] = redact_text(log, secrets)
    check_id = meta["id"]
    result = {
        "check": check_id,
        "suite": check_id.split("/", 1)[0],
        "target": target_id,
        "status": status.value,
        "level": meta["level"],
        "clause": meta["clause"],
        "message": redact_text(record["message"] or "", secrets),
        "duration_s": round(record["duration_s"], 4),
        "evidence": evidence,
        "peer": meta.get("peer") or {},
    }
    state.results.append(result)
    state.emit({"event": "result", **result})


def pytest_collection_finish(session: pytest.Session) -> None:
    state = _state(session.config)
    by_target: dict[str, list[str]] = {}
    for item in session.items:
        meta, target_id = _check_marker(item)
        if meta:
            by_target.setdefault(target_id, []).append(
                {"id": meta["id"], "level": meta["level"], "clause": meta["clause"], "peer": meta.get("peer") or {}})
    for target_id, checks in by_target.items():
        state.emit({"event": "collected", "target": target_id, "checks": checks})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if state.pool is None:
        return
    entries = state.pool.report_entries()
    secrets = secret_variants(state.pool.secrets())
    state.pool.stop_all()
    for entry in entries:
        if "error" in entry:
            entry["error"] = redact_text(entry["error"], secrets)
        state.emit({"event": "target", **entry})
    out = session.config.getoption("overstap_out")
    if out:
        from harness.report import build_report, write_outputs

        report = build_report(
            targets=entries, results=state.results, started=state.started, finished=time.time(),
            suites=sorted({r["suite"] for r in state.results}),
        )
        write_outputs(report, Path(out))
    if state.sink:
        state.sink.close()
