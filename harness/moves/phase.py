"""The moves phase of ``overstap run``: start the targets, run every ordered pair per kind, stop the targets.

Pairs: for each kind, every ordered pair (A, B), A != B, of targets that claim the kind's capability
(calendar: ``caldav``; contacts: ``carddav``; files: ``webdav``; documents: ``odf-roundtrip``, and a
document kind in common: ``odf-text``, ``odf-spreadsheet`` or ``odf-presentation``). Targets are started
concurrently (:class:`harness.targets.TargetPool`), DAV moves run in a thread pool; a target that moves
in several pairs at once is fine, since every move has its own collections. The documents moves run
after them (:mod:`harness.moves.documents`), sharing each tool's first conversion between destinations.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait
from typing import Callable, TextIO

from harness.moves import documents
from harness.moves.engine import MoveSpec, run_move
from harness.moves.payload import Payload
from harness.evidence import redact_text, redact_tree, secret_variants
from harness.target import Target
from harness.targets import Planned, TargetPool

CAPABILITY = {"calendar": "caldav", "contacts": "carddav", "files": "webdav", "documents": documents.CAPABILITY}


def plan_pairs(targets: list[tuple[str, frozenset[str]]], kinds: tuple[str, ...] = tuple(CAPABILITY)) -> list[tuple[str, str, str]]:
    """``[(kind, source id, destination id)]`` for every ordered pair sharing the kind's capability
    (documents: and at least one document kind, :func:`harness.moves.documents.document_kinds`)."""
    out = []
    caps = dict(targets)
    for kind in kinds:
        able = [tid for tid, c in targets if CAPABILITY[kind] in c]
        out += [(kind, a, b) for a in able for b in able if a != b
                and (kind != "documents" or documents.document_kinds(caps[a]) & documents.document_kinds(caps[b]))]
    return out


def run_pairs(started: dict[str, Target], pairs: list[tuple[str, str, str]], payload: Payload, run_id: str,
              workers: int = 8, timeout: tuple[float, float] = (5.0, 60.0),
              progress: Callable[[dict], None] | None = None, doc_stats: dict | None = None) -> list[dict]:
    """Run the moves of ``pairs`` on running targets; the entries in a stable order (kind, source, destination).

    ``stats`` of the documents moves (:func:`harness.moves.documents.run_documents`) go into
    ``doc_stats`` when given.
    """
    specs = [MoveSpec(kind, started[a], started[b], payload.items[kind], run_id, timeout)
             for kind, a, b in pairs if payload.items[kind] and kind != "documents"]
    moves = []
    pending = list(specs)
    busy: set[tuple[str, str]] = set()  # (target id, kind) with a move running
    running: dict = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending or running:
            # one move per target and kind at a time: servers such as Cyrus keep a UID unique across all
            # of a user's calendars (RFC 4791 §5.3.2.1 no-uid-conflict), so two moves of the same items
            # into one target at once would collide with each other, which no real move does.
            for spec in list(pending):
                if len(running) >= workers:
                    break
                keys = {(spec.source.id, spec.kind), (spec.destination.id, spec.kind)}
                if keys & busy:
                    continue
                pending.remove(spec)
                busy |= keys
                running[pool.submit(run_move, spec)] = keys
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                busy -= running.pop(future)
                entry = future.result()
                moves.append(entry)
                if progress:
                    progress(entry)
    doc_pairs = [(a, b) for kind, a, b in pairs if kind == "documents"]
    if doc_pairs and payload.items["documents"]:
        moves += documents.run_documents(started, doc_pairs, payload.items["documents"], workers, progress,
                                         doc_stats)
    return sorted(moves, key=lambda m: (m["kind"], m["source"], m["destination"]))


def run_phase(planned: list[Planned], payload: Payload, run_id: str, stream: TextIO = sys.stderr,
              workers: int = 8, timeout: tuple[float, float] = (5.0, 60.0),
              failed: dict[str, str] | None = None) -> tuple[list[dict], list[str]]:
    """Start the targets the pairs need, run the moves, stop the targets.

    ``failed`` maps the ids of targets that already failed to start in this run (checks phase) to why: they
    are not started again; their pairs become moves[] entries with that ``error``, so a report (and
    ``overstap diff``) shows a move that could not be made instead of silently leaving it out.

    Returns (moves[] entries, harness errors as text).
    """
    failed = dict(failed or {})
    kinds = tuple(k for k in CAPABILITY if payload.items[k])
    usable = [(p.id, p.capabilities) for p in planned if not p.unavailable]
    pairs = plan_pairs(usable, kinds)
    if not pairs:
        return [], []
    needed = sorted({t for _, a, b in pairs for t in (a, b)} - set(failed))
    pool = TargetPool([p for p in planned if p.id in needed])
    started: dict[str, Target] = {}
    errors: list[str] = []
    t0 = time.monotonic()
    print(f"moves: starting {', '.join(needed)}", file=stream, flush=True)
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(needed))) as starter:
            futures = {starter.submit(pool.start, tid): tid for tid in needed}
            for future in as_completed(futures):
                tid = futures[future]
                try:
                    started[tid] = future.result()
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"moves: {tid} did not start: {exc}")
                    failed[tid] = str(exc)
        runnable = [(k, a, b) for k, a, b in pairs if a in started and b in started]
        # a pair whose target did not start is a move that failed, kept in the report (and so in `overstap diff`)
        unmoved = [{"source": a, "destination": b, "kind": k, "items": len(payload.items[k]), "items_intact": 0,
                    "properties_total": 0, "properties_lost": 0, "losses": [], "notes": [], "duration_s": 0.0,
                    "item_verdicts": [],
                    "error": "; ".join(f"{t} did not start: {failed.get(t, 'no reason given')}"
                                       for t in (a, b) if t not in started)}
                   for k, a, b in pairs if not (a in started and b in started)]
        print(f"moves: {len(runnable)} pairs; payload {len(payload.items['calendar'])} calendar, "
              f"{len(payload.items['contacts'])} contacts, {len(payload.items['files'])} files, "
              f"{len(payload.items['documents'])} documents items; "
              f"targets up in {time.monotonic() - t0:.1f} s", file=stream, flush=True)

        def say(m: dict) -> None:
            state = m.get("error") or (f"{m['items_intact']}/{m['items']} items intact, "
                                       f"{m['properties_lost']}/{m['properties_total']} properties lost")
            print(f"  move {m['kind']:<8} {m['source']:>8} -> {m['destination']:<8} {state} "
                  f"({m['duration_s']:.1f} s)", file=stream, flush=True)

        doc_stats: dict = {}
        moves = run_pairs(started, runnable, payload, run_id, workers, timeout, say, doc_stats) + unmoved
        if doc_stats:
            print(f"moves: documents: {doc_stats['conversions_a'] + doc_stats['conversions_b']} conversions "
                  f"({doc_stats['conversions_a']} through a source, {doc_stats['conversions_b']} through a "
                  f"destination) in {doc_stats['seconds']:.1f} s; busy per tool: "
                  + ", ".join(f"{tid} {sec:.0f} s" for tid, sec in doc_stats["per_target"].items()),
                  file=stream, flush=True)
        # a target may echo credentials into what the moves read back: redact as for check evidence
        secrets = [s for t in started.values() if t.credentials
                   for s in secret_variants(t.secrets, t.credentials.username)]
        secrets += secret_variants(pool.secrets())  # also those of targets that did not start
        moves = redact_tree(moves, sorted(set(secrets), key=len, reverse=True))
        errors = [redact_text(e, secrets) for e in errors]
    finally:
        pool.stop_all()
    print(f"moves: done in {time.monotonic() - t0:.1f} s", file=stream, flush=True)
    return moves, errors
