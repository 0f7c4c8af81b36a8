"""Unit tests for conformance.dav: DAV header, HTTP dates, entity tags."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conformance.dav import (
    DAVHeaderProblem,
    ETagProblem,
    etag_value,
    is_strong_etag,
    is_valid_etag,
    is_weak_etag,
    parse_dav_header,
    parse_http_date,
)

# --- DAV header (RFC 4918 §10.1) ---------------------------------------------------------------


def test_apache_sends_classes_and_a_coded_url_on_two_lines():
    assert parse_dav_header(["1,2", "<http://apache.org/dav/propset/fs/1>"]) == {
        "1",
        "2",
        "<http://apache.org/dav/propset/fs/1>",
    }


def test_caldav_carddav_server_header():
    # Radicale 3 / Nextcloud-style values, with OWS after commas.
    radicale = "1, 2, 3, calendar-access, addressbook, extended-mkcol"
    nextcloud = (
        "1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, "
        "calendar-access, calendar-proxy, calendar-auto-schedule, addressbook, nc-paginate"
    )
    classes = parse_dav_header([radicale])
    assert classes == {"1", "2", "3", "calendar-access", "addressbook", "extended-mkcol"}
    both = parse_dav_header([radicale, nextcloud])
    assert {"access-control", "calendar-auto-schedule", "nc-paginate"} <= both
    assert "2" in both and len(both) == 11


def test_single_string_empty_elements_and_mixed_items():
    assert parse_dav_header("1") == {"1"}  # one value, not its characters
    assert parse_dav_header([" ,1,, 2 ,\t"]) == {"1", "2"}
    assert parse_dav_header(["1, <urn:x:ext>,calendar-access"]) == {
        "1",
        "<urn:x:ext>",
        "calendar-access",
    }
    assert parse_dav_header([]) == set() and parse_dav_header([""]) == set()
    assert parse_dav_header(["Calendar-Access"]) == {"Calendar-Access"}  # case kept


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1, <http://apache.org/dav/propset/fs/1", "unterminated Coded-URL"),
        ("1 2", "instead of a comma"),
        ("1, <>", "malformed Coded-URL"),
        ("1;2", "instead of a comma"),
        ("<urn:a><urn:b>", "instead of a comma"),
        ("1, (2)", "expected a token or a Coded-URL"),
    ],
)
def test_malformed_dav_header_values(value, says):
    with pytest.raises(DAVHeaderProblem) as info:
        parse_dav_header([value])
    assert says in str(info.value) and repr(value) in str(info.value)
    assert "RFC4918:S10.1" in str(info.value)


# --- HTTP dates (RFC 9110 §5.6.7, RFC 4918 §15.7) ------------------------------------------------


def test_imf_fixdate_parses_to_aware_utc():
    parsed = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    assert parsed == datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)
    assert parsed.utcoffset().total_seconds() == 0
    assert parse_http_date("  Tue, 05 Mar 2024 14:12:09 GMT\t") == datetime(
        2024, 3, 5, 14, 12, 9, tzinfo=timezone.utc
    )
    assert parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT").day == 29  # leap year


@pytest.mark.parametrize(
    "value",
    [
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850, obsolete
        "Sun Nov  6 08:49:37 1994",  # asctime, obsolete
        "2024-03-05T14:12:09Z",  # ISO 8601 (creationdate's format, not getlastmodified's)
        "Mon, 06 Nov 1994 08:49:37 GMT",  # wrong weekday
        "sun, 06 Nov 1994 08:49:37 GMT",  # names are case-sensitive
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 +0000",  # must be the literal GMT
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT",  # 2DIGIT day
        "Fri, 31 Feb 2023 10:00:00 GMT",  # no such day
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sat, 31 Dec 2016 23:59:60 GMT",  # leap second: not representable
        "Sun,06 Nov 1994 08:49:37 GMT",
        "",
        "Sun, 06 Nov 1994 08:49:37 GMT junk",
    ],
)
def test_other_date_forms_are_refused(value):
    assert parse_http_date(value) is None


def test_non_string_date_is_none():
    assert parse_http_date(None) is None
    assert parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT") is None


# --- entity tags (RFC 9110 §8.8.3) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "strong", "weak", "opaque"),
    [
        ('"47a6-61304c2d1a5c0"', True, False, "47a6-61304c2d1a5c0"),  # Apache
        ('"65e58372-2a"', True, False, "65e58372-2a"),  # nginx
        ('W/"0815"', False, True, "0815"),
        ('""', True, False, ""),
        ('"café"', True, False, "café"),  # obs-text
        ('"0a8c4d5e371da1:0"', True, False, "0a8c4d5e371da1:0"),  # IIS
        (' "abc" ', True, False, "abc"),  # OWS around
    ],
)
def test_valid_entity_tags(value, strong, weak, opaque):
    assert is_valid_etag(value)
    assert is_strong_etag(value) is strong
    assert is_weak_etag(value) is weak
    assert etag_value(value) == opaque


@pytest.mark.parametrize(
    "value",
    [
        "abc",  # unquoted: a common server bug
        'w/"abc"',  # the weak prefix is case-sensitive
        '"abc',
        '"a"b"',
        '"a b"',  # SP is not an etagc
        'W/ "abc"',
        "",
        '"abc" "def"',
    ],
)
def test_invalid_entity_tags(value):
    assert not is_valid_etag(value)
    assert not is_strong_etag(value)
    assert not is_weak_etag(value)
    with pytest.raises(ETagProblem) as info:
        etag_value(value)
    assert repr(value) in str(info.value) and "RFC9110:S8.8.3" in str(info.value)


def test_weak_and_strong_share_opaque_value():
    assert etag_value('W/"xyz"') == etag_value('"xyz"') == "xyz"
    assert is_strong_etag('"xyz"') and not is_strong_etag('W/"xyz"')
    assert not is_strong_etag(None) and not is_valid_etag(42)
