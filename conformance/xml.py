"""Safe XML parsing on lxml for every judge in ``conformance``.

Everything a target sends is hostile input. The parsers made here never expand entities,
never load a DTD or an external entity, never touch the network or the file system
(``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False``, plus a resolver
that refuses every load as a second lock), and refuse any document whose DOCTYPE declares
entities ("billion laughs", XXE) or depends on an external DTD. Problems come out as
:class:`XMLProblem`, a :class:`ValueError` that says what was wrong and where.

Public API::

    parse_xml(data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> lxml.etree._Element
    iter_events(source, *, events=("start", "end")) -> Iterator[tuple[str, lxml.etree._Element]]
    XMLProblem(ValueError)            .kind, .line, .column
    SAFE_PARSER_OPTIONS               the lxml parser options used everywhere here
    DEFAULT_MAX_BYTES

XML is never parsed with regular expressions here or anywhere in ``conformance``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import MappingProxyType
from typing import BinaryIO

from lxml import etree

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SAFE_PARSER_OPTIONS",
    "XMLProblem",
    "iter_events",
    "parse_xml",
]

#: Largest body :func:`parse_xml` accepts by default (32 MiB). Bigger multistatus bodies
#: should be streamed with :func:`iter_events` / ``conformance.multistatus.iter_responses``.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024

#: Options given to every lxml parser made in this module (read-only).
SAFE_PARSER_OPTIONS = MappingProxyType(
    {
        "resolve_entities": False,  # entity references stay references, never expanded
        "no_network": True,  # libxml2 never opens a connection
        "load_dtd": False,  # the external subset is never read
        "dtd_validation": False,
        "attribute_defaults": False,  # no default attributes from a DTD
        "huge_tree": False,  # keep libxml2's limits on depth and text node size
    }
)

# libxml2 error types that mean "entity expansion was attempted and stopped".
_ENTITY_ERROR_TYPES = frozenset(
    {
        "ERR_ENTITY_LOOP",
        "ERR_ENTITY_AMPLIFICATION",
        "ERR_ENTITY_IS_EXTERNAL",
        "ERR_ENTITY_PE_INTERNAL",
        "ERR_ENTITY_BOUNDARY",
    }
)


class XMLProblem(ValueError):
    """The bytes are not a safe, well-formed XML document.

    Attributes:
        kind: ``"malformed"`` (not well-formed XML), ``"entities"`` (the DOCTYPE declares
            entities, or the parser stopped an entity expansion), ``"external-dtd"`` (the
            DOCTYPE names an external DTD), ``"external-resource"`` (something tried to load
            a URL or file), ``"too-large"`` or ``"empty"``.
        line, column: where libxml2 found a malformed document (1-based), else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "malformed",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.line = line
        self.column = column


class _RefuseEveryLoad(etree.Resolver):
    """Second lock: if libxml2 ever tries to load anything, fail instead of reading it."""

    def resolve(self, system_url, public_id, context):  # noqa: D102 - lxml hook
        raise XMLProblem(
            f"refused to load external resource {system_url!r}: "
            "the judges never read files or URLs named inside a document",
            kind="external-resource",
        )


def _new_parser() -> etree.XMLParser:
    parser = etree.XMLParser(**SAFE_PARSER_OPTIONS)
    parser.resolvers.add(_RefuseEveryLoad())
    return parser


def _refuse_dangerous_doctype(docinfo: etree.DocInfo, allow_external_dtd: bool = False) -> None:
    """Raise XMLProblem if the DOCTYPE declares entities or (unless allowed) names an external DTD."""
    dtd = docinfo.internalDTD
    if dtd is not None:
        entities = list(dtd.iterentities())
        if entities:
            first = entities[0]
            what = f"entity {first.name!r}"
            if first.system_url:
                what = f"external entity {first.name!r} (SYSTEM {first.system_url!r})"
            more = f" and {len(entities) - 1} more" if len(entities) > 1 else ""
            raise XMLProblem(
                f"refused: the DOCTYPE declares entities ({what}{more}); entity declarations "
                "are never accepted because they enable entity-expansion bombs "
                "('billion laughs') and external-entity attacks (XXE)",
                kind="entities",
            )
    if (docinfo.system_url or docinfo.public_id) and not allow_external_dtd:
        ident = docinfo.system_url or docinfo.public_id
        raise XMLProblem(
            f"refused: the DOCTYPE refers to an external DTD ({ident!r}); external DTDs are "
            "never loaded, so a document that depends on one cannot be judged safely",
            kind="external-dtd",
        )


