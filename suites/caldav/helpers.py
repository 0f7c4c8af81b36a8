"""Small helpers the CalDAV checks share: request bodies, payloads and turning answers into verdicts.

XML goes through :mod:`conformance.multistatus` / :mod:`conformance.xml` (lxml, never regexes),
iCalendar through :mod:`conformance.icalendar` and the ``icalendar`` library.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from icalendar import Calendar

from conformance.lock import parse_dav_error
from conformance.multistatus import Multistatus, normalise_href, parse_multistatus
from conformance.xml import XMLProblem

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
XML_TYPE = 'application/xml; charset="utf-8"'
ICAL_TYPE = "text/calendar; charset=utf-8"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "caldav"


def c(name: str) -> str:
    """Clark name of a CalDAV element."""
    return f"{{{CALDAV}}}{name}"


def d(name: str) -> str:
    """Clark name of a DAV: element."""
    return f"{{{DAV}}}{name}"


def payload(name: str) -> bytes:
    """The bytes of ``fixtures/caldav/<name>`` (see fixtures/caldav/README.md)."""
    return (FIXTURES / name).read_bytes()


def mkcalendar_body(displayname: str | None = None, description: str | None = None,
                    timezone_ics: str | None = None, components: tuple[str, ...] | None = None) -> str | None:
    """A CALDAV:mkcalendar request body (RFC 4791 §9.1) setting the given properties, or None."""
    props = []
    if displayname is not None:
        props.append(f"<D:displayname>{escape(displayname)}</D:displayname>")
    if description is not None:
        props.append(f'<C:calendar-description xml:lang="en">{escape(description)}</C:calendar-description>')
    if timezone_ics is not None:
        props.append(f"<C:calendar-timezone>{escape(timezone_ics)}</C:calendar-timezone>")
    if components is not None:
        comps = "".join(f'<C:comp name="{name}"/>' for name in components)
        props.append(f"<C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>")
    if not props:
        return None
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<C:mkcalendar xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:set><D:prop>{"".join(props)}'
            '</D:prop></D:set></C:mkcalendar>')


def mkcalendar(client, path: str = "", body: str | None = None):
    """Send MKCALENDAR (RFC 4791 §5.3.1) to ``path`` with an optional body."""
    headers = {"Content-Type": XML_TYPE} if body else {}
    return client.request("MKCALENDAR", path, headers=headers, body=body)


def propfind_body(*names: str) -> str:
    """A DAV:propfind body asking for the Clark-named properties ``names``."""
    namespaces = {DAV: "D", CALDAV: "C", CS: "CS"}
    items = []
    for name in names:
        ns, local = name[1:].split("}", 1)
        items.append(f"<{namespaces[ns]}:{local}/>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<D:propfind xmlns:D="DAV:" xmlns:C="{CALDAV}" xmlns:CS="{CS}"><D:prop>{"".join(items)}'
            '</D:prop></D:propfind>')


def multistatus(response, what: str = "the request") -> Multistatus:
    """The parsed 207 body of ``response``; anything else fails the check (RFC 4918 §13, §14.16)."""
    assert response.status_code == 207, (f"{what} must answer 207 Multi-Status, got {response.status_code} "
                                         f"{response.reason}")
    try:
        return parse_multistatus(response.content, base_url=response.url)
    except ValueError as exc:  # MultistatusProblem or XMLProblem
        raise AssertionError(f"the 207 body of {what} is not a valid multistatus: {exc}") from None


def props_of(client, path: str, *names: str, depth: str = "0"):
    """PROPFIND ``names`` on ``path``: the :class:`Response` for ``path`` (fails the check if absent)."""
    response = client.propfind(path, depth=depth, body=propfind_body(*names))
    ms = multistatus(response, f"PROPFIND {path or client.base}")
    found = ms.find(normalise_href(client.url(path)))
    assert found is not None, (f"the PROPFIND multistatus has no response for {client.url(path)}; hrefs were "
                               f"{[r.href for r in ms]}")
    return found


def report(client, body: str, path: str = "", depth: str | None = "1"):
    """Send a REPORT (RFC 3253 §3.6) with an XML body."""
    headers = {"Content-Type": XML_TYPE}
    if depth is not None:
        headers["Depth"] = depth
    return client.request("REPORT", path, headers=headers, body=body)


def calendar_query(comp_filter: str, data: str = "<C:calendar-data/>") -> str:
    """A CALDAV:calendar-query body (RFC 4791 §9.5) asking for getetag and ``data``; ``comp_filter``
    goes inside the VCALENDAR comp-filter."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:prop><D:getetag/>{data}</D:prop>'
            f'<C:filter><C:comp-filter name="VCALENDAR">{comp_filter}</C:comp-filter></C:filter>'
            '</C:calendar-query>')


def time_range_query(component: str, start: str, end: str, data: str = "") -> str:
    """calendar-query for ``component`` overlapping [start, end) (RFC 4791 §9.9)."""
    return calendar_query(f'<C:comp-filter name="{component}"><C:time-range start="{start}" end="{end}"/>'
                          f'</C:comp-filter>', data=data or "<C:calendar-data/>")


def calendar_data(ms: Multistatus) -> dict[str, bytes]:
    """unquoted href path -> CALDAV:calendar-data bytes of every response that has it (status 200)."""
    out = {}
    for response in ms:
        element = response.prop(c("calendar-data"))
        if element is not None:
            out[response.path] = "".join(element.itertext()).encode("utf-8")
    return out


def matched_paths(ms: Multistatus) -> set[str]:
    """The unquoted paths of the responses that are not errors (a query's matches)."""
    return {r.path for r in ms if r.status in (None, 200)}


def preconditions(response) -> set[str]:
    """Clark names of the precondition elements in a DAV:error body (RFC 4918 §16); empty if none."""
    try:
        return set(parse_dav_error(response.content))
    except XMLProblem:
        return set()


def assert_refused(client, name: str, response, what: str) -> None:
    """A PUT of a new resource ``name`` that a precondition forbids: a 4xx, and nothing stored.

    The status code itself (403/409 with the precondition element, RFC 4918 §16) is judged by the
    separate ``*-precondition`` checks; a 5xx is a server error, not a refusal.
    """
    assert 400 <= response.status_code < 500, f"{what} must be refused with a 4xx status; it answered " \
                                              f"{response.status_code} {response.reason}"
    stored = client.get(name).status_code
    assert stored == 404, f"{what} was refused ({response.status_code}) but a GET of it answered {stored}"


def components(data: bytes, name: str) -> list:
    """The ``name`` components (VEVENT, VTODO...) of an iCalendar stream, via the icalendar library."""
    calendar = Calendar.from_ical(data)
    return [sub for sub in calendar.walk() if (sub.name or "").upper() == name]


def utc(value) -> datetime | date:
    """A DATE-TIME as an aware UTC datetime (floating ones are taken as UTC); a DATE stays a DATE."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc))
    return value


def is_utc_property(prop) -> bool:
    """True when a DATE-TIME property value is written in UTC (``...Z``, RFC 5545 §3.3.5 form #2)."""
    raw = prop.to_ical()
    raw = raw.decode() if isinstance(raw, bytes) else str(raw)
    return raw.endswith("Z") and "TZID" not in prop.params


def describe_differences(differences) -> str:
    """One line per :class:`conformance.compare.Difference`, for failure messages."""
    return "; ".join(f"{x.item} {x.component} {x.property or ''}: {x.note}".replace("  ", " ")
                     for x in differences[:8]) + (f" (+{len(differences) - 8} more)" if len(differences) > 8 else "")
