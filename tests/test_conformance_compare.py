"""Unit tests for conformance.compare: did the calendar / address book survive the move?"""

from __future__ import annotations

import base64

import pytest

from conformance.compare import Difference, compare_icalendar, compare_vcard

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

MASTER = """BEGIN:VEVENT
UID:standup@overstap.test
DTSTAMP:20240101T120000Z
DTSTART;TZID=Europe/Amsterdam:20240108T093000
DTEND;TZID=Europe/Amsterdam:20240108T094500
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10
EXDATE;TZID=Europe/Amsterdam:20240115T093000
SUMMARY:Stand-up
ATTENDEE;PARTSTAT=ACCEPTED;CN=Jane:mailto:jane@example.org
X-CUSTOM:kept
END:VEVENT
"""

OVERRIDE = """BEGIN:VEVENT
UID:standup@overstap.test
DTSTAMP:20240101T120000Z
RECURRENCE-ID;TZID=Europe/Amsterdam:20240122T093000
DTSTART;TZID=Europe/Amsterdam:20240122T100000
DTEND;TZID=Europe/Amsterdam:20240122T101500
SUMMARY:Stand-up (moved)
END:VEVENT
"""


def ics(*components: str, tz: str = VTIMEZONE, prodid: str = "-//Overstap//tests//EN") -> bytes:
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:{prodid}\n{tz}{''.join(components)}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


ORIGINAL = ics(MASTER, OVERRIDE)


def notes(diffs: list[Difference]) -> list[str]:
    return [d.note for d in diffs]


def test_identical_is_equal():
    assert compare_icalendar(ORIGINAL, ORIGINAL) == []


def test_tzid_vs_same_instant_in_utc_is_equal():
    received = ics(
        MASTER.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART:20240108T083000Z")
        .replace("DTEND;TZID=Europe/Amsterdam:20240108T094500", "DTEND:20240108T084500Z")
        .replace("EXDATE;TZID=Europe/Amsterdam:20240115T093000", "EXDATE:20240115T083000Z"),
        OVERRIDE.replace("RECURRENCE-ID;TZID=Europe/Amsterdam:20240122T093000", "RECURRENCE-ID:20240122T083000Z"),
        tz="",
    )
    assert compare_icalendar(ORIGINAL, received) == []


def test_tzid_resolved_through_iana_when_vtimezone_is_gone():
    received = ics(MASTER, OVERRIDE, tz="")  # same TZIDs, no VTIMEZONE: zoneinfo resolves them
    assert compare_icalendar(ORIGINAL, received) == []


