"""Calendaring REPORTs: calendar-query (RFC 4791 §7.8) with comp-filter, time-range on recurring
events with EXDATE and overrides (§9.9, RFC 5545 §3.8.5), VTODO time ranges (§9.9), text-match
(§9.7.5), is-not-defined (§9.7.4); calendar-data expand (§9.6.5) and limit-recurrence-set (§9.6.6);
calendar-multiget (§7.9); free-busy-query (§7.10)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, unquote

from icalendar import Calendar

from conformance.compare import compare_icalendar
from harness.checks import check
from suites.caldav.helpers import (CALDAV as CALDAV_NS, ICAL_TYPE, calendar_data, calendar_query, components,
                                   d, describe_differences, is_utc_property, matched_paths, multistatus, payload,
                                   report, time_range_query, utc)

CALDAV = "caldav"
WEEKLY = "weekly.ics"


def _path(cal, name: str) -> str:
    return unquote(urlsplit(cal.url(name)).path)


def _matches(cal, body: str, what: str) -> set[str]:
    return matched_paths(multistatus(report(cal, body), what))


def _weekly(cal) -> None:
    created = cal.put(WEEKLY, payload("recurring-overrides.ics"), ICAL_TYPE)
    assert created.status_code == 201, f"PUT of the recurring event answered {created.status_code}"


def _assert_range(cal, start: str, end: str, expected: bool, why: str) -> None:
    found = _path(cal, WEEKLY) in _matches(cal, time_range_query("VEVENT", start, end),
                                           f"calendar-query {start}/{end}")
    assert found == expected, (f"calendar-query with time-range {start}..{end} "
                               f"{'did not match' if expected else 'matched'} the recurring event: {why}")


@check("caldav/queries/time-range-event", clause="RFC 4791 §7.8, §9.9", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.time-range.event"})
def test_time_range_event(cal):
    cal.put("event.ics", payload("freebusy-events.ics"), ICAL_TYPE)  # 2026-05-04 09:00-10:00Z
    inside = _matches(cal, time_range_query("VEVENT", "20260504T093000Z", "20260504T120000Z"), "calendar-query")
    assert _path(cal, "event.ics") in inside, "an event 09:00-10:00Z did not match the time-range 09:30-12:00Z"
    after = _matches(cal, time_range_query("VEVENT", "20260504T100000Z", "20260504T120000Z"), "calendar-query")
    assert _path(cal, "event.ics") not in after, ("an event ending at 10:00Z matched the time-range starting at "
                                                  "10:00Z (the end is not inclusive)")


@check("caldav/queries/time-range-exdate", clause="RFC 4791 §9.9, RFC 5545 §3.8.5.1", level="MUST",
       requires=CALDAV, peer={"caldav-server-tester": "search.recurrences.includes-implicit.event"})
def test_time_range_exdate(cal):
    _weekly(cal)
    _assert_range(cal, "20260309T000000Z", "20260310T000000Z", True,
                  "the regular second instance (2026-03-09 10:00Z) lies in this range")
    _assert_range(cal, "20260316T000000Z", "20260317T000000Z", False,
                  "the only instance in this range (2026-03-16) is excluded by EXDATE")


@check("caldav/queries/time-range-override-moved-in", clause="RFC 4791 §9.9, RFC 5545 §3.8.4.4", level="MUST",
       requires=CALDAV, peer={"caldav-server-tester": "save-load.event.recurrences.exception.reschedule"})
def test_time_range_override_moved_in(cal):
    _weekly(cal)
    _assert_range(cal, "20260401T000000Z", "20260402T000000Z", True,
                  "the 2026-03-23 instance was overridden to Wednesday 2026-04-01 15:00Z")


@check("caldav/queries/time-range-override-vacated", clause="RFC 4791 §9.9, RFC 5545 §3.8.4.4", level="MUST",
       requires=CALDAV)
def test_time_range_override_vacated(cal):
    _weekly(cal)
    _assert_range(cal, "20260309T000000Z", "20260310T000000Z", True,
                  "the regular second instance (2026-03-09 10:00Z) lies in this range")
    _assert_range(cal, "20260323T000000Z", "20260324T000000Z", False,
                  "the 2026-03-23 instance was moved away to 2026-04-01 by an override, so nothing is left that day")


@check("caldav/queries/time-range-dst", clause="RFC 4791 §9.9, RFC 5545 §3.3.5", level="MUST", requires=CALDAV)
def test_time_range_dst(cal):
    _weekly(cal)
    _assert_range(cal, "20260406T090000Z", "20260406T093000Z", True,
                  "after the switch to summer time (2026-03-29) 11:00 Europe/Amsterdam is 09:00Z")
    _assert_range(cal, "20260406T101500Z", "20260406T104500Z", False,
                  "the 2026-04-06 instance is 09:00-10:00Z (11:00-12:00 CEST); 10:00-11:00Z would be winter time")


@check("caldav/queries/time-range-todo", clause="RFC 4791 §9.9", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.time-range.todo"})
def test_time_range_todo(cal):
    cal.put("todo.ics", payload("todo.ics"), ICAL_TYPE)  # DTSTART 2026-06-01 09:00Z, DUE 2026-06-03 17:00Z
    inside = _matches(cal, time_range_query("VTODO", "20260602T000000Z", "20260602T120000Z"), "calendar-query")
    assert _path(cal, "todo.ics") in inside, "a VTODO running 06-01..06-03 did not match a range on 06-02"
    outside = _matches(cal, time_range_query("VTODO", "20260610T000000Z", "20260611T000000Z"), "calendar-query")
    assert _path(cal, "todo.ics") not in outside, "a VTODO due 06-03 matched a time-range on 06-10"


def _two_events(cal):
    cal.put("review.ics", payload("event-simple.ics"), ICAL_TYPE)  # SUMMARY Overstap Quarterly Review, LOCATION
    cal.put("busy.ics", payload("freebusy-events.ics"), ICAL_TYPE)  # SUMMARY Busy hour, no LOCATION


@check("caldav/queries/text-match", clause="RFC 4791 §9.7.5", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.text.case-insensitive"})
def test_text_match(cal):
    _two_events(cal)
    body = calendar_query('<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">'
                          '<C:text-match>quarterly</C:text-match></C:prop-filter></C:comp-filter>')
    found = _matches(cal, body, "calendar-query text-match")
    assert found == {_path(cal, "review.ics")}, (
        f"text-match 'quarterly' (default collation i;ascii-casemap: case-insensitive substring) must match only "
        f"the event whose SUMMARY is 'Overstap Quarterly Review'; matched {sorted(found)}")


@check("caldav/queries/text-match-negate", clause="RFC 4791 §9.7.5", level="MUST", requires=CALDAV)
def test_text_match_negate(cal):
    _two_events(cal)
    body = calendar_query('<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">'
                          '<C:text-match negate-condition="yes">Quarterly</C:text-match></C:prop-filter>'
                          '</C:comp-filter>')
    found = _matches(cal, body, "calendar-query text-match negate-condition")
    assert found == {_path(cal, "busy.ics")}, (
        f"text-match negate-condition='yes' 'Quarterly' must match only the event whose SUMMARY lacks it "
        f"('Busy hour'); matched {sorted(found)}")


@check("caldav/queries/is-not-defined", clause="RFC 4791 §9.7.4", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.is-not-defined"})
def test_is_not_defined(cal):
    _two_events(cal)
    body = calendar_query('<C:comp-filter name="VEVENT"><C:prop-filter name="LOCATION"><C:is-not-defined/>'
                          '</C:prop-filter></C:comp-filter>')
    found = _matches(cal, body, "calendar-query is-not-defined")
    assert found == {_path(cal, "busy.ics")}, (
        f"prop-filter LOCATION is-not-defined must match only the event without LOCATION; matched {sorted(found)}")


@check("caldav/queries/comp-filter-type", clause="RFC 4791 §9.7.1", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.comp-type"})
def test_comp_filter_type(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    cal.put("todo.ics", payload("todo.ics"), ICAL_TYPE)
    found = _matches(cal, calendar_query('<C:comp-filter name="VTODO"/>'), "calendar-query comp-filter VTODO")
    assert found == {_path(cal, "todo.ics")}, f"comp-filter VTODO must match only the task; matched {sorted(found)}"


EXPAND_START, EXPAND_END = "20260315T000000Z", "20260408T000000Z"
EXPECTED_INSTANCES = {datetime(2026, 3, 23, 10, tzinfo=timezone.utc), datetime(2026, 3, 30, 9, tzinfo=timezone.utc),
                      datetime(2026, 4, 6, 9, tzinfo=timezone.utc)}


def _expanded(cal) -> list:
    _weekly(cal)
    data = f'<C:calendar-data><C:expand start="{EXPAND_START}" end="{EXPAND_END}"/></C:calendar-data>'
    ms = multistatus(report(cal, time_range_query("VEVENT", EXPAND_START, EXPAND_END, data=data)),
                     "calendar-query with expand")
    bodies = calendar_data(ms)
    body = bodies.get(_path(cal, WEEKLY))
    assert body is not None, f"the expanded query returned no calendar-data for the recurring event ({sorted(bodies)})"
    return body


@check("caldav/queries/expand-instances", clause="RFC 4791 §9.6.5", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.recurrences.expanded.exception"})
def test_expand_instances(cal):
    body = _expanded(cal)
    events = components(body, "VEVENT")
    got = set()
    for event in events:
        if "RECURRENCE-ID" in event:
            got.add(utc(event["RECURRENCE-ID"].dt))
    show = sorted(x.strftime("%Y%m%dT%H%M%SZ") for x in got)
    assert got == EXPECTED_INSTANCES and len(events) == 3, (
        f"expanding {EXPAND_START}..{EXPAND_END} must give exactly the instances 20260323T100000Z (overridden, now "
        f"on 04-01), 20260330T090000Z and 20260406T090000Z (03-16 is EXDATE'd); got {len(events)} VEVENTs with "
        f"RECURRENCE-IDs {show}")
    moved = [e for e in events if "RECURRENCE-ID" in e and utc(e["RECURRENCE-ID"].dt) == min(EXPECTED_INSTANCES)]
    assert moved and utc(moved[0]["DTSTART"].dt) == datetime(2026, 4, 1, 15, tzinfo=timezone.utc), \
        "the overridden instance must carry the override's DTSTART (2026-04-01 15:00Z)"


@check("caldav/queries/expand-utc", clause="RFC 4791 §9.6.5", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "search.recurrences.expanded.event"})
def test_expand_utc(cal):
    body = _expanded(cal)
    calendar = Calendar.from_ical(body)
    problems = []
    if calendar.walk("VTIMEZONE"):
        problems.append("a VTIMEZONE is included")
    for event in calendar.walk("VEVENT"):
        for name in ("RRULE", "RDATE", "EXDATE", "EXRULE"):
            if name in event:
                problems.append(f"{name} is present")
        if "RECURRENCE-ID" not in event:
            problems.append("an instance has no RECURRENCE-ID")
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            if name in event and not is_utc_property(event[name]):
                problems.append(f"{name}:{event[name].to_ical().decode()} is not in UTC")
    assert not problems, ("expanded instances must use UTC date-times, carry RECURRENCE-ID and no recurrence "
                          "properties or VTIMEZONE: " + "; ".join(sorted(set(problems))))


@check("caldav/queries/limit-recurrence-set", clause="RFC 4791 §9.6.6", level="MAY", requires=CALDAV)
def test_limit_recurrence_set(cal):
    _weekly(cal)
    start, end = "20260330T000000Z", "20260408T000000Z"
    data = f'<C:calendar-data><C:limit-recurrence-set start="{start}" end="{end}"/></C:calendar-data>'
    ms = multistatus(report(cal, time_range_query("VEVENT", start, end, data=data)),
                     "calendar-query with limit-recurrence-set")
    body = calendar_data(ms).get(_path(cal, WEEKLY))
    assert body is not None, "the query returned no calendar-data for the recurring event"
    rids = {utc(e["RECURRENCE-ID"].dt) for e in components(body, "VEVENT") if "RECURRENCE-ID" in e}
    masters = [e for e in components(body, "VEVENT") if "RECURRENCE-ID" not in e]
    assert masters, "limit-recurrence-set must still return the master component"
    assert rids == {datetime(2026, 3, 23, 10, tzinfo=timezone.utc)}, (
        f"limit-recurrence-set {start}..{end} must keep only the override that now falls in the range (moved to "
        f"04-01) and drop the 04-13 override; got overrides "
        f"{sorted(x.strftime('%Y%m%dT%H%M%SZ') for x in rids)}")


def _multiget(cal, names):
    hrefs = "".join(f"<D:href>{urlsplit(cal.url(n)).path}</D:href>" for n in names)
    body = ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="{CALDAV_NS}"><D:prop><D:getetag/><C:calendar-data/>'
            f'</D:prop>{hrefs}</C:calendar-multiget>')
    return multistatus(report(cal, body), "calendar-multiget")


@check("caldav/queries/multiget", clause="RFC 4791 §7.9", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "save-load.get-by-url"})
def test_multiget(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    cal.put("todo.ics", payload("todo.ics"), ICAL_TYPE)
    ms = _multiget(cal, ["event.ics", "todo.ics"])
    bodies = calendar_data(ms)
    for name, fixture in (("event.ics", "event-simple.ics"), ("todo.ics", "todo.ics")):
        body = bodies.get(_path(cal, name))
        assert body is not None, f"calendar-multiget returned no calendar-data for {name} ({sorted(bodies)})"
        differences = compare_icalendar(payload(fixture), body)
        assert not differences, f"calendar-multiget data of {name} differs: {describe_differences(differences)}"
        etag = cal.get(name).headers.get("ETag")
        got = ms.find(_path(cal, name)).prop_text(d("getetag"))
        assert got == etag, f"calendar-multiget reports getetag {got!r} for {name}, GET answers ETag {etag!r}"


@check("caldav/queries/multiget-missing-href", clause="RFC 4791 §7.9", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "non-existing-raises-not-found.object"})
def test_multiget_missing(cal):
    cal.put("event.ics", payload("event-simple.ics"), ICAL_TYPE)
    ms = _multiget(cal, ["event.ics", "missing.ics"])
    missing = ms.find(_path(cal, "missing.ics"))
    assert missing is not None, ("calendar-multiget must return a DAV:response for every href asked for; the one "
                                 "for a resource that does not exist is missing")
    status = missing.status or next((p.status for p in missing.propstats), None)
    assert status == 404, (f"the DAV:response for a href that does not exist must carry the error status (404); "
                           f"got {status}")


def _busy_periods(response) -> list[tuple[datetime, datetime]]:
    periods = []
    for fb in Calendar.from_ical(response.content).walk("VFREEBUSY"):
        props = fb.get("FREEBUSY", [])
        for prop in props if isinstance(props, list) else [props]:
            if prop.params.get("FBTYPE", "BUSY").upper() == "FREE":
                continue
            values = prop.dt if isinstance(prop.dt, list) else [prop.dt]
            for value in values:
                start, end = value
                if isinstance(end, timedelta):
                    end = start + end
                periods.append((utc(start), utc(end)))
    return periods


def _free_busy(cal):
    cal.put("busy.ics", payload("freebusy-events.ics"), ICAL_TYPE)
    cal.put("transparent.ics", payload("freebusy-transparent.ics"), ICAL_TYPE)
    body = ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<C:free-busy-query xmlns:C="{CALDAV_NS}"><C:time-range start="20260504T000000Z" '
            'end="20260505T000000Z"/></C:free-busy-query>')
    response = report(cal, body)
    assert response.status_code == 200, f"free-busy-query must answer 200 with a VFREEBUSY, got " \
                                        f"{response.status_code}"
    try:
        return response, _busy_periods(response)
    except ValueError as exc:
        raise AssertionError(f"the free-busy-query answer is not iCalendar: {exc}") from None


@check("caldav/queries/free-busy-query", clause="RFC 4791 §7.10", level="MUST", requires=CALDAV)
def test_free_busy_query(cal):
    response, periods = _free_busy(cal)
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert ctype == "text/calendar", f"free-busy-query answered Content-Type {ctype!r}, not text/calendar"
    start, end = datetime(2026, 5, 4, 9, tzinfo=timezone.utc), datetime(2026, 5, 4, 10, tzinfo=timezone.utc)
    assert any(s <= start and e >= end for s, e in periods), (
        f"the VFREEBUSY must show 2026-05-04 09:00-10:00Z busy (an opaque event); busy periods: "
        f"{[(s.isoformat(), e.isoformat()) for s, e in periods]}")


@check("caldav/queries/free-busy-transparent", clause="RFC 4791 §7.10", level="MUST", requires=CALDAV)
def test_free_busy_transparent(cal):
    _, periods = _free_busy(cal)
    start, end = datetime(2026, 5, 4, 12, tzinfo=timezone.utc), datetime(2026, 5, 4, 13, tzinfo=timezone.utc)
    assert periods, "the VFREEBUSY shows no busy time at all (the opaque event 09:00-10:00Z is missing)"
    assert not any(s < end and e > start for s, e in periods), (
        f"a TRANSP:TRANSPARENT event (12:00-13:00Z) must not be reported busy; busy periods: "
        f"{[(s.isoformat(), e.isoformat()) for s, e in periods]}")
