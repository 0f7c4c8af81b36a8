"""Unit tests for conformance.icalendar (RFC 5545): every rule fires on a bad input, not on a good one."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.files import check_file
from conformance.findings import Finding, Verdict
from conformance.icalendar import text_escaping_problem, validate_icalendar

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "icalendar"

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Amsterdam
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
"""

EVENT = """BEGIN:VEVENT
UID:e1@overstap.test
DTSTAMP:20240101T120000Z
DTSTART;TZID=Europe/Amsterdam:20240108T093000
DTEND;TZID=Europe/Amsterdam:20240108T094500
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240401T083000Z
EXDATE;TZID=Europe/Amsterdam:20240115T093000
SUMMARY:Stand-up\\, daily
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER:-PT10M
DESCRIPTION:Soon
END:VALARM
END:VEVENT
"""

TODO = """BEGIN:VTODO
UID:t1@overstap.test
DTSTAMP:20240101T120000Z
DTSTART:20240501T090000Z
DUE:20240503T170000Z
SUMMARY:Report
END:VTODO
"""


def ics(body: str = EVENT + TODO, head: str = "VERSION:2.0\nPRODID:-//Overstap//tests//EN\n", tz: str = VTIMEZONE) -> bytes:
    text = "BEGIN:VCALENDAR\n" + head + tz + body + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def clauses(verdict: Verdict, severity: str | None = None) -> set[str]:
    return {f.clause for f in verdict.findings if severity is None or f.severity == severity}


def test_good_calendar_is_valid_without_findings():
    verdict = validate_icalendar(ics())
    assert verdict.valid, [str(f) for f in verdict.findings]
    assert verdict.findings == []
    assert verdict.kind == "icalendar"


