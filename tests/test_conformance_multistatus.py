"""Unit tests for conformance.xml and conformance.multistatus, over hand-written bodies.

The sample bodies copy the shape of what real servers send (namespace prefixes, whitespace,
404 propstats, percent-encoding); they are written by hand, not captured.
"""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance.dav import is_strong_etag, parse_http_date
from conformance.multistatus import (
    MultistatusProblem,
    iter_responses,
    normalise_href,
    parse_multistatus,
    parse_status_line,
)
from conformance.xml import XMLProblem, iter_events, parse_xml

# Apache httpd 2.4 mod_dav_fs, PROPFIND Depth: 1 naming resourcetype, getlastmodified, getetag,
# displayname, getcontentlength and a dead property; mod_dav answers 404 propstats for the rest.
APACHE_PROPFIND = b"""<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns1="http://example.com/ns" xmlns:ns0="DAV:">
<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">
<D:href>/dav/projects/</D:href>
<D:propstat>
<D:prop>
<lp1:resourcetype><D:collection/></lp1:resourcetype>
<lp1:getlastmodified>Tue, 05 Mar 2024 14:12:09 GMT</lp1:getlastmodified>
<lp1:getetag>"1000-612e8a7b3c4d0"</lp1:getetag>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
<D:propstat>
<D:prop>
<ns0:displayname/>
<ns0:getcontentlength/>
<ns1:color/>
</D:prop>
<D:status>HTTP/1.1 404 Not Found</D:status>
</D:propstat>
</D:response>
<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">
<D:href>/dav/projects/Quarterly%20report.odt</D:href>
<D:propstat>
<D:prop>
<lp1:resourcetype/>
<lp1:getlastmodified>Wed, 06 Mar 2024 09:30:00 GMT</lp1:getlastmodified>
<lp1:getetag>"47a6-61304c2d1a5c0"</lp1:getetag>
<lp1:getcontentlength>18342</lp1:getcontentlength>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
<D:propstat>
<D:prop>
<ns0:displayname/>
<ns1:color/>
</D:prop>
<D:status>HTTP/1.1 404 Not Found</D:status>
</D:propstat>
</D:response>
</D:multistatus>
"""

# nginx with the dav_ext module, PROPFIND Depth: 1 allprop; hrefs percent-encode UTF-8.
NGINX_PROPFIND = """<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:">
<D:response>
<D:href>/webdav/</D:href>
<D:propstat>
<D:prop>
<D:displayname>webdav</D:displayname>
<D:getlastmodified>Mon, 04 Mar 2024 08:00:00 GMT</D:getlastmodified>
<D:resourcetype><D:collection/></D:resourcetype>
<D:lockdiscovery/>
<D:supportedlock>
</D:supportedlock>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
</D:response>
<D:response>
<D:href>/webdav/caf%C3%A9%20menu.txt</D:href>
<D:propstat>
<D:prop>
<D:displayname>café menu.txt</D:displayname>
<D:getcontentlength>42</D:getcontentlength>
<D:getlastmodified>Mon, 04 Mar 2024 08:15:30 GMT</D:getlastmodified>
<D:getetag>"65e58372-2a"</D:getetag>
<D:resourcetype></D:resourcetype>
<D:lockdiscovery/>
<D:supportedlock>
</D:supportedlock>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
</D:response>
<D:response>
<D:href>/webdav/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt</D:href>
<D:propstat>
<D:prop>
<D:displayname>日本語.txt</D:displayname>
<D:getcontentlength>9</D:getcontentlength>
<D:getlastmodified>Mon, 04 Mar 2024 08:16:00 GMT</D:getlastmodified>
<D:getetag>"65e583a0-9"</D:getetag>
<D:resourcetype></D:resourcetype>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
</D:response>
</D:multistatus>
""".encode("utf-8")

