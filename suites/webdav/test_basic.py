"""WebDAV basics: OPTIONS, PUT/GET, MKCOL, DELETE (RFC 4918 §9, §10.1, §18)."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance.dav import parse_dav_header
from harness.checks import check

WEBDAV = "webdav"
BINARY = bytes(range(256)) * 64 + "Grüße, 日本語\r\n".encode()  # every byte value, plus UTF-8 and CRLF


@check("webdav/basic/options-dav-header", clause="RFC 4918 §10.1, §18.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/options"})
def test_options_dav_header(dav):
    response = dav.options("")
    assert response.status_code in (200, 204), f"OPTIONS answered {response.status_code}"
    classes = parse_dav_header([response.headers.get("DAV", "")])
    assert "1" in classes, (f"the DAV header must claim compliance class 1; got "
                            f"{response.headers.get('DAV', '(no DAV header)')!r}")


@check("webdav/basic/options-class-2", clause="RFC 4918 §18.2", level="MUST", requires=WEBDAV,
       optional="webdav-locking", peer={"litmus": "locks/options"})
def test_options_class_2(dav):
    response = dav.options("")
    classes = parse_dav_header([response.headers.get("DAV", "")])
    assert "2" in classes, (f"a server that supports LOCK must claim class 2 in its DAV header; got "
                            f"{response.headers.get('DAV', '(no DAV header)')!r}")


@check("webdav/basic/put-get", clause="RFC 4918 §9.7, RFC 9110 §9.3.4", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/put_get"})
def test_put_get(dav):
    created = dav.put("res.bin", BINARY)
    assert created.status_code == 201, f"PUT of a new resource must answer 201 Created, got {created.status_code}"
    got = dav.get("res.bin")
    assert got.status_code == 200, f"GET after PUT answered {got.status_code}"
    assert got.content == BINARY, (f"GET returned {len(got.content)} bytes that differ from the "
                                   f"{len(BINARY)} bytes PUT")


@check("webdav/basic/put-get-utf8-name", clause="RFC 4918 §8.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/put_get_utf8_segment"})
def test_put_get_utf8_name(dav):
    created = dav.put("grüße €.txt", b"utf-8 segment\n", "text/plain")
    assert created.status_code == 201, f"PUT to a percent-encoded UTF-8 name answered {created.status_code}"
    got = dav.get("grüße €.txt")
    assert got.status_code == 200 and got.content == b"utf-8 segment\n", \
        f"GET of the UTF-8 name answered {got.status_code} with {len(got.content)} bytes"


@check("webdav/basic/put-etag", clause="RFC 4918 §8.6", level="SHOULD", requires=WEBDAV)
def test_put_etag(dav):
    dav.put("etag.txt", b"version 1\n", "text/plain")
    got = dav.get("etag.txt")
    etag = got.headers.get("ETag")
    assert etag, "GET of a resource should carry an ETag header (servers SHOULD support strong ETags)"
    assert not etag.startswith("W/"), f"the ETag {etag} is weak; WebDAV servers SHOULD give strong ETags"


@check("webdav/basic/put-overwrite", clause="RFC 4918 §9.7, RFC 9110 §9.3.4", level="MUST", requires=WEBDAV)
def test_put_overwrite(dav):
    dav.put("over.txt", b"first\n", "text/plain")
    first_etag = dav.get("over.txt").headers.get("ETag")
    replaced = dav.put("over.txt", b"second, longer\n", "text/plain")
    assert replaced.status_code in (200, 204), \
        f"PUT replacing a resource must answer 200 or 204, got {replaced.status_code}"
    got = dav.get("over.txt")
    assert got.content == b"second, longer\n", "GET after the second PUT did not return the new content"
    if first_etag and got.headers.get("ETag"):
        assert got.headers["ETag"] != first_etag, "the ETag did not change although the content did"


@check("webdav/basic/put-no-parent", clause="RFC 4918 §9.7.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/put_no_parent"})
def test_put_no_parent(dav):
    response = dav.put("missing-parent/res.txt", b"orphan\n", "text/plain")
    assert response.status_code == 409, (f"PUT below a collection that does not exist must answer 409 Conflict, "
                                         f"got {response.status_code}")


@check("webdav/basic/mkcol-over-plain", clause="RFC 4918 §9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/mkcol_over_plain"})
def test_mkcol_over_plain(dav):
    assert dav.put("plain", b"not a collection\n", "text/plain").status_code == 201, "set-up: PUT failed"
    response = dav.mkcol("plain")
    assert not 200 <= response.status_code < 300, (
        f"MKCOL on a URL already mapped to a resource MUST fail, but it answered {response.status_code}")
    assert dav.get("plain").content == b"not a collection\n", "MKCOL over a plain resource changed its content"


@check("webdav/basic/mkcol-over-plain-405", clause="RFC 4918 §9.3.1", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "basic/mkcol_over_plain"})
def test_mkcol_over_plain_405(dav):
    assert dav.put("plain", b"not a collection\n", "text/plain").status_code == 201, "set-up: PUT failed"
    response = dav.mkcol("plain")
    assert response.status_code == 405, (f"MKCOL on a mapped URL fails with 405 Method Not Allowed (\"MKCOL can only "
                                         f"be executed on an unmapped URL\"), got {response.status_code}")


@check("webdav/basic/mkcol", clause="RFC 4918 §9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/mkcol"})
def test_mkcol(dav):
    response = dav.mkcol("sub/")
    assert response.status_code == 201, f"MKCOL must answer 201 Created, got {response.status_code}"
    listing = dav.propfind("sub/", depth="0")
    assert listing.status_code == 207, f"PROPFIND of the new collection answered {listing.status_code}"


@check("webdav/basic/mkcol-again", clause="RFC 4918 §9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/mkcol_again"})
def test_mkcol_again(dav):
    assert dav.mkcol("sub/").status_code == 201, "set-up: the first MKCOL did not create the collection"
    response = dav.mkcol("sub/")
    assert not 200 <= response.status_code < 300, (
        f"MKCOL on a URL already mapped to a collection MUST fail, but it answered {response.status_code}")


@check("webdav/basic/mkcol-again-405", clause="RFC 4918 §9.3.1", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "basic/mkcol_again"})
def test_mkcol_again_405(dav):
    assert dav.mkcol("sub/").status_code == 201, "set-up: the first MKCOL did not create the collection"
    response = dav.mkcol("sub/")
    assert response.status_code == 405, (f"MKCOL on an existing collection fails with 405 Method Not Allowed "
                                         f"(\"MKCOL can only be executed on an unmapped URL\"), got "
                                         f"{response.status_code}")


@check("webdav/basic/mkcol-no-parent", clause="RFC 4918 §9.3.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/mkcol_no_parent"})
def test_mkcol_no_parent(dav):
    response = dav.mkcol("missing/sub/")
    assert response.status_code == 409, (f"MKCOL with missing intermediate collections must answer 409 Conflict, "
                                         f"got {response.status_code}")


@check("webdav/basic/mkcol-with-body", clause="RFC 4918 §9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/mkcol_with_body"})
def test_mkcol_with_body(dav):
    response = dav.request("MKCOL", "bodied/", headers={"Content-Type": "xzy-foo/bar-512"}, body=b"afafafaf")
    assert response.status_code == 415, (f"MKCOL with a body of a type the server does not understand must "
                                         f"answer 415 Unsupported Media Type, got {response.status_code}")


@check("webdav/basic/delete", clause="RFC 4918 §9.6", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/delete"})
def test_delete(dav):
    dav.put("gone.txt", b"bye\n", "text/plain")
    response = dav.delete("gone.txt")
    assert response.status_code in (200, 204), f"DELETE answered {response.status_code}"
    after = dav.get("gone.txt")
    assert after.status_code == 404, f"GET after DELETE must answer 404, got {after.status_code}"


@check("webdav/basic/delete-null", clause="RFC 9110 §9.3.5, §15.5.5", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "basic/delete_null"})
def test_delete_null(dav):
    response = dav.delete("never-was.txt")
    assert response.status_code == 404, (f"DELETE of a resource that does not exist should answer 404 Not Found, "
                                         f"got {response.status_code}")


@check("webdav/basic/delete-fragment", clause="RFC 9112 §3, RFC 3986 §3.5", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "basic/delete_fragment"})
def test_delete_fragment(dav):
    dav.mkcol("frag/")
    target = urlsplit(dav.url("frag/")).path + "#ment"
    status, _headers, _body = dav.raw_request("DELETE", target)
    still_there = dav.propfind("frag/", depth="0").status_code == 207
    assert still_there or status in (400, 301), (
        f"DELETE with a fragment in the request-target ({target}) answered {status} and removed the collection; "
        f"a request-line with '#' is invalid and should be refused with 400")


@check("webdav/basic/delete-collection", clause="RFC 4918 §9.6.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "basic/delete_coll"})
def test_delete_collection(dav):
    dav.mkcol("tree/")
    dav.mkcol("tree/inner/")
    dav.put("tree/inner/leaf.txt", b"leaf\n", "text/plain")
    response = dav.delete("tree/")
    assert response.status_code in (200, 204), f"DELETE of a collection answered {response.status_code}"
    for path in ("tree/", "tree/inner/", "tree/inner/leaf.txt"):
        status = dav.get(path).status_code
        assert status == 404, f"after DELETE of the collection, GET {path} answered {status}, not 404"
