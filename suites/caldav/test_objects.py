"""Calendar object resources: PUT/GET of VEVENT, VTODO, VJOURNAL (RFC 4791 §4.1, §5.3.2), conditional
create with If-None-Match (RFC 9110 §13.1.2), entity tags (RFC 4791 §5.3.4, RFC 4918 §15.6) and the
PUT preconditions of RFC 4791 §5.3.2.1: supported-calendar-data, valid-calendar-data,
valid-calendar-object-resource (one UID, one component type, no METHOD: §4.1) and no-uid-conflict."""

from __future__ import annotations

import pytest

from conformance.compare import compare_icalendar
from conformance.dav import is_strong_etag
from harness.checks import check, precondition_failed
from suites.caldav.helpers import (ICAL_TYPE, assert_refused, c, d, describe_differences, payload, preconditions,
                                   props_of)

CALDAV = "caldav"


def _round_trip(cal, name: str, fixture: str):
    data = payload(fixture)
    created = cal.put(name, data, ICAL_TYPE)
    assert created.status_code == 201, f"PUT of a new {fixture} answered {created.status_code} {created.reason}"
    got = cal.get(name)
    assert got.status_code == 200, f"GET of the new calendar object answered {got.status_code}"
    differences = compare_icalendar(data, got.content)
    assert not differences, f"{fixture} did not read back the same: {describe_differences(differences)}"
    return got


