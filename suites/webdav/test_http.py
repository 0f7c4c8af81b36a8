"""HTTP underneath WebDAV: Expect: 100-continue, byte ranges, content types, conditional PUT, empty
resources, collections named without their trailing slash, HEAD.

RFC 9110 §10.1.1 (Expect), §14.2-§14.4, §15.3.7, §15.5.17 (Range, Content-Range, 206, 416),
§8.3 and §9.3.4 (Content-Type, PUT), §13.1.1, §13.1.2, §13.2.2 (If-Match, If-None-Match),
§9.3.2 (HEAD); RFC 4918 §5.2 (collection URLs without a trailing slash), §15.4 (getcontentlength).

litmus's ``http`` group holds one test, expect100; the rest goes beyond litmus.
"""

from __future__ import annotations

import base64
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from harness.checks import check, precondition_failed
from harness.evidence import Exchange
from harness.http import within
from suites.webdav.helpers import multistatus

WEBDAV = "webdav"
BODY = bytes((n * 7 + 3) % 256 for n in range(1000))  # 1000 bytes, no two neighbours alike
RAW_WAIT_S = 5.0  # how long a raw-socket check waits for an answer that should come at once


def _ok(response) -> bool:
    return 200 <= response.status_code < 300


# -- raw HTTP/1.1 over a socket, for what requests hides (interim responses, bytes after HEAD) ----------

def _raw_connect(dav, url: str) -> socket.socket:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=RAW_WAIT_S)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        if dav.session.verify is False:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        sock = context.wrap_socket(sock, server_hostname=parts.hostname)
    return sock


def _raw_head(dav, method: str, url: str, extra: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The request line and header block for ``method url``, with the target's credentials."""
    parts = urlsplit(url)
    headers = {"Host": parts.netloc, "User-Agent": "overstap", **extra}
    if dav.target.credentials:
        token = f"{dav.target.credentials.username}:{dav.target.credentials.password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), headers


def _read_head(reader) -> tuple[int, str, dict[str, str]]:
    """Status code, reason and header fields of the next response head on ``reader``."""
    line = reader.readline()
    if not line:
        raise ConnectionError("the server closed the connection without a response")
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not code.isdigit():
        raise ValueError(f"not a status line: {line[:80]!r}")
    fields: dict[str, str] = {}
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return int(code), reason, fields
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip()] = value.strip()


def _record(dav, method: str, url: str, headers: dict, body_size: int = 0) -> Exchange:
    exchange = Exchange(method=method, url=url, request_headers=dict(headers), request_body_size=body_size)
    dav.exchanges.append(exchange)
    return exchange


# -- Expect: 100-continue -----------------------------------------------------------------------------