# WsgiDAV 4 (lxml serialiser, no pretty-printing): custom namespaces declared per response.
WSGIDAV_PROPFIND = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b'<D:multistatus xmlns:D="DAV:"><D:response xmlns:NS1="urn:example:props">'
    b"<D:href>/share/Gr%C3%BC%C3%9Fe/</D:href><D:propstat><D:prop>"
    b"<D:resourcetype><D:collection/></D:resourcetype>"
    b"<D:displayname>Gr\xc3\xbc\xc3\x9fe</D:displayname>"
    b"<D:getlastmodified>Thu, 07 Mar 2024 16:45:12 GMT</D:getlastmodified>"
    b"</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    b"<D:propstat><D:prop><NS1:color/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status>"
    b"</D:propstat></D:response>"
    b'<D:response xmlns:NS1="urn:example:props">'
    b"<D:href>/share/Gr%C3%BC%C3%9Fe/notes.md</D:href><D:propstat><D:prop>"
    b"<D:resourcetype/><D:getcontenttype>text/markdown</D:getcontenttype>"
    b'<D:getetag>"5f1c0b7e2d9a4c3b8e6f-1709829912-311"</D:getetag>'
    b"<NS1:color>blue</NS1:color>"
    b"</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    b"</D:multistatus>"
)

# Microsoft IIS style: absolute-URL hrefs, "a:" as the DAV: prefix, a Microsoft namespace.
IIS_PROPFIND = b"""<?xml version="1.0"?>
<a:multistatus xmlns:b="urn:uuid:c2f41010-65b3-11d1-a29f-00aa00c14882/" xmlns:a="DAV:">
<a:response><a:href>http://files.example.org/dav/</a:href><a:propstat><a:status>HTTP/1.1 200 OK</a:status><a:prop>
<a:resourcetype><a:collection/></a:resourcetype><a:getlastmodified b:dt="dateTime.rfc1123">Fri, 08 Mar 2024 10:00:00 GMT</a:getlastmodified>
</a:prop></a:propstat></a:response>
<a:response><a:href>http://files.example.org/dav/Meeting%20notes.txt</a:href><a:propstat><a:status>HTTP/1.1 200 OK</a:status><a:prop>
<a:resourcetype/><a:getcontentlength b:dt="int">1204</a:getcontentlength>
<a:getetag>"0a8c4d5e371da1:0"</a:getetag>
</a:prop></a:propstat></a:response>
</a:multistatus>
"""

# RFC 6578 sync-collection REPORT: one changed member, one removed member, a new token.
SYNC_COLLECTION = b"""<?xml version="1.0" encoding="utf-8" ?>
<d:multistatus xmlns:d="DAV:">
  <d:response>
    <d:href>/calendars/alice/work/new-event.ics</d:href>
    <d:propstat>
      <d:prop><d:getetag>"00001-abcd1"</d:getetag></d:prop>
      <d:status>HTTP/1.1 200 OK</d:status>
    </d:propstat>
  </d:response>
  <d:response>
    <d:href>/calendars/alice/work/removed.ics</d:href>
    <d:status>HTTP/1.1 404 Not Found</d:status>
  </d:response>
  <d:sync-token>http://example.com/ns/sync/1234</d:sync-token>
</d:multistatus>
"""