@check("caldav/objects/put-vevent", clause="RFC 4791 §5.3.2, §4.1", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save-load.event"})
def test_put_vevent(cal):
    _round_trip(cal, "event.ics", "event-simple.ics")


@check("caldav/objects/put-vtodo", clause="RFC 4791 §5.3.2, §4.1", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save-load.todo"})
def test_put_vtodo(cal):
    _round_trip(cal, "todo.ics", "todo.ics")


@check("caldav/objects/put-vjournal", clause="RFC 4791 §5.3.2, §5.2.3", level="MAY", requires=CALDAV,
       peer={"caldav-server-tester": "save-load.journal"})
def test_put_vjournal(cal):
    element = props_of(cal, "", c("supported-calendar-component-set")).prop(c("supported-calendar-component-set"))
    if element is not None and "VJOURNAL" not in {comp.get("name") for comp in element.findall(c("comp"))}:
        precondition_failed("the calendar's supported-calendar-component-set does not list VJOURNAL")
    created = cal.put("journal.ics", payload("journal.ics"), ICAL_TYPE)
    if created.status_code in (403, 409) and c("supported-calendar-component") in preconditions(created):
        precondition_failed("the server does not support VJOURNAL (CALDAV:supported-calendar-component)")
    assert created.status_code == 201, (f"PUT of a VJOURNAL answered {created.status_code} although the component "
                                        f"set does not exclude VJOURNAL")
    got = cal.get("journal.ics")
    differences = compare_icalendar(payload("journal.ics"), got.content)
    assert not differences, f"the VJOURNAL did not read back the same: {describe_differences(differences)}"


@check("caldav/objects/if-none-match-create", clause="RFC 9110 §13.1.2, RFC 4791 §5.3.2", level="MUST",
       requires=CALDAV, peer={"caldav-server-tester": "save.if-none-match"})
def test_if_none_match_create(cal):
    response = cal.put("new.ics", payload("event-simple.ics"), ICAL_TYPE, headers={"If-None-Match": "*"})
    assert response.status_code == 201, (f"PUT with If-None-Match: * to a free URL must create the object (201), "
                                         f"got {response.status_code}")


@check("caldav/objects/if-none-match-existing", clause="RFC 9110 §13.1.2, RFC 4791 §5.3.2", level="MUST",
       requires=CALDAV, peer={"caldav-server-tester": "save.if-none-match"})
def test_if_none_match_existing(cal):
    first = cal.put("taken.ics", payload("event-simple.ics"), ICAL_TYPE)
    assert first.status_code == 201, f"the first PUT answered {first.status_code}"
    second = cal.put("taken.ics", payload("event-simple.ics").replace(b"Quarterly Review", b"Overwritten!"),
                     ICAL_TYPE, headers={"If-None-Match": "*"})
    assert second.status_code == 412, (f"PUT with If-None-Match: * onto an existing object must answer 412 "
                                       f"Precondition Failed, got {second.status_code}")
    assert b"Overwritten!" not in cal.get("taken.ics").content, "the refused conditional PUT changed the object"


@check("caldav/objects/get-etag", clause="RFC 4791 §5.3.4", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save.etag"})
def test_get_etag(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    got = cal.get("event.ics")
    etag = got.headers.get("ETag")
    assert etag and is_strong_etag(etag), (f"a GET of a calendar object resource MUST carry a strong ETag; got "
                                           f"{etag!r}")


@check("caldav/objects/getetag-matches-etag", clause="RFC 4918 §15.6, RFC 4791 §5.3.4", level="MUST",
       requires=CALDAV)
def test_getetag_matches(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    etag = cal.get("event.ics").headers.get("ETag")
    prop = props_of(cal, "event.ics", d("getetag")).prop_text(d("getetag"))
    assert etag and prop == etag, f"DAV:getetag is {prop!r} but GET answered ETag {etag!r}; they must be the same"


@check("caldav/objects/put-etag-means-unchanged", clause="RFC 4791 §5.3.4", level="MUST", requires=CALDAV)
def test_put_etag_means_unchanged(cal):
    data = payload("event-simple.ics")
    created = cal.put("event.ics", data, ICAL_TYPE)
    etag = created.headers.get("ETag")
    if not etag or not is_strong_etag(etag):
        pytest.skip("not applicable: the PUT answered no strong ETag, and only a strong one promises that "
                    "the stored object is the one sent (caldav/objects/put-etag judges the missing ETag)")
    got = cal.get("event.ics")
    assert got.content == data, (
        f"PUT answered the strong ETag {etag} although the stored object differs from the PUT body "
        f"({len(data)} bytes sent, {len(got.content)} stored): servers MUST NOT return a strong ETag on PUT "
        f"when they changed the data")
    assert got.headers.get("ETag") == etag, f"PUT answered ETag {etag} but the GET right after answered " \
                                            f"{got.headers.get('ETag')}"


@check("caldav/objects/put-etag", clause="RFC 4791 §5.3.4", level="SHOULD", requires=CALDAV)
def test_put_etag(cal):
    data = payload("event-simple.ics")
    created = cal.put("event.ics", data, ICAL_TYPE)
    got = cal.get("event.ics")
    if got.content != data:
        pytest.skip("not applicable: the server rewrote the object, so it must not return a strong ETag on PUT "
                    "(caldav/objects/put-etag-means-unchanged judges that)")
    assert created.headers.get("ETag"), ("the object was stored octet for octet, so the PUT response should carry "
                                         "its strong ETag (clients then need no extra GET)")


@check("caldav/objects/no-uid-conflict", clause="RFC 4791 §5.3.2.1", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save.no-uid-conflict"})
def test_no_uid_conflict(cal):
    first = cal.put("one.ics", payload("event-simple.ics"), ICAL_TYPE)
    assert first.status_code == 201, f"the first PUT answered {first.status_code}"
    second = cal.put("two.ics", payload("event-simple.ics"), ICAL_TYPE)
    assert_refused(cal, "two.ics", second, "a second resource with a UID already in use in the calendar "
                                           "(CALDAV:no-uid-conflict)")


@check("caldav/objects/no-uid-conflict-precondition", clause="RFC 4791 §5.3.2.1, RFC 4918 §16", level="SHOULD",
       requires=CALDAV, peer={"caldav-server-tester": "save.no-uid-conflict"})
def test_no_uid_conflict_precondition(cal):
    cal.put("one.ics", payload("event-simple.ics"), ICAL_TYPE)
    second = cal.put("two.ics", payload("event-simple.ics"), ICAL_TYPE)
    assert second.status_code in (403, 409), f"the duplicate UID should be refused with 403 or 409, got " \
                                             f"{second.status_code}"
    found = preconditions(second)
    assert c("no-uid-conflict") in found, (f"the refusal should carry CALDAV:no-uid-conflict in a DAV:error body; "
                                           f"got {sorted(found) or 'no DAV:error element'}")


@check("caldav/objects/overwrite-different-uid", clause="RFC 4791 §5.3.2.1", level="MUST", requires=CALDAV)
def test_overwrite_different_uid(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    response = cal.put("event.ics", payload("event-other-uid.ics"), ICAL_TYPE)
    assert 400 <= response.status_code < 500, (
        f"overwriting a calendar object with one of a different UID must be refused (CALDAV:no-uid-conflict); "
        f"the PUT answered {response.status_code}")
    assert b"overstap-other-uid@" not in cal.get("event.ics").content, \
        "the refused PUT replaced the object with the one of the other UID anyway"


@check("caldav/objects/valid-calendar-data", clause="RFC 4791 §5.3.2.1", level="MUST", requires=CALDAV)
def test_valid_calendar_data(cal):
    response = cal.put("broken.ics", payload("invalid-not-icalendar.ics"), ICAL_TYPE)
    assert_refused(cal, "broken.ics", response, "a PUT of iCalendar that does not parse (unbalanced BEGIN/END, "
                                                "a DTSTART that is no date; CALDAV:valid-calendar-data)")


@check("caldav/objects/valid-calendar-data-precondition", clause="RFC 4791 §5.3.2.1, RFC 4918 §16",
       level="SHOULD", requires=CALDAV)
def test_valid_calendar_data_precondition(cal):
    response = cal.put("broken.ics", payload("invalid-not-icalendar.ics"), ICAL_TYPE)
    found = preconditions(response)
    assert response.status_code in (403, 409) and c("valid-calendar-data") in found, (
        f"invalid iCalendar should be refused with 403 and CALDAV:valid-calendar-data in a DAV:error body; got "
        f"{response.status_code} with {sorted(found) or 'no DAV:error element'}")


@check("caldav/objects/supported-calendar-data", clause="RFC 4791 §5.3.2.1", level="MUST", requires=CALDAV)
def test_supported_calendar_data(cal):
    response = cal.put("contact.vcf", payload("contact.vcf"), "text/vcard")
    assert_refused(cal, "contact.vcf", response, "a vCard PUT into a calendar collection "
                                                 "(CALDAV:supported-calendar-data: only iCalendar is stored there)")


@check("caldav/objects/one-uid-per-resource", clause="RFC 4791 §4.1, §5.3.2.1", level="MUST", requires=CALDAV)
def test_one_uid_per_resource(cal):
    response = cal.put("two.ics", payload("two-uids.ics"), ICAL_TYPE)
    assert_refused(cal, "two.ics", response, "a PUT of two events with different UIDs in one resource (one UID "
                                             "per calendar object resource, CALDAV:valid-calendar-object-resource)")


@check("caldav/objects/one-component-type", clause="RFC 4791 §4.1, §5.3.2.1", level="MUST", requires=CALDAV)
def test_one_component_type(cal):
    response = cal.put("mixed.ics", payload("mixed-components.ics"), ICAL_TYPE)
    assert_refused(cal, "mixed.ics", response, "a PUT of a VEVENT and a VTODO in one resource (one component type "
                                               "per calendar object resource, CALDAV:valid-calendar-object-resource)")


@check("caldav/objects/no-method", clause="RFC 4791 §4.1, §5.3.2.1", level="MUST", requires=CALDAV)
def test_no_method(cal):
    response = cal.put("invite.ics", payload("method-request.ics"), ICAL_TYPE)
    if response.status_code >= 400:
        return  # refused: CALDAV:valid-calendar-object-resource
    stored = cal.get("invite.ics").content
    assert b"\nMETHOD:" not in stored.replace(b"\r\n", b"\n"), (
        f"calendar object resources must not carry METHOD; the server accepted a PUT with METHOD:REQUEST "
        f"({response.status_code}) and stores it with METHOD")


@check("caldav/objects/get-content-type", clause="RFC 4791 §4.1, RFC 5545 §8.1", level="SHOULD", requires=CALDAV)
def test_get_content_type(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    got = cal.get("event.ics")
    ctype = got.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert ctype == "text/calendar", f"GET of a calendar object answered Content-Type {ctype!r}, not text/calendar"


@check("caldav/objects/delete-object", clause="RFC 4918 §9.6", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save-load.reuse-deleted-uid"})
def test_delete_object(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    response = cal.delete("event.ics")
    assert response.status_code in (200, 204), f"DELETE of a calendar object answered {response.status_code}"
    assert cal.get("event.ics").status_code == 404, "the deleted calendar object can still be read"
    again = cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    assert again.status_code == 201, (f"after DELETE the UID is free again, but a new PUT of it answered "
                                      f"{again.status_code}")
