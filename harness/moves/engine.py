"""One move: items written into target A, read out of A, written into B, read out of B, compared.

:func:`run_move` returns the ``moves[]`` entry of report.json (see docs/moves.md and docs/report.md).
A loss is judged against the *original* at the end; its ``hop`` says where it first happened: ``"A"``
when the difference is already there in what came out of A, else ``"B"``.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

from conformance.compare import compare_icalendar, compare_vcard
from conformance.icalendar import parse_icalendar, validate_icalendar
from conformance.vcard import parse_vcards, validate_vcard
from harness.moves import dav
from harness.moves.payload import Item
from harness.target import Target

IGNORED_ICAL = {"PRODID", "VERSION", "DTSTAMP", "LAST-MODIFIED", "CREATED", "METHOD"}
IGNORED_VCARD = {"VERSION", "PRODID", "REV"}
LINE_LIMIT = 240
FILE_MTIME = 1704164645.0  # 2024-01-02T03:04:05Z: the last-modified time the move asks for on every fixture file


@dataclass
class MoveSpec:
    kind: str
    source: Target
    destination: Target
    items: list[Item]
    run_id: str
    timeout: tuple[float, float] = (5.0, 60.0)


def _compare(kind: str, original: bytes, received: bytes):
    return compare_icalendar(original, received) if kind == "calendar" else compare_vcard(original, received)


def count_properties(kind: str, data: bytes) -> int:
    """Properties that a move must keep in one item (the ones :mod:`conformance.compare` does not ignore)."""
    if kind == "calendar":
        total = 0

        def walk(comp):
            nonlocal total
            name = (comp.name or "").upper()
            if name == "VTIMEZONE":
                return
            for key, value in comp.property_items(recursive=False):
                if key.upper() not in IGNORED_ICAL and key.upper() not in ("BEGIN", "END"):
                    total += 1
            for sub in comp.subcomponents:
                walk(sub)

        for comp in parse_icalendar(data).components:
            walk(comp)
        return total
    if kind == "contacts":
        return sum(1 for card in parse_vcards(data).cards for p in card.props if p.name not in IGNORED_VCARD)
    return 0


def _unfolded(data: bytes | None) -> list[str]:
    if not data:
        return []
    lines: list[str] = []
    for raw in re.split(r"\r\n|\n|\r", data.decode("utf-8", "replace")):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    out, in_tz = [], 0
    for line in lines:  # VTIMEZONE definitions are compared as instants, not as lines
        upper = line.upper()
        if upper.startswith("BEGIN:VTIMEZONE"):
            in_tz += 1
        if not in_tz:
            out.append(line)
        if upper.startswith("END:VTIMEZONE"):
            in_tz -= 1
    return out


def _lines_of(data: bytes | None, prop: str) -> str | None:
    """The content lines of property ``prop`` (unfolded, ``group.`` prefixes allowed), joined with `` | ``."""
    if not prop or data is None:
        return None
    want = prop.upper()
    found = []
    for line in _unfolded(data):
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        if name == want or name.endswith("." + want):
            found.append(line if len(line) <= LINE_LIMIT else line[:LINE_LIMIT] + f"… ({len(line)} chars)")
    return " | ".join(found) if found else None


def _loss(item: Item, prop: str, kind: str, original, received, note: str, hop: str, **extra) -> dict:
    return {"item": item.label, "property": prop, "kind": kind, "original": original, "received": received,
            "note": note, "hop": hop, **extra}


def _digest(data: bytes) -> str:
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


def _entry(spec: MoveSpec) -> dict:
    return {"source": spec.source.id, "destination": spec.destination.id, "kind": spec.kind,
            "items": len(spec.items), "items_intact": 0, "properties_total": 0, "properties_lost": 0,
            "losses": [], "notes": [], "duration_s": 0.0}


def rounds(items: list[Item]) -> list[list[Item]]:
    """Items split so that no round holds one UID twice (a collection holds one resource per UID,
    RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1): a corpus may hold several versions of one event."""
    out: list[tuple[set, list[Item]]] = []
    for item in items:
        for uids, members in out:
            if item.uid is None or item.uid not in uids:
                uids.add(item.uid)
                members.append(item)
                break
        else:
            out.append(({item.uid}, [item]))
    return [members for _, members in out]


def run_move(spec: MoveSpec) -> dict:
    """Carry out one move and return its report entry; every collection it made is deleted before it returns.

    Items whose UIDs repeat go in further rounds, each with its own pair of fresh collections.
    """
    started = time.monotonic()
    entry = _entry(spec)
    batches = [spec.items] if spec.kind == "files" else rounds(spec.items)
    if len(batches) > 1:
        entry["notes"].append(f"the payload repeats UIDs: moved in {len(batches)} rounds, each into fresh collections")
    try:
        for number, batch in enumerate(batches, 1):
            suffix = f"-{number}" if number > 1 else ""
            a_name = f"overstap-{spec.run_id}-move-{spec.kind}-to-{spec.destination.id}{suffix}"
            b_name = f"overstap-{spec.run_id}-move-{spec.kind}-from-{spec.source.id}{suffix}"
            made: list[dav.Collection] = []
            try:
                try:
                    col_a = dav.make_collection(spec.source, spec.kind, a_name, spec.timeout)
                    made.append(col_a)
                    col_b = dav.make_collection(spec.destination, spec.kind, b_name, spec.timeout)
                    made.append(col_b)
                except Exception as exc:  # noqa: BLE001 - the move could not start: say so, count nothing as intact
                    entry["error"] = f"{type(exc).__name__}: {exc}"
                    return entry
                if spec.kind == "files":
                    _move_files(spec, batch, col_a, col_b, entry)
                else:
                    _move_objects(spec, batch, col_a, col_b, entry)
            finally:
                for col in reversed(made):
                    try:
                        status = col.delete()
                        if status is not None and not 200 <= status < 300 and status != 404:
                            entry["notes"].append(f"clean-up: DELETE {col.url} answered {status}")
                    except Exception as exc:  # noqa: BLE001
                        entry["notes"].append(f"clean-up: DELETE {col.url} failed: {exc}")
    except Exception as exc:  # noqa: BLE001
        entry["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        broken = {loss["item"] for loss in entry["losses"]
                  if loss["kind"] in ("lost", "changed") and loss["property"] != "getlastmodified"}
        entry["item_verdicts"] = [{"item": item.label, "source": item.source,
                                   "intact": "error" not in entry and item.label not in broken}
                                  for item in spec.items]
        entry["duration_s"] = round(time.monotonic() - started, 3)
    return entry


# --- calendars and contacts -------------------------------------------------------------------------


def _move_objects(spec: MoveSpec, items: list[Item], col_a: dav.Collection, col_b: dav.Collection,
                  entry: dict) -> None:
    kind = spec.kind
    put_a = {item.name: dav.put_object(col_a, item.name, item.data) for item in items}
    out_a = dav.read_objects(col_a)
    entry["notes"] += [f"A: {n}" for n in out_a.notes]
    from_a: dict[str, bytes] = {}
    for item in items:
        body = out_a.get.get(item.name) or out_a.multiget.get(item.name)
        if body is not None:
            from_a[item.name] = body
    put_b = {name: dav.put_object(col_b, name, body) for name, body in from_a.items()}
    out_b = dav.read_objects(col_b)
    entry["notes"] += [f"B: {n}" for n in out_b.notes]
    for hop, out in (("A", out_a), ("B", out_b)):
        _multiget_notes(kind, hop, items, out, entry)

    for item in items:
        total = count_properties(kind, item.data)
        entry["properties_total"] += total
        reason_a = put_a[item.name] or out_a.problems.get(item.name) or (
            None if item.name in from_a else "not listed in the collection after the PUT")
        if reason_a:
            entry["losses"].append(_loss(item, "", "lost", _first_line(item), None, f"item lost: {reason_a}", "A"))
            entry["properties_lost"] += total
            continue
        final = out_b.get.get(item.name) or out_b.multiget.get(item.name)
        reason_b = put_b.get(item.name) or out_b.problems.get(item.name) or (
            None if final is not None else "not listed in the collection after the PUT")
        if reason_b:
            hop, why = "B", f"item lost: {reason_b}"
            invalid = _invalid(kind, from_a[item.name])
            if invalid and put_b.get(item.name):  # B refused what A wrote out, and A's output is not valid
                hop, why = "A", f"item lost: {spec.source.id} returned it invalid ({invalid}); {reason_b}"
            entry["losses"].append(_loss(item, "", "lost", _first_line(item), _first_invalid_line(from_a[item.name], invalid),
                                         why, hop))
            entry["properties_lost"] += total
            continue
        diffs = _compare(kind, item.data, final)
        diffs_a = {(d.item, d.component, d.property, d.kind)  # only asked when needed: comparing is not cheap
                   for d in (_compare(kind, item.data, from_a[item.name]) if diffs else [])}
        lost_props = set()
        for d in diffs:
            hop = "A" if (d.item, d.component, d.property, d.kind) in diffs_a else "B"
            received_from = from_a[item.name] if hop == "A" else final
            original_line = _lines_of(item.data, d.property) or d.original
            received_line = _lines_of(received_from, d.property) if d.kind != "lost" or d.property else None
            if d.kind == "lost" and received_line is None:
                received_line = None
            elif received_line is None:
                received_line = d.received
            entry["losses"].append(_loss(item, d.property, d.kind, original_line, received_line, d.note, hop,
                                         component=d.component, detail=d.item,
                                         original_value=d.original, received_value=d.received))
            if d.kind in ("lost", "changed"):
                lost_props.add((d.item, d.component, d.property))
        entry["properties_lost"] += min(total, len(lost_props))
        if not lost_props:
            entry["items_intact"] += 1


def _invalid(kind: str, data: bytes) -> str | None:
    """The first error :mod:`conformance` finds in ``data`` (what a source wrote out), or None when valid."""
    verdict = validate_icalendar(data) if kind == "calendar" else validate_vcard(data)
    return None if verdict.valid else f"{verdict.errors[0].clause}: {verdict.errors[0].message}"[:300]


def _first_invalid_line(data: bytes, invalid: str | None) -> str | None:
    match = re.search(r"line (\d+)", invalid or "")
    if not match:
        return None
    lines = re.split(rb"\r\n|\n|\r", data)
    n = int(match.group(1))
    return " ⏎ ".join(l.decode("utf-8", "replace") for l in lines[max(0, n - 1):n + 1])[:LINE_LIMIT] if n <= len(lines) else None


def _first_line(item: Item) -> str:
    for line in _unfolded(item.data):
        if line.upper().startswith(("SUMMARY", "FN:", "FN;", "UID")):
            return line[:LINE_LIMIT]
    return item.label


def _multiget_notes(kind: str, hop: str, items: list[Item], out: dav.ReadOut, entry: dict) -> None:
    for item in items:
        got, mg = out.get.get(item.name), out.multiget.get(item.name)
        if got is None:
            continue
        if mg is not None and _unfolded(mg) == _unfolded(got):
            continue  # the same lines: nothing to compare
        if mg is None:
            if out.listed.get(item.name):
                entry["notes"].append(f"{hop}: {item.label}: the multiget REPORT did not return it (GET did)")
            continue
        try:
            diffs = _compare(kind, got, mg)
        except ValueError:
            continue
        if diffs:
            entry["notes"].append(f"{hop}: {item.label}: the multiget REPORT and GET disagree: "
                                  + "; ".join(d.note for d in diffs[:5]))


# --- files -------------------------------------------------------------------------------------------


def _move_files(spec: MoveSpec, items: list[Item], col_a: dav.Collection, col_b: dav.Collection,
                entry: dict) -> None:
    prop_names = sorted({name for item in items for name in item.props})
    made: set[str] = set()
    put_a = {}
    for item in items:
        why, notes = dav.put_file(col_a, item.name, item.data, item.props, FILE_MTIME, made)
        put_a[item.name] = why
        entry["notes"] += [f"A: {n}" for n in notes]
    out_a, notes = dav.read_files(col_a, prop_names)
    entry["notes"] += [f"A: {n}" for n in notes]
    made = set()
    for rel, got in out_a.items():  # what a client copying A to B would do: everything A lists
        if got.data is None:
            continue
        mtime = dav.parse_http_date(got.lastmod)
        why, notes = dav.put_file(col_b, rel, got.data, got.props, mtime, made)
        entry["notes"] += [f"B: {n}" for n in notes] + ([f"B: {rel}: {why}"] if why else [])
    out_b, notes = dav.read_files(col_b, prop_names)
    entry["notes"] += [f"B: {n}" for n in notes]
    wanted = dav.http_date(FILE_MTIME)
    for item in items:
        entry["properties_total"] += 2 + len(item.props)  # content, last-modified, dead properties
        a, b = out_a.get(item.name), out_b.get(item.name)
        reason_a = put_a[item.name] or (a.problem if a else "not listed in the collection after the PUT")
        if reason_a or a is None or a.data is None:
            entry["losses"].append(_loss(item, "", "lost", _digest(item.data), None, f"file lost: {reason_a}", "A"))
            entry["properties_lost"] += 2 + len(item.props)
            continue
        if b is None or b.data is None:
            why = b.problem if b else "not listed in the collection after the PUT"
            entry["losses"].append(_loss(item, "", "lost", _digest(item.data), None, f"file lost: {why}", "B"))
            entry["properties_lost"] += 2 + len(item.props)
            continue
        broken = 0
        if b.data != item.data:
            hop = "A" if a.data != item.data else "B"
            got = a.data if hop == "A" else b.data
            note = (f"content truncated: {len(got)} of {len(item.data)} bytes" if item.data.startswith(got)
                    else f"content changed ({len(item.data)} -> {len(got)} bytes)")
            entry["losses"].append(_loss(item, "content", "changed", _digest(item.data), _digest(got), note, hop))
            broken += 1
        for name, value in sorted(item.props.items()):
            if b.props.get(name) == value:
                continue
            hop = "A" if a.props.get(name) != value else "B"
            got = a.props.get(name) if hop == "A" else b.props.get(name)
            kind = "lost" if got is None else "changed"
            entry["losses"].append(_loss(item, name, kind, value, got, f"dead property {name} {kind}", hop))
            broken += 1
        if b.lastmod != wanted:
            hop = "A" if a.lastmod != wanted else "B"
            got = a.lastmod if hop == "A" else b.lastmod
            entry["losses"].append(_loss(item, "getlastmodified", "changed", wanted, got,
                                         "last-modified not kept (no standard WebDAV method sets it; "
                                         "the X-OC-Mtime hint was sent)", hop))
        entry["properties_lost"] += broken + (b.lastmod != wanted)
        if not broken:  # last-modified alone does not make a file non-intact (docs/moves.md)
            entry["items_intact"] += 1
    extra = sorted(set(out_b) - {i.name for i in items})
    for rel in extra:
        entry["notes"].append(f"B lists {rel!r}, which was not moved (a renamed or added resource)")
