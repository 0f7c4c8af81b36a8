"""The ``documents`` moves: ODF documents through office tools, tool A then tool B (docs/moves.md).

For an ordered pair (A, B) of targets that claim ``odf-roundtrip``, each document of a kind both
claim (``odf-text``, ``odf-spreadsheet``, ``odf-presentation``) is opened in A and saved as ODF again
(:func:`harness.office.roundtrip`), then A's output is opened in B and saved as ODF again; the result
is compared with the original:

- an ODF feature fixture (fixtures/odf/) by its XPath survival assertions
  (:func:`conformance.odf.survival.judge_survival`): each assertion is one property of the item;
- any other document (``--corpus``) by its structural properties
  (:func:`conformance.odf.structure.compare_documents`).

Every loss is judged against the original after B and also after A, so its ``hop`` names the tool
that lost it (``A`` when it is already missing from A's output). A tool that fails on an item gives a
whole-item loss (``property`` ``""``) whose note holds the tool's error; when B fails on what A wrote,
the loss is put on A only when B converted the original itself and A's output is not valid ODF
(:func:`conformance.odf.validate_odf`); otherwise it is B's. When A changed a property and B changed it
further, both are reported: A's loss against the original, and B's against A's output.

Speed: each document goes through each tool that handles it once (stage 1), and every A-output goes
through each B once (stage 2): for n tools handling a document kind, n + n(n-1) = n² conversions per
document instead of 2n(n-1). Conversions run in a thread pool, at most :data:`SLOTS` at a time per
target (one for a unoserver instance, which converts one document at a time anyway; two for a
command-line tool), and each result is judged in the worker right after its conversion. :func:`run_documents` reports the counts and times in ``stats``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable

from conformance.odf import validate_odf
from conformance.odf.structure import Property, compare_properties, document_properties
from conformance.odf.survival import OdfParts, judge_survival
from harness.moves.payload import Item
from harness.office import ToolError, ToolLog, endpoint_kind, roundtrip
from harness.target import Target

CAPABILITY = "odf-roundtrip"
DOCUMENT_KINDS = ("text", "spreadsheet", "presentation")
# conversions at once per target, by endpoint kind: a unoserver instance converts one document at a time;
# command-line tools run one process per document, two at once keep two cores busy
SLOTS = {"unoserver": 1, "tool": 2}


def document_kinds(capabilities) -> set[str]:
    """The document kinds (``text``, ``spreadsheet``, ``presentation``) a target claims (``odf-<kind>``)."""
    return {k for k in DOCUMENT_KINDS if f"odf-{k}" in capabilities}


@dataclass
class _Done:
    """One conversion: the output (or the error), the tool calls made, seconds spent, and the losses
    against the original judged on the output (key -> loss evidence)."""

    data: bytes | None
    error: str | None
    calls: list[str]
    elapsed: float
    losses: dict = field(default_factory=dict)
    # stage 2, corpus documents: what B changed further, judged against A's output (property -> Difference)
    further: dict = field(default_factory=dict)


@dataclass
class _Job:
    target: Target
    item: Item
    source: Target | None = None  # stage 2: the tool whose output this job converts

    @property
    def key(self) -> tuple:
        return (self.source.id, self.target.id, self.item.name) if self.source else (self.target.id, self.item.name)


class _Originals:
    """What each original is compared by: its structural properties (computed once per document; the
    survival assertions are judged on the original's bytes, parsed in the worker that needs them)."""

    def __init__(self, items: list[Item]):
        self._props: dict[str, dict[str, Property]] = {}
        self._lock = threading.Lock()
        self.items = {item.name: item for item in items}

    def properties(self, item: Item) -> dict[str, Property]:
        with self._lock:
            if item.name not in self._props:
                self._props[item.name] = document_properties(item.data)
            return self._props[item.name]

    def total(self, item: Item) -> int:
        return len(item.assertions) if item.assertions else len(self.properties(item))


def _judge(originals: _Originals, item: Item, data: bytes) -> dict:
    """Losses of ``data`` against the original: ``{key: SurvivalLoss | Difference}`` (lost or changed only)."""
    if item.assertions:
        return {(loss.assertion["part"], loss.assertion["xpath"]): loss
                for loss in judge_survival(item.data, OdfParts(data), item.assertions)}
    return {d.property: d for d in compare_properties(originals.properties(item), data)
            if d.kind in ("lost", "changed")}


def _convert(job: _Job, data: bytes, originals: _Originals, lost_at_a: frozenset = frozenset()) -> _Done:
    log = ToolLog()
    started = time.monotonic()
    try:
        out = roundtrip(job.target.endpoints[CAPABILITY], data, job.item.ext, log)
        error = None
    except ToolError as exc:
        out, error = None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a tool breaking in an unexpected way is still the tool's failure
        out, error = None, f"{type(exc).__name__}: {exc}"
    done = _Done(out, error, [ex.url for ex in log.exchanges], 0.0)
    if out is not None:
        try:
            done.losses = _judge(originals, job.item, out)
            again = lost_at_a & set(done.losses)
            if again and not job.item.assertions:
                # a property A already changed may be changed again by B: B's own difference, A's output vs
                # B's, is B's evidence
                done.further = {d.property: d for d in compare_properties(document_properties(data), out)
                                if d.kind in ("lost", "changed") and d.property in again}
        except Exception as exc:  # noqa: BLE001 - judging never raises on bad input; this is a harness bug
            done.error = f"judging the output failed: {type(exc).__name__}: {exc}"
    done.elapsed = time.monotonic() - started
    return done


def _kind_or_none(target: Target) -> str | None:
    """The endpoint kind of a target's ``odf-roundtrip`` endpoint, None when it has none or an unknown one
    (its conversions then fail one by one, each with the reason)."""
    try:
        return endpoint_kind(target.endpoints[CAPABILITY])
    except (KeyError, ToolError):
        return None


def _describe(item: Item, total: int) -> str:
    what = f"{total} assertions" if item.assertions else f"{total} structural properties"
    return f"{item.label} ({len(item.data)} bytes, {what})"


class _Validity:
    """Whether a tool's output is valid ODF, asked only when the next tool refused it (cached)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, str | None] = {}
        self._schema_dir = None
        self._looked = False

    def problem(self, key: tuple, data: bytes) -> str | None:
        if key not in self._cache:
            if not self._looked:
                from harness.schemas import SchemaDirNotFound, find_schema_dir

                try:
                    self._schema_dir = find_schema_dir()
                except SchemaDirNotFound:
                    self._schema_dir = None
                self._looked = True
            verdict = validate_odf(data, self._schema_dir)
            # the document's own parts first: a content.xml that is not well-formed says more than the manifest
            errors = sorted((f for f in verdict.findings if f.severity == "error"),
                            key=lambda f: f.component not in ("content.xml", "styles.xml", "meta.xml"))
            if verdict.valid:
                self._cache[key] = None
            elif not errors:
                self._cache[key] = "invalid"
            else:
                more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
                self._cache[key] = (f"{errors[0].component or 'package'}: {errors[0].message[:240]} "
                                    f"[{errors[0].clause}]{more}")
        return self._cache[key]


def _loss(item: Item, prop: str, kind: str, original, received, note: str, hop: str, **extra) -> dict:
    return {"item": item.label, "property": prop, "kind": kind, "original": original, "received": received,
            "note": note, "hop": hop, **extra}


def _entry(a: Target, b: Target, items: list[Item], first: dict[tuple, _Done], second: dict[tuple, _Done],
           originals: _Originals, validity: _Validity) -> dict:
    entry = {"source": a.id, "destination": b.id, "kind": "documents", "items": len(items), "items_intact": 0,
             "properties_total": 0, "properties_lost": 0, "losses": [], "notes": [], "duration_s": 0.0,
             "item_verdicts": [], "conversions": 0}
    shown_calls = False
    for item in items:
        total = originals.total(item)
        entry["properties_total"] += total
        done_a = first[(a.id, item.name)]
        intact = False
        verdict = {"item": item.label, "source": item.source}
        if not total:
            # nothing of the original could be judged: no verdict either way, and no loss
            verdict["note"] = "not judged: the original has no property to compare"
            entry["notes"].append(f"{item.label}: not judged (no structural property or assertion found in the "
                                  f"original; counted neither intact nor lost)")
        elif done_a.error is not None:
            entry["losses"].append(_loss(item, "", "lost", _describe(item, total), None,
                                         f"{a.id} could not convert it: {done_a.error}", "A"))
            entry["properties_lost"] += total
        else:
            done_b = second[(a.id, b.id, item.name)]
            entry["conversions"] += 1
            entry["duration_s"] += done_b.elapsed
            if not shown_calls and done_b.error is None:
                entry["notes"].append(f"A ({a.id}) per document: " + "; ".join(done_a.calls))
                entry["notes"].append(f"B ({b.id}) per document: " + "; ".join(done_b.calls))
                shown_calls = True
            if done_b.error is not None:
                hop, note = "B", f"{b.id} could not convert what {a.id} wrote: {done_b.error}"
                # A is to blame only when B converted the original itself but not A's output, and A's output
                # is not valid ODF; a B that fails on everything (no converter, a timeout) loses it itself
                own = first.get((b.id, item.name))
                if own is not None and own.error is None:
                    invalid = validity.problem((a.id, item.name), done_a.data)
                    if invalid:
                        hop, note = "A", f"{a.id} wrote it out as invalid ODF ({invalid}); {note}"
                entry["losses"].append(_loss(item, "", "lost", _describe(item, total), None, note, hop))
                entry["properties_lost"] += total
            else:
                for key, loss in done_b.losses.items():
                    hops = [("A", done_a.losses[key])] if key in done_a.losses else [("B", loss)]
                    if key in done_a.losses and key in done_b.further:  # A changed it, B changed it further
                        hops.append(("B", done_b.further[key]))
                    for hop, ev in hops:
                        if item.assertions:
                            entry["losses"].append(_loss(item, ev.assertion["what"], "lost", ev.original,
                                                         ev.received, ev.note, hop, part=ev.assertion["part"],
                                                         xpath=ev.assertion["xpath"]))
                        else:
                            note = ev.note if hop == "A" or key not in done_a.losses else \
                                f"{ev.note} (compared with what {a.id} wrote)"
                            entry["losses"].append(_loss(item, ev.property, ev.kind, ev.original, ev.received,
                                                         note, hop))
                entry["properties_lost"] += min(total, len(done_b.losses))
                intact = not done_b.losses
        entry["items_intact"] += intact
        entry["item_verdicts"].append({**verdict, "intact": intact})
    entry["duration_s"] = round(entry["duration_s"], 3)
    entry["notes"].append(f"{entry['conversions']} conversions through {b.id} ({entry['duration_s']:.1f} s, "
                          f"judging included); the conversions through {a.id} are shared by every destination")
    return entry


def run_documents(started: dict[str, Target], pairs: list[tuple[str, str]], items: list[Item], workers: int = 8,
                  progress: Callable[[dict], None] | None = None, stats: dict | None = None) -> list[dict]:
    """Run the documents moves of ``pairs`` (``[(source id, destination id)]``) on running targets.

    Each pair moves the ``items`` of a document kind both targets claim; a pair with none makes no
    move. Returns the ``moves[]`` entries (sorted by source, destination); each also has
    ``conversions`` (the stage-2 conversions it made) and ``duration_s`` (their time, judging included;
    the stage-1 conversions through the source are shared by every destination and counted in
    ``stats``). ``stats``, when given, is filled with ``conversions_a``, ``conversions_b`` and ``seconds``
    (wall time) and ``per_target`` (seconds of conversion and judging per target). Never raises for a tool's failure: it becomes a loss of the item.
    """
    t0 = time.monotonic()
    kinds = {tid: document_kinds(t.capabilities) for tid, t in started.items()}
    per_pair: dict[tuple[str, str], list[Item]] = {}
    for a, b in pairs:
        shared = kinds[a] & kinds[b]
        chosen = [item for item in items if item.doc_kind in shared]
        if chosen:
            per_pair[(a, b)] = chosen
    destinations: dict[tuple[str, str], list[str]] = defaultdict(list)  # (A, item) -> [B]
    for (a, b), chosen in per_pair.items():
        for item in chosen:
            destinations[(a, item.name)].append(b)
    originals = _Originals(items)
    validity = _Validity()
    first: dict[tuple, _Done] = {}
    second: dict[tuple, _Done] = {}
    remaining = {pair: len(chosen) for pair, chosen in per_pair.items()}
    pending: list[_Job] = [_Job(started[a], originals.items[name]) for a, name in sorted(destinations)]
    busy: dict[str, int] = defaultdict(int)  # target id -> conversions running
    slots = {tid: SLOTS.get(_kind_or_none(t), 1) for tid, t in started.items()}
    running: dict = {}
    entries = []
    per_target: dict[str, float] = defaultdict(float)  # seconds of conversion and judging per tool

    finished: set[tuple[str, str]] = set()

    def finish(pair: tuple[str, str]) -> None:
        # a pair is judged once its stage-2 conversions are done and B's own conversions of the same
        # documents too (whether B converts the original decides who lost an item B failed on)
        if pair in finished or remaining[pair]:
            return
        b = pair[1]
        if any((b, item.name) not in first for item in per_pair[pair] if (b, item.name) in destinations):
            return
        finished.add(pair)
        entry = _entry(started[pair[0]], started[pair[1]], per_pair[pair], first, second, originals, validity)
        entries.append(entry)
        if progress:
            progress(entry)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending or running:
            for job in list(pending):
                if len(running) >= workers:
                    break
                if busy[job.target.id] >= slots[job.target.id]:
                    continue
                pending.remove(job)
                busy[job.target.id] += 1
                prior = first[(job.source.id, job.item.name)] if job.source else None
                data = prior.data if prior else job.item.data
                lost_at_a = frozenset(prior.losses) if prior else frozenset()
                running[pool.submit(_convert, job, data, originals, lost_at_a)] = job
            if not running:
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                busy[job.target.id] -= 1
                result = future.result()
                per_target[job.target.id] += result.elapsed
                if job.source is None:
                    first[job.key] = result
                    for b in destinations[(job.target.id, job.item.name)]:
                        pair = (job.target.id, b)
                        if result.data is None:  # A failed: nothing to give B
                            remaining[pair] -= 1
                            finish(pair)
                        else:
                            pending.insert(0, _Job(started[b], job.item, source=job.target))
                else:
                    second[job.key] = result
                    pair = (job.source.id, job.target.id)
                    remaining[pair] -= 1
                    finish(pair)
                if job.source is None:  # B's own conversion may be the last thing a pair waited for
                    for pair in per_pair:
                        if pair[1] == job.target.id:
                            finish(pair)
    if stats is not None:
        stats.update(conversions_a=len(first), conversions_b=len(second), seconds=round(time.monotonic() - t0, 3),
                     per_target={tid: round(v, 1) for tid, v in sorted(per_target.items())})
    return sorted(entries, key=lambda m: (m["source"], m["destination"]))
