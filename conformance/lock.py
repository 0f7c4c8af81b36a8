"""WebDAV locks as values: DAV:lockdiscovery, DAV:supportedlock, Lock-Token, Timeout, DAV:error.

Pure functions over bytes, header values and lxml elements (RFC 4918 §6, §9.10, §10.5, §10.7,
§14.1, §14.12-§14.15, §14.29, §15.8, §15.10, §16). No network, no harness.

Public API::

    parse_lock_response(data: bytes) -> list[ActiveLock]         LOCK body: DAV:prop/DAV:lockdiscovery
    parse_lockdiscovery(element) -> list[ActiveLock]             one DAV:lockdiscovery element
    parse_supportedlock(element) -> set[tuple[str, str]]        {(scope, type)}, e.g. ("exclusive", "write")
    parse_coded_url(value: str) -> str                           Lock-Token header -> the token URI
    parse_timeout(value: str) -> int | None                      "Second-60" -> 60, "Infinite" -> None
    parse_dav_error(data: bytes) -> dict[str, Element]           DAV:error's children by Clark name
    is_absolute_uri(value: str) -> bool                          lock tokens are absolute URIs
    ActiveLock(token, scope, type, depth, timeout, owner, lockroot)
    LockProblem(ValueError)

Element and value names are Clark names (``"{DAV:}exclusive"``) turned into plain words where the
RFC uses a closed vocabulary (scope ``"exclusive"``/``"shared"``, type ``"write"``). XML goes
through :mod:`conformance.xml`; nothing here uses regular expressions on XML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from conformance.xml import parse_xml

__all__ = [
    "ActiveLock",
    "LockProblem",
    "is_absolute_uri",
    "parse_coded_url",
    "parse_dav_error",
    "parse_lock_response",
    "parse_lockdiscovery",
    "parse_supportedlock",
    "parse_timeout",
]

DAV = "{DAV:}"
PROP = DAV + "prop"
LOCKDISCOVERY = DAV + "lockdiscovery"
ACTIVELOCK = DAV + "activelock"
ERROR = DAV + "error"

# RFC 4918 §10.7: TimeType = ("Second-" DAVTimeOutVal | "Infinite"); DAVTimeOutVal = 1*DIGIT
_TIMETYPE = re.compile(r"Second-([0-9]+)|Infinite", re.ASCII)
_MAX_TIMEOUT = 2**32 - 1
# RFC 3986 §3.1 scheme, enough to tell an absolute URI from a relative reference.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:", re.ASCII)


class LockProblem(ValueError):
    """A lock-related value does not follow RFC 4918; the message names the clause."""


@dataclass
class ActiveLock:
    """One ``DAV:activelock`` (RFC 4918 §14.1).

    Attributes:
        token: the ``DAV:locktoken/DAV:href`` text (§14.14), ``None`` when the server withheld it.
        scope: ``"exclusive"`` or ``"shared"`` (§14.13), or the Clark name of anything else, or ``None``.
        type: ``"write"`` (§14.15), or the Clark name of anything else, or ``None``.
        depth: the ``DAV:depth`` text ("0", "infinity"; §14.4), or ``None``.
        timeout: the ``DAV:timeout`` text as sent ("Second-60", "Infinite"; §14.29), or ``None``.
        owner: the ``DAV:owner`` element (§14.17), or ``None``.
        lockroot: the ``DAV:lockroot/DAV:href`` text (§14.12), or ``None``.
    """

    token: str | None
    scope: str | None
    type: str | None
    depth: str | None
    timeout: str | None
    owner: etree._Element | None
    lockroot: str | None

    @property
    def owner_text(self) -> str | None:
        """The text content of ``DAV:owner`` (including that of child elements), stripped."""
        if self.owner is None:
            return None
        return "".join(self.owner.itertext()).strip()


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return "".join(element.itertext()).strip()


def _only_child_word(element: etree._Element | None) -> str | None:
    """The first element child of ``element`` as a plain word for DAV: names, else its Clark name."""
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str):
            qname = etree.QName(child.tag)
            return qname.localname if qname.namespace == "DAV:" else child.tag
    return None


def parse_lockdiscovery(element: etree._Element) -> list[ActiveLock]:
    """The active locks listed in one ``DAV:lockdiscovery`` element (RFC 4918 §15.8).

    An empty property (no ``DAV:activelock``) gives ``[]``: the resource has no lock.

    Raises:
        LockProblem: ``element`` is not ``DAV:lockdiscovery``.
    """
    if element.tag != LOCKDISCOVERY:
        raise LockProblem(f"expected a DAV:lockdiscovery element (RFC4918:S15.8), found {element.tag!r}")
    locks = []
    for active in element.findall(ACTIVELOCK):
        locks.append(
            ActiveLock(
                token=_text(active.find(f"{DAV}locktoken/{DAV}href")),
                scope=_only_child_word(active.find(DAV + "lockscope")),
                type=_only_child_word(active.find(DAV + "locktype")),
                depth=_text(active.find(DAV + "depth")),
                timeout=_text(active.find(DAV + "timeout")),
                owner=active.find(DAV + "owner"),
                lockroot=_text(active.find(f"{DAV}lockroot/{DAV}href")),
            )
        )
    return locks


def parse_lock_response(data: bytes) -> list[ActiveLock]:
    """The locks described by the body of a successful LOCK (RFC 4918 §9.10.1, §9.10.2).

    The body MUST be a ``DAV:prop`` holding ``DAV:lockdiscovery``.

    Raises:
        conformance.xml.XMLProblem: the body is not well-formed (or is empty).
        LockProblem: the root is not ``DAV:prop``, or it holds no ``DAV:lockdiscovery``.
    """
    root = parse_xml(data)
    if root.tag != PROP:
        raise LockProblem(
            f"a LOCK response body must be a DAV:prop element holding DAV:lockdiscovery "
            f"(RFC4918:S9.10.1); the root element is {root.tag!r}"
        )
    discovery = root.find(LOCKDISCOVERY)
    if discovery is None:
        raise LockProblem("the LOCK response's DAV:prop holds no DAV:lockdiscovery (RFC4918:S9.10.1)")
    return parse_lockdiscovery(discovery)


def parse_supportedlock(element: etree._Element) -> set[tuple[str, str]]:
    """The (scope, type) pairs of a ``DAV:supportedlock`` element (RFC 4918 §15.10, §14.10).

    Scope and type are plain words for DAV: names ("exclusive", "write"), Clark names otherwise;
    a ``DAV:lockentry`` missing either part is left out.
    """
    entries = set()
    for entry in element.findall(DAV + "lockentry"):
        scope = _only_child_word(entry.find(DAV + "lockscope"))
        locktype = _only_child_word(entry.find(DAV + "locktype"))
        if scope and locktype:
            entries.add((scope, locktype))
    return entries


def parse_coded_url(value: str) -> str:
    """The URI inside a Coded-URL header value such as ``Lock-Token: <urn:uuid:...>`` (RFC 4918 §10.5).

    Raises:
        LockProblem: the value is not ``"<" absolute-URI ">"`` (the message quotes it).
    """
    stripped = (value or "").strip(" \t")
    if len(stripped) < 3 or stripped[0] != "<" or stripped[-1] != ">":
        raise LockProblem(f"{value!r} is not a Coded-URL: expected '<' absolute-URI '>' (RFC4918:S10.5)")
    uri = stripped[1:-1]
    if any(c in uri for c in " \t<>") or not _SCHEME.match(uri):
        raise LockProblem(f"{value!r} does not hold an absolute URI (RFC4918:S10.5, S6.5)")
    return uri


def is_absolute_uri(value: str) -> bool:
    """True when ``value`` starts with a URI scheme (RFC 3986 §4.3), as lock tokens must (RFC 4918 §6.5)."""
    return bool(value) and bool(_SCHEME.match(value)) and not any(c in value for c in " \t<>")


def parse_timeout(value: str) -> int | None:
    """Seconds of a TimeType (RFC 4918 §10.7, §14.29): ``"Second-60"`` -> 60, ``"Infinite"`` -> None.

    Raises:
        LockProblem: anything else, including seconds above 2^32-1 (the message quotes the value).
    """
    text = (value or "").strip()
    match = _TIMETYPE.fullmatch(text)
    if match is None:
        raise LockProblem(f"timeout {value!r} is not 'Second-<digits>' or 'Infinite' (RFC4918:S10.7, S14.29)")
    if match.group(1) is None:
        return None
    seconds = int(match.group(1))
    if seconds > _MAX_TIMEOUT:
        raise LockProblem(f"timeout {value!r} exceeds 2^32-1 seconds (RFC4918:S10.7)")
    return seconds


def parse_dav_error(data: bytes) -> dict[str, etree._Element]:
    """The pre/postcondition elements of a ``DAV:error`` body by Clark name (RFC 4918 §16, §14.5).

    Returns an empty dict for an empty body or one whose root is not ``DAV:error`` (an HTML error
    page, say); the first element of each name wins.

    Raises:
        conformance.xml.XMLProblem: a non-empty body that is not well-formed XML.
    """
    if not data or not data.strip():
        return {}
    root = parse_xml(data)
    if root.tag != ERROR:
        return {}
    found: dict[str, etree._Element] = {}
    for child in root:
        if isinstance(child.tag, str):
            found.setdefault(child.tag, child)
    return found
