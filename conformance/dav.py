"""Small WebDAV / HTTP value parsers: the DAV header, HTTP dates, entity tags.

Public API::

    parse_dav_header(values: list[str]) -> set[str]        RFC 4918 §10.1
    parse_http_date(value: str) -> datetime | None         RFC 9110 §5.6.7 (IMF-fixdate only)
    is_strong_etag(value: str) -> bool                     RFC 9110 §8.8.3
    is_weak_etag(value: str) -> bool
    is_valid_etag(value: str) -> bool
    etag_value(value: str) -> str
    DAVHeaderProblem(ValueError), ETagProblem(ValueError)

These parse header values and element text, never XML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone

__all__ = [
    "DAVHeaderProblem",
    "ETagProblem",
    "etag_value",
    "is_strong_etag",
    "is_valid_etag",
    "is_weak_etag",
    "parse_dav_header",
    "parse_http_date",
]

_OWS = " \t"
# RFC 9110 §5.6.2 tchar
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)


class DAVHeaderProblem(ValueError):
    """A DAV header value does not follow RFC 4918 §10.1."""


class ETagProblem(ValueError):
    """A value is not an entity-tag (RFC 9110 §8.8.3)."""


def parse_dav_header(values: Iterable[str] | str) -> set[str]:
    """The compliance classes announced by one or more ``DAV`` header field values.

    RFC 4918 §10.1: ``DAV = "DAV" ":" #( compliance-class )``, where a class is a token
    ("1", "2", "3", "calendar-access", "addressbook"...) or a Coded-URL in angle brackets
    ("<http://apache.org/dav/propset/fs/1>"). A response may carry several DAV header
    lines: pass every value (a single string is taken as one value). Empty list elements
    are ignored (RFC 9110 §5.6.1).

    Returns:
        A set of the classes as sent: tokens unchanged (case kept), Coded-URLs with their
        angle brackets.

    Raises:
        DAVHeaderProblem: an unterminated or empty Coded-URL, a class that is neither a
            token nor a Coded-URL (e.g. "1 2" without a comma); the message quotes the value.
    """
    if isinstance(values, str):
        values = [values]
    classes: set[str] = set()
    for value in values:
        i, n = 0, len(value)
        while i < n:
            if value[i] in _OWS or value[i] == ",":
                i += 1
                continue
            if value[i] == "<":
                end = value.find(">", i + 1)
                if end < 0:
                    raise DAVHeaderProblem(
                        f"unterminated Coded-URL in DAV header value {value!r} (RFC4918:S10.1)"
                    )
                url = value[i + 1 : end]
                if not url or any(c in url for c in " \t<"):
                    raise DAVHeaderProblem(
                        f"malformed Coded-URL <{url}> in DAV header value {value!r} "
                        "(RFC4918:S10.1: '<' absolute-URI '>')"
                    )
                item = value[i : end + 1]
                i = end + 1
            else:
                match = _TOKEN.match(value, i)
                if match is None:
                    raise DAVHeaderProblem(
                        f"unexpected {value[i]!r} at offset {i} in DAV header value {value!r}: "
                        "expected a token or a Coded-URL (RFC4918:S10.1)"
                    )
                item = match.group(0)
                i = match.end()
            while i < n and value[i] in _OWS:
                i += 1
            if i < n and value[i] != ",":
                raise DAVHeaderProblem(
                    f"compliance class {item!r} in DAV header value {value!r} is followed by "
                    f"{value[i]!r} instead of a comma (RFC4918:S10.1)"
                )
            classes.add(item)
    return classes


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# RFC 9110 §5.6.7 IMF-fixdate: day-name "," SP 2DIGIT SP month SP 4DIGIT SP hh:mm:ss SP "GMT"
_IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT",
    re.ASCII,
)


def parse_http_date(value: str) -> datetime | None:
    """Parse an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into an aware UTC datetime.

    Only the form ``DAV:getlastmodified`` requires is accepted (RFC 4918 §15.7: rfc1123-date;
    RFC 9110 §5.6.7: IMF-fixdate): names are case-sensitive, "GMT" is literal, and the
    day-name must be the weekday of the date. Surrounding spaces and tabs are ignored.

    Returns:
        The datetime (``tzinfo=timezone.utc``), or ``None`` for anything else: the obsolete
        RFC 850 and asctime forms, ISO 8601, impossible dates (31 Feb, 25:00, leap second 60),
        a wrong weekday, or a value that is not a string.
    """
    if not isinstance(value, str):
        return None
    match = _IMF_FIXDATE.fullmatch(value.strip(_OWS))
    if match is None:
        return None
    day_name, day, month, year, hour, minute, second = match.groups()
    try:
        parsed = datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if _DAYS[parsed.weekday()] != day_name:
        return None
    return parsed


# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; weak = %s"W/"; opaque-tag = DQUOTE *etagc
# DQUOTE; etagc = %x21 / %x23-7E / obs-text. Element text is already decoded, so every
# non-ASCII character counts as obs-text.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\U0010ffff]*)"')


def _match_etag(value: str) -> re.Match[str] | None:
    if not isinstance(value, str):
        return None
    return _ENTITY_TAG.fullmatch(value.strip(_OWS))


def is_valid_etag(value: str) -> bool:
    """True if ``value`` is an entity-tag, weak or strong (RFC 9110 §8.8.3)."""
    return _match_etag(value) is not None


def is_strong_etag(value: str) -> bool:
    """True if ``value`` is a strong entity-tag: ``"..."`` with no ``W/`` (RFC 9110 §8.8.3).

    False for weak tags and for anything that is not an entity-tag at all (unquoted values,
    lowercase ``w/``, a DQUOTE inside). Surrounding spaces and tabs are ignored.
    """
    match = _match_etag(value)
    return match is not None and match.group(1) is None


def is_weak_etag(value: str) -> bool:
    """True if ``value`` is a weak entity-tag: ``W/"..."`` (RFC 9110 §8.8.3)."""
    match = _match_etag(value)
    return match is not None and match.group(1) is not None


def etag_value(value: str) -> str:
    """The opaque-tag of an entity-tag without ``W/`` and quotes (RFC 9110 §8.8.3).

    ``'"abc"'`` and ``'W/"abc"'`` both give ``"abc"``; use :func:`is_weak_etag` to tell
    them apart.

    Raises:
        ETagProblem: ``value`` is not an entity-tag (the message quotes it).
    """
    match = _match_etag(value)
    if match is None:
        raise ETagProblem(
            f"not an entity-tag: {value!r}; expected '\"opaque\"' or 'W/\"opaque\"' "
            "(RFC9110:S8.8.3)"
        )
    return match.group(2)
