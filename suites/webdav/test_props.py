"""PROPFIND at Depth 0 and 1, and the live properties every resource carries (RFC 4918 §9.1, §15)."""

from __future__ import annotations

import pytest

from conformance.dav import parse_http_date
from harness.checks import check
from suites.webdav.helpers import multistatus

WEBDAV = "webdav"
CONTENT = b"0123456789" * 100


@check("webdav/props/propfind-depth-0", clause="RFC 4918 §9.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "props/propfind_d0"})
def test_propfind_depth_0(dav):
    dav.put("member.txt", CONTENT, "text/plain")
    ms = multistatus(dav.propfind("", depth="0"))
    assert len(ms.responses) == 1, (f"PROPFIND Depth 0 on a collection must describe only the collection, "
                                    f"got {len(ms.responses)} responses")
    only = ms.responses[0]
    assert only.is_collection, "the collection's DAV:resourcetype does not contain DAV:collection"


@check("webdav/props/propfind-depth-1", clause="RFC 4918 §9.1", level="MUST", requires=WEBDAV)
def test_propfind_depth_1(dav):
    dav.put("member.txt", CONTENT, "text/plain")
    dav.mkcol("child/")
    ms = multistatus(dav.propfind("", depth="1"))
    base_path = dav.url("")
    collection = ms.find(base_path)
    assert collection is not None, "the Depth 1 multistatus has no response for the collection itself"
    member = ms.find(dav.url("member.txt"))
    assert member is not None, "the Depth 1 multistatus has no response for the member resource"
    child = ms.find(dav.url("child/"))
    assert child is not None, "the Depth 1 multistatus has no response for the member collection"
    assert child.is_collection, "the member collection's resourcetype is not DAV:collection"
    assert not member.is_collection, "a plain resource is described as a collection"
    length = member.prop_text("{DAV:}getcontentlength")
    assert length == str(len(CONTENT)), f"getcontentlength is {length!r}, expected {len(CONTENT)}"
    assert len(ms.responses) == 3, f"expected 3 responses (collection and 2 members), got {len(ms.responses)}"


@check("webdav/props/getetag-matches-etag", clause="RFC 4918 §15.6", level="MUST", requires=WEBDAV)
def test_getetag_matches_etag(dav):
    dav.put("tagged.txt", CONTENT, "text/plain")
    header = dav.get("tagged.txt").headers.get("ETag")
    ms = multistatus(dav.propfind("tagged.txt", depth="0"))
    prop = ms.responses[0].prop_text("{DAV:}getetag")
    if header is None:
        assert prop is None, "DAV:getetag is defined although GET returns no ETag header"
    else:
        assert prop is not None, f"GET returns the ETag {header} but the resource has no DAV:getetag property"
        assert prop == header, f"DAV:getetag {prop!r} differs from the ETag header {header!r} of GET"


@check("webdav/props/getlastmodified-format", clause="RFC 4918 §15.7, RFC 9110 §5.6.7", level="MUST",
       requires=WEBDAV)
def test_getlastmodified_format(dav):
    dav.put("dated.txt", CONTENT, "text/plain")
    ms = multistatus(dav.propfind("dated.txt", depth="0"))
    value = ms.responses[0].prop_text("{DAV:}getlastmodified")
    if not value:
        header = dav.get("dated.txt").headers.get("Last-Modified")
        if not header:  # §15.7: defined on a resource whose GET returns Last-Modified
            pytest.skip("not applicable: GET sends no Last-Modified, so DAV:getlastmodified need not be defined")
        assert value, f"GET answers Last-Modified: {header} but the resource has no DAV:getlastmodified"
    assert parse_http_date(value) is not None, f"DAV:getlastmodified {value!r} is not an RFC 1123 date"