# RFC 4918 §9.6.2: DELETE of a collection with a locked member (status form + DAV:error).
DELETE_LOCKED = b"""<?xml version="1.0" encoding="utf-8" ?>
<d:multistatus xmlns:d="DAV:">
  <d:response>
    <d:href>http://www.example.com/container/resource3</d:href>
    <d:status>HTTP/1.1 423 Locked</d:status>
    <d:error><d:lock-token-submitted/></d:error>
  </d:response>
  <d:responsedescription>Some members could not be deleted</d:responsedescription>
</d:multistatus>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""

LAUGHS_IN_TEXT = BILLION_LAUGHS + (
    b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/x</D:href>'
    b"<D:propstat><D:prop><D:displayname>&lol9;</D:displayname></D:prop>"
    b"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
)
LAUGHS_IN_ATTRIBUTE = BILLION_LAUGHS + b'<D:multistatus xmlns:D="DAV:" a="&lol9;"/>'


def _xxe(entity_decl: bytes, use: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE D:multistatus [ ' + entity_decl + b" ]>\n"
        b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>/x</D:href><D:propstat><D:prop>'
        b"<D:displayname>" + use + b"</D:displayname></D:prop>"
        b"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
    )


def _passwd_markers() -> list[str]:
    """Strings that would only show up if /etc/passwd had been read."""
    try:
        lines = Path("/etc/passwd").read_text().splitlines()
    except OSError:
        lines = []
    markers = [line for line in lines[:3] if line.strip()]
    return markers + ["root:x:0:0", "/bin/bash", "/usr/sbin/nologin"]


def _assert_no_passwd(*texts: object) -> None:
    for text in texts:
        for marker in _passwd_markers():
            assert marker not in str(text)


# --- typical servers -------------------------------------------------------------------------


def test_apache_mod_dav_propfind_with_404_propstats():
    ms = parse_multistatus(APACHE_PROPFIND)
    assert [r.href for r in ms] == ["/dav/projects/", "/dav/projects/Quarterly%20report.odt"]
    assert ms.problems == [] and ms.sync_token is None

    folder = ms.find("/dav/projects")  # without the trailing slash
    assert folder is ms.responses[0]
    assert folder.is_collection
    assert folder.status is None and [p.status for p in folder.propstats] == [200, 404]
    assert folder.propstats[1].status_line == "HTTP/1.1 404 Not Found"
    assert folder.prop_text("{DAV:}getetag") == '"1000-612e8a7b3c4d0"'
    assert folder.status_of("{DAV:}getcontentlength") == 404
    assert folder.prop("{DAV:}getcontentlength") is None  # 404 properties are not values
    assert set(folder.props_with_status(404)) == {
        "{DAV:}displayname",
        "{DAV:}getcontentlength",
        "{http://example.com/ns}color",
    }

    report = ms.find("/dav/projects/Quarterly report.odt")
    assert report is ms.responses[1] and report.path == "/dav/projects/Quarterly report.odt"
    assert not report.is_collection
    assert report.prop_text("{DAV:}getcontentlength") == "18342"
    assert report.status_of("{http://example.com/ns}color") == 404
    assert report.status_of("{DAV:}getetag") == 200
    assert report.status_of("{DAV:}quota-used-bytes") is None  # never reported
    assert is_strong_etag(report.prop_text("{DAV:}getetag"))
    modified = parse_http_date(report.prop_text("{DAV:}getlastmodified"))
    assert modified is not None and (modified.year, modified.month, modified.day) == (2024, 3, 6)


def test_nginx_dav_ext_percent_encoded_non_ascii_hrefs():
    ms = parse_multistatus(NGINX_PROPFIND)
    paths = ms.by_path()
    assert set(paths) == {"/webdav/", "/webdav/café menu.txt", "/webdav/日本語.txt"}
    menu = paths["/webdav/café menu.txt"]
    assert menu.href == "/webdav/caf%C3%A9%20menu.txt"  # kept as sent
    assert menu.prop_text("{DAV:}displayname") == "café menu.txt"
    assert menu.prop_text("{DAV:}getetag") == '"65e58372-2a"'
    # The same response is found by unquoted path, by quoted href and by absolute URL.
    assert ms.find("/webdav/" + quote("日本語.txt")) is paths["/webdav/日本語.txt"]
    assert ms.find("http://localhost:8080/webdav/caf%C3%A9%20menu.txt") is menu
    assert ms.find("/webdav") is paths["/webdav/"]
    assert paths["/webdav/"].is_collection and not menu.is_collection
    assert paths["/webdav/"].prop("{DAV:}lockdiscovery") is not None
    assert ms.find("/webdav/missing.txt") is None


def test_wsgidav_single_line_body_with_custom_namespace():
    ms = parse_multistatus(WSGIDAV_PROPFIND)
    folder = ms.find("/share/Grüße/")
    notes = ms.find("/share/Grüße/notes.md")
    assert folder is not None and notes is not None and folder is not notes
    assert folder.is_collection and folder.prop_text("{DAV:}displayname") == "Grüße"
    assert folder.status_of("{urn:example:props}color") == 404
    assert folder.prop_text("{urn:example:props}color") is None
    assert notes.prop_text("{urn:example:props}color") == "blue"
    assert notes.prop_text("{DAV:}getcontenttype") == "text/markdown"
    assert notes.prop_text("{DAV:}resourcetype") == ""  # present, empty
    assert not notes.is_collection


def test_absolute_url_hrefs_map_to_paths():
    ms = parse_multistatus(IIS_PROPFIND)
    assert ms.responses[0].href == "http://files.example.org/dav/"
    assert set(ms.by_path()) == {"/dav/", "/dav/Meeting notes.txt"}
    notes = ms.find("/dav/Meeting notes.txt")
    assert notes is not None and notes.prop_text("{DAV:}getcontentlength") == "1204"
    # A prefixed attribute on a property stays on the element.
    length = notes.prop("{DAV:}getcontentlength")
    assert length.get("{urn:uuid:c2f41010-65b3-11d1-a29f-00aa00c14882/}dt") == "int"
    assert ms.find("https://other.example/dav") is ms.responses[0]


def test_sync_collection_report_keeps_sync_token_and_removed_members():
    ms = parse_multistatus(SYNC_COLLECTION)
    assert ms.sync_token == "http://example.com/ns/sync/1234"
    changed = ms.find("/calendars/alice/work/new-event.ics")
    removed = ms.find("/calendars/alice/work/removed.ics")
    assert changed.prop_text("{DAV:}getetag") == '"00001-abcd1"'
    assert removed.status == 404 and removed.status_line == "HTTP/1.1 404 Not Found"
    assert removed.propstats == [] and removed.status_of("{DAV:}getetag") is None


def test_status_form_response_with_error_and_description():
    ms = parse_multistatus(DELETE_LOCKED)
    (response,) = ms.responses
    assert response.status == 423 and response.path == "/container/resource3"
    assert response.error is not None
    assert response.error.find("{DAV:}lock-token-submitted") is not None
    assert ms.description == "Some members could not be deleted"


def test_status_form_with_several_hrefs_maps_each():
    body = b"""<d:multistatus xmlns:d="DAV:"><d:response>
      <d:href>/a/x</d:href><d:href>/a/y%20z</d:href><d:status>HTTP/1.1 424 Failed Dependency</d:status>
      </d:response></d:multistatus>"""
    ms = parse_multistatus(body)
    assert ms.responses[0].hrefs == ["/a/x", "/a/y%20z"]
    assert ms.find("/a/x") is ms.find("/a/y z") is ms.responses[0]
    assert ms.responses[0].status == 424


def test_empty_multistatus_and_nested_response_in_a_property_value():
    assert parse_multistatus(b'<multistatus xmlns="DAV:"/>').responses == []
    # A property whose value contains a DAV:response element is not a second response.
    body = b"""<multistatus xmlns="DAV:"><response><href>/r</href><propstat><prop>
      <x:echo xmlns:x="urn:x"><response><href>/not-a-response</href></response></x:echo>
      </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"""
    ms = parse_multistatus(body)
    assert [r.href for r in ms] == ["/r"]
    assert [r.href for r in iter_responses(io.BytesIO(body))] == ["/r"]


def test_relative_hrefs_resolve_against_base_url():
    body = b"""<multistatus xmlns="DAV:"><response><href>child%201.txt</href>
      <status>HTTP/1.1 200 OK</status></response></multistatus>"""
    assert parse_multistatus(body).responses[0].path == "child 1.txt"
    ms = parse_multistatus(body, base_url="http://h/dav/folder/")
    assert ms.responses[0].href == "http://h/dav/folder/child%201.txt"
    assert ms.find("/dav/folder/child 1.txt") is ms.responses[0]


@pytest.mark.parametrize(
    ("href", "path"),
    [
        ("/dav/a%20b/", "/dav/a b/"),
        ("http://example.com:8080/dav/caf%C3%A9", "/dav/café"),
        ("https://example.com", "/"),
        ("  /dav/x  ", "/dav/x"),
        ("/dav/100%25.txt", "/dav/100%.txt"),
    ],
)
def test_normalise_href(href, path):
    assert normalise_href(href) == path


# --- problems ---------------------------------------------------------------------------------


def test_malformed_xml_names_line_and_column():
    body = b'<?xml version="1.0"?>\n<D:multistatus xmlns:D="DAV:">\n<D:response></D:href>\n'
    with pytest.raises(XMLProblem) as info:
        parse_multistatus(body)
    assert info.value.kind == "malformed"
    assert info.value.line == 3 and info.value.column is not None
    assert "line 3" in str(info.value)


def test_unbound_prefix_is_malformed():
    with pytest.raises(XMLProblem, match="malformed XML"):
        parse_multistatus(b"<D:multistatus><D:response/></D:multistatus>")


def test_empty_and_oversized_bodies():
    with pytest.raises(XMLProblem) as info:
        parse_multistatus(b"")
    assert info.value.kind == "empty"
    with pytest.raises(XMLProblem) as info:
        parse_xml(b"  \n\t")
    assert info.value.kind == "empty"
    with pytest.raises(XMLProblem) as info:
        parse_multistatus(APACHE_PROPFIND, max_bytes=100)
    assert info.value.kind == "too-large" and str(len(APACHE_PROPFIND)) in str(info.value)
    with pytest.raises(TypeError):
        parse_xml(APACHE_PROPFIND.decode())


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b'<D:error xmlns:D="DAV:"><D:lock-token-submitted/></D:error>', "{DAV:}error"),
        (b"<html><body>Forbidden</body></html>", "<html> in no namespace"),
        (b'<D:multistatus xmlns:D="DAV"/>', "the WebDAV namespace is exactly 'DAV:'"),
        (b'<D:prop xmlns:D="DAV:"/>', "{DAV:}prop"),
    ],
)
def test_non_multistatus_root_says_what_was_found(body, found):
    with pytest.raises(MultistatusProblem) as info:
        parse_multistatus(body)
    assert found in str(info.value) and info.value.clause == "RFC4918:S14.16"
    with pytest.raises(MultistatusProblem) as info:
        list(iter_responses(io.BytesIO(body)))
    assert found in str(info.value)


def test_response_without_status_or_propstat_is_a_problem():
    body = b"""<d:multistatus xmlns:d="DAV:">
      <d:response><d:href>/ok</d:href><d:status>HTTP/1.1 200 OK</d:status></d:response>
      <d:response><d:href>/dav/empty</d:href></d:response></d:multistatus>"""
    with pytest.raises(MultistatusProblem) as info:
        parse_multistatus(body)
    assert info.value.clause == "RFC4918:S14.24" and info.value.href == "/dav/empty"
    assert "neither a DAV:status nor a DAV:propstat" in str(info.value)
    assert "/dav/empty" in str(info.value)
    # Lenient parse keeps going and lists the problem.
    ms = parse_multistatus(body, strict=False)
    assert [r.href for r in ms] == ["/ok", "/dav/empty"]
    assert len(ms.problems) == 1 and "RFC4918:S14.24" in ms.problems[0]


def test_malformed_status_line_is_a_problem_naming_it():
    body = b"""<d:multistatus xmlns:d="DAV:"><d:response><d:href>/f</d:href><d:propstat>
      <d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>200 OK</d:status>
      </d:propstat></d:response></d:multistatus>"""
    with pytest.raises(MultistatusProblem) as info:
        parse_multistatus(body)
    assert "'200 OK'" in str(info.value) and info.value.clause == "RFC4918:S14.28"
    lenient = parse_multistatus(body, strict=False)
    assert lenient.responses[0].propstats[0].status is None
    assert lenient.responses[0].prop("{DAV:}getetag") is None
    assert "'200 OK'" in lenient.problems[0]


def test_lenient_parse_recovers_code_from_http2_status_line():
    body = b"""<d:multistatus xmlns:d="DAV:"><d:response><d:href>/f</d:href>
      <d:status>HTTP/2 201 Created</d:status></d:response></d:multistatus>"""
    with pytest.raises(MultistatusProblem, match="HTTP/2 201 Created"):
        parse_multistatus(body)
    ms = parse_multistatus(body, strict=False)
    assert ms.responses[0].status == 201 and len(ms.problems) == 1


def test_propstat_without_status_and_response_without_href():
    no_status = b"""<d:multistatus xmlns:d="DAV:"><d:response><d:href>/f</d:href>
      <d:propstat><d:prop><d:getetag/></d:prop></d:propstat></d:response></d:multistatus>"""
    with pytest.raises(MultistatusProblem, match="propstat without DAV:status"):
        parse_multistatus(no_status)
    no_href = b"""<d:multistatus xmlns:d="DAV:"><d:response>
      <d:status>HTTP/1.1 200 OK</d:status></d:response></d:multistatus>"""
    with pytest.raises(MultistatusProblem, match="no DAV:href"):
        parse_multistatus(no_href)


@pytest.mark.parametrize(
    ("line", "code"),
    [("HTTP/1.1 200 OK", 200), (" HTTP/1.1 404 Not Found\n", 404), ("HTTP/1.0 507", 507),
     ("HTTP/1.1 423 Locked", 423)],
)
def test_parse_status_line_accepts(line, code):
    assert parse_status_line(line) == code


@pytest.mark.parametrize("line", ["200 OK", "HTTP/1.1 OK", "HTTP/1.1 20 OK", "HTTP/1.1  200 OK",
                                  "http/1.1 200 OK", "HTTP/2 200", ""])
def test_parse_status_line_refuses(line):
    with pytest.raises(MultistatusProblem) as info:
        parse_status_line(line)
    assert repr(line.strip()) in str(info.value)


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [LAUGHS_IN_TEXT, LAUGHS_IN_ATTRIBUTE], ids=["text", "attribute"])
def test_billion_laughs_is_refused_quickly(body):
    started = time.monotonic()
    with pytest.raises(XMLProblem) as info:
        parse_multistatus(body)
    assert info.value.kind == "entities" and "entit" in str(info.value)
    with pytest.raises(XMLProblem) as info:
        list(iter_responses(io.BytesIO(body)))
    assert info.value.kind == "entities"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("decl", "use"),
    [
        (b'<!ENTITY xxe SYSTEM "file:///etc/passwd">', b"&xxe;"),
        (b'<!ENTITY % xxe SYSTEM "file:///etc/passwd"> %xxe;', b"x"),
        (b'<!ENTITY xxe PUBLIC "-//x//y" "/etc/passwd">', b"&xxe;"),
    ],
    ids=["general", "parameter", "public"],
)
def test_xxe_file_entity_is_refused_and_never_read(decl, use):
    body = _xxe(decl, use)
    with pytest.raises(XMLProblem) as info:
        parse_multistatus(body)
    assert info.value.kind == "entities" and "xxe" in str(info.value)
    _assert_no_passwd(info.value, repr(info.value), info.value.__cause__)
    with pytest.raises(XMLProblem) as info:
        for response in iter_responses(io.BytesIO(body)):
            _assert_no_passwd(response.prop_text("{DAV:}displayname"))
    assert info.value.kind == "entities"
    _assert_no_passwd(info.value)


def test_external_dtd_is_refused_and_never_read():
    body = (
        b'<!DOCTYPE D:multistatus SYSTEM "file:///etc/passwd">'
        b'<D:multistatus xmlns:D="DAV:"/>'
    )
    with pytest.raises(XMLProblem) as info:
        parse_xml(body)
    assert info.value.kind == "external-dtd" and "file:///etc/passwd" in str(info.value)
    _assert_no_passwd(info.value)


def test_network_entities_and_dtds_open_no_connection():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/evil".encode()
    try:
        bodies = [
            _xxe(b'<!ENTITY xxe SYSTEM "' + url + b'">', b"&xxe;"),
            _xxe(b'<!ENTITY % xxe SYSTEM "' + url + b'"> %xxe;', b"x"),
            b'<!DOCTYPE D:multistatus SYSTEM "' + url + b'"><D:multistatus xmlns:D="DAV:"/>',
        ]
        for body in bodies:
            with pytest.raises(XMLProblem):
                parse_multistatus(body)
            with pytest.raises(XMLProblem):
                list(iter_responses(io.BytesIO(body)))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()


def test_plain_doctype_without_entities_is_accepted():
    body = b'<!DOCTYPE multistatus [<!ELEMENT multistatus ANY>]><multistatus xmlns="DAV:"/>'
    assert parse_multistatus(body).responses == []


def test_predefined_and_character_references_still_work():
    body = (
        b'<multistatus xmlns="DAV:"><response><href>/a&amp;b</href><propstat><prop>'
        b"<displayname>Tom &amp; Jerry &#233;&#x263A;</displayname></prop>"
        b"<status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
    )
    ms = parse_multistatus(body)
    assert ms.find("/a&b").prop_text("{DAV:}displayname") == "Tom & Jerry é\u263a"


# --- streaming --------------------------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """A stream that counts how many bytes the parser has pulled so far."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)
        self.consumed = 0

    def readable(self):
        return True

    def read(self, size=-1):
        chunk = self._inner.read(size)
        self.consumed += len(chunk)
        return chunk


