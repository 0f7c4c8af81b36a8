"""Change tracking on calendars: the DAV:sync-collection REPORT (RFC 6578 §3.2-§3.8: initial sync,
changes, deletions, invalid tokens), the DAV:sync-token property (RFC 6578 §4), and the CalendarServer
getctag property (http://calendarserver.org/ns/, caldav-ctag-02: de-facto, not an IETF standard)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from harness.checks import check, precondition_failed
from suites.caldav.helpers import CS, ICAL_TYPE, XML_TYPE, d, multistatus, payload, preconditions, props_of

CALDAV = "caldav"
SYNC = "webdav-sync"
NEVER_ISSUED = "http://example.invalid/overstap/never-issued-token"


def _sync(cal, token: str = ""):
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<D:sync-collection xmlns:D="DAV:">'
            f'<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>'
            '<D:prop><D:getetag/></D:prop></D:sync-collection>')
    return cal.request("REPORT", "", headers={"Content-Type": XML_TYPE, "Depth": "0"}, body=body)


def _path(cal, name: str) -> str:
    return unquote(urlsplit(cal.url(name)).path)


def _initial(cal):
    cal.put("a.ics", payload("event-simple.ics"), ICAL_TYPE)
    cal.put("b.ics", payload("todo.ics"), ICAL_TYPE)
    ms = multistatus(_sync(cal), "the initial sync-collection REPORT")
    assert ms.sync_token, "the sync-collection answer must end with a DAV:sync-token"
    return ms


@check("caldav/sync/initial", clause="RFC 6578 §3.2, §3.8", level="MUST", requires=CALDAV, optional=SYNC,
       peer={"caldav-server-tester": "sync-token"})
def test_initial(cal):
    ms = _initial(cal)
    for name in ("a.ics", "b.ics"):
        member = ms.find(_path(cal, name))
        assert member is not None, (f"an initial sync-collection (empty token) must list every member; {name} is "
                                    f"missing (listed: {[r.href for r in ms]})")
        assert member.prop_text(d("getetag")), f"the initial sync lists {name} without the getetag asked for"


@check("caldav/sync/after-change", clause="RFC 6578 §3.5.1", level="MUST", requires=CALDAV, optional=SYNC,
       peer={"caldav-server-tester": "sync-token"})
def test_after_change(cal):
    token = _initial(cal).sync_token
    cal.put("a.ics", payload("event-simple.ics").replace(b"Quarterly Review", b"Quarterly Review (moved)"),
            ICAL_TYPE)
    cal.put("c.ics", payload("journal.ics").replace(b"VJOURNAL", b"VJOURNAL"), ICAL_TYPE)
    ms = multistatus(_sync(cal, token), "sync-collection with the previous token")
    changed = {r.path for r in ms if r.status in (None, 200)}
    missing = {_path(cal, "a.ics"), _path(cal, "c.ics")} - changed
    if _path(cal, "c.ics") in missing and cal.get("c.ics").status_code == 404:
        missing.discard(_path(cal, "c.ics"))  # the server refused the VJOURNAL: nothing new to report
    assert not missing, (f"a sync-collection with the previous token must report the members changed or added "
                         f"since; missing {sorted(missing)} (reported: {sorted(changed)})")
    assert ms.sync_token and ms.sync_token != token, "after changes the server must hand out a new sync-token"


@check("caldav/sync/after-delete", clause="RFC 6578 §3.5.2", level="MUST", requires=CALDAV, optional=SYNC,
       peer={"caldav-server-tester": "sync-token.delete"})
def test_after_delete(cal):
    token = _initial(cal).sync_token
    assert cal.delete("b.ics").status_code in (200, 204), "DELETE of a member failed"
    ms = multistatus(_sync(cal, token), "sync-collection after a deletion")
    gone = ms.find(_path(cal, "b.ics"))
    assert gone is not None, (f"a member deleted since the token must be reported; it is absent (reported: "
                              f"{[r.href for r in ms]})")
    assert gone.status == 404, f"a deleted member must be reported with DAV:status 404, got {gone.status}"


@check("caldav/sync/invalid-token", clause="RFC 6578 §3.2", level="MUST", requires=CALDAV, optional=SYNC,
       peer={"caldav-server-tester": "sync-token.invalid-token"})
def test_invalid_token(cal):
    _initial(cal)
    response = _sync(cal, NEVER_ISSUED)
    found = preconditions(response)
    assert 400 <= response.status_code < 500 and d("valid-sync-token") in found, (
        f"a sync-token the server never issued must be refused with the DAV:valid-sync-token precondition; got "
        f"{response.status_code} with {sorted(found) or 'no DAV:error element'}")


@check("caldav/sync/invalid-token-status", clause="RFC 6578 §3.2, RFC 4918 §16", level="SHOULD", requires=CALDAV,
       optional=SYNC)
def test_invalid_token_status(cal):
    _initial(cal)
    response = _sync(cal, NEVER_ISSUED)
    assert response.status_code in (403, 409), (
        f"a failed precondition (DAV:valid-sync-token) is reported with 403 Forbidden (or 409); got "
        f"{response.status_code} (412 is for failed conditional headers, RFC 9110 §15.5.13)")


@check("caldav/sync/sync-token-property", clause="RFC 6578 §4", level="MUST", requires=CALDAV, optional=SYNC)
def test_sync_token_property(cal):
    report_token = _initial(cal).sync_token
    token = props_of(cal, "", d("sync-token")).prop_text(d("sync-token"))
    assert token, "a collection that supports sync-collection must have the DAV:sync-token property"
    assert token == report_token, (f"with no change in between, the DAV:sync-token property ({token}) differs from "
                                   f"the token the report handed out ({report_token})")


@check("caldav/sync/report-advertised", clause="RFC 6578 §3.1, RFC 3253 §3.1.5", level="SHOULD", requires=CALDAV,
       optional=SYNC)
def test_report_advertised(cal):
    element = props_of(cal, "", d("supported-report-set")).prop(d("supported-report-set"))
    reports = {child.tag for report in element.iter(d("report")) for child in report} if element is not None else set()
    assert d("sync-collection") in reports, (f"DAV:supported-report-set of the calendar should list "
                                             f"DAV:sync-collection; listed {sorted(reports)}")


@check("caldav/sync/getctag-changes", clause="CalendarServer caldav-ctag-02 §4.1 (de-facto, not an RFC)",
       level="MAY", requires=CALDAV)
def test_getctag_changes(cal):
    name = f"{{{CS}}}getctag"
    before = props_of(cal, "", name).prop_text(name)
    if before is None:
        precondition_failed("the calendar has no CS:getctag (a de-facto CalendarServer extension, not required)")
    cal.put("a.ics", payload("event-simple.ics"), ICAL_TYPE)
    after = props_of(cal, "", name).prop_text(name)
    assert after and after != before, (f"CS:getctag must change whenever a member changes; it was {before!r} "
                                       f"before a PUT and {after!r} after")
