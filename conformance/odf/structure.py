"""Did a real-world document survive? A structural comparison of two ODF documents.

For documents that come with no survival assertions (a user's own .odt/.ods/.odp, ``overstap run
--corpus``), a document is judged by a set of structural *properties*, each read from the package
with lxml and compared as a whole. A property counts only when the original has it (non-empty).

Text documents (``office:text``, ODF 1.3 Part 3 §3.4, §5, §6):

- ``paragraphs``: the text of every paragraph and heading of the body (text:p, text:h), in order;
  not those in tables, notes, comments, frames, generated indexes or tracked deletions, which have
  their own properties or are regenerated;
- ``headings``: (outline level, text) of every text:h (§5.1.2);
- ``list items``: (nesting depth, text) of every paragraph in a list item (§5.3);
- ``tables``: each table's cell texts, row by row (§9.1; repeated rows and columns expanded);
- ``notes``: (note class, text) of footnotes and endnotes (§6.3);
- ``comments``: the text of every office:annotation (§14.1);
- ``links``: the distinct xlink:href of the text:a (§6.1.8);
- ``bookmarks``: the names of text:bookmark and text:bookmark-start (§6.2.1);
- ``images``: one entry per draw:frame holding a draw:image (§10.4.2, §10.4.4), compared by number;
- ``named styles``: the names of the common styles (styles.xml office:styles) that the body uses,
  directly or as the parent of an automatic style (§16.2, §16.4).

Spreadsheets (``office:spreadsheet``, §9): ``sheets`` (names, in order); ``cell values`` (sheet and
cell address -> value: numbers as numbers whatever their value type, dates, times, booleans, else the
cell's text); ``cell types`` (address -> office:value-type, §19.389); ``formulas`` (address -> formula,
§19.642); ``merged cells`` (address -> columns × rows spanned, §19.675, §19.679); ``comments``
(address -> text); ``images``.

Presentations (``office:presentation``, §10.1): ``slides`` (draw:page names, in order); ``slide
text`` (per slide, the text of its shapes); ``notes`` (per slide, the speaker notes); ``images``.

Every kind also has ``metadata`` (meta.xml, §4.3): dc:title, dc:subject, dc:description, dc:language,
meta:keyword, meta:initial-creator and the meta:user-defined fields. Fields a tool rewrites on every
save (dc:creator, dates, editing statistics, meta:generator) are left out. The number of pages is left
out too: it depends on layout, and a tool saving without laying out does not know it.

Public API::

    document_properties(package: bytes | OdfParts) -> dict[str, Property]   (empty: no body found)
    compare_properties(properties of the original, received) -> [Difference]
    compare_documents(original, received) -> (properties of the original, [Difference])

Text is compared with white space collapsed (``text:s``, tabs and line breaks count as spaces); a
field a consumer recomputes (date, time, page number, file name, statistics... unless ``text:fixed="true"``) counts
by its name, not its shown value. Links are compared as the set of their targets (a tool may join two
adjacent links to one place). Text-table cells with a value type count by their value, not their
rendering; time values are compared as durations (``PT1H30M0S`` = ``PT01H30M00S``) and date values as
dates (fractional seconds by value). Comments are not the text of the cell or table that holds them.
A spreadsheet cell whose formula is volatile (NOW, TODAY, RAND...) has no ``cell values``
entry, and a formula rewritten in another syntax (``oooc:`` to ``of:``) counts as kept.
A :class:`conformance.compare.Difference` has ``property`` the property's name, ``kind`` ``lost``
(the received document lacks the property entirely) or ``changed``, ``original``/``received`` the first
differing entry on each side, shown as text, and a ``note`` with the counts. Nothing raises for bad
input: a received package that cannot be read loses every property.
"""

from __future__ import annotations

import difflib
import math
import re
from urllib.parse import urlsplit, urlunsplit
from dataclasses import dataclass
from typing import Callable

from lxml import etree

