"""``overstap run``: start the targets, run the suites through pytest, write the report.

Each target gets its own pytest process (with this package's plugin), so targets are tested
concurrently and one target's failure (or crash) never stops the others. The processes append
their results as JSON lines; this module watches them for progress, then merges them into
report.json, junit.xml and index.html.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from harness import catalog, expectations
from harness.report import build_report, write_outputs
from harness.targets import Planned, plan_targets

EXIT_OK, EXIT_UNEXPECTED, EXIT_HARNESS = 0, 1, 2
PYTEST_NORMAL = {0, 1, 5}  # all passed, some failed, nothing collected


class RunError(Exception):
    """The run cannot start: bad arguments, nothing to run, an unusable targets or expectations file."""


def suites_root() -> Path:
    """The folder of the installed ``suites`` package (found without importing it)."""
    spec = importlib.util.find_spec("suites")
    if spec is None or not spec.submodule_search_locations:
        raise RunError("the suites package is not installed; run `pip install -e .` in the Overstap checkout")
    return Path(list(spec.submodule_search_locations)[0])


def available_suites() -> list[str]:
    """Names of the suites (folders of ``suites/`` holding ``test_*.py``), sorted."""
    root = suites_root()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("test_*.py")))


@dataclass
class RunOptions:
    """What ``overstap run`` was asked to do (see ``overstap run --help``)."""

    suites: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    targets_file: str | None = None
    out: Path = Path("results")
    keyword: str | None = None
    jobs: int = 0
    request_timeout: float = 30.0
    check_timeout: float = 120.0
    shard: tuple[int, int] | None = None
    expectations_dir: Path | None = None
    moves: bool | None = None  # the portability moves after the suites (docs/moves.md); None: see wants_moves
    corpus: Path | None = None  # the user's files as the moves' payload instead of fixtures/moves


    def wants_moves(self) -> bool:
        """Whether the run ends with the moves phase: asked for explicitly (``--moves``, or a ``--corpus`` to
        move), else for a whole run; not when ``-k`` picks single checks, unless asked for. A shard moves
        only with an explicit ``--moves`` (between the targets of its share; ``overstap merge`` keeps one
        entry per move when shards overlap)."""
        if self.shard:
            return bool(self.moves)
        if self.moves is not None:
            return self.moves
        return self.corpus is not None or not self.keyword


@dataclass
class _Job:
    planned: Planned
    suites: list[str]
    events: Path
    log: Path
    proc: subprocess.Popen | None = None
    offset: int = 0
    collected: list[dict] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    target_entry: dict | None = None
    started: float = 0.0
    finished: float = 0.0
    start_error: str | None = None  # the target's start failure, printed once


def _say(stream: TextIO, text: str) -> None:
    """Progress for the user; a closed pipe (``overstap run | head``) silences it but never stops the run,
    which still writes its report and stops its targets."""
    if getattr(stream, "_overstap_closed", False):
        return
    try:
        print(text, file=stream, flush=True)
    except (BrokenPipeError, ValueError, OSError):
        try:
            stream._overstap_closed = True
        except AttributeError:
            pass


def run(options: RunOptions, stream: TextIO = sys.stderr) -> int:
    """Carry out one run and return the exit code: 0 when every result was expected, 1 when any was
    not, 2 on a harness error (bad input, a test process that broke, an interrupted run).

    Raises:
        RunError: the run cannot start (the message says what to change).
    """
    known_suites = available_suites()
    suites = options.suites or known_suites
    for s in suites:
        if s not in known_suites:
            raise RunError(f"unknown suite {s!r}; known: {', '.join(known_suites)}")
    try:
        known = expectations.load(options.expectations_dir or expectations.default_dir())
        planned = plan_targets(options.targets, options.targets_file)
    except (expectations.ExpectationsError, ValueError, catalog.UnknownProduct) as exc:
        raise RunError(str(exc)) from None

    for p in planned:  # a typo in CI's secrets is a setup error, not a regression of the target
        missing = p.remote.missing_env() if p.remote else []
        if missing:
            raise RunError(f"target {p.id}: set the environment variable(s) {', '.join(missing)} "
                           f"(named in {p.remote.source})")
    harness_errors: list[str] = []
    payload = None
    if options.wants_moves():
        from harness import moves as moves_mod
        try:
            payload = moves_mod.load(options.corpus)
        except OSError as exc:
            raise RunError(f"--corpus: {exc}") from None
    explicit = set(options.targets) - {"all"}
    options.out = options.out.resolve()  # the test processes run in the repository: a relative path would move
    try:  # the test processes' event streams live beside the report, so a killed run leaves nothing in /tmp
        options.out.mkdir(parents=True, exist_ok=True)
        jobs_dir = Path(tempfile.mkdtemp(prefix=".events-", dir=options.out))
    except OSError as exc:
        raise RunError(f"--out {options.out}: {exc.strerror}") from None
    logs_dir = options.out / "logs"
    jobs: list[_Job] = []
    for p in planned:
        applicable = [s for s in suites if s in p.suites]
        if p.unavailable:
            line = f"{p.id}: not available here: {p.unavailable}"
            if p.id in explicit:
                harness_errors.append(line)
            _say(stream, f"  skipped {line}")
            continue
        if not applicable:
            _say(stream, f"  skipped {p.id}: no requested suite applies (it supports: {', '.join(p.suites) or 'none'})")
            continue
        jobs.append(_Job(p, applicable, jobs_dir / f"{p.id}.jsonl", logs_dir / f"{p.id}.log"))
    if options.shard:
        jobs = shard_jobs(jobs, *options.shard)
        _say(stream, f"shard {options.shard[0]}/{options.shard[1]}: "
                     + (", ".join(f"{j.planned.id} ({', '.join(j.suites)})" for j in jobs) or "nothing"))
    if not jobs and options.shard:  # a CI matrix wider than the units: an empty share is no error
        shutil.rmtree(jobs_dir, ignore_errors=True)
        now = time.time()
        report = build_report(targets=[], results=[], started=now, finished=now, suites=suites, known=known)
        paths = write_outputs(report, options.out)
        _say(stream, f"shard {options.shard[0]}/{options.shard[1]} is empty; wrote an empty report to {paths['json']}")
        return EXIT_OK
    if not jobs:
        shutil.rmtree(jobs_dir, ignore_errors=True)
        raise RunError("nothing to run: no available target claims the requested suites "
                       "(see `overstap targets`)")

    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    logs_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    running_suites = [s for s in suites if any(s in j.suites for j in jobs)]
    _say(stream, f"Overstap run {run_id}: {', '.join(running_suites)} on {len(jobs)} "
                 f"target{'s' if len(jobs) != 1 else ''} ({', '.join(j.planned.id for j in jobs)})")
    interrupted = False
    pending = list(jobs)
    limit = options.jobs if options.jobs > 0 else len(jobs)
    running: list[_Job] = []
    try:
        while pending or running:
            while pending and len(running) < limit:
                job = pending.pop(0)
                _start(job, options, run_id)
                running.append(job)
            time.sleep(0.1)
            for job in list(running):
                _drain(job, stream)
                if job.proc.poll() is not None:
                    _drain(job, stream)
                    job.finished = time.monotonic()
                    running.remove(job)
                    _report_done(job, stream)
    except KeyboardInterrupt:
        interrupted = True
        _say(stream, "interrupted: stopping the targets (Ctrl-C again only if this hangs)...")
        for job in running:
            try:
                job.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                job.proc.kill()
                job.proc.wait()
            _drain(job, stream)
        harness_errors.append("the run was interrupted")

    targets, results = [], []
    for job in jobs:
        if job.proc is None:
            continue
        status = job.proc.returncode
        if status not in PYTEST_NORMAL and not interrupted:
            harness_errors.append(f"{job.planned.id}: the test process ended with status {status}; "
                                  f"see {job.log}")
        entry = job.target_entry or job.planned.to_report()
        if job.target_entry is None:
            entry["error"] = f"the test process ended with status {status} before it reported; see {job.log}"
        elif entry.get("error") and not interrupted:  # a deployment that does not answer is set-up trouble
            harness_errors.append(f"{job.planned.id} did not start: {entry['error'].splitlines()[0]}")
        targets.append(entry)
        results.extend(job.results)
        done = {r["check"] for r in job.results}
        for check in job.collected:
            if check["id"] not in done:
                results.append(_missing_result(job, check, status, interrupted))
    shutil.rmtree(jobs_dir, ignore_errors=True)
    moves = None
    if payload is not None and not interrupted:
        moves = []
        try:
            failed = {t["id"]: t["error"].splitlines()[0] for t in targets if t.get("error")}  # no second start
            moves, errors = moves_mod.run_phase([j.planned for j in jobs], payload, run_id, stream,
                                                workers=max(2, options.jobs or 8),
                                                timeout=(5.0, options.request_timeout), failed=failed)
            harness_errors.extend(errors)
        except KeyboardInterrupt:
            interrupted = True
            harness_errors.append("the run was interrupted during the moves")
    report = build_report(targets=targets, results=results, started=started, finished=time.time(),
                          suites=suites, known=known, interrupted=interrupted, moves=moves,
                          rejected_inputs=payload.rejected if moves is not None else None)
    paths = write_outputs(report, options.out)
    summary = report["summary"]
    _say(stream, f"{summary['total']} results: " + ", ".join(f"{n} {s}" for s, n in summary["by_status"].items())
         + f"; {summary['unexpected']} unexpected. Wall time {report['run_info']['duration_s']:.1f} s.")
    _say(stream, f"Report: {paths['json']}  JUnit: {paths['junit']}  HTML: {paths['html']}")
    for line in harness_errors:
        _say(stream, f"error: {line}")
    if harness_errors:
        return EXIT_HARNESS
    return EXIT_UNEXPECTED if summary["unexpected"] else EXIT_OK


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> (i, n) with 1 <= i <= n.

    Raises:
        RunError: for anything else.
    """
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise RunError(f"--shard wants i/n such as 2/4, not {text!r}") from None
    if not 1 <= i <= n:
        raise RunError(f"--shard {text}: i must be between 1 and n")
    return i, n


