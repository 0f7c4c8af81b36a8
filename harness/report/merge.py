"""Joining shard reports (``overstap run --shard i/n``) into one report.

- targets: the union by id; the same id in two shards must name the same product and version
  (capabilities are joined, the first shard's endpoints are kept — each shard starts its own local
  instance, on its own port; start errors of every shard are kept);
- results: the union; the same check × target in two shards is an error;
- run_info: ``started`` the earliest, ``finished`` the latest, ``duration_s`` the wall time between them,
  ``suites`` the union, ``interrupted`` true when any shard was; other fields from the earliest shard
  (a field whose values differ between shards, such as ``host``, lists the distinct values joined by ", ");
- ``moves[]`` (when any input has them): the union by kind × source × destination. Shards overlap
  when a target's suites fall into several shards and each ran the moves between its targets
  (``overstap run --shard i/n --moves``), or when a moves-only run is merged with shards that also
  moved: the same move then comes from several inputs, and one entry is kept: one without ``error``
  before one with, then the one of the latest-started input. When the entries disagree (items
  intact, properties lost, error), the kept one gets a ``notes`` line naming the other input and its
  counts, so a flaky move stays visible;
- ``rejected_inputs[]``: the union, without repeats (same path, kind and reasons);
- summary: recomputed from the merged results.

The merged report follows the schema (it is validated before it is returned).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from harness.report.model import ReportError, validate


class MergeError(ReportError):
    """The reports cannot be joined: conflicting targets or a duplicate result; the message says which."""


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _counts(m: dict) -> str:
    if m.get("error"):
        return f"error: {m['error']}"
    return (f"{m['items_intact']}/{m['items']} items intact, "
            f"{m['properties_lost']}/{m['properties_total']} properties lost")


def _one_move(candidates: list[tuple[dict, str]]) -> dict:
    """The entry kept for one kind × source × destination (see the module docstring). ``candidates`` are
    ``(entry, input name)`` in input order, earliest-started input first."""
    order = sorted(range(len(candidates)), key=lambda i: ("error" in candidates[i][0], -i))
    kept = dict(candidates[order[0]][0])
    others = [candidates[i] for i in order[1:] if _counts(candidates[i][0]) != _counts(kept)]
    if others:
        kept["notes"] = list(kept.get("notes", [])) + [
            f"merge: {name} also made this move, with another result: {_counts(m)}" for m, name in others]
    return kept


def merge_reports(reports: list[dict], names: list[str] | None = None) -> dict:
    """Join ``reports`` (validated report dicts) into one report.

    Args:
        reports: at least one report.
        names: how to call each report in error messages (e.g. their paths); default ``#1``, ``#2``...

    Returns:
        the merged report (a new dict; the inputs are not modified).

    Raises:
        MergeError: no reports, a target id with different product or version, a duplicate
            check × target, or a merged report that breaks the schema.
    """
    if not reports:
        raise MergeError("nothing to merge: give at least one report")
    names = names or [f"#{i + 1}" for i in range(len(reports))]
    order = sorted(range(len(reports)), key=lambda i: _ts(reports[i]["run_info"]["started"]))

    targets: dict[str, dict] = {}
    target_from: dict[str, str] = {}
    results: dict[tuple[str, str], dict] = {}
    result_from: dict[tuple[str, str], str] = {}
    moves: dict[tuple[str, str, str], list[tuple[dict, str]]] = {}  # key -> [(entry, input name)], earliest first
    rejected: dict[tuple, dict] = {}
    any_moves = False
    for i in order:
        report, name = reports[i], names[i]
        for t in report["targets"]:
            have = targets.get(t["id"])
            if have is None:
                targets[t["id"]] = {**t, "capabilities": list(t.get("capabilities", []))}
                target_from[t["id"]] = name
                continue
            for key in ("product", "version"):
                if have.get(key) != t.get(key):
                    raise MergeError(f"target {t['id']!r} is {key} {have.get(key)!r} in {target_from[t['id']]} "
                                     f"but {t.get(key)!r} in {name}: shards of one run must test the same "
                                     f"{key}; merge only reports of the same run")
            have["capabilities"] = sorted(set(have["capabilities"]) | set(t.get("capabilities", [])))
            if t.get("error") and t["error"] not in have.get("error", ""):
                have["error"] = f"{have['error']}; {t['error']}" if have.get("error") else t["error"]
            if "endpoints" not in have and "endpoints" in t:
                have["endpoints"] = t["endpoints"]
        for r in report["results"]:
            key = (r["target"], r["check"])
            if key in results:
                raise MergeError(f"duplicate result {r['check']} on target {r['target']!r}: in {result_from[key]} "
                                 f"and in {name}; each shard must run a different share (--shard i/n with the "
                                 f"same n and different i)")
            results[key] = r
            result_from[key] = name
        if "moves" in report:
            any_moves = True
            for m in report["moves"]:
                moves.setdefault((m["kind"], m["source"], m["destination"]), []).append((m, name))
            for r in report.get("rejected_inputs", []):
                rejected.setdefault((r["path"], r.get("kind"), tuple(r.get("reasons", []))), r)

    infos = [reports[i]["run_info"] for i in order]
    run_info = dict(infos[0])
    for key in run_info:
        if key in ("started", "finished", "duration_s", "suites", "interrupted"):
            continue
        values = []
        for info in infos:
            if info.get(key) is not None and info.get(key) not in values:
                values.append(info.get(key))
        if len(values) > 1:
            run_info[key] = ", ".join(str(v) for v in values)
    started = min(infos, key=lambda x: _ts(x["started"]))["started"]
    finished = max(infos, key=lambda x: _ts(x["finished"]))["finished"]
    run_info.update(started=started, finished=finished,
                    duration_s=round(max(0.0, (_ts(finished) - _ts(started)).total_seconds()), 3),
                    suites=sorted({s for info in infos for s in info.get("suites", [])}),
                    interrupted=any(info.get("interrupted", False) for info in infos))

    merged_results = [results[k] for k in sorted(results)]
    counts = Counter(r["status"] for r in merged_results)
    merged = {**reports[order[0]], "run_info": run_info,
              "targets": [targets[k] for k in sorted(targets)],
              "results": merged_results,
              "summary": {"total": len(merged_results),
                          "unexpected": sum(1 for r in merged_results if not r["expected"]),
                          "by_status": dict(sorted(counts.items()))}}
    if any_moves:
        merged["moves"] = [_one_move(moves[k]) for k in sorted(moves)]
        merged["rejected_inputs"] = list(rejected.values())
    else:
        merged.pop("moves", None)
        merged.pop("rejected_inputs", None)
    try:
        validate(merged)
    except ReportError as exc:
        raise MergeError(f"the merged report breaks the schema: {exc}") from None
    return merged
