"""report.json: building, validating, loading and writing it with its derived files."""

from __future__ import annotations

import json
import platform
import socket
from collections import Counter
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import jsonschema

from harness import __version__, expectations

SCHEMA_ID = "overstap-report/1.0"


class ReportError(ValueError):
    """A report file cannot be read or does not follow the schema; the message says where."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of report.json, version 1.0."""
    return json.loads(resources.files("harness.report").joinpath("schema/report-1.0.json").read_text("utf-8"))


def build_report(*, targets: list[dict], results: list[dict], started: float, finished: float, suites: list[str],
                 known: dict | None = None, interrupted: bool = False, moves: list[dict] | None = None,
                 rejected_inputs: list[dict] | None = None) -> dict:
    """Assemble report.json.

    Args:
        targets: ``targets[]`` entries (see :meth:`harness.target.Target.to_report`).
        results: one dict per check × target, as the pytest plugin emits them (without ``expected``).
        started, finished: POSIX timestamps in seconds.
        suites: the suites this run asked for.
        known: expectations (see :func:`harness.expectations.load`); ``None`` loads the default folder.
        interrupted: the run was stopped before it finished.
        moves: ``moves[]`` entries of the portability moves (docs/moves.md); left out of the report when None.
        rejected_inputs: payload files not moved because they were invalid to begin with (with ``moves``).

    Returns:
        the report as a JSON-ready dict; results sorted by target, then check id.
    """
    if known is None:
        known = expectations.load(expectations.default_dir())
    by_id = {t["id"]: t for t in targets}
    out_results = []
    for result in sorted(results, key=lambda r: (r["target"], r["check"])):
        t = by_id.get(result["target"], {})
        expected, expectation = expectations.judge(result, t.get("product", ""), t.get("version", ""), known)
        entry = {**result, "expected": expected}
        if expectation is not None:
            entry["expected_status"] = "|".join(expectation.statuses)
            entry["expectation_reason"] = expectation.reason
            if expectation.intermittent:
                entry["intermittent"] = True
        out_results.append(entry)
    counts = Counter(r["status"] for r in out_results)
    report = {
        "schema": SCHEMA_ID,
        "run_info": {
            "harness_version": __version__,
            "started": _iso(started),
            "finished": _iso(finished),
            "duration_s": round(finished - started, 3),
            "host": socket.gethostname(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "suites": sorted(suites),
            "interrupted": interrupted,
        },
        "targets": targets,
        "results": out_results,
        "summary": {
            "total": len(out_results),
            "unexpected": sum(1 for r in out_results if not r["expected"]),
            "by_status": dict(sorted(counts.items())),
        },
    }
    if moves is not None:
        report["moves"] = moves
        report["rejected_inputs"] = list(rejected_inputs or [])
    return report


def validate(report: dict) -> None:
    """Check ``report`` against the report.json schema.

    Raises:
        ReportError: naming the first place where the report breaks the schema.
    """
    try:
        jsonschema.validate(report, schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise ReportError(f"report does not follow {SCHEMA_ID} at {where}: {exc.message}") from None


def load_report(path: Path) -> dict:
    """Read and validate a report.json (or the report.json inside a run folder).

    Raises:
        ReportError: unreadable, not JSON, or not following the schema.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    validate(report)
    return report


def write_outputs(report: dict, out: Path) -> dict[str, Path]:
    """Write ``report.json``, ``junit.xml`` and ``index.html`` into ``out`` (created if needed).

    Returns:
        ``{"json": path, "junit": path, "html": path}``.
    """
    from harness.report.html import render_html
    from harness.report.junit import render_junit

    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "junit": out / "junit.xml", "html": out / "index.html"}
    paths["json"].write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["junit"].write_bytes(render_junit(report))
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths
