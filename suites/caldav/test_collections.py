"""Calendar collections: MKCALENDAR (RFC 4791 §5.3.1, §5.3.1.1) with properties in the body,
DAV:resourcetype (§4.2), calendar-description and xml:lang (§5.2.1), calendar-timezone (§5.2.2),
supported-calendar-component-set (§5.2.3) and its enforcement (§5.3.2.1), no calendars inside
calendars (§4.2), supported reports (RFC 3253 §3.1.5, RFC 4791 §7), PROPPATCH and DELETE (RFC 4918 §9.2, §9.6)."""

from __future__ import annotations

from harness.checks import check, precondition_failed
from icalendar import Calendar
from suites.caldav.helpers import (ICAL_TYPE, assert_refused, c, d, mkcalendar, mkcalendar_body, multistatus,
                                   payload, preconditions, propfind_body, props_of)

CALDAV = "caldav"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
AMSTERDAM = Calendar.from_ical(payload("event-simple.ics")).walk("VTIMEZONE")[0]
TIMEZONE_ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Overstap//CalDAV suite//EN\r\n"
                + AMSTERDAM.to_ical().decode() + "END:VCALENDAR\r\n")


@check("caldav/collections/resourcetype-calendar", clause="RFC 4791 §4.2", level="MUST", requires=CALDAV)
def test_resourcetype_calendar(cal):
    found = props_of(cal, "", d("resourcetype"))
    resourcetype = found.prop(d("resourcetype"))
    assert resourcetype is not None, "the new calendar reports no DAV:resourcetype"
    children = {child.tag for child in resourcetype}
    assert {d("collection"), c("calendar")} <= children, (
        f"a calendar collection must report DAV:collection and CALDAV:calendar in DAV:resourcetype; got "
        f"{sorted(children)}")


@check("caldav/collections/mkcalendar-displayname", clause="RFC 4791 §5.3.1", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "create-calendar.set-displayname"})
def test_mkcalendar_displayname(calendar_factory):
    name = "Overstap — Grüße 日本"
    response, client = calendar_factory(body=mkcalendar_body(displayname=name))
    assert response.status_code == 201, f"MKCALENDAR with a DAV:displayname answered {response.status_code}"
    got = props_of(client, "", d("displayname")).prop_text(d("displayname"))
    assert got == name, (f"MKCALENDAR succeeded, so every property in its body was set; DAV:displayname reads "
                         f"back as {got!r} instead of {name!r}")


@check("caldav/collections/mkcalendar-description", clause="RFC 4791 §5.3.1, §5.2.1", level="MUST",
       requires=CALDAV)
def test_mkcalendar_description(calendar_factory):
    text = "Team calendar & <meetings> — ünïcode"
    response, client = calendar_factory(body=mkcalendar_body(description=text))
    assert response.status_code == 201, f"MKCALENDAR with a calendar-description answered {response.status_code}"
    got = props_of(client, "", c("calendar-description")).prop_text(c("calendar-description"))
    assert got == text, f"CALDAV:calendar-description reads back as {got!r} instead of {text!r}"


@check("caldav/collections/description-xml-lang", clause="RFC 4791 §5.2.1", level="MUST", requires=CALDAV)
def test_description_xml_lang(calendar_factory):
    response, client = calendar_factory(body=mkcalendar_body(description="Described in English"))
    assert response.status_code == 201, f"MKCALENDAR with a calendar-description answered {response.status_code}"
    element = props_of(client, "", c("calendar-description")).prop(c("calendar-description"))
    assert element is not None, "CALDAV:calendar-description set by MKCALENDAR is not reported"
    assert element.get(XML_LANG) == "en", (f"servers MUST return the xml:lang attribute set on "
                                           f"calendar-description; got xml:lang={element.get(XML_LANG)!r}")


@check("caldav/collections/mkcalendar-timezone", clause="RFC 4791 §5.3.1, §5.2.2", level="MUST", requires=CALDAV)
def test_mkcalendar_timezone(calendar_factory):
    response, client = calendar_factory(body=mkcalendar_body(timezone_ics=TIMEZONE_ICS))
    assert response.status_code == 201, f"MKCALENDAR with a calendar-timezone answered {response.status_code}"
    text = props_of(client, "", c("calendar-timezone")).prop_text(c("calendar-timezone"))
    assert text, "CALDAV:calendar-timezone set by MKCALENDAR reads back empty or absent"
    try:
        zones = Calendar.from_ical(text).walk("VTIMEZONE")
    except ValueError as exc:
        raise AssertionError(f"CALDAV:calendar-timezone does not hold iCalendar data: {exc}") from None
    assert [str(z["TZID"]) for z in zones] == ["Europe/Amsterdam"], (
        f"calendar-timezone must hold exactly the VTIMEZONE that was set (Europe/Amsterdam); got "
        f"{[str(z.get('TZID')) for z in zones]}")


def _event_only_calendar(calendar_factory):
    response, client = calendar_factory(body=mkcalendar_body(components=("VEVENT",)))
    if response.status_code != 201:
        precondition_failed(f"MKCALENDAR with supported-calendar-component-set VEVENT answered "
                            f"{response.status_code}: the server does not let clients restrict the component set")
    return client


@check("caldav/collections/mkcalendar-component-set", clause="RFC 4791 §5.3.1, §5.2.3", level="MUST",
       requires=CALDAV, peer={"caldav-server-tester": "create-calendar.with-supported-component-types"})