def test_one_hour_shift_is_a_change_with_a_note():
    received = ics(MASTER.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART:20240108T093000Z"), OVERRIDE)
    [diff] = compare_icalendar(ORIGINAL, received)
    assert (diff.item, diff.component, diff.property, diff.kind) == ("standup@overstap.test", "VEVENT", "DTSTART", "changed")
    assert diff.note == "DTSTART shifted by 1 h"
    assert diff.original == "2024-01-08T08:30:00Z" and diff.received == "2024-01-08T09:30:00Z"


def test_floating_vs_utc_is_a_change():
    original = ics(MASTER.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART:20240108T083000"), tz="")
    received = ics(MASTER.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART:20240108T083000Z"), tz="")
    [diff] = compare_icalendar(original, received)
    assert diff.property == "DTSTART" and diff.kind == "changed"
    assert "floating" in diff.note


def test_reordered_folded_parameter_case_and_ignored_properties_are_equal():
    lines = MASTER.strip("\n").split("\n")
    body = lines[1:-1]
    body.reverse()
    reordered = "\n".join(
        ["BEGIN:VEVENT"]
        + [
            line.replace("PARTSTAT=ACCEPTED", "partstat=accepted").replace("Stand-up", "Stand-\n up")
            .replace("DTSTAMP:20240101T120000Z", "DTSTAMP:20250101T000000Z")
            for line in body
        ]
        + ["SEQUENCE:0", "LAST-MODIFIED:20250101T000000Z", "CREATED:20250101T000000Z", "TRANSP:OPAQUE", "END:VEVENT\n"]
    )
    received = ics(OVERRIDE, reordered, prodid="-//Other server//EN")
    assert compare_icalendar(ORIGINAL, received) == []


def test_dtend_and_duration_giving_the_same_end_are_equal():
    received = ics(MASTER.replace("DTEND;TZID=Europe/Amsterdam:20240108T094500", "DURATION:PT15M"), OVERRIDE)
    assert compare_icalendar(ORIGINAL, received) == []


def test_exdate_lost():
    received = ics(MASTER.replace("EXDATE;TZID=Europe/Amsterdam:20240115T093000\n", ""), OVERRIDE)
    [diff] = compare_icalendar(ORIGINAL, received)
    assert (diff.property, diff.kind, diff.original) == ("EXDATE", "lost", "2024-01-15T08:30:00Z")
    assert diff.note == "EXDATE 2024-01-15T08:30:00Z lost"


def test_recurrence_id_override_lost():
    [diff] = compare_icalendar(ORIGINAL, ics(MASTER))
    assert diff.kind == "lost" and diff.component == "VEVENT" and diff.property == ""
    assert diff.item == "standup@overstap.test RECURRENCE-ID=2024-01-22T08:30:00Z"
    assert diff.note == "override RECURRENCE-ID=2024-01-22T08:30:00Z lost"


def test_x_property_dropped_and_summary_changed_and_attendee_param_changed():
    received = ics(
        MASTER.replace("X-CUSTOM:kept\n", "").replace("SUMMARY:Stand-up", "SUMMARY:Standup")
        .replace("PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED"),
        OVERRIDE,
    )
    found = {d.property: d for d in compare_icalendar(ORIGINAL, received)}
    assert found["X-CUSTOM"].kind == "lost" and found["X-CUSTOM"].note == "X-CUSTOM dropped"
    assert found["SUMMARY"].kind == "changed" and (found["SUMMARY"].original, found["SUMMARY"].received) == ("Stand-up", "Standup")
    assert found["ATTENDEE"].note == "ATTENDEE parameters changed"


def test_added_event_and_lost_alarm():
    alarm = "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT10M\nDESCRIPTION:Soon\nEND:VALARM\n"
    original = ics(MASTER.replace("END:VEVENT", alarm + "END:VEVENT"))
    extra = "BEGIN:VEVENT\nUID:new@overstap.test\nDTSTAMP:20240101T120000Z\nDTSTART:20240101T100000Z\nEND:VEVENT\n"
    diffs = compare_icalendar(original, ics(MASTER, extra))
    assert {(d.item, d.component, d.kind) for d in diffs} == {
        ("standup@overstap.test", "VALARM", "lost"),
        ("new@overstap.test", "VEVENT", "added"),
    }


def test_rrule_change_and_all_day_to_timed():
    received = ics(MASTER.replace("COUNT=10", "COUNT=5"), OVERRIDE)
    [diff] = compare_icalendar(ORIGINAL, received)
    assert diff.property == "RRULE" and diff.kind == "changed"
    day = MASTER.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART;VALUE=DATE:20240108")
    timed = MASTER.replace("DTSTART;TZID=Europe/Amsterdam:20240108T093000", "DTSTART:20240108T000000Z")
    diffs = [d for d in compare_icalendar(ics(day), ics(timed)) if d.property == "DTSTART"]
    assert diffs and "DATE" in diffs[0].note


def test_empty_received_reports_everything_lost():
    nothing = compare_icalendar(ORIGINAL, b"")
    assert nothing and all(d.kind == "lost" for d in nothing)
    lost = compare_icalendar(ORIGINAL, b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert {d.note for d in lost} >= {"VEVENT lost", "override RECURRENCE-ID=2024-01-22T08:30:00Z lost"}
    assert Difference("a", "b", "c", "lost", None, None, "n").to_dict()["kind"] == "lost"


# --- vCard ----------------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(200)) + b"\xff\xd9"
B64 = base64.b64encode(JPEG).decode()

CARD4 = f"""BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Jane Doe
N:Doe;Jane;;;
BDAY:19850412
ANNIVERSARY:20090808
TEL;TYPE=work,voice;PREF=1;VALUE=uri:tel:+31-20-555-0100
EMAIL;TYPE=work:jane@example.org
PHOTO:data:image/jpeg;base64,{B64}
NOTE:Met in Brussels\\, 2024
REV:20240101T000000Z
END:VCARD
"""

CARD3 = f"""BEGIN:VCARD
VERSION:3.0
PRODID:-//Other//EN
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Jane Doe
N:Doe;Jane;;;
BDAY:1985-04-12
item1.TEL;TYPE=WORK,VOICE,PREF:+31-20-555-0100
EMAIL;type=WORK:jane@example.org
PHOTO;ENCODING=b;TYPE=JPEG:{B64}
NOTE:Met in Brussels\\, 2024
REV:20250101T000000Z
END:VCARD
"""


def vcf(*cards: str) -> bytes:
    return "".join(cards).replace("\n", "\r\n").encode()


def test_vcard_identical_is_equal():
    assert compare_vcard(vcf(CARD4), vcf(CARD4)) == []


def test_vcard_4_to_3_drops_anniversary_only():
    [diff] = compare_vcard(vcf(CARD4), vcf(CARD3))
    assert (diff.item, diff.component, diff.property, diff.kind) == ("Jane Doe", "VCARD", "ANNIVERSARY", "lost")
    assert diff.note == "ANNIVERSARY lost" and diff.original == "20090808"


def test_vcard_4_to_3_with_x_anniversary_is_equal():
    assert compare_vcard(vcf(CARD4), vcf(CARD3.replace("NOTE", "X-ANNIVERSARY:2009-08-08\nNOTE"))) == []


def test_vcard_photo_truncated():
    cut = base64.b64encode(JPEG[:100]).decode()
    [diff] = compare_vcard(vcf(CARD4), vcf(CARD4.replace(B64, cut)))
    assert diff.property == "PHOTO" and diff.kind == "changed"
    assert diff.note == f"PHOTO truncated: 100 of {len(JPEG)} bytes survived"


def test_vcard_changes_lost_and_added_cards():
    other = CARD4.replace("FN:Jane Doe", "FN:Bob").replace("urn:uuid:4fbe", "urn:uuid:0000")
    received = vcf(CARD4.replace("Brussels", "Ghent").replace("EMAIL;TYPE=work:jane@example.org\n", ""),
                   CARD4.replace("FN:Jane Doe", "FN:Carol").replace("urn:uuid:4fbe", "urn:uuid:1111"))
    diffs = compare_vcard(vcf(CARD4, other), received)
    kinds = {(d.item, d.property, d.kind) for d in diffs}
    assert ("Jane Doe", "NOTE", "changed") in kinds
    assert ("Jane Doe", "EMAIL", "lost") in kinds
    assert ("Bob", "", "lost") in kinds and ("Carol", "", "added") in kinds


def test_vcard_original_without_cards_raises():
    with pytest.raises(ValueError):
        compare_vcard(b"", vcf(CARD4))


def test_vcard_label_newline_written_with_caret_or_backslash_is_the_same():
    """RFC 6868 §3 (^n) and RFC 6350's own LABEL example (\\n) both write a newline in a parameter value;
    Cyrus answers with the caret form: that is no loss. A changed label still is."""
    from conformance.compare import compare_vcard

    card = ('BEGIN:VCARD\r\nVERSION:4.0\r\nUID:label-1\r\nFN:A\r\n'
            'ADR;LABEL="Navy Yard{sep}Washington":;;1 Main St;Washington;;;\r\nEND:VCARD\r\n')
    backslash, caret, changed = (card.format(sep=sep).encode() for sep in ("\\n", "^n", " "))
    assert compare_vcard(backslash, caret) == []
    [difference] = compare_vcard(backslash, changed)
    assert difference.property == "ADR"
