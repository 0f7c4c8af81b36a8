"""index.html derived from report.json: an overview (suites × targets) and every result with its evidence.

Colour is never the only signal: every cell and row also says its status in words. There is no
headline score: each cell shows passes / total for that suite on that target.
"""

from __future__ import annotations

import json
from collections import defaultdict

from jinja2 import Environment, PackageLoader, select_autoescape

STATUS_MARK = {"PASS": "✓", "FAIL": "✗", "WARN": "!", "ERROR": "⚠", "TIMEOUT": "◷", "SKIP": "–",
               "PRECONDITION_FAILED": "∅"}


def overview(report: dict) -> dict:
    """``{suite: {target: counts}}`` where counts has passes, total (applicable results), must_failures,
    should_warnings, errors (ERROR and TIMEOUT), not_applicable (SKIP and PRECONDITION_FAILED) and unexpected."""
    cells: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in report["results"]:
        c = cells[r["suite"]].setdefault(r["target"], {"passes": 0, "total": 0, "must_failures": 0,
                                                       "should_warnings": 0, "errors": 0, "not_applicable": 0,
                                                       "unexpected": 0})
        if r["status"] in ("SKIP", "PRECONDITION_FAILED"):
            c["not_applicable"] += 1
        else:
            c["total"] += 1
        c["passes"] += r["status"] == "PASS"
        c["must_failures"] += r["status"] == "FAIL"
        c["should_warnings"] += r["status"] == "WARN"
        c["errors"] += r["status"] in ("ERROR", "TIMEOUT")
        c["unexpected"] += not r["expected"]
    return dict(cells)


def render_html(report: dict) -> str:
    """The whole report as one self-contained HTML page (no external resources)."""
    env = Environment(loader=PackageLoader("harness.report", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["pretty_json"] = lambda v: json.dumps(v, indent=1, ensure_ascii=False)
    by_target = defaultdict(list)
    for r in report["results"]:
        by_target[r["target"]].append(r)
    from harness.report.site import _move_matrices, slug

    env.filters["slug"] = slug
    return env.get_template("index.html").render(
        report=report, cells=overview(report), by_target=by_target, marks=STATUS_MARK,
        suites=sorted({r["suite"] for r in report["results"]}),
        move_kinds=_move_matrices(report.get("moves") or []),
    )