# (rule, clause, severity, bad payload) -- each bad payload is the good one with one thing broken
RULES = [
    ("crlf", "RFC 5545 §3.1", "error", ics().replace(b"\r\n", b"\n")),
    ("long-line", "RFC 5545 §3.1", "warning", ics(EVENT.replace("Stand-up\\, daily", "Stand-up " + "x" * 80))),
    ("control-char", "RFC 5545 §3.1", "error", ics(EVENT.replace("daily", "dai\x01ly"))),
    ("utf-8", "RFC 5545 §3.1.4", "error", ics().replace(b"daily", b"d\xe9ly")),
    ("version-missing", "RFC 5545 §3.7.4", "error", ics(head="PRODID:-//x//y//EN\n")),
    ("version-wrong", "RFC 5545 §3.7.4", "error", ics(head="VERSION:1.0\nPRODID:-//x//y//EN\n")),
    ("prodid-missing", "RFC 5545 §3.7.3", "error", ics(head="VERSION:2.0\n")),
    ("no-component", "RFC 5545 §3.6", "error", ics(body="", tz="")),
    ("unclosed", "RFC 5545 §3.6", "error", ics(EVENT.replace("END:VEVENT\n", ""))),
    ("end-mismatch", "RFC 5545 §3.6", "error", ics(EVENT.replace("END:VEVENT", "END:VTODO"))),
    ("top-level-not-vcalendar", "RFC 5545 §3.4", "error", EVENT.replace("\n", "\r\n").encode()),
    ("uid-missing", "RFC 5545 §3.6.1", "error", ics(EVENT.replace("UID:e1@overstap.test\n", ""))),
    ("dtstamp-missing", "RFC 5545 §3.6.2", "error", ics(EVENT + TODO.replace("DTSTAMP:20240101T120000Z\n", ""))),
    ("dtstart-missing", "RFC 5545 §3.6.1", "error",
     ics(EVENT.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000\n", "").replace("RRULE", "X-RRULE"))),
    ("dtend-and-duration", "RFC 5545 §3.6.1", "error", ics(EVENT.replace("SUMMARY", "DURATION:PT15M\nSUMMARY"))),
    ("dtend-before-dtstart", "RFC 5545 §3.8.2.2", "error", ics(EVENT.replace("20240108T094500", "20240108T080000"))),
    ("dtend-type-mismatch", "RFC 5545 §3.8.2.2", "error",
     ics(EVENT.replace("DTEND;TZID=Europe/Amsterdam:20240108T094500", "DTEND;VALUE=DATE:20240109"))),
    ("due-and-duration", "RFC 5545 §3.6.2", "error", ics(TODO.replace("SUMMARY", "DURATION:PT1H\nSUMMARY"))),
    ("due-before-dtstart", "RFC 5545 §3.8.2.3", "error", ics(TODO.replace("DUE:20240503", "DUE:20240401"))),
    ("date-without-value-date", "RFC 5545 §3.2.20", "error", ics(TODO.replace("DUE:20240503T170000Z", "DUE:20240503").replace("DTSTART:20240501T090000Z\n", ""))),
    ("value-date-on-datetime", "RFC 5545 §3.3.4", "error", ics(TODO.replace("DUE:", "DUE;VALUE=DATE:"))),
    ("bad-date", "RFC 5545 §3.3.5", "error", ics(TODO.replace("DUE:20240503T170000Z", "DUE:20241303T170000Z"))),
    ("bad-duration", "RFC 5545 §3.3.6", "error", ics(EVENT.replace("TRIGGER:-PT10M", "TRIGGER:-PT10X"))),
    ("tzid-without-vtimezone", "RFC 5545 §3.2.19", "error", ics(tz="")),
    ("tzid-on-utc", "RFC 5545 §3.2.19", "error", ics(EVENT.replace("20240108T093000\n", "20240108T083000Z\n", 1))),
    ("dtstamp-not-utc", "RFC 5545 §3.8.7.2", "error", ics(EVENT.replace("DTSTAMP:20240101T120000Z", "DTSTAMP:20240101T120000"))),
    ("text-bad-escape", "RFC 5545 §3.3.11", "error", ics(EVENT.replace("Stand-up\\, daily", "Stand-up \\q"))),
    ("text-unescaped-comma", "RFC 5545 §3.3.11", "error", ics(EVENT.replace("Stand-up\\, daily", "Stand-up, daily"))),
    ("recurrence-id-type", "RFC 5545 §3.8.4.4", "error",
     ics(EVENT + EVENT.replace("RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240401T083000Z\n", "RECURRENCE-ID;VALUE=DATE:20240122\n"))),
    ("exdate-type", "RFC 5545 §3.8.5.1", "error",
     ics(EVENT.replace("EXDATE;TZID=Europe/Amsterdam:20240115T093000", "EXDATE;VALUE=DATE:20240115"))),
    ("rrule-parse", "RFC 5545 §3.3.10", "error", ics(EVENT.replace("FREQ=WEEKLY", "FREQ=SOMETIMES"))),
    ("rrule-count-and-until", "RFC 5545 §3.3.10", "error", ics(EVENT.replace(";UNTIL=", ";COUNT=3;UNTIL="))),
    ("rrule-until-not-utc", "RFC 5545 §3.3.10", "error", ics(EVENT.replace("UNTIL=20240401T083000Z", "UNTIL=20240401T083000"))),
    ("rrule-twice", "RFC 5545 §3.8.5.3", "warning", ics(EVENT.replace("SUMMARY", "RRULE:FREQ=DAILY;COUNT=2\nSUMMARY"))),
    ("uid-duplicate", "RFC 5545 §3.8.4.7", "error", ics(EVENT + EVENT)),
    ("once-only-twice", "RFC 5545 §3.6.1", "error", ics(EVENT.replace("SUMMARY", "SUMMARY:again\nSUMMARY"))),
    ("alarm-action-missing", "RFC 5545 §3.6.6", "error", ics(EVENT.replace("ACTION:DISPLAY\n", ""))),
    ("alarm-display-needs-description", "RFC 5545 §3.6.6", "error", ics(EVENT.replace("DESCRIPTION:Soon\n", ""))),
    ("alarm-repeat-without-duration", "RFC 5545 §3.6.6", "error", ics(EVENT.replace("DESCRIPTION:Soon", "DESCRIPTION:Soon\nREPEAT:2"))),
    ("vtimezone-without-rules", "RFC 5545 §3.6.5", "error",
     ics(tz="BEGIN:VTIMEZONE\nTZID:Europe/Amsterdam\nEND:VTIMEZONE\n")),
    ("empty-rdate", "RFC 5545 §3.3.5", "error", ics(EVENT.replace("SUMMARY", "RDATE:\nSUMMARY"))),
]


@pytest.mark.parametrize("rule,clause,severity,bad", RULES, ids=[r[0] for r in RULES])
def test_rule_fires_on_bad_input(rule, clause, severity, bad):
    verdict = validate_icalendar(bad)
    assert clause in clauses(verdict, severity), [str(f) for f in verdict.findings]
    assert verdict.valid is (severity == "warning" and not verdict.errors)
    # the good calendar does not trigger it (checked once above, kept explicit per rule)
    assert clause not in clauses(validate_icalendar(ics()), severity)


def test_findings_carry_line_component_and_property():
    verdict = validate_icalendar(ics(EVENT.replace("DTSTAMP:20240101T120000Z", "DTSTAMP:20240101T120000")))
    [finding] = [f for f in verdict.findings if f.clause == "RFC 5545 §3.8.7.2"]
    assert finding.component == "VEVENT" and finding.property == "DTSTAMP"
    assert finding.line == 21  # BEGIN:VCALENDAR, 2 head lines, 15 VTIMEZONE lines, BEGIN:VEVENT, UID, DTSTAMP
    assert finding.to_dict()["severity"] == "error"


def test_folded_lines_and_escapes_are_fine():
    body = EVENT.replace("SUMMARY:Stand-up\\, daily", "SUMMARY:Stand-up\\, daily\\; with a very long summary that\n  needs folding\\n\\\\ twice")
    verdict = validate_icalendar(ics(body))
    assert verdict.valid and not verdict.findings, [str(f) for f in verdict.findings]


def test_categories_may_use_bare_commas():
    assert validate_icalendar(ics(EVENT.replace("SUMMARY", "CATEGORIES:a,b\nSUMMARY"))).findings == []


def test_equal_dtend_is_a_warning_only():
    verdict = validate_icalendar(ics(EVENT.replace("20240108T094500", "20240108T093000")))
    assert verdict.valid and "RFC 5545 §3.8.2.2" in clauses(verdict, "warning")


def test_all_day_event_with_value_date_is_valid():
    body = EVENT.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART;VALUE=DATE:20240108").replace(
        "DTEND;TZID=Europe/Amsterdam:20240108T094500", "DTEND;VALUE=DATE:20240109"
    ).replace("UNTIL=20240401T083000Z", "UNTIL=20240401").replace(
        "EXDATE;TZID=Europe/Amsterdam:20240115T093000", "EXDATE;VALUE=DATE:20240115"
    )
    verdict = validate_icalendar(ics(body))
    assert verdict.valid and not verdict.findings, [str(f) for f in verdict.findings]


def test_all_day_event_with_hour_duration_is_an_error():
    body = EVENT.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART;VALUE=DATE:20240108").replace(
        "DTEND;TZID=Europe/Amsterdam:20240108T094500", "DURATION:PT1H"
    ).replace("UNTIL=20240401T083000Z", "UNTIL=20240401").replace(
        "EXDATE;TZID=Europe/Amsterdam:20240115T093000", "EXDATE;VALUE=DATE:20240115"
    )
    assert "RFC 5545 §3.6.1" in clauses(validate_icalendar(ics(body)), "error")


@pytest.mark.parametrize(
    "raw,comma,problem",
    [
        ("a\\, b\\; c\\n d\\N e\\\\", False, None),
        ("a, b", True, None),
        ("a, b", False, "unescaped ','"),
        ("a; b", True, "unescaped ';'"),
        ("a \\t", False, "invalid escape"),
        ("trailing \\", False, "lone backslash"),
    ],
)
def test_text_escaping(raw, comma, problem):
    found = text_escaping_problem(raw, allow_comma=comma)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n",
        bytes(range(256)) * 50,
        b"\x00\x01\x02BEGIN:VCALENDAR",
        b"BEGIN:VCALENDAR\r\nX-" + b"A" * 200_000 + b":v\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nSUMMARY:caf\u00e9\r\n".encode("latin-1"),
        b"END:VCALENDAR\r\nEND:VEVENT\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VALARM\r\n",
        b"BEGIN:VCALENDAR\r\n \r\n continuation\r\n:no-name\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\rVERSION:2.0\rEND:VCALENDAR\r",
    ],
    ids=["empty", "blank", "binary", "nul-prefix", "huge-line", "latin-1", "stray-end", "unclosed", "odd-lines", "cr-only"],
)
def test_bad_input_is_a_finding_never_an_exception(data):
    verdict = validate_icalendar(data)
    assert isinstance(verdict, Verdict) and not verdict.valid
    assert verdict.errors and all(isinstance(f, Finding) for f in verdict.findings)
    assert not any("crashed" in f.message for f in verdict.findings)


def test_multiple_vcalendar_objects_are_each_checked():
    one = ics()
    two = ics(head="VERSION:2.0\n")
    verdict = validate_icalendar(one + two)
    assert [f.clause for f in verdict.errors] == ["RFC 5545 §3.7.3"]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.ics")), ids=lambda p: p.name)
def test_fixture_verdicts_match_their_names(path):
    verdict = check_file(path)
    assert verdict.kind == "icalendar"
    assert verdict.valid is path.name.startswith("valid-"), [str(f) for f in verdict.findings]
    assert path.name in (FIXTURES / "README.md").read_text(), "every fixture is described in README.md"


def test_check_file_unsupported_and_unreadable(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    verdict = check_file(other)
    assert not verdict.valid and "unsupported file type" in verdict.findings[0].message
    missing = check_file(tmp_path / "missing.ics")
    assert not missing.valid and "cannot read" in missing.findings[0].message
    sniffed = tmp_path / "calendar.data"
    sniffed.write_bytes(ics())
    assert check_file(sniffed).kind == "icalendar" and check_file(sniffed).valid
    empty = tmp_path / "empty.ics"
    empty.write_bytes(b"")
    assert not check_file(empty).valid