def shard_jobs(jobs: list[_Job], i: int, n: int) -> list[_Job]:
    """The deterministic share ``i`` of ``n`` of the (target, suite) units of ``jobs``.

    Units are sorted by (target id, suite) and dealt round-robin, so every unit lands in exactly one
    shard whatever the machine, and ``overstap merge`` of all shards equals the unsharded run.
    """
    units = sorted((job.planned.id, suite) for job in jobs for suite in job.suites)
    mine = {unit for index, unit in enumerate(units) if index % n == i - 1}
    out = []
    for job in jobs:
        suites = [s for s in job.suites if (job.planned.id, s) in mine]
        if suites:
            job.suites = suites
            out.append(job)
    return out


def _start(job: _Job, options: RunOptions, run_id: str) -> None:
    root = suites_root()
    argv = [sys.executable, "-m", "pytest", *[str(root / s) for s in job.suites],
            "--rootdir", str(root.parent), "-p", "no:cacheprovider", "-q", "--tb=no", "-rN", "--no-header",
            # --tb=no: pytest's own output goes to logs/ unredacted; every result (redacted) is in the report
            # every check's assert carries its own message, which is all the report keeps: skipping pytest's
            # assertion rewriting saves recompiling every suite module in every target's process
            "--assert=plain",
            "--target", job.planned.name, "--run-id", run_id, "--overstap-json", str(job.events),
            "--request-timeout", str(options.request_timeout), "--check-timeout", str(options.check_timeout)]
    if options.targets_file:  # the test process runs in the repository: a relative path must not change meaning
        argv += ["--targets-file", str(Path(options.targets_file).resolve())]
    if options.keyword:
        argv += ["-k", options.keyword]
    job.events.touch()
    job.started = time.monotonic()
    with open(job.log, "wb") as log:
        job.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=root.parent, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _drain(job: _Job, stream: TextIO) -> None:
    """Read the events the job's pytest wrote since last time and print progress for failures."""
    with open(job.events, "rb") as fh:
        fh.seek(job.offset)
        chunk = fh.read()
    complete = chunk[: chunk.rfind(b"\n") + 1]
    job.offset += len(complete)
    for line in complete.splitlines():
        event = json.loads(line)
        kind = event.pop("event")
        if kind == "collected":
            job.collected.extend(event["checks"])
        elif kind == "result":
            job.results.append(event)
            if event["status"] not in ("PASS", "SKIP", "PRECONDITION_FAILED"):
                message = event["message"] or ""
                if job.start_error and job.start_error in message:
                    continue  # said once, in full, below: not once per check
                reason = _start_failure(message) if event["status"] == "ERROR" else None
                if reason:
                    job.start_error = reason
                    _say(stream, f"  ERROR   {job.planned.id}: the target did not start; its checks are ERRORs:\n"
                                 + "\n".join(f"          {line}" for line in reason.splitlines()[:12]))
                    continue
                _say(stream, f"  {event['status']:<7} {job.planned.id:<10} {event['check']}: "
                             f"{message.splitlines()[0] if message else ''}"[:200])
        elif kind == "target":
            job.target_entry = event


START_FAILURES = ("TargetStartError", "ProductUnavailable", "TargetsFileError", "EngineUnavailable",
                  "DeploymentNotReady")


def _start_failure(message: str) -> str | None:
    """The reason of a check's ERROR when it is its target's start failure (``setup: <Exception>: reason``,
    the same for all the target's checks), else None."""
    if not message.startswith("setup: "):
        return None
    name, _, reason = message[len("setup: "):].partition(": ")
    return reason if name.rsplit(".", 1)[-1] in START_FAILURES and reason else None


def _report_done(job: _Job, stream: TextIO) -> None:
    counts: dict[str, int] = {}
    for r in job.results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    version = (job.target_entry or {}).get("version", "?")
    text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no results"
    _say(stream, f"done {job.planned.id} {version}: {text} in {job.finished - job.started:.1f} s")


def _missing_result(job: _Job, check: dict, status: int | None, interrupted: bool) -> dict:
    why = "the run was interrupted before this check ran" if interrupted else \
        f"the test process for {job.planned.id} ended (status {status}) before this check ran; see {job.log}"
    return {"check": check["id"], "suite": check["id"].split("/", 1)[0], "target": job.planned.id,
            "status": "ERROR", "level": check["level"], "clause": check["clause"], "message": why,
            "duration_s": 0.0, "evidence": {}, "peer": check["peer"]}