def _problem_from_syntax_error(
    exc: etree.XMLSyntaxError, error_log: etree._ListErrorLog | None
) -> XMLProblem:
    """Turn an lxml syntax error into an XMLProblem with a clear kind and position."""
    entries = [e for e in (error_log or []) if e.level >= etree.ErrorLevels.ERROR]
    for entry in entries:
        message = entry.message or ""
        if entry.type_name in _ENTITY_ERROR_TYPES or (
            entry.type_name == "ERR_RESOURCE_LIMIT" and "entit" in message.lower()
        ) or "amplification" in message.lower():
            return XMLProblem(
                "refused: the document's DOCTYPE declares entities and the parser stopped "
                f"their expansion (libxml2: {message.strip()}); entity declarations are never "
                "accepted because they enable entity-expansion bombs ('billion laughs') and "
                "external-entity attacks (XXE)",
                kind="entities",
                line=entry.line,
                column=entry.column,
            )
    if not entries and "no element found" in (exc.msg or ""):  # iterparse over nothing
        return XMLProblem("empty document: no root element found", kind="empty")
    if entries and entries[0].type_name == "ERR_DOCUMENT_EMPTY":
        return XMLProblem(
            "empty document: no root element found (only whitespace or nothing)",
            kind="empty",
            line=entries[0].line,
            column=entries[0].column,
        )
    if entries:
        line, column, message = entries[0].line, entries[0].column, entries[0].message
    else:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = exc.msg
    message = (message or "unknown error").strip()
    return XMLProblem(
        f"malformed XML at line {line}, column {column}: {message}",
        kind="malformed",
        line=line,
        column=column,
    )


def parse_xml(data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES,
              allow_external_dtd: bool = False) -> etree._Element:
    """Parse one XML document from bytes, safely, and return its root element.

    Args:
        data: the document as received (``bytes``, ``bytearray`` or ``memoryview``); the
            encoding comes from the XML declaration / BOM, defaulting to UTF-8 (XML 1.0 §4.3.3).
        max_bytes: refuse bodies longer than this (``None``: no limit).
        allow_external_dtd: accept a DOCTYPE that only *names* an external DTD (as OpenOffice.org 1.x
            manifests and AbiWord do). The DTD is still never loaded, so the document was parsed without
            it: an entity it would have defined is an undefined-entity error. Entity declarations are
            refused either way.

    Returns:
        The root ``lxml.etree._Element``. Comments and processing instructions are kept.

    Raises:
        TypeError: ``data`` is not bytes-like (decoded text would hide the declared encoding).
        XMLProblem: empty, too large, malformed (message and ``.line``/``.column`` say where),
            a DOCTYPE that declares entities (billion laughs, XXE; ``kind="entities"``) or
            names an external DTD (``kind="external-dtd"``).

    Entities are never expanded, and no DTD, external entity, file or URL is ever loaded.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"parse_xml expects bytes, got {type(data).__name__}")
    if not data:
        raise XMLProblem("empty document: expected an XML body, got 0 bytes", kind="empty")
    if max_bytes is not None and len(data) > max_bytes:
        raise XMLProblem(
            f"document too large: {len(data)} bytes, limit {max_bytes}; "
            "stream large bodies instead",
            kind="too-large",
        )
    parser = _new_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _problem_from_syntax_error(exc, parser.error_log) from exc
    if root is None:  # pragma: no cover - lxml raises for documents without an element
        raise XMLProblem("no root element found", kind="malformed")
    _refuse_dangerous_doctype(root.getroottree().docinfo, allow_external_dtd)
    return root


def iter_events(
    source: BinaryIO | bytes, *, events: tuple[str, ...] = ("start", "end")
) -> Iterator[tuple[str, etree._Element]]:
    """Parse a document incrementally and yield ``(event, element)`` pairs, safely.

    Same safety as :func:`parse_xml` (the DOCTYPE is checked before the first event is
    yielded), built on ``lxml.etree.iterparse``, so the caller may clear or delete finished
    elements to keep memory bounded (see lxml's "iterparse" notes: delete *previous*
    siblings, never the element whose end event is being handled).

    Args:
        source: a binary file-like object with ``read()``, or bytes.
        events: a subset of ``("start", "end")``.

    Raises:
        ValueError: unsupported events requested.
        XMLProblem: as for :func:`parse_xml` (no size limit applies to a stream).
    """
    if not set(events) <= {"start", "end"} or not events:
        raise ValueError(f"iter_events supports 'start' and 'end' events, got {events!r}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    context = etree.iterparse(source, events=events, **SAFE_PARSER_OPTIONS)
    context.resolvers.add(_RefuseEveryLoad())
    iterator = iter(context)
    checked = False
    while True:
        try:
            event, element = next(iterator)
        except StopIteration:
            return
        except etree.XMLSyntaxError as exc:
            raise _problem_from_syntax_error(exc, context.error_log) from exc
        if not checked:
            _refuse_dangerous_doctype(element.getroottree().docinfo)
            checked = True
        yield event, element
