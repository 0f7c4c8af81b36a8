"""Did a feature survive? XPath survival assertions on ODF packages, with evidence for each loss.

A survival assertion is a dict ``{"part", "xpath", "what"}`` (the sidecars of fixtures/odf/, made by
fixtures/odf/generate.py): ``part`` names a package part (``content.xml``; several joined by ``|``
mean "on any of them"), ``xpath`` an XPath 1.0 expression over it with the prefixes of
:data:`NAMESPACES`, and ``what`` says in words what it checks. It *holds* when the expression gives a
non-empty node set, true, a non-zero number or a non-empty string on at least one of its parts.

Public API::

    NAMESPACES                                       prefix -> namespace URI (ODF 1.3 Part 3 §1.5)
    OdfParts(package: bytes)                         the package's parsed parts, each parsed once
    read_part(package: bytes, part: str) -> lxml element | None
    holds(root, xpath) -> bool
    failed_assertions(package, assertions) -> [assertion]
    judge_survival(original, received, assertions) -> [SurvivalLoss]
    snippet(node, limit=240) -> str

Packages are read with :func:`conformance.odf.package.read_package` (zip-bomb limits, safe names) and
parts parsed with :func:`conformance.xml.parse_xml` (no entities, no DTD, no network; up to
:data:`MAX_PART_BYTES`, the package reader's cap on one entry). Nothing raises
for bad input: a package that is no zip, a part that is missing or not well-formed makes every
assertion on it fail, and the loss's note says why. XML is never handled with regular expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from conformance.odf.package import Limits, read_package
from conformance.xml import XMLProblem, parse_xml

__all__ = ["NAMESPACES", "OdfParts", "SurvivalLoss", "failed_assertions", "holds", "judge_survival",
           "read_part", "snippet"]

NAMESPACES = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
_PREFIX = {uri: prefix for prefix, uri in NAMESPACES.items()}
SNIPPET_LIMIT = 240
# a part is parsed up to the package reader's cap on one entry (as validate_odf reads it), not
# parse_xml's default: a big document is judged, not taken as empty or as lost
MAX_PART_BYTES = Limits().max_entry_bytes


class OdfParts:
    """The parts of one ODF package, each parsed once on first use.

    ``get(name)`` gives the parsed root element or None; ``problem(name)`` then says why (no zip, part
    missing, not well-formed). Never raises for bad input.
    """

    def __init__(self, package: bytes):
        self._package = package
        self._files: dict[str, bytes] | None = None
        self._why_no_files: str | None = None
        self._roots: dict[str, etree._Element | None] = {}
        self._problems: dict[str, str] = {}

    def _load(self) -> None:
        if self._files is not None:
            return
        pkg = read_package(self._package)
        self._files = pkg.parts if pkg.ok else {}
        if not pkg.ok:
            errors = [f.message for f in pkg.findings if f.severity == "error"]
            self._why_no_files = "not a readable ODF package" + (f": {errors[0]}" if errors else "")

    def get(self, name: str) -> etree._Element | None:
        """The parsed part ``name`` (e.g. ``"content.xml"``), or None when missing or not well-formed."""
        if name not in self._roots:
            self._load()
            data = self._files.get(name)
            root = None
            if data is None:
                self._problems[name] = self._why_no_files or f"{name} is not in the package"
            else:
                try:
                    root = parse_xml(data, max_bytes=MAX_PART_BYTES)
                except XMLProblem as exc:
                    self._problems[name] = f"{name} is not well-formed XML: {exc}"
            self._roots[name] = root
        return self._roots[name]

    def problem(self, name: str) -> str | None:
        """Why ``get(name)`` gives None (None when the part parsed)."""
        self.get(name)
        return self._problems.get(name)


def read_part(package: bytes, part: str) -> etree._Element | None:
    """The parsed ``part`` of an ODF package (safe parser: no entities, no DTD), or None when absent,
    unreadable or not well-formed."""
    return OdfParts(package).get(part)


def _evaluate(root: etree._Element | None, xpath: str):
    if root is None:
        return None
    try:
        return root.xpath(xpath, namespaces=NAMESPACES)
    except etree.XPathError:
        return None


def holds(root: etree._Element | None, xpath: str) -> bool:
    """True when ``xpath`` gives a non-empty node set, true, a non-zero number or a non-empty string on
    ``root`` (False for a None root or an expression lxml cannot evaluate)."""
    return bool(_evaluate(root, xpath))


def _parts_of(assertion: dict) -> list[str]:
    return assertion["part"].split("|")


def _as_parts(package: bytes | OdfParts) -> OdfParts:
    return package if isinstance(package, OdfParts) else OdfParts(package)


def failed_assertions(package: bytes | OdfParts, assertions) -> list[dict]:
    """The assertions (``{"part", "xpath", "what"}``) that do not hold on ``package``, in order."""
    parts = _as_parts(package)
    return [a for a in assertions if not any(holds(parts.get(name), a["xpath"]) for name in _parts_of(a))]


# -- evidence -----------------------------------------------------------------------------------------


def _qname(name: str, el: etree._Element) -> str:
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    prefix = _PREFIX.get(uri) or next((p for p, u in (el.nsmap or {}).items() if u == uri and p), None)
    return f"{prefix}:{local}" if prefix else name


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _text(value: str | None) -> str:
    return (value or "").replace("&", "&amp;").replace("<", "&lt;")


def snippet(node, limit: int = SNIPPET_LIMIT) -> str:
    """A short XML rendering of an XPath result for a loss report, with the document's usual prefixes
    and no namespace declarations, cut at ``limit`` characters (with ``…``).

    ``node`` is an element (rendered with its attributes and content), an attribute or text result
    (its value), or a boolean / number / string XPath result (``"true"``, ``"3"``...).
    """
    if isinstance(node, bool):
        out = "true" if node else "false"
    elif isinstance(node, float):
        out = str(int(node)) if node.is_integer() else str(node)
    elif isinstance(node, etree._Element) and isinstance(node.tag, str):
        pieces: list[str] = []
        budget = [limit + 1]

        def emit(text: str) -> bool:
            pieces.append(text)
            budget[0] -= len(text)
            return budget[0] > 0

        def content(text: str | None) -> bool:  # indentation between elements is left out
            return emit(_text(text)) if text and text.strip() else True

        def walk(el: etree._Element) -> bool:
            if not isinstance(el.tag, str):  # comment or processing instruction
                return True
            tag = _qname(el.tag, el)
            attrs = "".join(f' {_qname(k, el)}="{_attr(v)}"' for k, v in el.attrib.items())
            if not len(el) and not (el.text and el.text.strip()):
                return emit(f"<{tag}{attrs}/>")
            if not emit(f"<{tag}{attrs}>") or not content(el.text):
                return False
            for child in el:
                if not walk(child) or not content(child.tail):
                    return False
            return emit(f"</{tag}>")

        walk(node)
        out = "".join(pieces)
    elif isinstance(node, etree._Element):
        out = etree.tostring(node, encoding="unicode", with_tail=False)
    else:
        out = str(node)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _first(result):
    if isinstance(result, list):
        return result[0] if result else None
    return result


def _norm(text: str) -> str:
    return " ".join(text.split())


def _nearest(received: OdfParts, names: list[str], original: etree._Element) -> etree._Element | None:
    """The element of the same name in ``received`` that looks most like ``original``: same text first,
    then most attributes with equal values."""
    want_text = _norm("".join(original.itertext()))
    best, best_score = None, None
    for name in names:
        root = received.get(name)
        if root is None:
            continue
        for el in root.iter(original.tag):
            same_attrs = sum(1 for k, v in original.attrib.items() if el.get(k) == v)
            score = (bool(want_text) and _norm("".join(el.itertext())) == want_text, same_attrs)
            if best_score is None or score > best_score:
                best, best_score = el, score
    return best


@dataclass(frozen=True)
class SurvivalLoss:
    """One assertion that held on the original and does not hold on the received package.

    ``original``: a snippet of what the assertion matched in the original (see :func:`snippet`);
    ``received``: a snippet of the nearest element of the same name in the received package, or None
    when there is none (or the part is missing); ``note``: for humans, naming the XPath and why.
    """

    assertion: dict
    original: str | None
    received: str | None
    note: str


def _matched(parts: OdfParts, assertion: dict):
    """(part name, first result) for the first part where the assertion holds, else (None, None)."""
    for name in _parts_of(assertion):
        result = _evaluate(parts.get(name), assertion["xpath"])
        if result:
            return name, _first(result)
    return None, None


def judge_survival(original: bytes | OdfParts, received: bytes | OdfParts, assertions) -> list[SurvivalLoss]:
    """The assertions that hold on ``original`` but not on ``received``, each with its evidence.

    An assertion that does not hold on the original is no loss (the original never had the feature)
    and is left out; :func:`failed_assertions` on the original finds those.
    """
    orig, recv = _as_parts(original), _as_parts(received)
    losses = []
    for a in assertions:
        where, found = _matched(orig, a)
        if where is None:
            continue
        if _matched(recv, a)[0] is not None:
            continue
        names = _parts_of(a)
        problems = [recv.problem(n) for n in names if recv.problem(n)]
        near = None
        if isinstance(found, etree._Element) and isinstance(found.tag, str) and not problems:
            near = _nearest(recv, names, found)
        if problems:
            why = "; ".join(problems)
        elif isinstance(found, etree._Element) and isinstance(found.tag, str):
            tag = _qname(found.tag, found)
            why = (f"the nearest <{tag}> received is shown" if near is not None
                   else f"no <{tag}> element is left in {' or '.join(names)}")
        else:
            value = _first(_evaluate(recv.get(names[0]), a["xpath"]))
            why = f"it gives {snippet(value) if value is not None else 'nothing'} on the received document"
        note = f"{a['what']}: no match for {a['xpath']} in {a['part']} ({why})"
        losses.append(SurvivalLoss(a, snippet(found), snippet(near) if near is not None else None, note))
    return losses
