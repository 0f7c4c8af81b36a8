"""What a move carries: the built-in fixtures (fixtures/moves/) or a user's corpus (``--corpus DIR``).

A :class:`Payload` holds the items per kind of move (``calendar``, ``contacts``, ``files``,
``documents``) and the inputs that were rejected before any move because they are not valid to begin
with (:func:`conformance.files.check_file` found an error; ODF files are judged with the OASIS schemas
when :func:`harness.schemas.find_schema_dir` finds them): those are reported, never counted as losses.

Documents: the built-in payload is the ODF feature fixtures (fixtures/odf/, with their XPath survival
assertions); with a corpus, every valid ``.odt``/``.ods``/``.odp`` is a documents item (judged by its
structural properties, :mod:`conformance.odf.structure`) and also a WebDAV file, byte for byte.

Splitting: a CalDAV resource holds the components of one UID (RFC 4791 §4.1), so an .ics with many
UIDs becomes one item per UID (its VCALENDAR properties and every VTIMEZONE go along with each);
a .vcf with several cards becomes one item per card (RFC 6352 §5.1). The split is done on the text
(lines are kept byte for byte), so what is moved is what the user wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from conformance.compare import compare_icalendar, compare_vcard
from conformance.files import check_file
from conformance.odf import validate_odf

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "moves"
KINDS = ("calendar", "contacts", "files", "documents")
LARGE_NAME, LARGE_SIZE = "large.bin", 4 * 1024 * 1024
ODF_SUFFIXES = {".odt", ".ods", ".odp", ".odg", ".odf", ".odc", ".odb", ".odm", ".ott", ".ots", ".otp", ".otg"}
DOCUMENT_SUFFIXES = {".odt": "text", ".ods": "spreadsheet", ".odp": "presentation"}
_SKIP_NAMES = {"README.md", "SOURCE.tsv", ".gitkeep"}


@dataclass
class Item:
    """One thing to move.

    ``name`` is the resource name (calendar/contacts: ``<safe uid>.ics``; files and documents: a relative
    path with ``/``); ``label`` is what the loss report calls it; ``source`` the file it came from.
    Documents also have ``doc_kind`` (``text`` | ``spreadsheet`` | ``presentation``: a tool must claim
    ``odf-<doc_kind>``) and, for the ODF feature fixtures, their survival ``assertions``
    (``{"part", "xpath", "what"}``); a document without assertions is judged by its structure.
    """

    kind: str
    name: str
    label: str
    data: bytes
    source: str
    props: dict[str, str] = field(default_factory=dict)  # files: dead properties, Clark name -> text
    uid: str | None = None  # calendar and contacts: the UID (or FN) that a collection may hold only once
    doc_kind: str | None = None  # documents: text | spreadsheet | presentation
    assertions: tuple[dict, ...] = ()  # documents from fixtures/odf: the XPath survival assertions

    @property
    def ext(self) -> str:
        """The file extension without the dot (``odt``...)."""
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""


@dataclass
class Payload:
    items: dict[str, list[Item]] = field(default_factory=lambda: {k: [] for k in KINDS})
    rejected: list[dict] = field(default_factory=list)  # {"path", "kind", "reasons": [...]}
    origin: str = "fixtures"
    odf_schemas: str | None = None  # the schema folder ODF inputs were validated with (None: package rules only)

    def add(self, item: Item) -> None:
        self.items[item.kind].append(item)


def large_file() -> bytes:
    """The generated large file of the WebDAV move: 4 MiB of SHA-256 counter output (deterministic)."""
    out, block = bytearray(), 0
    while len(out) < LARGE_SIZE:
        out += hashlib.sha256(block.to_bytes(8, "big")).digest() * 32
        block += 1
    return bytes(out[:LARGE_SIZE])


def _safe(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "item"
    return f"{slug}-{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def _unfold(lines: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def _prop_value(block: list[bytes], name: bytes) -> str | None:
    depth = 0
    for line in _unfold(block[1:-1]):
        upper = line.upper()
        if upper.startswith(b"BEGIN:"):
            depth += 1
        elif upper.startswith(b"END:"):
            depth -= 1
        elif depth == 0 and (upper.startswith(name + b":") or upper.startswith(name + b";")):
            return line.split(b":", 1)[1].decode("utf-8", "replace").strip() if b":" in line else None
    return None


def _blocks(data: bytes) -> list[tuple[str, list[bytes] | bytes]]:
    """Top-level structure: ("BEGIN"/"END"/"prop", line) and ("comp", [lines]) of each VCALENDAR child."""
    lines = re.split(rb"\r\n|\n|\r", data)
    out: list = []
    depth, current = 0, None
    for line in lines:
        upper = line.upper().rstrip()
        if upper.startswith(b"BEGIN:"):
            depth += 1
            if depth == 2:
                current = [line]
                continue
        if depth >= 2 and current is not None:
            current.append(line)
            if upper.startswith(b"END:"):
                depth -= 1
                if depth == 1:
                    out.append(("comp", current))
                    current = None
            elif upper.startswith(b"BEGIN:"):
                pass
            continue
        if upper.startswith(b"END:"):
            depth -= 1
            out.append(("end", line))
        elif upper.startswith(b"BEGIN:"):
            out.append(("begin", line))
        elif line.strip():
            out.append(("prop", line))
    return out


def split_icalendar(data: bytes) -> list[tuple[str, bytes]]:
    """``[(uid or "(no UID n)", resource bytes)]``: one VCALENDAR per UID, VTIMEZONEs copied into each."""
    structure = _blocks(data)
    header = [line for kind, line in structure if kind == "prop"]
    comps = [block for kind, block in structure if kind == "comp"]
    zones = [b for b in comps if b[0].upper().strip() == b"BEGIN:VTIMEZONE"]
    by_uid: dict[str, list[list[bytes]]] = {}
    for n, block in enumerate(b for b in comps if b[0].upper().strip() != b"BEGIN:VTIMEZONE"):
        uid = _prop_value(block, b"UID") or f"(no UID {n + 1})"
        by_uid.setdefault(uid, []).append(block)
    if len(by_uid) <= 1:
        return [(next(iter(by_uid), "(no UID)"), data)]
    out = []
    for uid, blocks in by_uid.items():
        lines = [b"BEGIN:VCALENDAR", *header]
        for block in zones + blocks:
            lines.extend(block)
        lines.append(b"END:VCALENDAR")
        out.append((uid, b"\r\n".join(lines) + b"\r\n"))
    return out


def split_vcards(data: bytes) -> list[tuple[str, bytes]]:
    """``[(UID or FN, card bytes)]``, one per BEGIN:VCARD ... END:VCARD."""
    lines = re.split(rb"\r\n|\n|\r", data)
    cards, current = [], None
    for line in lines:
        upper = line.upper().strip()
        if upper == b"BEGIN:VCARD":
            current = [line]
        elif current is not None:
            current.append(line)
            if upper == b"END:VCARD":
                cards.append(current)
                current = None
    if len(cards) <= 1:
        label = (_prop_value(cards[0], b"UID") or _prop_value(cards[0], b"FN")) if cards else None
        return [(label or "(card)", data)]
    return [(_prop_value(c, b"UID") or _prop_value(c, b"FN") or f"(card {i + 1})", b"\r\n".join(c) + b"\r\n")
            for i, c in enumerate(cards)]


def _kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".ics", ".ifb", ".icalendar"):
        return "calendar"
    if suffix in (".vcf", ".vcard"):
        return "contacts"
    return "files"


def _reasons(verdict) -> list[str]:
    return [f"{f.clause}: {f.message}" for f in verdict.errors] or ["invalid"]


def _add_dav_items(payload: Payload, path: Path, rel: str, kind: str) -> None:
    data = path.read_bytes()
    parts = split_icalendar(data) if kind == "calendar" else split_vcards(data)
    ext = ".ics" if kind == "calendar" else ".vcf"
    for label, body in parts:
        try:  # the comparison needs an original it can read (a split part of a valid file normally is)
            (compare_icalendar if kind == "calendar" else compare_vcard)(body, body)
        except ValueError as exc:
            payload.rejected.append({"path": rel, "kind": kind, "reasons": [f"{label}: {exc}"]})
            continue
        name = _safe(label if len(parts) > 1 else Path(rel).stem + "-" + label) + ext
        shown = f"{rel} {label}" if len(parts) > 1 else f"{rel} ({label})"
        payload.add(Item(kind, name, shown, body, rel, uid=label))


def _odf_schema_dir():
    from harness.schemas import SchemaDirNotFound, find_schema_dir

    try:
        return find_schema_dir()
    except SchemaDirNotFound:
        return None


def load(root: Path | str | None = None, *, validate: bool = True) -> Payload:
    """The payload in ``root`` (default: the built-in fixtures/moves and fixtures/odf).

    Layout: any folder tree. ``*.ics`` -> calendar items, ``*.vcf`` -> contacts, everything else ->
    files (paths kept, relative to ``root``); ``*.odt``/``*.ods``/``*.odp`` are documents items too.
    With the built-in fixtures the tree is ``calendar/``, ``contacts/``, ``files/`` (paths relative to
    ``files/``) plus the generated large file and the dead properties of ``files.props.json``; the
    documents are the ODF feature fixtures of fixtures/odf/ (:func:`harness.office.load_fixtures`).
    Every .ics, .vcf and ODF file is first judged with :func:`conformance.files.check_file` (ODF files
    with :func:`conformance.odf.validate_odf` and the OASIS schemas when they are found); an invalid
    one goes to ``rejected`` and is not moved.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    builtin = root is None
    root = Path(root) if root is not None else FIXTURES
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    payload = Payload(origin="fixtures" if builtin else str(root))
    schema_dir = _odf_schema_dir() if validate else None
    payload.odf_schemas = str(schema_dir) if schema_dir else None
    props: dict[str, dict[str, str]] = {}
    if builtin:
        props = {k: v for k, v in json.loads((root / "files.props.json").read_text("utf-8")).items()
                 if not k.startswith("_")}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            rel = path.relative_to(root).as_posix()
            if filename in _SKIP_NAMES or (builtin and rel == "files.props.json") or path.is_symlink():
                continue
            kind = _kind_of(path)
            if builtin and kind == "files":
                if not rel.startswith("files/"):
                    continue
                rel = rel[len("files/"):]
            is_odf = path.suffix.lower() in ODF_SUFFIXES
            if validate and (kind in ("calendar", "contacts") or is_odf):
                try:
                    verdict = validate_odf(path, schema_dir) if is_odf else check_file(path)
                except OSError as exc:  # validate_odf reads the path itself
                    payload.rejected.append({"path": rel, "kind": "odf", "reasons": [f"cannot be read: {exc}"]})
                    continue
                if not verdict.valid:
                    payload.rejected.append({"path": rel, "kind": verdict.kind, "reasons": _reasons(verdict)})
                    continue
            if kind == "files":
                data = path.read_bytes()
                payload.add(Item("files", rel, rel, data, rel, dict(props.get(rel, {}))))
                doc_kind = DOCUMENT_SUFFIXES.get(path.suffix.lower())
                if doc_kind and not builtin:
                    payload.add(Item("documents", rel, rel, data, rel, doc_kind=doc_kind))
            else:
                _add_dav_items(payload, path, rel, kind)
    if builtin:
        payload.add(Item("files", LARGE_NAME, LARGE_NAME, large_file(), "(generated)", dict(props.get(LARGE_NAME, {}))))
        from harness.office import load_fixtures

        for f in load_fixtures():
            payload.add(Item("documents", f.path.name, f.path.name, f.path.read_bytes(),
                             f"fixtures/odf/{f.path.name}", doc_kind=f.kind, assertions=f.assertions))
    return payload
