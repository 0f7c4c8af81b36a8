"""Property tests: whatever bytes a target or a file hands the judges in conformance/, the answer is a
verdict or the module's documented ValueError subclass -- never another exception (a crash would turn a
target's bad answer into a harness ERROR, or worse, a traceback).

Inputs are arbitrary bytes and mutations (byte flips, truncations, splices) of valid samples.
Bounded: max_examples per property, no deadline, so the whole file runs in seconds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conformance import dav, lock
from conformance.files import check_file
from conformance.findings import Verdict
from conformance.icalendar import validate_icalendar
from conformance.multistatus import MultistatusProblem, iter_responses, parse_multistatus, parse_status_line
from conformance.vcard import validate_vcard
from conformance.xml import XMLProblem, parse_xml

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])

MULTISTATUS = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:" xmlns:Z="urn:z">'
               b'<D:response><D:href>/dav/a%20b/</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag>'
               b'<D:resourcetype><D:collection/></D:resourcetype><Z:x>v</Z:x></D:prop>'
               b'<D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop><D:getcontentlength/>'
               b'</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>'
               b'<D:response><D:href>/dav/x</D:href><D:href>/dav/y</D:href><D:status>HTTP/1.1 423 Locked</D:status>'
               b'<D:error><D:lock-token-submitted/></D:error><D:responsedescription>d</D:responsedescription>'
               b'</D:response><D:sync-token>urn:t:1</D:sync-token></D:multistatus>')
LOCK_BODY = (b'<?xml version="1.0" encoding="utf-8"?><D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>'
             b'<D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope><D:depth>infinity'
             b'</D:depth><D:owner><D:href>me</D:href></D:owner><D:timeout>Second-600</D:timeout><D:locktoken>'
             b'<D:href>urn:uuid:1</D:href></D:locktoken><D:lockroot><D:href>/dav/r</D:href></D:lockroot>'
             b'</D:activelock></D:lockdiscovery></D:prop>')
ICAL = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:1@x\r\n"
        b"DTSTAMP:20240101T000000Z\r\nDTSTART;TZID=Europe/Amsterdam:20240102T100000\r\n"
        b"RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO\r\nSUMMARY:caf\xc3\xa9\\, test\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n"
        b"TRIGGER:-PT15M\r\nDESCRIPTION:x\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
VCARD = (b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:J\xc3\xa9 Doe\r\nN:Doe;J\xc3\xa9;;;\r\nEMAIL;TYPE=work:j@x.org\r\n"
         b"BDAY:--0415\r\nPHOTO:data:image/png;base64,iVBORw0KGgo=\r\nEND:VCARD\r\n"
         b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nN:A;;;;\r\nTEL;TYPE=CELL:+31\r\nEND:VCARD\r\n")


def mutated(sample: bytes) -> st.SearchStrategy[bytes]:
    """Byte flips, deletions, insertions, truncations and splices of ``sample``."""
    @st.composite
    def build(draw):
        data = bytearray(sample)
        for _ in range(draw(st.integers(1, 8))):
            kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "dup"]))
            if not data:
                break
            i = draw(st.integers(0, len(data) - 1))
            if kind == "flip":
                data[i] = draw(st.integers(0, 255))
            elif kind == "delete":
                del data[i:i + draw(st.integers(1, 20))]
            elif kind == "insert":
                data[i:i] = draw(st.binary(max_size=20) | st.sampled_from(
                    [b"<", b">", b"&", b"]]>", b"<!DOCTYPE x [<!ENTITY e 'x'>]>", b"&e;", b"\r\n ", b":", b";",
                     b"\\", b"\xff", b"\xc3", b"BEGIN:VEVENT\r\n", b"END:VCALENDAR\r\n", b"=", b","]))
            elif kind == "truncate":
                del data[i:]
            else:
                j = draw(st.integers(i, min(len(data), i + 200)))
                data[j:j] = data[i:j]
        return bytes(data)
    return build()


def inputs(sample: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2000), mutated(sample))


@FUZZ
@given(inputs(MULTISTATUS), st.booleans())
def test_parse_multistatus(data, strict):
    try:
        result = parse_multistatus(data, strict=strict)
    except (MultistatusProblem, XMLProblem):
        return
    for r in result:
        r.path, r.is_collection, [r.prop_text(n) for ps in r.propstats for n in ps.props]  # noqa: B018
    result.by_path()


def _known_invalid_tag_bug(exc: BaseException) -> bool:
    # conformance.multistatus._describe_tag calls lxml's QName on the root tag of a streamed document before
    # the parser reports the document malformed; for a tag like ':' QName raises a plain ValueError.
    # See test_iter_responses_invalid_root_tag below (xfail until conformance/multistatus.py is fixed).
    return type(exc) is ValueError and "Invalid tag name" in str(exc)


@FUZZ
@given(inputs(MULTISTATUS), st.booleans())
def test_iter_responses(data, strict):
    try:
        for r in iter_responses(data, strict=strict):
            r.path  # noqa: B018
    except (MultistatusProblem, XMLProblem):
        pass
    except ValueError as exc:
        if not _known_invalid_tag_bug(exc):
            raise


@pytest.mark.xfail(strict=True, reason="conformance.multistatus._describe_tag: lxml QName raises a plain "
                                       "ValueError for the root tag ':' of a streamed body (found by test_iter_responses)")
def test_iter_responses_invalid_root_tag():
    with pytest.raises((MultistatusProblem, XMLProblem)):
        list(iter_responses(b"<?A?><:"))


@FUZZ
@given(st.text(max_size=60))
def test_parse_status_line(text):
    try:
        assert 0 <= parse_status_line(text) <= 999
    except MultistatusProblem:
        pass


@FUZZ
@given(inputs(b'<?xml version="1.0"?><a xmlns="urn:x"><b c="d">e</b><!-- c --><?pi x?></a>'))
def test_parse_xml(data):
    try:
        parse_xml(data)
    except XMLProblem:
        pass


@FUZZ
@given(inputs(ICAL))
def test_validate_icalendar(data):
    assert isinstance(validate_icalendar(data), Verdict)


@FUZZ
@given(inputs(VCARD))
def test_validate_vcard(data):
    assert isinstance(validate_vcard(data), Verdict)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(inputs(ICAL), inputs(VCARD)), st.sampled_from(["x.ics", "x.vcf", "x.txt", "noext"]))
def test_check_file(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    verdict = check_file(path)
    assert isinstance(verdict, Verdict)
    crashed = [f for f in verdict.findings if "checker crashed" in f.message]
    assert not crashed, crashed[0].message


@FUZZ
@given(inputs(LOCK_BODY))
def test_parse_lock_response(data):
    try:
        lock.parse_lock_response(data)
    except (lock.LockProblem, XMLProblem):
        pass


@FUZZ
@given(inputs(b'<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:lock-token-submitted><D:href>/x</D:href>'
              b'</D:lock-token-submitted></D:error>'))
def test_parse_dav_error(data):
    try:
        lock.parse_dav_error(data)
    except (lock.LockProblem, XMLProblem):
        pass


@FUZZ
@given(st.text(max_size=80) | st.sampled_from(["<urn:uuid:1>", "<>", "Second-", "Second-99999999999999", "Infinite"]))
def test_lock_header_parsers(text):
    for parse in (lock.parse_coded_url, lock.parse_timeout):
        try:
            parse(text)
        except lock.LockProblem:
            pass
    assert isinstance(lock.is_absolute_uri(text), bool)


@FUZZ
@given(st.one_of(st.text(max_size=80), st.lists(st.text(max_size=30), max_size=4)))
def test_dav_header_parser(value):
    try:
        dav.parse_dav_header(value)
    except dav.DAVHeaderProblem:
        pass


@FUZZ
@given(st.text(max_size=60) | st.sampled_from(['"x"', 'W/"x"', 'W/', '"', 'Sun, 06 Nov 1994 08:49:37 GMT']))
def test_etag_and_date_parsers(value):
    assert isinstance(dav.is_valid_etag(value), bool)
    assert isinstance(dav.is_strong_etag(value), bool)
    assert isinstance(dav.is_weak_etag(value), bool)
    try:
        dav.etag_value(value)
    except dav.ETagProblem:
        pass
    dav.parse_http_date(value)
