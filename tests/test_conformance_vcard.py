"""Unit tests for conformance.vcard (RFC 6350 vCard 4.0, RFC 2426 vCard 3.0)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from conformance.files import check_file
from conformance.findings import Verdict
from conformance.vcard import is_date_30, parse_date_and_or_time_40, validate_vcard

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vcard"
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9").decode()

V4 = f"""BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Jane Doe
N:Doe;Jane;;;
BDAY:--0412
ANNIVERSARY:19960415
PHOTO:data:image/jpeg;base64,{JPEG}
NOTE:Met in Brussels\\, 2024\\nSlides
END:VCARD
"""

GROUP = """BEGIN:VCARD
VERSION:4.0
KIND:group
FN:Team
MEMBER:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
END:VCARD
"""

V3 = f"""BEGIN:VCARD
VERSION:3.0
FN:Bob Example
N:Example;Bob;;;
BDAY:1970-01-31
PHOTO;ENCODING=b;TYPE=JPEG:{JPEG}
END:VCARD
"""


def vcf(*cards: str) -> bytes:
    return "".join(cards).replace("\n", "\r\n").encode()


def clauses(verdict: Verdict, severity: str | None = None) -> set[str]:
    return {f.clause for f in verdict.findings if severity is None or f.severity == severity}


def test_good_cards_are_valid_without_findings():
    verdict = validate_vcard(vcf(V4, GROUP, V3))
    assert verdict.valid and verdict.findings == [], [str(f) for f in verdict.findings]
    assert verdict.kind == "vcard"


RULES = [
    ("crlf", "RFC 6350 §3.2", "error", vcf(V4).replace(b"\r\n", b"\n")),
    ("long-line", "RFC 6350 §3.2", "warning", vcf(V4.replace("Slides", "S" * 90))),
    ("begin-missing", "RFC 6350 §3.3", "error", vcf(V4.replace("BEGIN:VCARD\n", ""))),
    ("end-missing", "RFC 6350 §6.1.2", "error", vcf(V4.replace("END:VCARD\n", ""))),
    ("nested", "RFC 6350 §6.1.1", "error", vcf(V4.replace("END:VCARD\n", "") + V4)),
    ("version-missing", "RFC 6350 §6.7.9", "error", vcf(V4.replace("VERSION:4.0\n", ""))),
    ("version-not-first", "RFC 6350 §6.7.9", "error",
     vcf(V4.replace("VERSION:4.0\n", "").replace("FN:Jane Doe\n", "FN:Jane Doe\nVERSION:4.0\n"))),
    ("version-unsupported", "RFC 6350 §6.7.9", "error", vcf(V4.replace("VERSION:4.0", "VERSION:2.1"))),
    ("fn-missing-4", "RFC 6350 §6.2.1", "error", vcf(V4.replace("FN:Jane Doe\n", ""))),
    ("fn-missing-3", "RFC 2426 §3.1.1", "error", vcf(V3.replace("FN:Bob Example\n", ""))),
    ("n-missing-3", "RFC 2426 §3.1.2", "error", vcf(V3.replace("N:Example;Bob;;;\n", ""))),
    ("n-twice-4", "RFC 6350 §6.2.2", "error", vcf(V4.replace("N:Doe;Jane;;;\n", "N:Doe;Jane;;;\nN:D;J;;;\n"))),
    ("bday-extended-4", "RFC 6350 §6.2.5", "error", vcf(V4.replace("BDAY:--0412", "BDAY:1985-04-12"))),
    ("bday-impossible-4", "RFC 6350 §6.2.5", "error", vcf(V4.replace("BDAY:--0412", "BDAY:--0230"))),
    ("anniversary-bad-4", "RFC 6350 §6.2.6", "error", vcf(V4.replace("ANNIVERSARY:19960415", "ANNIVERSARY:1996041"))),
    ("bday-yearless-3", "RFC 2426 §3.1.5", "error", vcf(V3.replace("BDAY:1970-01-31", "BDAY:--0131"))),
    ("bday-bad-3", "RFC 2426 §3.1.5", "error", vcf(V3.replace("BDAY:1970-01-31", "BDAY:1970-02-31"))),
    ("photo-encoding-in-4", "RFC 6350 §6.2.4", "error",
     vcf(V4.replace(f"PHOTO:data:image/jpeg;base64,{JPEG}", f"PHOTO;ENCODING=b;TYPE=JPEG:{JPEG}"))),
    ("photo-not-uri-4", "RFC 6350 §6.2.4", "error", vcf(V4.replace(f"PHOTO:data:image/jpeg;base64,{JPEG}", "PHOTO:just text"))),
    ("photo-data-uri-bad-base64", "RFC 6350 §6.2.4", "error", vcf(V4.replace(f"base64,{JPEG}", "base64,@@@@"))),
    ("photo-data-uri-no-comma", "RFC 6350 §6.2.4", "error", vcf(V4.replace(f"base64,{JPEG}", "base64"))),
    ("photo-bad-base64-3", "RFC 2426 §3.1.4", "error", vcf(V3.replace(f"JPEG:{JPEG}", "JPEG:" + JPEG[:-3]))),
    ("photo-no-encoding-3", "RFC 2426 §3.1.4", "error", vcf(V3.replace("PHOTO;ENCODING=b;TYPE=JPEG", "PHOTO"))),
    ("photo-base64-spelling-3", "RFC 2426 §3.1.4", "error", vcf(V3.replace("ENCODING=b", "ENCODING=BASE64"))),
    ("photo-no-type-3", "RFC 2426 §3.1.4", "warning", vcf(V3.replace(";TYPE=JPEG", ""))),
    ("photo-truncated-jpeg", "RFC 2426 §3.1.4", "warning",
     vcf(V3.replace(JPEG, base64.b64encode(base64.b64decode(JPEG)[:-2]).decode()))),
    ("member-without-group", "RFC 6350 §6.6.5", "error", vcf(GROUP.replace("KIND:group\n", ""))),
    ("member-not-uri", "RFC 6350 §6.6.5", "error", vcf(GROUP.replace("MEMBER:urn:uuid:", "MEMBER:"))),
    ("kind-not-token", "RFC 6350 §6.1.4", "error", vcf(GROUP.replace("KIND:group", "KIND:a group"))),
    ("fn-unescaped-comma", "RFC 6350 §3.4", "error", vcf(V4.replace("FN:Jane Doe", "FN:Doe, Jane"))),
    ("note-bad-escape", "RFC 6350 §3.4", "error", vcf(V4.replace("\\nSlides", "\\tSlides"))),
    ("escape-3", "RFC 2426 §4", "error", vcf(V3.replace("FN:Bob Example", "FN:Example, Bob"))),
    ("30-property-in-40", "RFC 6350 §Appendix A", "warning", vcf(V4.replace("NOTE", "LABEL:Main St 1\nNOTE"))),
    ("line-does-not-parse", "RFC 6350 §3.3", "error", vcf(V4.replace("NOTE", "this is no content line\nNOTE"))),
]


@pytest.mark.parametrize("rule,clause,severity,bad", RULES, ids=[r[0] for r in RULES])
def test_rule_fires_on_bad_input(rule, clause, severity, bad):
    verdict = validate_vcard(bad)
    assert clause in clauses(verdict, severity), [str(f) for f in verdict.findings]
    assert verdict.valid is (severity == "warning" and not verdict.errors)
    assert clause not in clauses(validate_vcard(vcf(V4, GROUP, V3)), severity)


def test_multiple_vcards_findings_point_at_the_right_card():
    verdict = validate_vcard(vcf(V4, V3.replace("N:Example;Bob;;;\n", "")))
    [finding] = verdict.findings
    assert finding.line == 11 and finding.component == "VCARD" and finding.property == "N"


def test_folded_and_grouped_properties_are_fine():
    card = V4.replace("NOTE:Met in Brussels\\, 2024\\nSlides", "item1.NOTE:Met in Brussels\\, 2024\\nSlides and a\n  folded tail")
    assert validate_vcard(vcf(card)).findings == []


@pytest.mark.parametrize(
    "value,value_type,ok",
    [
        ("19850412", "date-and-or-time", True),
        ("1985-04", "date", True),
        ("1985", "date", True),
        ("--0412", "date", True),
        ("---12", "date", True),
        ("19961022T140000", "date-time", True),
        ("--1022T1400", "date-and-or-time", True),
        ("T102200Z", "date-and-or-time", True),
        ("T-2200", "date-and-or-time", True),
        ("20250229", "date", False),
        ("--0229", "date", True),
        ("1985-04-12", "date", False),
        ("19961022T250000", "date-time", False),
        ("19850412", "time", False),
    ],
)
def test_vcard4_date_grammar(value, value_type, ok):
    assert (parse_date_and_or_time_40(value, value_type) is None) is ok


@pytest.mark.parametrize(
    "value,ok", [("1996-04-15", True), ("19960415", True), ("1996-04-15T23:10:00Z", True), ("--0415", False), ("1996-13-01", False)]
)
def test_vcard3_date_grammar(value, ok):
    assert (is_date_30(value) is None) is ok


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 100, bytes(range(256)) * 10, b"END:VCARD\r\n", b"BEGIN:VCARD\r\n", "FN:J\u00f6rg\r\n".encode("latin-1"),
     b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:" + b"x" * 300_000 + b"\r\nEND:VCARD\r\n"],
    ids=["empty", "nul", "binary", "stray-end", "unclosed", "latin-1", "huge-line"],
)
def test_bad_input_is_a_finding_never_an_exception(data):
    verdict = validate_vcard(data)
    assert isinstance(verdict, Verdict)
    assert verdict.findings
    assert not any("crashed" in f.message for f in verdict.findings)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.vcf")), ids=lambda p: p.name)
def test_fixture_verdicts_match_their_names(path):
    verdict = check_file(path)
    assert verdict.kind == "vcard"
    assert verdict.valid is path.name.startswith("valid-"), [str(f) for f in verdict.findings]
    assert path.name in (FIXTURES / "README.md").read_text()