def _big_multistatus(count: int) -> bytes:
    parts = [b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n']
    for i in range(count):
        parts.append(
            (
                f"<D:response><D:href>/dav/big/file%20{i:05d}.txt</D:href><D:propstat><D:prop>"
                f'<D:getetag>"etag-{i}"</D:getetag><D:getcontentlength>{i}</D:getcontentlength>'
                "<D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
                "</D:response>\n"
            ).encode()
        )
    parts.append(b"<D:sync-token>http://example.com/sync/10000</D:sync-token>\n</D:multistatus>\n")
    return b"".join(parts)


def test_iter_responses_streams_10000_responses_in_bounded_memory():
    body = _big_multistatus(10_000)
    reader = CountingReader(body)
    stream = iter_responses(reader)
    consumed_at_first = None
    most_children = 0
    previous = None
    count = 0
    for response in stream:
        etag = response.prop("{DAV:}getetag")
        if consumed_at_first is None:
            consumed_at_first = reader.consumed
        # Everything shares one document: its root shows how much of the tree is still held.
        most_children = max(most_children, len(etag.getroottree().getroot()))
        assert response.href == f"/dav/big/file%20{count:05d}.txt"
        assert response.prop_text("{DAV:}getetag") == f'"etag-{count}"'
        assert int(response.prop_text("{DAV:}getcontentlength")) == count
        if previous is not None:
            # The previous response was cut out of the tree, and is still readable.
            previous_element = previous.prop("{DAV:}getetag").getparent().getparent().getparent()
            assert previous_element.tag == "{DAV:}response"
            assert previous_element.getparent() is None
            assert previous.prop_text("{DAV:}getetag") == f'"etag-{count - 1}"'
        previous = response
        count += 1
    assert count == 10_000 == stream.count
    assert stream.sync_token == "http://example.com/sync/10000"
    assert consumed_at_first is not None and consumed_at_first < len(body) // 10
    assert most_children < 500  # a parse chunk's worth, never the 10,000


def test_iter_responses_matches_parse_multistatus():
    whole = parse_multistatus(APACHE_PROPFIND)
    streamed = list(iter_responses(io.BytesIO(APACHE_PROPFIND)))
    assert [(r.href, [p.status for p in r.propstats]) for r in streamed] == [
        (r.href, [p.status for p in r.propstats]) for r in whole
    ]
    assert [sorted(p.props) for r in streamed for p in r.propstats] == [
        sorted(p.props) for r in whole for p in r.propstats
    ]
    stream = iter_responses(SYNC_COLLECTION)  # bytes are accepted too
    assert [r.status for r in stream] == [None, 404] and stream.sync_token.endswith("/1234")


def test_iter_responses_raises_on_bad_response_after_yielding_good_ones():
    body = b"""<d:multistatus xmlns:d="DAV:">
      <d:response><d:href>/good</d:href><d:status>HTTP/1.1 200 OK</d:status></d:response>
      <d:response><d:href>/bad</d:href></d:response></d:multistatus>"""
    stream = iter_responses(io.BytesIO(body))
    assert next(stream).href == "/good"
    with pytest.raises(MultistatusProblem, match="/bad"):
        next(stream)
    lenient = iter_responses(io.BytesIO(body), strict=False)
    assert [r.href for r in lenient] == ["/good", "/bad"] and len(lenient.problems) == 1


def test_iter_responses_truncated_body_is_malformed():
    body = _big_multistatus(50)[:-600]
    stream = iter_responses(io.BytesIO(body))
    with pytest.raises(XMLProblem) as info:
        for _ in stream:
            pass
    assert info.value.kind == "malformed" and 40 <= stream.count < 50


def test_iter_events_refuses_unknown_events_and_empty_streams():
    with pytest.raises(ValueError):
        list(iter_events(b"<a/>", events=("start-ns",)))
    with pytest.raises(XMLProblem) as info:
        list(iter_events(io.BytesIO(b"")))
    assert info.value.kind == "empty"
    assert [(e, el.tag) for e, el in iter_events(b"<a><b/></a>")] == [
        ("start", "a"), ("start", "b"), ("end", "b"), ("end", "a")
    ]
