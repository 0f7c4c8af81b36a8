"""RFC 4918 multistatus bodies (§13, §14.16) as a small model, parsed whole or streamed.

A multistatus is what PROPFIND, PROPPATCH, REPORT (CalDAV, CardDAV, RFC 6578 sync-collection),
and failed COPY/MOVE/DELETE on collections answer with. This module reads one into
:class:`Multistatus` / :class:`Response` / :class:`Propstat` and checks the structure RFC 4918
requires on the way; the checks name their clause litmus-style ("RFC4918:S14.24").

Public API::

    parse_multistatus(data: bytes, *, strict=True, base_url=None, max_bytes=DEFAULT_MAX_BYTES)
        -> Multistatus
    iter_responses(stream, *, strict=True, base_url=None) -> MultistatusStream  # yields Response
    parse_status_line(line: str) -> int
    normalise_href(href: str, base_url: str | None = None) -> str
    Multistatus(responses, sync_token, description, problems)
        .by_path() -> dict[str, Response]     .find(path) -> Response | None
    Response(href, status, propstats, error, description, hrefs, status_line, location)
        .prop(name) .prop_text(name) .status_of(name) .props_with_status(code)
        .is_collection .path
    Propstat(status, status_line, props, error, description)
    MultistatusProblem(ValueError)        .clause, .href

Property names are Clark names: ``"{DAV:}getetag"``. Parsing goes through
:mod:`conformance.xml`, so entities are never expanded and nothing is ever loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from conformance.xml import DEFAULT_MAX_BYTES, iter_events, parse_xml

__all__ = [
    "Multistatus",
    "MultistatusProblem",
    "MultistatusStream",
    "Propstat",
    "Response",
    "iter_responses",
    "normalise_href",
    "parse_multistatus",
    "parse_status_line",
]

DAV_NS = "DAV:"
MULTISTATUS = "{DAV:}multistatus"
RESPONSE = "{DAV:}response"
HREF = "{DAV:}href"
STATUS = "{DAV:}status"
PROPSTAT = "{DAV:}propstat"
PROP = "{DAV:}prop"
ERROR = "{DAV:}error"
RESPONSEDESCRIPTION = "{DAV:}responsedescription"
LOCATION = "{DAV:}location"
SYNC_TOKEN = "{DAV:}sync-token"
RESOURCETYPE = "{DAV:}resourcetype"
COLLECTION = "{DAV:}collection"

# RFC 9112 §4 status-line: HTTP-version SP status-code SP [ reason-phrase ]
_STATUS_LINE = re.compile(r"HTTP/[0-9]\.[0-9] ([0-9]{3})(?: [\t \x21-\x7e\x80-\U0010ffff]*)?", re.ASCII)
# What lenient mode still recovers a code from (e.g. "HTTP/2 200", "HTTP/1.1  404").
_LENIENT_STATUS_LINE = re.compile(r"HTTP/\S*\s+([0-9]{3})(?:\s.*)?", re.ASCII | re.DOTALL)


class MultistatusProblem(ValueError):
    """A body is not a multistatus RFC 4918 allows.

    Attributes:
        clause: the clause violated, e.g. ``"RFC4918:S14.24"``.
        href: the response's href when the problem is inside one response, else ``None``.
    """

    def __init__(self, message: str, *, clause: str | None = None, href: str | None = None):
        super().__init__(message)
        self.clause = clause
        self.href = href


@dataclass
class Propstat:
    """One ``DAV:propstat`` (RFC 4918 §14.22): properties that share one status.

    Attributes:
        status: the status code (``200``, ``404``...), ``None`` only when a lenient parse met
            a missing or unreadable ``DAV:status``.
        status_line: the ``DAV:status`` text as sent, stripped ("HTTP/1.1 200 OK").
        props: Clark name -> the property element inside ``DAV:prop`` (first one wins).
        error: the ``DAV:error`` element (§14.5), if any.
        description: the ``DAV:responsedescription`` text (§14.25), if any.
    """

    status: int | None
    status_line: str
    props: dict[str, etree._Element]
    error: etree._Element | None = None
    description: str | None = None


@dataclass
class Response:
    """One ``DAV:response`` (RFC 4918 §14.24).

    Either the status form (``status`` set, ``propstats`` empty; may name several hrefs) or
    the propstat form (``status`` is ``None``, one href, ``propstats`` non-empty).

    Attributes:
        href: the first ``DAV:href`` as sent (still percent-encoded; may be an absolute URL).
        status: the code of the response-level ``DAV:status``, else ``None``.
        propstats: the ``DAV:propstat`` children, in document order.
        error: the ``DAV:error`` element (§14.5), if any.
        description: the ``DAV:responsedescription`` text, if any.
        hrefs: every ``DAV:href`` of the response (status form may have several).
        status_line: the response-level ``DAV:status`` text, if any.
        location: the ``DAV:location/DAV:href`` text (§14.9), if any.
    """

    href: str
    status: int | None
    propstats: list[Propstat]
    error: etree._Element | None = None
    description: str | None = None
    hrefs: list[str] = field(default_factory=list)
    status_line: str | None = None
    location: str | None = None

    @property
    def path(self) -> str:
        """The href as an unquoted absolute path (see :func:`normalise_href`)."""
        return normalise_href(self.href)

    def prop(self, name: str) -> etree._Element | None:
        """The element of property ``name`` (Clark name) reported with status 200, or ``None``."""
        for propstat in self.propstats:
            if propstat.status == 200 and name in propstat.props:
                return propstat.props[name]
        return None

    def prop_text(self, name: str) -> str | None:
        """The stripped text content of property ``name`` with status 200, or ``None``.

        Text of child elements is included, comments are not; an empty element gives ``""``.
        """
        element = self.prop(name)
        if element is None:
            return None
        return _text(element)

    def status_of(self, name: str) -> int | None:
        """The status code of the propstat that reports property ``name``; ``None`` if absent."""
        for propstat in self.propstats:
            if name in propstat.props:
                return propstat.status
        return None

    def props_with_status(self, code: int) -> dict[str, etree._Element]:
        """Every property reported with status ``code``, by Clark name."""
        found: dict[str, etree._Element] = {}
        for propstat in self.propstats:
            if propstat.status == code:
                for name, element in propstat.props.items():
                    found.setdefault(name, element)
        return found

    @property
    def is_collection(self) -> bool:
        """True if ``DAV:resourcetype`` (status 200) contains ``DAV:collection`` (RFC 4918 §15.9)."""
        resourcetype = self.prop(RESOURCETYPE)
        return resourcetype is not None and resourcetype.find(COLLECTION) is not None


@dataclass
class Multistatus:
    """A parsed ``DAV:multistatus`` (RFC 4918 §14.16).

    Attributes:
        responses: the ``DAV:response`` children in document order.
        sync_token: the ``DAV:sync-token`` text (RFC 6578 §6.4), if any.
        description: the top-level ``DAV:responsedescription`` text, if any.
        problems: what a lenient parse (``strict=False``) found wrong; empty when strict.
    """

    responses: list[Response]
    sync_token: str | None = None
    description: str | None = None
    problems: list[str] = field(default_factory=list)
    _index: dict[str, Response] | None = field(default=None, init=False, repr=False, compare=False)

    def __iter__(self) -> Iterator[Response]:
        return iter(self.responses)

    def __len__(self) -> int:
        return len(self.responses)

    def by_path(self) -> dict[str, Response]:
        """Map each href's unquoted path (see :func:`normalise_href`) to its response.

        Every href of a status-form response is mapped; when a path repeats, the first wins.
        """
        index: dict[str, Response] = {}
        for response in self.responses:
            for href in response.hrefs or [response.href]:
                index.setdefault(normalise_href(href), response)
        return index

    def find(self, path: str) -> Response | None:
        """The response for ``path``, comparing with and without a trailing slash.

        ``path`` may be an unquoted path ("/dav/café.txt"), a percent-encoded href
        ("/dav/caf%C3%A9.txt") or an absolute URL; an unquoted path is tried first.
        The index is built on first use: treat ``responses`` as read-only afterwards.
        """
        if self._index is None:
            self._index = self.by_path()
        for candidate in dict.fromkeys((path, normalise_href(path))):
            for key in _slash_variants(candidate):
                if key in self._index:
                    return self._index[key]
        return None


def _slash_variants(path: str) -> tuple[str, ...]:
    if path.endswith("/") and path != "/":
        return (path, path[:-1])
    return (path, path + "/")


def normalise_href(href: str, base_url: str | None = None) -> str:
    """Turn a ``DAV:href`` into an unquoted path, for comparing hrefs (RFC 4918 §8.3).

    Absolute URLs ("http://h/dav/a%20b") keep only their path ("/dav/a b"); absolute paths
    are unquoted as UTF-8 (invalid sequences become U+FFFD). A relative reference is resolved
    against ``base_url`` when given, else returned unquoted as it is. Query and fragment are
    dropped.
    """
    href = href.strip()
    if base_url:
        href = urljoin(base_url, href)
    parts = urlsplit(href)
    path = parts.path
    if (parts.scheme or parts.netloc) and not path:
        path = "/"
    return unquote(path)


def parse_status_line(line: str) -> int:
    """The status code of an HTTP status line such as ``"HTTP/1.1 200 OK"``.

    Implements the ``DAV:status`` content rule (RFC 4918 §14.28, status-line of RFC 9112 §4):
    ``HTTP/x.y SP 3DIGIT [SP reason-phrase]``; surrounding whitespace is ignored.

    Raises:
        MultistatusProblem: the line is not a status line (the message quotes it).
    """
    match = _STATUS_LINE.fullmatch(line.strip())
    if match is None:
        raise MultistatusProblem(
            f"malformed DAV:status {line.strip()!r}: expected an HTTP status line such as "
            "'HTTP/1.1 200 OK' (RFC4918:S14.28)",
            clause="RFC4918:S14.28",
        )
    return int(match.group(1))


def _text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def _describe_tag(tag: object) -> str:
    if not isinstance(tag, str):
        return "a comment or processing instruction"
    qname = etree.QName(tag)
    if qname.namespace is None:
        return f"<{qname.localname}> in no namespace"
    if qname.namespace != DAV_NS and qname.namespace.rstrip(":").lower() == "dav":
        return (
            f"<{qname.localname}> in namespace {qname.namespace!r} "
            "(the WebDAV namespace is exactly 'DAV:')"
        )
    return f"{{{qname.namespace}}}{qname.localname}"


def _check_root(root: etree._Element) -> None:
    if root.tag != MULTISTATUS:
        raise MultistatusProblem(
            "expected a {DAV:}multistatus root element (RFC4918:S14.16), found "
            + _describe_tag(root.tag),
            clause="RFC4918:S14.16",
        )


Report = Callable[[str, str, "str | None"], None]


def _reporter(strict: bool, problems: list[str]) -> Report:
    def report(message: str, clause: str, href: str | None) -> None:
        if strict:
            raise MultistatusProblem(message, clause=clause, href=href)
        problems.append(message)

    return report


def _status(text: str, where: str, report: Report, href: str | None) -> int | None:
    try:
        return parse_status_line(text)
    except MultistatusProblem:
        report(
            f"{where}: malformed DAV:status {text!r}, expected an HTTP status line "
            "such as 'HTTP/1.1 200 OK' (RFC4918:S14.28)",
            "RFC4918:S14.28",
            href,
        )
    lenient = _LENIENT_STATUS_LINE.fullmatch(text)
    return int(lenient.group(1)) if lenient else None


def _build_propstat(element: etree._Element, where: str, report: Report, href: str) -> Propstat:
    prop = element.find(PROP)
    status_el = element.find(STATUS)
    if prop is None:
        report(f"{where}: propstat without DAV:prop (RFC4918:S14.22)", "RFC4918:S14.22", href)
    status: int | None = None
    status_line = ""
    if status_el is None:
        report(f"{where}: propstat without DAV:status (RFC4918:S14.22)", "RFC4918:S14.22", href)
    else:
        status_line = _text(status_el)
        status = _status(status_line, where, report, href)
    props: dict[str, etree._Element] = {}
    if prop is not None:
        for child in prop:
            if isinstance(child.tag, str):
                props.setdefault(child.tag, child)
    error = element.find(ERROR)
    description_el = element.find(RESPONSEDESCRIPTION)
    return Propstat(
        status=status,
        status_line=status_line,
        props=props,
        error=error,
        description=_text(description_el) if description_el is not None else None,
    )


def _build_response(element: etree._Element, index: int, report: Report) -> Response:
    hrefs = [_text(h) for h in element.findall(HREF)]
    href = hrefs[0] if hrefs else ""
    where = f"response #{index + 1}" + (f" ({href})" if href else "")
    if not hrefs:
        report(f"{where}: no DAV:href (RFC4918:S14.24)", "RFC4918:S14.24", None)
    elif any(not h for h in hrefs):
        report(f"{where}: empty DAV:href (RFC4918:S14.7)", "RFC4918:S14.7", href)
    status_el = element.find(STATUS)
    propstat_els = element.findall(PROPSTAT)
    if status_el is None and not propstat_els:
        report(
            f"{where}: has neither a DAV:status nor a DAV:propstat (RFC4918:S14.24)",
            "RFC4918:S14.24",
            href,
        )
    if status_el is not None and propstat_els:
        report(
            f"{where}: has both a DAV:status and DAV:propstat (RFC4918:S14.24)",
            "RFC4918:S14.24",
            href,
        )
    if len(hrefs) > 1 and propstat_els:
        report(
            f"{where}: several DAV:href with DAV:propstat; only the status form may name "
            "several hrefs (RFC4918:S14.24)",
            "RFC4918:S14.24",
            href,
        )
    status: int | None = None
    status_line: str | None = None
    if status_el is not None:
        status_line = _text(status_el)
        status = _status(status_line, where, report, href)
    propstats = [_build_propstat(p, where, report, href) for p in propstat_els]
    description_el = element.find(RESPONSEDESCRIPTION)
    location_el = element.find(f"{LOCATION}/{HREF}")
    return Response(
        href=href,
        status=status,
        propstats=propstats,
        error=element.find(ERROR),
        description=_text(description_el) if description_el is not None else None,
        hrefs=hrefs,
        status_line=status_line,
        location=_text(location_el) if location_el is not None else None,
    )


def _resolve(response: Response, base_url: str | None) -> Response:
    """Resolve relative-reference hrefs (RFC 4918 §8.3) against ``base_url``; others stay as sent."""
    if base_url:
        response.hrefs = [
            urljoin(base_url, h) if h and not urlsplit(h).scheme and not h.startswith("/") else h
            for h in response.hrefs
        ]
        if response.hrefs:
            response.href = response.hrefs[0]
    return response


def parse_multistatus(
    data: bytes,
    *,
    strict: bool = True,
    base_url: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> Multistatus:
    """Parse a whole ``DAV:multistatus`` body (RFC 4918 §13, §14.16; RFC 6578 §6.4 sync-token).

    Args:
        data: the response body bytes.
        strict: raise on the first structural problem (default); with ``False``, keep going
            and list the problems in :attr:`Multistatus.problems` (status codes that cannot
            be read become ``None``).
        base_url: the request URL, to resolve relative hrefs (RFC 4918 §8.3).
        max_bytes: refuse larger bodies (use :func:`iter_responses` for those).

    Returns:
        :class:`Multistatus`.

    Raises:
        conformance.xml.XMLProblem: malformed XML, DOCTYPE with entities, too large...
        MultistatusProblem: the root is not ``DAV:multistatus`` (the message names what was
            found); with ``strict``: a response with neither status nor propstat or without
            href (§14.24), a propstat without prop or status (§14.22), a malformed status
            line (§14.28, the message quotes it).
    """
    root = parse_xml(data, max_bytes=max_bytes)
    _check_root(root)
    problems: list[str] = []
    report = _reporter(strict, problems)
    responses: list[Response] = []
    sync_token = description = None
    for child in root:
        if child.tag == RESPONSE:
            responses.append(_resolve(_build_response(child, len(responses), report), base_url))
        elif child.tag == SYNC_TOKEN and sync_token is None:
            sync_token = _text(child)
        elif child.tag == RESPONSEDESCRIPTION and description is None:
            description = _text(child)
    return Multistatus(
        responses=responses, sync_token=sync_token, description=description, problems=problems
    )


class MultistatusStream:
    """Iterator over the responses of a streamed multistatus; see :func:`iter_responses`.

    After iteration ends, :attr:`sync_token` and :attr:`description` hold the values that
    follow the responses in the body, and :attr:`problems` what a lenient parse found.
    :attr:`count` is the number of responses yielded so far.
    """

    def __init__(self, source: BinaryIO | bytes, *, strict: bool, base_url: str | None):
        self.sync_token: str | None = None
        self.description: str | None = None
        self.problems: list[str] = []
        self.count = 0
        self._report = _reporter(strict, self.problems)
        self._base_url = base_url
        self._iterator = self._run(source)

    def __iter__(self) -> MultistatusStream:
        return self

    def __next__(self) -> Response:
        return next(self._iterator)

    def _run(self, source: BinaryIO | bytes) -> Iterator[Response]:
        depth = 0
        root: etree._Element | None = None
        for event, element in iter_events(source, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    _check_root(element)
                    root = element
                continue
            depth -= 1
            if depth != 1:
                continue
            # A direct child of the root is complete. Drop the children before it (never
            # the element itself: the parser may still be writing its tail).
            while element.getprevious() is not None:
                del root[0]
            if element.tag == RESPONSE:
                response = _build_response(element, self.count, self._report)
                self.count += 1
                yield _resolve(response, self._base_url)
            elif element.tag == SYNC_TOKEN and self.sync_token is None:
                self.sync_token = _text(element)
            elif element.tag == RESPONSEDESCRIPTION and self.description is None:
                self.description = _text(element)
        if root is not None:
            del root[:]


def iter_responses(
    stream: BinaryIO | bytes, *, strict: bool = True, base_url: str | None = None
) -> MultistatusStream:
    """Parse a large ``DAV:multistatus`` incrementally and yield each :class:`Response`.

    Built on ``lxml.etree.iterparse`` with the safety of :mod:`conformance.xml`; each
    finished response is removed from the tree once the next one completes, so memory stays
    bounded by what the caller keeps (10,000 responses need no more than a handful at once).
    RFC 4918 §14.16; RFC 6578 §6.4 for the sync-token, read into the returned stream's
    ``sync_token`` once iteration ends.

    Args:
        stream: a binary file-like object with ``read()`` (or bytes).
        strict, base_url: as for :func:`parse_multistatus`.

    Returns:
        A :class:`MultistatusStream` (an iterator of :class:`Response`).

    Raises (while iterating):
        conformance.xml.XMLProblem, MultistatusProblem: as for :func:`parse_multistatus`;
        responses already yielded stay valid.
    """
    return MultistatusStream(stream, strict=strict, base_url=base_url)
