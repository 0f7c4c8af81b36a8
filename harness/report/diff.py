"""Differences between two runs: which results improved, regressed, changed, appeared or went away.

Statuses are ordered from best to worst, and only *applicable* statuses are compared by that order::

    PASS  <  WARN  <  FAIL  <  ERROR = TIMEOUT          (applicable; lower is better)
    SKIP, PRECONDITION_FAILED                           (not applicable)

- **improved**: both applicable and the new status ranks better (FAIL -> PASS, ERROR -> WARN);
- **regressed**: both applicable and the new status ranks worse (PASS -> WARN, WARN -> FAIL, FAIL -> TIMEOUT);
- **changed**: the status changed but the order does not say better or worse: between applicable and
  not applicable (PASS -> SKIP, PRECONDITION_FAILED -> FAIL), between the two not-applicable
  statuses, or between ERROR and TIMEOUT;
- **new**: the check × target is only in the new run; **gone**: only in the old run;
- **intermittent**: the status flipped between statuses that an expectation lists for an intermittent
  result (``intermittent`` in the new report): known flakiness, never a regression.

Results are keyed by (target id, check id). A target whose product version differs between the runs
is listed in ``targets`` with both versions (its results are still compared by target id).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RANK = {"PASS": 0, "WARN": 1, "FAIL": 2, "ERROR": 3, "TIMEOUT": 3}
NOT_APPLICABLE = {"SKIP", "PRECONDITION_FAILED"}
KINDS = ("regressed", "improved", "changed", "new", "gone", "intermittent")


def classify(old: str | None, new: str | None) -> str | None:
    """The kind of change from status ``old`` to ``new`` (``None`` for an absent result).

    Returns:
        one of :data:`KINDS`, or ``None`` when nothing changed.
    """
    if old == new:
        return None
    if old is None:
        return "new"
    if new is None:
        return "gone"
    if old in RANK and new in RANK and RANK[old] != RANK[new]:
        return "improved" if RANK[new] < RANK[old] else "regressed"
    return "changed"


@dataclass
class Diff:
    """The differences between two reports.

    Attributes:
        old, new: ``run_info`` of each report.
        changes: one dict per changed result, sorted by kind (in :data:`KINDS` order), target, check:
            ``{"kind", "target", "check", "suite", "old", "new", "level", "clause", "message"}`` where
            ``old``/``new`` are statuses or ``None`` and ``message`` is the new result's (else the old's).
        targets: one dict per target that appeared, went away or changed version:
            ``{"target", "old": "product version" | None, "new": ... | None}``.
    """

    old: dict
    new: dict
    changes: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """``{kind: number of changes}`` for every kind in :data:`KINDS` (zeros included)."""
        out = {k: 0 for k in KINDS}
        for c in self.changes:
            out[c["kind"]] += 1
        return out

    @property
    def regressed(self) -> bool:
        """True when at least one result regressed."""
        return any(c["kind"] == "regressed" for c in self.changes)

    def to_json(self) -> dict:
        """A JSON-ready dict: ``{"old", "new", "summary": {kind: n}, "targets": [...], "changes": [...]}``."""
        return {"old": {k: self.old.get(k) for k in ("started", "finished", "harness_version", "suites")},
                "new": {k: self.new.get(k) for k in ("started", "finished", "harness_version", "suites")},
                "summary": self.counts(), "targets": self.targets, "changes": self.changes}


def diff_reports(old: dict, new: dict) -> Diff:
    """Compare two reports (as loaded by :func:`harness.report.load_report`).

    Raises:
        KeyError: a report lacks fields the schema requires (validate first).
    """
    def index(report: dict) -> dict[tuple[str, str], dict]:
        return {(r["target"], r["check"]): r for r in report["results"]}

    before, after = index(old), index(new)
    changes = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        kind = classify(a["status"] if a else None, b["status"] if b else None)
        if kind is None:
            continue
        if a and b and b.get("intermittent") and {a["status"], b["status"]} <= set(b.get("expected_status", "").split("|")):
            kind = "intermittent"
        ref = b or a
        changes.append({"kind": kind, "target": key[0], "check": key[1], "suite": ref["suite"],
                        "old": a["status"] if a else None, "new": b["status"] if b else None,
                        "level": ref["level"], "clause": ref["clause"], "message": ref.get("message", "")})
    changes.sort(key=lambda c: (KINDS.index(c["kind"]), c["target"], c["check"]))

    def versions(report: dict) -> dict[str, str]:
        return {t["id"]: f"{t['product']} {t.get('version', 'unknown')}" for t in report["targets"]}

    tv_old, tv_new = versions(old), versions(new)
    targets = [{"target": t, "old": tv_old.get(t), "new": tv_new.get(t)}
               for t in sorted(set(tv_old) | set(tv_new)) if tv_old.get(t) != tv_new.get(t)]
    return Diff(old=old["run_info"], new=new["run_info"], changes=changes, targets=targets)


def _one_line(text: str, limit: int = 160) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _summary_line(d: Diff) -> str:
    c = d.counts()
    return (f"{c['regressed']} regressed, {c['improved']} improved, {c['changed']} changed, {c['new']} new, "
            f"{c['gone']} gone (run {d.old.get('started')} → {d.new.get('started')})")


def render_text(d: Diff) -> str:
    """The diff as plain text: a summary line, then one line per change grouped by kind."""
    lines = [_summary_line(d)]
    for t in d.targets:
        lines.append(f"target {t['target']}: {t['old'] or '(absent)'} → {t['new'] or '(absent)'}")
    for kind in KINDS:
        rows = [c for c in d.changes if c["kind"] == kind]
        if not rows:
            continue
        lines.append("")
        lines.append(f"{kind} ({len(rows)}):")
        for c in rows:
            lines.append(f"  {c['target']:<12} {c['check']}: {c['old'] or '-'} → {c['new'] or '-'}"
                         + (f"  [{c['level']} {c['clause']}] {_one_line(c['message'], 120)}"
                            if c["new"] not in (None, "PASS") and c["message"] else ""))
    if not d.changes:
        lines.append("no result changed")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return _one_line(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def render_markdown(d: Diff, max_rows: int = 50) -> str:
    """The diff as a Markdown comment for a merge request: a summary line, a table of counts, then a
    table per kind of change with at most ``max_rows`` rows each (comments have size limits: GitHub
    takes 65,536 characters); a line says how many rows were left out."""
    c = d.counts()
    mark = "❌" if c["regressed"] else "✅"
    out = [f"{mark} **Overstap diff**: {_md(_summary_line(d))}", "",
           "| " + " | ".join(KINDS) + " |", "|" + "---|" * len(KINDS),
           "| " + " | ".join(str(c[k]) for k in KINDS) + " |", ""]
    if d.targets:
        out += ["| target | before | after |", "|---|---|---|"]
        out += [f"| {_md(t['target'])} | {_md(t['old'] or '(absent)')} | {_md(t['new'] or '(absent)')} |"
                for t in d.targets]
        out.append("")
    for kind in KINDS:
        rows = [x for x in d.changes if x["kind"] == kind]
        if not rows:
            continue
        out += [f"### {kind.capitalize()} ({len(rows)})", "",
                "| target | check | before | after | level | clause | message |",
                "|---|---|---|---|---|---|---|"]
        for x in rows[:max_rows]:
            out.append(f"| {_md(x['target'])} | `{x['check']}` | {x['old'] or '–'} | {x['new'] or '–'} | "
                       f"{x['level']} | {_md(x['clause'])} | {_md(x['message']) if x['new'] != 'PASS' else ''} |")
        if len(rows) > max_rows:
            out += ["", f"… and {len(rows) - max_rows} more {kind} (`overstap diff --format json` lists all)."]
        out.append("")
    if not d.changes:
        out.append("No result changed.")
    return "\n".join(out).rstrip() + "\n"