def test_mkcalendar_component_set(calendar_factory):
    client = _event_only_calendar(calendar_factory)
    element = props_of(client, "", c("supported-calendar-component-set")).prop(c("supported-calendar-component-set"))
    assert element is not None, "supported-calendar-component-set set by MKCALENDAR is not reported"
    names = sorted(comp.get("name") for comp in element.findall(c("comp")))
    assert names == ["VEVENT"], f"supported-calendar-component-set was set to VEVENT only but reads back as {names}"


@check("caldav/collections/component-set-enforced", clause="RFC 4791 §5.3.2.1", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save-load.todo.mixed-calendar"})
def test_component_set_enforced(calendar_factory):
    client = _event_only_calendar(calendar_factory)
    response = client.put("task.ics", payload("todo.ics"), ICAL_TYPE)
    assert_refused(client, "task.ics", response, "a VTODO PUT into a calendar whose supported-calendar-component-set "
                                                 "is VEVENT only (CALDAV:supported-calendar-component)")


@check("caldav/collections/component-set-precondition", clause="RFC 4791 §5.3.2.1, RFC 4918 §16", level="SHOULD",
       requires=CALDAV)
def test_component_set_precondition(calendar_factory):
    client = _event_only_calendar(calendar_factory)
    response = client.put("task.ics", payload("todo.ics"), ICAL_TYPE)
    assert response.status_code in (403, 409), (
        f"a VTODO PUT into a VEVENT-only calendar should answer 403 with the precondition; got "
        f"{response.status_code}")
    found = preconditions(response)
    assert c("supported-calendar-component") in found, (
        f"the refusal should name the CALDAV:supported-calendar-component precondition in a DAV:error body; "
        f"got {sorted(found) or 'no DAV:error element'}")


@check("caldav/collections/mkcalendar-existing", clause="RFC 4791 §5.3.1, §5.3.1.1", level="MUST",
       requires=CALDAV, peer={"caldav-server-tester": "create-calendar"})
def test_mkcalendar_existing(cal):
    cal.put("keep.ics", payload("event-simple.ics"), ICAL_TYPE)
    response = mkcalendar(cal, "")
    assert not 200 <= response.status_code < 300, (
        f"MKCALENDAR on a URL that is already a calendar must fail (DAV:resource-must-be-null); it answered "
        f"{response.status_code}")
    if response.status_code != 405:
        assert d("resource-must-be-null") in preconditions(response) or response.status_code in (403, 409), (
            f"MKCALENDAR on an existing calendar answered {response.status_code}: expected 405, or 403/409 with "
            f"DAV:resource-must-be-null")
    assert cal.get("keep.ics").status_code == 200, "MKCALENDAR over an existing calendar lost its contents"


@check("caldav/collections/no-calendar-in-calendar", clause="RFC 4791 §4.2, §5.3.1.1", level="MUST",
       requires=CALDAV)
def test_no_calendar_in_calendar(cal):
    response = mkcalendar(cal, "inner/")
    assert not 200 <= response.status_code < 300, (
        f"calendar collections MUST NOT contain calendar collections (CALDAV:calendar-collection-location-ok); "
        f"MKCALENDAR inside a calendar answered {response.status_code}")


@check("caldav/collections/supported-report-set", clause="RFC 3253 §3.1.5, RFC 4791 §7", level="MUST",
       requires=CALDAV)
def test_supported_report_set(cal):
    element = props_of(cal, "", d("supported-report-set")).prop(d("supported-report-set"))
    assert element is not None, "a calendar collection reports no DAV:supported-report-set"
    reports = {child.tag for report in element.iter(d("report")) for child in report}
    missing = {c("calendar-query"), c("calendar-multiget")} - reports
    assert not missing, (f"DAV:supported-report-set of a calendar must list the reports CalDAV requires; "
                         f"missing {sorted(missing)} (listed: {sorted(reports)})")


@check("caldav/collections/proppatch-displayname", clause="RFC 4918 §9.2, §15.2", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "propfind.displayname"})
def test_proppatch_displayname(cal):
    body = ('<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            '<D:displayname>Renamed by Overstap</D:displayname></D:prop></D:set></D:propertyupdate>')
    response = cal.proppatch("", body)
    assert response.status_code == 207, f"PROPPATCH of DAV:displayname answered {response.status_code}"
    got = props_of(cal, "", d("displayname")).prop_text(d("displayname"))
    assert got == "Renamed by Overstap", f"after PROPPATCH DAV:displayname reads {got!r}"


@check("caldav/collections/delete-calendar", clause="RFC 4918 §9.6", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "delete-calendar"})
def test_delete_calendar(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    response = cal.delete("")
    assert response.status_code in (200, 204), f"DELETE of a calendar answered {response.status_code}"
    assert cal.get("event.ics").status_code == 404, "after DELETE of its calendar, the event can still be read"
    listing = cal.propfind("", depth="0", body=propfind_body(d("resourcetype")))
    gone = listing.status_code == 404
    if listing.status_code == 207:  # some servers answer a multistatus whose only response says 404
        ms = multistatus(listing, "PROPFIND of the deleted calendar")
        gone = all(r.status == 404 or (r.status is None and not r.props_with_status(200)) for r in ms)
    assert gone, f"PROPFIND of a deleted calendar still finds it ({listing.status_code})"
