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

Moves (``moves[]``, docs/moves.md) are keyed by (kind, source, destination) and compared when both
reports have moves (a report without ``moves`` did not run the phase: nothing to compare):

- **regressed**: the move broke (``error``) where it did not, or fewer items arrived intact, or as
  many but more properties were lost;
- **improved**: the other way round;
- **changed**: something else differs: the number of items or properties moved (another payload), or
  the same counts with other losses (``lost_now`` / ``kept_now`` say which);
- **new** / **gone**: the pair was moved in only one of the runs (a target or kind added or removed).

A move that regressed makes ``overstap diff`` exit 1, as a regressed result does. Moves have no
expectations, so a tool whose output varies between runs (AbiWord's table of contents) shows as a
regression or improvement; the loss lists in the report tell which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RANK = {"PASS": 0, "WARN": 1, "FAIL": 2, "ERROR": 3, "TIMEOUT": 3}
NOT_APPLICABLE = {"SKIP", "PRECONDITION_FAILED"}
KINDS = ("regressed", "improved", "changed", "new", "gone", "intermittent")
MOVE_KINDS = ("regressed", "improved", "changed", "new", "gone")
MOVE_COUNTS = ("items", "items_intact", "properties_total", "properties_lost")
LOSS_LIST = 10  # lost_now / kept_now: at most this many entries each


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
        moves: one dict per move that changed (see :func:`classify_move`), sorted by change (in
            :data:`MOVE_KINDS` order), kind, source, destination: ``{"change", "kind", "source",
            "destination", "old", "new", "lost_now", "kept_now"}`` where ``old``/``new`` are
            ``{"items", "items_intact", "properties_total", "properties_lost", "error"?}`` or None, and
            ``lost_now`` / ``kept_now`` list (at most :data:`LOSS_LIST`) ``"item: property"`` lost only in
            the new run / only in the old one (``lost_now_total`` / ``kept_now_total`` count them all).
        compared_moves: both reports had ``moves`` (else ``moves`` is empty and not rendered).
    """

    old: dict
    new: dict
    changes: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    moves: list[dict] = field(default_factory=list)
    compared_moves: bool = False

    def counts(self) -> dict[str, int]:
        """``{kind: number of changes}`` for every kind in :data:`KINDS` (zeros included)."""
        out = {k: 0 for k in KINDS}
        for c in self.changes:
            out[c["kind"]] += 1
        return out

    def move_counts(self) -> dict[str, int]:
        """``{kind: number of moves that changed so}`` for every kind in :data:`MOVE_KINDS` (zeros included)."""
        out = {k: 0 for k in MOVE_KINDS}
        for m in self.moves:
            out[m["change"]] += 1
        return out

    @property
    def regressed(self) -> bool:
        """True when at least one result or move regressed."""
        return any(c["kind"] == "regressed" for c in self.changes) or \
            any(m["change"] == "regressed" for m in self.moves)

    def to_json(self) -> dict:
        """A JSON-ready dict: ``{"old", "new", "summary": {kind: n}, "targets": [...], "changes": [...],
        "moves_summary": {kind: n}, "moves": [...]}`` (the last two only when both runs had moves)."""
        out = {"old": {k: self.old.get(k) for k in ("started", "finished", "harness_version", "suites")},
               "new": {k: self.new.get(k) for k in ("started", "finished", "harness_version", "suites")},
               "summary": self.counts(), "targets": self.targets, "changes": self.changes}
        if self.compared_moves:
            out.update(moves_summary=self.move_counts(), moves=self.moves)
        return out


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
    compared = "moves" in old and "moves" in new
    return Diff(old=old["run_info"], new=new["run_info"], changes=changes, targets=targets,
                moves=diff_moves(old["moves"], new["moves"]) if compared else [], compared_moves=compared)


def _move_counts(m: dict | None) -> dict | None:
    if m is None:
        return None
    out = {k: m.get(k, 0) for k in MOVE_COUNTS}
    if m.get("error"):
        out["error"] = m["error"]
    return out


def classify_move(old: dict | None, new: dict | None) -> str | None:
    """The kind of change of one move between two runs (``moves[]`` entries, None when absent).

    Returns:
        one of :data:`MOVE_KINDS`, or ``None`` when its counts, error and losses are the same.
    """
    if old is None and new is None:
        return None
    if old is None:
        return "new"
    if new is None:
        return "gone"
    broke_old, broke_new = bool(old.get("error")), bool(new.get("error"))
    if broke_old != broke_new:
        return "regressed" if broke_new else "improved"
    lost_old, lost_new = set(_loss_keys(old)), set(_loss_keys(new))
    if lost_new - lost_old:  # something is lost now that was kept before: whatever the totals say
        return "regressed"
    if old["items"] == new["items"] and old["properties_total"] == new["properties_total"]:
        if new["items_intact"] != old["items_intact"]:
            return "improved" if new["items_intact"] > old["items_intact"] else "regressed"
        if new["properties_lost"] != old["properties_lost"]:
            return "improved" if new["properties_lost"] < old["properties_lost"] else "regressed"
        if lost_old == lost_new and old.get("error") == new.get("error"):
            return None
    if lost_old - lost_new and new["items_intact"] >= old["items_intact"]:
        return "improved"
    return "changed"


def _loss_keys(m: dict) -> list[str]:
    seen: dict[str, None] = {}
    for loss in m.get("losses", []):
        if loss.get("kind") == "added":
            continue
        seen.setdefault(f"{loss['item']}: {loss.get('property') or '(whole item)'}", None)
    return list(seen)


def diff_moves(old: list[dict], new: list[dict]) -> list[dict]:
    """The moves that changed between two ``moves[]`` lists (see :attr:`Diff.moves` for the shape)."""
    def index(moves: list[dict]) -> dict[tuple[str, str, str], dict]:
        return {(m["kind"], m["source"], m["destination"]): m for m in moves}

    before, after = index(old), index(new)
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        change = classify_move(a, b)
        if change is None:
            continue
        lost_a, lost_b = (_loss_keys(a) if a else []), (_loss_keys(b) if b else [])
        lost_now = [k for k in lost_b if k not in set(lost_a)] if a and b else []
        kept_now = [k for k in lost_a if k not in set(lost_b)] if a and b else []
        out.append({"change": change, "kind": key[0], "source": key[1], "destination": key[2],
                    "old": _move_counts(a), "new": _move_counts(b),
                    "lost_now": lost_now[:LOSS_LIST], "lost_now_total": len(lost_now),
                    "kept_now": kept_now[:LOSS_LIST], "kept_now_total": len(kept_now)})
    out.sort(key=lambda m: (MOVE_KINDS.index(m["change"]), m["kind"], m["source"], m["destination"]))
    return out


def _move_state(c: dict | None) -> str:
    if c is None:
        return "-"
    if c.get("error"):
        return "error"
    return f"{c['items_intact']}/{c['items']} intact, {c['properties_lost']}/{c['properties_total']} lost"


def _more(names: list[str], total: int) -> str:
    return ", ".join(names) + (f" (+{total - len(names)} more)" if total > len(names) else "")


def _one_line(text: str, limit: int = 160) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _summary_line(d: Diff) -> str:
    c = d.counts()
    line = (f"{c['regressed']} regressed, {c['improved']} improved, {c['changed']} changed, {c['new']} new, "
            f"{c['gone']} gone (run {d.old.get('started')} → {d.new.get('started')})")
    if d.compared_moves:
        m = d.move_counts()
        line += (f"; moves: {m['regressed']} regressed, {m['improved']} improved, {m['changed']} changed, "
                 f"{m['new']} new, {m['gone']} gone")
    return line


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
    if d.compared_moves:
        lines.append("")
        for kind in MOVE_KINDS:
            rows = [m for m in d.moves if m["change"] == kind]
            if not rows:
                continue
            lines.append(f"moves {kind} ({len(rows)}):")
            for m in rows:
                lines.append(f"  {m['kind']:<9} {m['source']} → {m['destination']}: "
                             f"{_move_state(m['old'])} → {_move_state(m['new'])}")
                if m["lost_now"]:
                    lines.append(f"    lost now: {_one_line(_more(m['lost_now'], m['lost_now_total']), 300)}")
                if m["kept_now"]:
                    lines.append(f"    kept now: {_one_line(_more(m['kept_now'], m['kept_now_total']), 300)}")
        if not d.moves:
            lines.append("no move changed")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return _one_line(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def render_markdown(d: Diff, max_rows: int = 50) -> str:
    """The diff as a Markdown comment for a merge request: a summary line, a table of counts, then a
    table per kind of change with at most ``max_rows`` rows each (comments have size limits: GitHub
    takes 65,536 characters); a line says how many rows were left out."""
    c = d.counts()
    mark = "❌" if d.regressed else "✅"
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
    if d.compared_moves:
        out.append("")
        if d.moves:
            out += [f"### Moves ({len(d.moves)})", "",
                    "| change | kind | source → destination | before | after | lost now | kept now |",
                    "|---|---|---|---|---|---|---|"]
            for m in d.moves[:max_rows]:
                out.append(f"| {m['change']} | {m['kind']} | {_md(m['source'])} → {_md(m['destination'])} | "
                           f"{_move_state(m['old'])} | {_move_state(m['new'])} | "
                           f"{_md(_more(m['lost_now'], m['lost_now_total']))} | "
                           f"{_md(_more(m['kept_now'], m['kept_now_total']))} |")
            if len(d.moves) > max_rows:
                out += ["", f"… and {len(d.moves) - max_rows} more moves (`overstap diff --format json` lists all)."]
        else:
            out.append("No move changed.")
    return "\n".join(out).rstrip() + "\n"