from conformance.compare import Difference
from conformance.odf.survival import NAMESPACES, OdfParts

__all__ = ["Property", "compare_documents", "compare_properties", "document_properties"]

_NS = NAMESPACES
OFFICE, TEXT, TABLE, DRAW, STYLE = (_NS["office"], _NS["text"], _NS["table"], _NS["draw"], _NS["style"])
PRESENTATION, DC, META, XLINK = _NS["presentation"], _NS["dc"], _NS["meta"], _NS["xlink"]
SHOW = 120  # characters of one entry in a loss's evidence
MAX_REPEAT = 100  # a non-empty cell repeated more often is recorded this many times


def _t(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


P, H, SPAN = _t(TEXT, "p"), _t(TEXT, "h"), _t(TEXT, "span")
NOTE, ANNOTATION, FRAME = _t(TEXT, "note"), _t(OFFICE, "annotation"), _t(DRAW, "frame")
TABLE_EL, ROW, CELL, COVERED = _t(TABLE, "table"), _t(TABLE, "table-row"), _t(TABLE, "table-cell"), \
    _t(TABLE, "covered-table-cell")
ROW_GROUPS = {_t(TABLE, n) for n in ("table-header-rows", "table-rows", "table-row-group")}
# subtrees that are not body text: notes, comments, shapes, generated indexes, tracked changes' bodies
_NOT_BODY_TEXT = {NOTE, ANNOTATION, FRAME, TABLE_EL, _t(TEXT, "tracked-changes"), _t(OFFICE, "forms"),
                  _t(TEXT, "sequence-decls"), _t(TEXT, "variable-decls"), _t(TEXT, "user-field-decls")} | {
    _t(TEXT, n) for n in ("table-of-content", "illustration-index", "table-index", "object-index",
                          "user-index", "alphabetical-index", "bibliography")} | {
    _t(DRAW, n) for n in ("rect", "line", "polyline", "polygon", "regular-polygon", "path", "circle", "ellipse",
                          "g", "page-thumbnail", "measure", "caption", "connector", "control", "custom-shape")}
# fields whose shown text a consumer recomputes unless text:fixed="true" (ODF 1.3 Part 3 §7.3, §7.5)
_VOLATILE_FIELDS = {_t(TEXT, n) for n in (
    "date", "time", "page-number", "page-count", "page-continuation", "modification-date", "modification-time",
    "print-date", "print-time", "editing-duration", "editing-cycles", "word-count", "character-count",
    "paragraph-count", "table-count", "image-count", "object-count", "file-name", "template-name")}
_SKIP_IN_TEXT = {NOTE, ANNOTATION, FRAME, _t(OFFICE, "annotation-end")} | {
    _t(DRAW, n) for n in ("rect", "custom-shape", "g", "line", "ellipse", "circle", "path", "polygon")}


@dataclass(frozen=True)
class Property:
    """One structural property of a document.

    ``entries`` is a tuple of (key, shown) pairs in document order: ``key`` is what is compared,
    ``shown`` how a loss report prints that entry. ``keyed`` properties (cells, formulas...) are
    compared as a mapping from the entry's address (``shown`` up to `` = ``) to its key; the others
    as sequences.
    """

    name: str
    entries: tuple[tuple, ...]
    keyed: bool = False
    same: Callable[[tuple, tuple], bool] | None = None  # keyed: when two keys count as equal (default ==)


# -- reading text ------------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _text_of(el: etree._Element) -> str:
    """The text of a paragraph-like element, as a reader sees it (notes, comments and frames left out)."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        for child in node:
            tag = child.tag
            if isinstance(tag, str) and tag not in _SKIP_IN_TEXT:
                if tag == _t(TEXT, "s"):
                    out.append(" " * max(1, _int(child.get(_t(TEXT, "c")), 1)))
                elif tag in (_t(TEXT, "tab"), _t(TEXT, "line-break")):
                    out.append(" ")
                elif tag in _VOLATILE_FIELDS and child.get(_t(TEXT, "fixed")) != "true":
                    out.append(f" [{etree.QName(tag).localname}] ")
                else:
                    if child.text:
                        out.append(child.text)
                    walk(child)
            if child.tail:
                out.append(child.tail)

    if el.text:
        out.append(el.text)
    walk(el)
    return _collapse("".join(out))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _link(href: str) -> str:
    """A link target as compared: an http(s) URL with an empty path gets ``/`` (RFC 3986 §6.2.3)."""
    parts = urlsplit(href.strip())
    if parts.scheme.lower() in ("http", "https") and not parts.path:
        return urlunsplit(parts._replace(path="/"))
    return href.strip()


def _show(text: str) -> str:
    return text if len(text) <= SHOW else text[: SHOW - 1] + "…"


def _paragraphs_in(el: etree._Element) -> str:
    """The paragraphs' text under ``el``, joined; comments (office:annotation) inside it are left out:
    they are judged on their own (``comments``), not as the text of a cell or table."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag == ANNOTATION:
                continue
            if child.tag in (P, H):
                text = _text_of(child)
                if text:
                    out.append(text)
            walk(child)  # a paragraph can hold a frame with paragraphs of its own, as iter() found them

    if el.tag in (P, H):
        text = _text_of(el)
        out.append(text) if text else None
    walk(el)
    return " / ".join(out)


# -- text documents ----------------------------------------------------------------------------------


def _body_paragraphs(body: etree._Element) -> list[etree._Element]:
    out: list[etree._Element] = []

    def walk(node: etree._Element) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag in _NOT_BODY_TEXT:
                continue
            if child.tag in (P, H):
                out.append(child)
            else:
                walk(child)

    walk(body)
    return out


def _list_items(body: etree._Element) -> list[tuple[int, str]]:
    out = []

    def walk(node: etree._Element, depth: int) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag in (NOTE, ANNOTATION, FRAME):
                continue
            if child.tag == _t(TEXT, "list"):
                walk(child, depth + 1)
            elif child.tag in (P, H) and depth:
                text = _text_of(child)
                if text:
                    out.append((depth, text))
            else:
                walk(child, depth)

    walk(body, 0)
    return out


def _rows(table: etree._Element):
    for child in table:
        if child.tag == ROW:
            yield child
        elif child.tag in ROW_GROUPS:
            yield from _rows(child)


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _cells(table: etree._Element):
    """``(row index, column index, cell element)`` of every non-empty cell (covered cells skipped)."""
    r = 0
    for row in _rows(table):
        row_repeat = max(1, _int(row.get(_t(TABLE, "number-rows-repeated")), 1))
        c = 0
        cells = []
        for cell in row:
            if cell.tag not in (CELL, COVERED):
                continue
            repeat = max(1, _int(cell.get(_t(TABLE, "number-columns-repeated")), 1))
            if cell.tag == CELL and (len(cell) or cell.get(_t(OFFICE, "value-type"))
                                     or cell.get(_t(TABLE, "formula"))):
                cells += [(c + k, cell) for k in range(min(repeat, MAX_REPEAT))]
            c += repeat
        if cells:
            for k in range(min(row_repeat, MAX_REPEAT)):
                for col, cell in cells:
                    yield r + k, col, cell
        r += row_repeat


def _table_grid(table: etree._Element) -> tuple[tuple[str, ...], ...]:
    grid: dict[int, dict[int, str]] = {}
    for r, c, cell in _cells(table):
        value = _cell_value(cell) if cell.get(_t(OFFICE, "value-type")) not in (None, "string") else None
        text = value[1] if value else _paragraphs_in(cell)  # a typed cell by its value, not its locale's rendering
        if text:
            grid.setdefault(r, {})[c] = text
    return tuple(tuple(row.get(c, "") for c in range(max(row) + 1)) for _, row in sorted(grid.items()))


def _named_styles(parts: OdfParts, body: etree._Element) -> list[str]:
    content, styles = parts.get("content.xml"), parts.get("styles.xml")
    automatic: dict[str, str | None] = {}
    auto_root = content.find(_t(OFFICE, "automatic-styles")) if content is not None else None
    for st in (auto_root if auto_root is not None else []):
        if st.tag == _t(STYLE, "style"):
            automatic[st.get(_t(STYLE, "name"))] = st.get(_t(STYLE, "parent-style-name"))
    common: dict[str, str] = {}
    office_styles = styles.find(_t(OFFICE, "styles")) if styles is not None else None
    for st in (office_styles if office_styles is not None else []):
        if st.tag == _t(STYLE, "style") and st.get(_t(STYLE, "family")) in ("paragraph", "text"):
            name = st.get(_t(STYLE, "name"))
            common[name] = st.get(_t(STYLE, "display-name")) or name.replace("_20_", " ")
    used = set()
    for el in body.iter(P, H, SPAN):
        name = el.get(_t(TEXT, "style-name"))
        if name is None:
            continue
        name = automatic.get(name, name) if name in automatic else name
        if name in common:
            used.add(common[name])
    return sorted(used)


def _images(body: etree._Element) -> Property:
    """One entry per frame holding an image (compared by count: tools rename the pictures)."""
    n = sum(1 for frame in body.iter(FRAME) if frame.find(_t(DRAW, "image")) is not None)
    return Property("images", tuple((i, f"image {i + 1} of {n}") for i in range(n)))


def _text_document(parts: OdfParts, body: etree._Element) -> list[Property]:
    paragraphs = [t for t in (_text_of(p) for p in _body_paragraphs(body)) if t]
    headings = [(_int(h.get(_t(TEXT, "outline-level")), 1), _text_of(h)) for h in body.iter(H)]
    notes = [(n.get(_t(TEXT, "note-class")) or "footnote", _paragraphs_in(n.find(_t(TEXT, "note-body"))
                                                                           if n.find(_t(TEXT, "note-body")) is not None else n))
             for n in body.iter(NOTE)]
    comments = [_paragraphs_in(a) for a in body.iter(ANNOTATION)]
    links = sorted({_link(a.get(_t(XLINK, "href")) or "") for a in body.iter(_t(TEXT, "a"))} - {""})
    bookmarks = sorted({b.get(_t(TEXT, "name")) or "" for b in body.iter(_t(TEXT, "bookmark"), _t(TEXT, "bookmark-start"))})
    tables = [_table_grid(t) for t in body.iter(TABLE_EL)]
    out = [
        Property("paragraphs", tuple((t, f"¶{i + 1}: {_show(t)}") for i, t in enumerate(paragraphs))),
        Property("headings", tuple(((lvl, t), f"level {lvl}: {_show(t)}") for lvl, t in headings)),
        Property("list items", tuple(((d, t), f"depth {d}: {_show(t)}") for d, t in _list_items(body))),
        Property("tables", tuple((g, f"table {i + 1} ({len(g)} rows): " + _show(" | ".join(" ; ".join(r) for r in g)))
                                 for i, g in enumerate(tables) if g)),
        Property("notes", tuple(((c, t), f"{c}: {_show(t)}") for c, t in notes)),
        Property("comments", tuple((t, _show(t)) for t in comments)),
        Property("links", tuple((h, _show(h)) for h in links)),
        Property("bookmarks", tuple((b, _show(b)) for b in bookmarks)),
        Property("named styles", tuple((s, s) for s in _named_styles(parts, body))),
    ]
    out.append(_images(body))
    return out


# -- spreadsheets ------------------------------------------------------------------------------------


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _show_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _cell_value(cell: etree._Element) -> tuple[tuple, str] | None:
    vtype = cell.get(_t(OFFICE, "value-type"))
    if vtype in ("float", "percentage", "currency"):
        value = _number(cell.get(_t(OFFICE, "value")))
        if value is not None:
            return ("number", round(value, 9)), _show_number(value)
    elif vtype == "date":
        value = cell.get(_t(OFFICE, "date-value")) or ""
        return ("date", _date_key(value)), value.removesuffix("T00:00:00")
    elif vtype == "time":
        value = cell.get(_t(OFFICE, "time-value")) or ""
        return ("time", _duration_key(value)), value
    elif vtype == "boolean":
        value = (cell.get(_t(OFFICE, "boolean-value")) or "").lower()
        return ("boolean", value), value
    text = _paragraphs_in(cell)
    return (("text", text), repr(_show(text))) if text else None


_DURATION = re.compile(r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?")
_DATE = re.compile(r"(-?\d{4,}-\d\d-\d\d)(?:T(\d\d):(\d\d)(?::(\d\d(?:[.,]\d+)?))?)?(Z|[+-]\d\d:\d\d)?")


def _duration_key(text: str):
    """An office:time-value (xsd:duration, ODF 1.3 Part 3 §19.382) as a value: (months, seconds), so
    ``PT1H30M0S`` and ``PT01H30M00S`` are equal; the text itself when it is no duration."""
    m = _DURATION.fullmatch(text.strip())
    if not m or text.strip() in ("P", "-P") or text.strip().endswith("T"):
        return text
    sign = -1 if m.group(1) else 1
    y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups()[1:6])
    sec = float(m.group(7).replace(",", ".")) if m.group(7) else 0.0
    return sign * (y * 12 + mo), round(sign * (((d * 24 + h) * 60 + mi) * 60 + sec), 6)


def _date_key(text: str):
    """An office:date-value (xsd:date or xsd:dateTime, §19.369) as a value: fractional seconds and a
    midnight time compared by value (``…T10:00:00.000`` = ``…T10:00:00``); the text when it is no date."""
    m = _DATE.fullmatch(text.strip())
    if not m:
        return text
    date, h, mi, sec, tz = m.groups()
    seconds = round(float(sec.replace(",", ".")), 6) if sec else 0.0
    if h is None or (int(h) == int(mi) == 0 and not seconds):
        return date, tz
    return date, int(h), int(mi), seconds, tz


def _formula(text: str) -> tuple[str, str]:
    """(namespace prefix, formula without it and without white space) (ODF 1.3 Part 3 §19.642). Formulas
    in different syntaxes (a legacy ``oooc:`` one rewritten as OpenFormula ``of:``) cannot be compared as
    text: :func:`_same_formula` takes them as kept."""
    prefix, sep, rest = text.partition(":")
    if not sep or not prefix.isalnum():
        prefix, rest = "", text
    return prefix, "".join(rest.split())


def _same_formula(a: tuple, b: tuple) -> bool:
    (_, (pa, fa)), (_, (pb, fb)) = a, b
    return fa == fb or pa != pb


def _volatile(formula: str) -> bool:
    """True for a formula whose value changes on every recalculation (NOW, TODAY, RAND...): its cached
    value is no property of the document."""
    upper = formula.upper()
    return any(f"{name}(" in upper for name in ("NOW", "TODAY", "RAND", "RANDBETWEEN", "RAND.NV", "INFO"))


def _spreadsheet(body: etree._Element) -> list[Property]:
    sheets, values, types, formulas, merged, comments = [], [], [], [], [], []
    for n, table in enumerate(body.iter(TABLE_EL)):
        name = table.get(_t(TABLE, "name")) or f"(sheet {n + 1})"
        sheets.append((name, _show(name)))
        for r, c, cell in _cells(table):
            where = f"{name}.{_column_name(c)}{r + 1}"
            formula = cell.get(_t(TABLE, "formula"))
            value = _cell_value(cell)
            if value is not None and not (formula and _volatile(formula)):
                values.append(((where, value[0]), f"{where} = {value[1]}"))
            vtype = cell.get(_t(OFFICE, "value-type"))
            if vtype:
                types.append(((where, vtype), f"{where} = {vtype}"))
            if formula:
                formulas.append(((where, _formula(formula)), f"{where} = {_show(formula)}"))
            cols = _int(cell.get(_t(TABLE, "number-columns-spanned")), 1)
            rows = _int(cell.get(_t(TABLE, "number-rows-spanned")), 1)
            if cols > 1 or rows > 1:
                merged.append(((where, cols, rows), f"{where} = {cols} × {rows}"))
            for a in cell.iter(ANNOTATION):
                text = _paragraphs_in(a)
                comments.append(((where, text), f"{where} = {_show(text)}"))
    return [Property("sheets", tuple(sheets)), Property("cell values", tuple(values), keyed=True),
            Property("cell types", tuple(types), keyed=True), Property("formulas", tuple(formulas), keyed=True, same=_same_formula),
            Property("merged cells", tuple(merged), keyed=True), Property("comments", tuple(comments), keyed=True),
            _images(body)]


# -- presentations -----------------------------------------------------------------------------------


def _presentation(body: etree._Element) -> list[Property]:
    slides, text, notes = [], [], []
    for n, page in enumerate(body.iterchildren(_t(DRAW, "page"))):
        name = page.get(_t(DRAW, "name")) or f"(slide {n + 1})"
        slides.append((name, _show(name)))
        shown = []
        for child in page:
            if child.tag != _t(PRESENTATION, "notes"):
                shown += [t for t in (_text_of(p) for p in child.iter(P, H)) if t]
        if shown:
            joined = " / ".join(shown)
            text.append(((n, joined), f"slide {n + 1}: {_show(joined)}"))
        for nt in page.iterchildren(_t(PRESENTATION, "notes")):
            joined = _paragraphs_in(nt)
            if joined:
                notes.append(((n, joined), f"slide {n + 1}: {_show(joined)}"))
    return [Property("slides", tuple(slides)), Property("slide text", tuple(text)), Property("notes", tuple(notes)),
            _images(body)]


# -- metadata ----------------------------------------------------------------------------------------


def _metadata(parts: OdfParts) -> Property:
    root = parts.get("meta.xml")
    meta = root.find(_t(OFFICE, "meta")) if root is not None else None
    entries = []
    if meta is not None:
        for ns, local in ((DC, "title"), (DC, "subject"), (DC, "description"), (DC, "language"),
                          (META, "initial-creator")):
            el = meta.find(_t(ns, local))
            if el is not None and _collapse(el.text or ""):
                value = _collapse(el.text)
                entries.append(((local, value), f"{'dc' if ns == DC else 'meta'}:{local} = {_show(value)}"))
        keywords = sorted({_collapse(k.text or "") for k in meta.iterchildren(_t(META, "keyword"))} - {""})
        if keywords:
            entries.append((("keywords", tuple(keywords)), f"meta:keyword = {_show(', '.join(keywords))}"))
        for field in meta.iterchildren(_t(META, "user-defined")):
            name, value = field.get(_t(META, "name")) or "", _collapse(field.text or "")
            if value:
                number = _number(value) if field.get(_t(META, "value-type")) == "float" else None
                key = round(number, 9) if number is not None else value
                entries.append(((f"user-defined {name}", key), f"meta:user-defined {name} = {_show(value)}"))
    return Property("metadata", tuple(entries), keyed=True)


# -- the whole document ------------------------------------------------------------------------------


def _as_parts(package: bytes | OdfParts) -> OdfParts:
    return package if isinstance(package, OdfParts) else OdfParts(package)


def document_properties(package: bytes | OdfParts) -> dict[str, Property]:
    """The non-empty structural properties of an ODF package, by name (see the module docstring).

    Empty when the package has no readable content.xml with a text, spreadsheet or presentation body.
    """
    parts = _as_parts(package)
    content = parts.get("content.xml")
    body = content.find(_t(OFFICE, "body")) if content is not None else None
    if body is None:
        return {}
    props: list[Property] = []
    for child in body:
        if child.tag == _t(OFFICE, "text"):
            props = _text_document(parts, child)
        elif child.tag == _t(OFFICE, "spreadsheet"):
            props = _spreadsheet(child)
        elif child.tag == _t(OFFICE, "presentation"):
            props = _presentation(child)
        else:
            continue
        break
    else:
        return {}
    props.append(_metadata(parts))
    return {p.name: p for p in props if p.entries}


def _address(shown: str) -> str:
    return shown.split(" = ", 1)[0]


def _compare_keyed(prop: Property, got: Property) -> Difference | None:
    want = {_address(s): (k, s) for k, s in prop.entries}
    have = {_address(s): (k, s) for k, s in got.entries}
    lost = [a for a in want if a not in have]
    same = prop.same or (lambda x, y: x == y)
    changed = [a for a in want if a in have and not same(want[a][0], have[a][0])]
    if not lost and not changed:
        return None
    first = next(a for a in want if a in lost or a in changed)
    counts = ", ".join(c for c in (f"{len(lost)} lost" if lost else "", f"{len(changed)} changed" if changed else "") if c)
    note = f"{prop.name}: {counts} of {len(want)} (first: {first})"
    return Difference("", "", prop.name, "changed", want[first][1], have[first][1] if first in have else None, note)


def _compare_sequence(prop: Property, got: Property) -> Difference | None:
    a, b = [k for k, _ in prop.entries], [k for k, _ in got.entries]
    if a == b:
        return None
    missing = changed = added = 0
    first = None
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "insert":
            added += j2 - j1
            continue
        if first is None:
            first = (i1, j1, op)
        if op == "delete":
            missing += i2 - i1
        else:
            common = min(i2 - i1, j2 - j1)
            changed += common
            missing += (i2 - i1) - common
            added += (j2 - j1) - common
    counts = ", ".join(c for c in (f"{missing} missing" if missing else "", f"{changed} changed" if changed else "",
                                   f"{added} added" if added else "") if c)
    note = f"{prop.name}: {len(a)} in the original, {len(b)} received; {counts}"
    if first is None:  # only additions: everything of the original is there
        return Difference("", "", prop.name, "added", None, got.entries[0][1] if got.entries else None, note)
    i, j, op = first
    received = got.entries[j][1] if op == "replace" else None
    if op == "delete" and j < len(got.entries):
        note += f"; next received: {got.entries[j][1]}"
    return Difference("", "", prop.name, "changed", prop.entries[i][1], received, note)


def compare_properties(want: dict[str, Property], received: bytes | OdfParts) -> list[Difference]:
    """Compare the properties ``want`` of an original (from :func:`document_properties`) with the
    ``received`` document: one :class:`Difference` per property that did not survive (``lost`` when the
    received document lacks it entirely, else ``changed``; ``added`` when only entries were added), in
    the order of ``want``."""
    recv = _as_parts(received)
    have = document_properties(recv)
    diffs: list[Difference] = []
    for name, prop in want.items():
        got = have.get(name)
        if got is None:
            why = recv.problem("content.xml") if recv.get("content.xml") is None else None
            diffs.append(Difference("", "", name, "lost", prop.entries[0][1], None,
                                    f"{name}: none received ({len(prop.entries)} in the original)"
                                    + (f"; {why}" if why else "")))
            continue
        diff = (_compare_keyed if prop.keyed else _compare_sequence)(prop, got)
        if diff is not None:
            diffs.append(diff)
    return diffs


def compare_documents(original: bytes | OdfParts, received: bytes | OdfParts) -> tuple[dict[str, Property], list[Difference]]:
    """Compare two ODF documents property by property.

    Returns:
        (the original's properties, :func:`compare_properties` of them against ``received``).
    """
    want = document_properties(original)
    return want, compare_properties(want, received)
