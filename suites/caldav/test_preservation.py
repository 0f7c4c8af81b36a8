"""Does a calendar server keep what it is given? RFC 4791 §5.3.2 (the server stores the calendar object
resource the client PUT), RFC 5545 §3.8.8.2 (x-prop) and §3.2 (x-param / iana-param), ATTACH with a URI
and inline BINARY (§3.8.1.1), RELATED-TO (§3.8.4.5), VALARM (§3.6.6), content-line folding of long
multi-byte UTF-8 lines (§3.1), a VTIMEZONE whose TZID is not an IANA name (§3.6.5, §3.2.19), and UIDs
with characters that must be percent-encoded in the resource name (RFC 3986 §2.1, RFC 4791 §5.3.2)."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from icalendar import Calendar

from conformance.compare import compare_icalendar
from conformance.multistatus import normalise_href
from harness.checks import check
from suites.caldav.helpers import (ICAL_TYPE, d, describe_differences, multistatus, payload, propfind_body)

CALDAV = "caldav"


def _stored(cal, name: str, fixture: str) -> tuple[bytes, bytes]:
    data = payload(fixture)
    created = cal.put(name, data, ICAL_TYPE)
    assert created.status_code == 201, f"PUT of {fixture} answered {created.status_code} {created.reason}"
    got = cal.get(name)
    assert got.status_code == 200, f"GET of the stored {fixture} answered {got.status_code}"
    return data, got.content


def _differences(cal, name, fixture, keep=lambda diff: True):
    data, got = _stored(cal, name, fixture)
    return [x for x in compare_icalendar(data, got) if keep(x)]


@check("caldav/preservation/x-properties", clause="RFC 5545 §3.8.8.2, RFC 4791 §5.3.2", level="SHOULD",
       requires=CALDAV)
def test_x_properties(cal):
    lost = _differences(cal, "x.ics", "preserve-x-properties.ics", lambda x: x.property.startswith("X-"))
    assert not lost, f"non-standard X- properties were not kept: {describe_differences(lost)}"


@check("caldav/preservation/unknown-parameters", clause="RFC 5545 §3.2, RFC 4791 §5.3.2", level="SHOULD",
       requires=CALDAV)
def test_unknown_parameters(cal):
    lost = _differences(cal, "x.ics", "preserve-x-properties.ics",
                        lambda x: x.property in ("SUMMARY", "ATTENDEE", "X-OVERSTAP-TICKET"))
    assert not lost, ("properties carrying unknown X- parameters (SUMMARY;X-OVERSTAP-HINT, ATTENDEE;"
                      f"X-OVERSTAP-DELEGATE) were not kept as sent: {describe_differences(lost)}")


@check("caldav/preservation/attach-uri", clause="RFC 5545 §3.8.1.1, RFC 4791 §5.3.2", level="SHOULD",
       requires=CALDAV)
def test_attach_uri(cal):
    data, got = _stored(cal, "attach.ics", "attach.ics")
    attachments = Calendar.from_ical(got).walk("VEVENT")[0].get("ATTACH", [])
    attachments = attachments if isinstance(attachments, list) else [attachments]
    uris = [str(a) for a in attachments if a.params.get("VALUE", "URI").upper() != "BINARY"]
    assert "https://files.example.org/agenda.pdf" in uris, f"the ATTACH by URI was lost (ATTACH values: {uris})"


@check("caldav/preservation/attach-binary", clause="RFC 5545 §3.8.1.1, RFC 4791 §5.3.2", level="SHOULD",
       requires=CALDAV)
def test_attach_binary(cal):
    lost = _differences(cal, "attach.ics", "attach.ics", lambda x: x.property == "ATTACH" or not x.property)
    assert not lost, f"the inline BINARY ATTACH did not survive: {describe_differences(lost)}"


@check("caldav/preservation/related-to", clause="RFC 5545 §3.8.4.5, RFC 4791 §5.3.2", level="SHOULD",
       requires=CALDAV, peer={"caldav-server-tester": "save-load.icalendar.related-to"})
def test_related_to(cal):
    lost = _differences(cal, "child.ics", "related-to.ics")
    assert not lost, f"RELATED-TO (PARENT and SIBLING) did not survive: {describe_differences(lost)}"


@check("caldav/preservation/valarm", clause="RFC 5545 §3.6.6, RFC 4791 §5.3.2", level="SHOULD", requires=CALDAV)
def test_valarm(cal):
    data, got = _stored(cal, "alarm.ics", "valarm.ics")
    alarms = Calendar.from_ical(got).walk("VALARM")
    assert len(alarms) == 2, f"an event with two VALARMs came back with {len(alarms)}"
    lost = compare_icalendar(data, got)
    assert not lost, f"the alarms did not come back the same: {describe_differences(lost)}"


@check("caldav/preservation/non-ascii-long-lines", clause="RFC 5545 §3.1, RFC 4791 §5.3.2", level="MUST",
       requires=CALDAV)
def test_non_ascii_long_lines(cal):
    lost = _differences(cal, "long.ics", "long-lines.ics")
    assert not lost, ("long folded lines of multi-byte UTF-8 text (Greek, Japanese, emoji) did not come back "
                      f"intact: {describe_differences(lost)}")


@check("caldav/preservation/folding-75-octets", clause="RFC 5545 §3.1", level="SHOULD", requires=CALDAV)
def test_folding_75_octets(cal):
    _, got = _stored(cal, "long.ics", "long-lines.ics")
    lines = got.split(b"\r\n")
    long_lines = [i + 1 for i, line in enumerate(lines) if len(line) > 75]
    assert not long_lines, (f"lines of iCalendar SHOULD NOT be longer than 75 octets (fold them); GET returned "
                            f"{len(long_lines)} longer lines (line numbers {long_lines[:5]})")
    try:
        got.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"after unfolding, the stored object is not valid UTF-8: {exc}") from None


@check("caldav/preservation/custom-timezone", clause="RFC 5545 §3.6.5, §3.2.19, RFC 4791 §5.3.2", level="SHOULD",
       requires=CALDAV, peer={"caldav-server-tester": "save-load.event.timezone"})
def test_custom_timezone(cal):
    data, got = _stored(cal, "tz.ics", "custom-timezone.ics")
    zones = [str(z.get("TZID")) for z in Calendar.from_ical(got).walk("VTIMEZONE")]
    assert "Overstap Standard Time" in zones, (f"the VTIMEZONE 'Overstap Standard Time' (not an IANA name, "
                                               f"Outlook-style) was dropped; VTIMEZONEs now: {zones}")
    lost = compare_icalendar(data, got)
    assert not lost, f"times in the custom time zone changed: {describe_differences(lost)}"


@check("caldav/preservation/uid-special-characters", clause="RFC 5545 §3.8.4.7, RFC 4791 §5.3.2", level="MUST",
       requires=CALDAV)
def test_uid_special_characters(cal):
    lost = _differences(cal, "special-uid.ics", "uid-special-characters.ics")
    assert not lost, ("an event whose UID holds a space, '/', '+' and '@' did not come back the same: "
                      f"{describe_differences(lost)}")


@check("caldav/preservation/encoded-resource-name", clause="RFC 3986 §2.1, RFC 4918 §8.3, RFC 4791 §5.3.2",
       level="MUST", requires=CALDAV, peer={"caldav-server-tester": "url.encode-at"})
def test_encoded_resource_name(cal):
    name = "overstap a+b@example.org.ics"  # the UID's characters, minus '/', as a resource name
    encoded = quote(name, safe="")
    data = payload("uid-special-characters.ics")
    created = cal.put(encoded, data, ICAL_TYPE)
    assert created.status_code == 201, f"PUT to the percent-encoded name {encoded} answered {created.status_code}"
    listing = multistatus(cal.propfind("", depth="1", body=propfind_body(d("getetag"))), "PROPFIND Depth 1")
    members = [r for r in listing if normalise_href(r.href).rstrip("/") != urlsplit(cal.base).path.rstrip("/")
               and unquote(urlsplit(cal.base).path) != normalise_href(r.href)]
    names = [normalise_href(r.href).rsplit("/", 1)[-1] for r in members]
    assert name in names, f"the calendar lists {names} instead of the member {name!r} that was PUT"
    href = members[names.index(name)].href
    got = cal.get(href if "://" in href else "{0.scheme}://{0.netloc}".format(urlsplit(cal.base)) + href)
    assert got.status_code == 200, f"GET by the href the server listed ({href}) answered {got.status_code}"
    lost = compare_icalendar(data, got.content)
    assert not lost, f"GET by the listed href returned different data: {describe_differences(lost)}"