@check("webdav/http/expect-100-continue", clause="RFC 9110 §10.1.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "http/expect100"})
def test_expect_100_continue(dav):
    url = dav.url("expect100")
    assert within(url, dav.write_scope), "harness: raw PUT outside the check's collection"
    content = bytes(range(100))
    head, headers = _raw_head(dav, "PUT", url, {"Content-Length": "100", "Content-Type": "application/octet-stream",
                                                "Expect": "100-continue", "Connection": "close"})
    exchange = _record(dav, "PUT", url, headers)
    started = time.monotonic()
    with _raw_connect(dav, url) as sock:
        sock.sendall(head)
        reader = sock.makefile("rb")
        try:
            code, reason, fields = _read_head(reader)
        except (TimeoutError, socket.timeout):
            exchange.error = f"no response within {RAW_WAIT_S} s"
            raise AssertionError(f"the server sent neither 100 Continue nor a final status within {RAW_WAIT_S} s of "
                                 f"a PUT with 'Expect: 100-continue' (it must answer at once, not wait for the "
                                 f"content)") from None
        interim = code == 100
        if interim:
            sock.sendall(content)
            exchange.request_body, exchange.request_body_size = content, len(content)
            code, reason, fields = _read_head(reader)
        exchange.elapsed_s = time.monotonic() - started
        exchange.status, exchange.response_headers = code, fields
        exchange.reason = reason + (" (after 100 Continue)" if interim else " (no 100 Continue)")
    assert 200 <= code < 600, f"no final status after the interim response (got {code})"
    if 200 <= code < 300:
        got = dav.get("expect100")
        assert got.content == content, (f"the PUT answered {code} but GET returns {len(got.content)} bytes, not the "
                                        f"100 sent after 100 Continue")
    else:
        assert not interim, f"after 100 Continue and the content, the PUT failed with {code} {reason}"


# -- byte ranges --------------------------------------------------------------------------------------

def _content_range(value: str | None) -> tuple[int, int, int] | None:
    """(first, last, complete length) of a ``bytes first-last/length`` Content-Range, else None."""
    if not value:
        return None
    unit, _, spec = value.strip().partition(" ")
    span, _, length = spec.partition("/")
    first, _, last = span.partition("-")
    if unit.lower() != "bytes" or not (first.isdigit() and last.isdigit() and length.isdigit()):
        return None
    return int(first), int(last), int(length)


@check("webdav/http/range-supported", clause="RFC 9110 §14.2", level="MAY", requires=WEBDAV)
def test_range_supported(dav):
    assert _ok(dav.put("ranged.bin", BODY)), "setup: PUT failed"
    response = dav.get("ranged.bin", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206, (f"GET with 'Range: bytes=100-199' answered {response.status_code}, not "
                                         f"206 Partial Content: the server ignores byte ranges (allowed, but resumed "
                                         f"and partial downloads then cost the whole file)")


@check("webdav/http/range-partial-content", clause="RFC 9110 §14.4, §15.3.7", level="MUST", requires=WEBDAV)
def test_range_partial_content(dav):
    assert _ok(dav.put("ranged.bin", BODY)), "setup: PUT failed"
    total = len(BODY)
    for spec, first, last in (("bytes=100-199", 100, 199), ("bytes=-50", total - 50, total - 1),
                              ("bytes=990-", 990, total - 1)):
        response = dav.get("ranged.bin", headers={"Range": spec})
        if response.status_code == 200:  # Range ignored, which RFC 9110 §14.2 allows: the whole body then
            assert response.content == BODY, \
                f"GET with the Range ignored answered 200 with {len(response.content)} wrong bytes"
            continue
        assert response.status_code == 206, f"GET with 'Range: {spec}' answered {response.status_code}"
        parsed = _content_range(response.headers.get("Content-Range"))
        assert parsed == (first, last, total), (
            f"a 206 to 'Range: {spec}' must carry 'Content-Range: bytes {first}-{last}/{total}', "
            f"got {response.headers.get('Content-Range')!r}")
        assert response.content == BODY[first:last + 1], (f"the 206 to 'Range: {spec}' holds {len(response.content)} "
                                                          f"bytes that are not bytes {first}-{last} of the resource")


@check("webdav/http/range-not-satisfiable", clause="RFC 9110 §14.2, §15.5.17", level="SHOULD", requires=WEBDAV)
def test_range_not_satisfiable(dav):
    assert _ok(dav.put("ranged.bin", BODY)), "setup: PUT failed"
    if dav.get("ranged.bin", headers={"Range": "bytes=0-9"}).status_code != 206:
        precondition_failed("the target ignores byte ranges (RFC 9110 §14.2 allows it)")
    response = dav.get("ranged.bin", headers={"Range": f"bytes={len(BODY) + 100}-{len(BODY) + 200}"})
    assert response.status_code == 416, (f"a Range wholly past the end of a resource that supports ranges should be "
                                         f"answered 416 Range Not Satisfiable, got {response.status_code}")
    assert (response.headers.get("Content-Range") or "").replace(" ", "") == f"bytes*/{len(BODY)}", (
        f"a 416 should carry 'Content-Range: bytes */{len(BODY)}', got {response.headers.get('Content-Range')!r}")


# -- Content-Type -------------------------------------------------------------------------------------

def _media_type(value: str | None) -> str | None:
    return value.split(";", 1)[0].strip().lower() if value else None


@check("webdav/http/get-content-type", clause="RFC 9110 §8.3", level="SHOULD", requires=WEBDAV)
def test_get_content_type(dav):
    assert _ok(dav.put("notes.txt", b"plain text\n", "text/plain; charset=utf-8")), "setup: PUT failed"
    response = dav.get("notes.txt")
    assert response.status_code == 200, f"GET answered {response.status_code}"
    assert response.headers.get("Content-Type"), ("GET of a resource PUT as text/plain carries no Content-Type: a "
                                                  "server that knows the media type should send it")


@check("webdav/http/put-content-type-preserved", clause="RFC 9110 §9.3.4, §8.3", level="MAY", requires=WEBDAV)
def test_put_content_type_preserved(dav):
    kind = "application/vnd.overstap.test+json"
    assert _ok(dav.put("record", b'{"kept": true}\n', kind)), "setup: PUT failed"
    got = _media_type(dav.get("record").headers.get("Content-Type"))
    assert got == kind, (f"PUT as {kind} (a type the name does not reveal) but GET returns {got!r}: the server "
                         f"does not keep the media type it was given, so moving data through it loses it")


# -- conditional PUT: lost-update prevention ----------------------------------------------------------

def _etag(dav, path: str) -> str:
    etag = dav.get(path).headers.get("ETag")
    if not etag:
        precondition_failed("GET returns no ETag (servers SHOULD give one: webdav/basic/put-etag)")
    return etag


@check("webdav/http/put-if-match-stale", clause="RFC 9110 §13.1.1", level="MUST", requires=WEBDAV)
def test_put_if_match_stale(dav):
    assert _ok(dav.put("doc.txt", b"version 1\n", "text/plain")), "setup: PUT failed"
    response = dav.put("doc.txt", b"lost update\n", "text/plain", headers={"If-Match": '"overstap-stale-etag"'})
    assert response.status_code == 412, (f"PUT with an If-Match that matches no current ETag must not be performed "
                                         f"and answers 412 Precondition Failed, got {response.status_code}")
    assert dav.get("doc.txt").content == b"version 1\n", "the PUT was performed although its If-Match was false"


@check("webdav/http/put-if-match-current", clause="RFC 9110 §13.1.1", level="MUST", requires=WEBDAV)
def test_put_if_match_current(dav):
    assert _ok(dav.put("doc.txt", b"version 1\n", "text/plain")), "setup: PUT failed"
    etag = _etag(dav, "doc.txt")
    if etag.startswith("W/"):  # If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches
        precondition_failed(f"GET gives the weak ETag {etag}, which If-Match can never match; lost-update "
                            f"protection needs a strong one (webdav/basic/put-etag)")
    response = dav.put("doc.txt", b"version 2\n", "text/plain", headers={"If-Match": etag})
    assert _ok(response), f"PUT with If-Match of the current ETag {etag} must be performed, got {response.status_code}"
    assert dav.get("doc.txt").content == b"version 2\n", "PUT with a matching If-Match did not replace the content"


@check("webdav/http/put-if-match-star-missing", clause="RFC 9110 §13.1.1", level="MUST", requires=WEBDAV)
def test_put_if_match_star_missing(dav):
    response = dav.put("absent.txt", b"must not appear\n", "text/plain", headers={"If-Match": "*"})
    assert response.status_code == 412, (f"'If-Match: *' is false when the resource does not exist; PUT must answer "
                                         f"412, got {response.status_code}")
    assert dav.get("absent.txt").status_code == 404, "PUT with a false 'If-Match: *' created the resource"


@check("webdav/http/put-if-none-match-star-existing", clause="RFC 9110 §13.1.2", level="MUST", requires=WEBDAV)
def test_put_if_none_match_star_existing(dav):
    assert _ok(dav.put("doc.txt", b"first writer\n", "text/plain")), "setup: PUT failed"
    response = dav.put("doc.txt", b"second writer\n", "text/plain", headers={"If-None-Match": "*"})
    assert response.status_code == 412, (f"PUT with 'If-None-Match: *' onto an existing resource must answer 412, "
                                         f"got {response.status_code}")
    assert dav.get("doc.txt").content == b"first writer\n", "PUT with a false 'If-None-Match: *' replaced the content"


@check("webdav/http/put-if-none-match-star-new", clause="RFC 9110 §13.1.2, §9.3.4", level="MUST", requires=WEBDAV)
def test_put_if_none_match_star_new(dav):
    response = dav.put("fresh.txt", b"created once\n", "text/plain", headers={"If-None-Match": "*"})
    assert response.status_code == 201, (f"PUT with 'If-None-Match: *' of a new resource must be performed and "
                                         f"answer 201 Created, got {response.status_code}")
    assert dav.get("fresh.txt").content == b"created once\n", "the conditional PUT did not store the content"


@check("webdav/http/get-if-none-match-304", clause="RFC 9110 §13.1.2", level="MUST", requires=WEBDAV)
def test_get_if_none_match_304(dav):
    assert _ok(dav.put("doc.txt", b"cache me\n", "text/plain")), "setup: PUT failed"
    etag = _etag(dav, "doc.txt")
    response = dav.get("doc.txt", headers={"If-None-Match": etag})
    assert response.status_code == 304, (f"GET with If-None-Match of the current ETag must answer 304 Not Modified, "
                                         f"got {response.status_code}")


# -- empty resources ----------------------------------------------------------------------------------

@check("webdav/http/put-empty", clause="RFC 9110 §9.3.4, §8.6", level="MUST", requires=WEBDAV)
def test_put_empty(dav):
    created = dav.put("empty.bin", b"")
    assert created.status_code == 201, f"PUT of 0 bytes to a new resource must answer 201, got {created.status_code}"
    got = dav.get("empty.bin")
    assert got.status_code == 200, f"GET of an empty resource answered {got.status_code}, not 200"
    assert got.content == b"", f"GET of an empty resource returned {len(got.content)} bytes"
    length = got.headers.get("Content-Length")
    assert length in (None, "0"), f"GET of an empty resource says 'Content-Length: {length}'"


@check("webdav/http/empty-getcontentlength", clause="RFC 4918 §15.4", level="MUST", requires=WEBDAV)
def test_empty_getcontentlength(dav):
    assert dav.put("empty.bin", b"").status_code == 201, "setup: PUT of 0 bytes failed"
    header = dav.get("empty.bin").headers.get("Content-Length")
    listing = multistatus(dav.propfind("empty.bin", depth="0"))
    value = listing.responses[0].prop_text("{DAV:}getcontentlength") if listing.responses else None
    if header is not None:
        assert value is not None, "GET sends Content-Length, so DAV:getcontentlength must be defined, but it is not"
    assert value in (None, "0"), f"DAV:getcontentlength of an empty resource is {value!r}, not '0'"


# -- a collection named without its trailing slash ----------------------------------------------------

def _redirects_to_slash(dav, response, path: str) -> bool:
    location = response.headers.get("Location")
    return (300 <= response.status_code < 400 and location is not None
            and urlsplit(urljoin(dav.url(path), location)).path == urlsplit(dav.url(path + "/")).path)


@check("webdav/http/propfind-collection-no-slash", clause="RFC 4918 §5.2", level="MAY", requires=WEBDAV)
def test_propfind_collection_no_slash(dav):
    assert dav.mkcol("coll/").status_code == 201, "setup: MKCOL failed"
    response = dav.propfind("coll", depth="0")
    if _redirects_to_slash(dav, response, "coll"):
        return
    assert response.status_code == 207, (f"PROPFIND of a collection named without its trailing slash answered "
                                         f"{response.status_code}: by the convention of §5.2 it is handled "
                                         f"as the slash form or redirected to it")
    listing = multistatus(response)
    assert len(listing.responses) == 1 and listing.responses[0].is_collection, \
        "PROPFIND of the collection without its slash does not describe a collection"


@check("webdav/http/get-collection-no-slash", clause="RFC 4918 §5.2", level="MAY", requires=WEBDAV)
def test_get_collection_no_slash(dav):
    assert dav.mkcol("coll/").status_code == 201, "setup: MKCOL failed"
    with_slash = dav.get("coll/").status_code
    response = dav.get("coll")
    assert _redirects_to_slash(dav, response, "coll") or response.status_code == with_slash, (
        f"GET of a collection without its trailing slash answered {response.status_code} "
        f"(Location {response.headers.get('Location')!r}); with the slash it answers {with_slash}: by the "
        f"convention of §5.2 it answers the same or redirects to the slash form")


@check("webdav/http/no-slash-content-location", clause="RFC 4918 §5.2", level="SHOULD", requires=WEBDAV)
def test_no_slash_content_location(dav):
    assert dav.mkcol("coll/").status_code == 201, "setup: MKCOL failed"
    response = dav.propfind("coll", depth="0")
    if response.status_code != 207:
        precondition_failed(f"PROPFIND of the name without slash answered {response.status_code}, so the server does "
                            f"not handle it as the collection: the case this SHOULD is about does not arise")
    location = response.headers.get("Content-Location")
    assert location and urlsplit(urljoin(dav.url("coll"), location)).path == urlsplit(dav.url("coll/")).path, (
        f"a server that handles 'coll' as 'coll/' should send Content-Location naming 'coll/', got {location!r}")


# -- HEAD ---------------------------------------------------------------------------------------------

@check("webdav/http/head-no-content", clause="RFC 9110 §9.3.2", level="MUST", requires=WEBDAV)
def test_head_no_content(dav):
    assert _ok(dav.put("page.txt", BODY)), "setup: PUT failed"
    url = dav.url("page.txt")
    head, headers = _raw_head(dav, "HEAD", url, {})
    follow, _ = _raw_head(dav, "GET", url, {"Connection": "close"})
    exchange = _record(dav, "HEAD", url, headers)
    with _raw_connect(dav, url) as sock:
        sock.sendall(head + follow)  # pipelined: whatever follows the HEAD's header block must be the GET's answer
        reader = sock.makefile("rb")
        code, reason, fields = _read_head(reader)
        exchange.status, exchange.reason, exchange.response_headers = code, reason, fields
        rest = b""
        try:
            while len(rest) < 8 and (chunk := reader.read1(8 - len(rest))):
                rest += chunk
        except (TimeoutError, socket.timeout):
            pass
    assert code == 200, f"HEAD answered {code}"
    assert rest == b"" or rest.startswith(b"HTTP/"), (f"bytes follow the HEAD response's header section "
                                                      f"({rest!r}...): HEAD must not send content")


@check("webdav/http/head-matches-get", clause="RFC 9110 §9.3.2", level="SHOULD", requires=WEBDAV)
def test_head_matches_get(dav):
    assert _ok(dav.put("page.txt", BODY)), "setup: PUT failed"
    got, head = dav.get("page.txt"), dav.head("page.txt")
    assert head.status_code == got.status_code == 200, f"GET answered {got.status_code}, HEAD {head.status_code}"
    for name in ("Content-Length", "Content-Type", "ETag", "Last-Modified"):
        if name in got.headers:
            assert head.headers.get(name) == got.headers[name], (
                f"HEAD should send the header fields GET sends: {name} is {head.headers.get(name)!r} for HEAD, "
                f"{got.headers[name]!r} for GET")
