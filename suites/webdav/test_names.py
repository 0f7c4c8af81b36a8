"""Resource names with awkward characters: non-ASCII, space, "%", "+", "#" and "?".

Covers RFC 4918 §8.3 (URL handling: hrefs are ``Simple-ref``, collection identifiers end in "/"),
§5.2 (collection names and the trailing slash), §10.3 (the Destination header), §14.7 (DAV:href
holds a URI reference) and RFC 3986 §2.1 (percent-encoding), §2.2 (reserved characters such as
"+" are data in a path), §2.4 (when to encode and decode: exactly once).

One check per character class and operation, so that a matrix shows exactly which character
breaks which server. Every name is percent-encoded here with ``quote(name, safe="")`` and the
encoded path is handed to the client (``DavClient.url`` leaves paths containing "%" alone).
Hrefs are compared as decoded paths, because servers may legitimately encode differently
(upper- or lower-case hex, "+" left bare or written %2B).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from harness.checks import check
from suites.webdav.helpers import multistatus

WEBDAV = "webdav"

# One name per character class; each also keeps the class's character away from the ends of the name.
NAMES = {
    "utf8": "ünï-日本語-😀.txt",  # 2-, 3- and 4-byte UTF-8 sequences
    "space": "two words.txt",
    "percent": "p%41 100%.txt",  # "%41" must stay three characters; a bare "%" must survive
    "plus": "a+b.txt",
    "hash": "c#d.txt",
    "question": "e?f=g.txt",
}

# RFC 3986 §3.3 path characters: pchar = unreserved / pct-encoded / sub-delims / ":" / "@", plus "/".
_PATH_OK = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def _enc(name: str) -> str:
    return quote(name, safe="")


def _path_of(dav, encoded: str) -> str:
    """The decoded absolute path that ``encoded`` (relative to the check's collection) names."""
    return unquote(urlsplit(dav.url(encoded)).path)


def _href_problem(href: str) -> str | None:
    """Why ``href`` is not a Simple-ref (RFC 4918 §8.3) with a properly encoded path, or None."""
    parts = urlsplit(href.strip())
    if parts.fragment or "#" in href:
        return f"the href {href!r} contains a bare '#', so the name's tail reads as a fragment"
    if parts.query or "?" in href:
        return f"the href {href!r} contains a bare '?', so the name's tail reads as a query"
    if not _PATH_OK.fullmatch(parts.path):
        return (f"the href {href!r} has a path that is not percent-encoded as RFC 3986 §2.1/§3.3 require "
                f"(bare space, non-ASCII or a '%' not followed by two hex digits)")
    return None


def _put_get(dav, name: str, body: bytes) -> None:
    encoded = _enc(name)
    created = dav.put(encoded, body, "text/plain")
    assert created.status_code == 201, (f"PUT {encoded} (the name {name!r}, percent-encoded) must create it "
                                        f"with 201, got {created.status_code}")
    got = dav.get(encoded)
    assert got.status_code == 200, f"GET {encoded} after PUT answered {got.status_code}, expected 200"
    assert got.content == body, (f"GET {encoded} returned {got.content[:80]!r}, not the {len(body)} bytes PUT "
                                 f"to the name {name!r}")


def _listed_name(dav, name: str, body: bytes) -> None:
    """PUT ``name``, PROPFIND Depth 1 the collection, and require an href that decodes to ``name``."""
    encoded = _enc(name)
    created = dav.put(encoded, body, "text/plain")
    assert created.status_code == 201, f"PUT {encoded} (the name {name!r}) answered {created.status_code}"
    listing = multistatus(dav.propfind("", depth="1"))
    want = _path_of(dav, encoded)
    members = [r.href for r in listing.responses if r.path.rstrip("/") != _path_of(dav, "").rstrip("/")]
    raw = [h for h in members if unquote(urlsplit(h.strip()).path) == want]
    if not raw:  # name mangled: say what came back instead, and why
        problems = [p for p in (_href_problem(h) for h in members) if p]
        assert False, (f"PROPFIND Depth 1 lists no href that decodes to {want!r} (the resource PUT as {encoded}); "
                       f"members listed: {members!r}" + (f"; {problems[0]}" if problems else ""))
    problem = _href_problem(raw[0])
    assert problem is None, problem


def _moved(dav, name: str, body: bytes) -> None:
    """MOVE a plain resource to ``name`` (Destination percent-encoded); it must then be found there."""
    dav.put("source.txt", body, "text/plain")
    encoded = _enc(name)
    moved = dav.move("source.txt", encoded)
    assert moved.status_code in (201, 204), (f"MOVE to the Destination {dav.url(encoded)} (the name {name!r}) "
                                             f"answered {moved.status_code}, expected 201 Created")
    got = dav.get(encoded)
    assert got.status_code == 200 and got.content == body, (
        f"after MOVE to {encoded} answered {moved.status_code}, GET {encoded} answered {got.status_code}: the "
        f"server did not store the resource under the name {name!r} given in the Destination header")


# --- PUT then GET, then find the name in a PROPFIND listing: one check per character class ---------

@check("webdav/names/utf8-put-get", clause="RFC 4918 §8.3, RFC 3986 §2.1, §2.5", level="MUST",
       requires=WEBDAV)
def test_utf8_put_get(dav):
    _put_get(dav, NAMES["utf8"], b"utf-8 name\n")


@check("webdav/names/utf8-propfind-href", clause="RFC 4918 §8.3, §14.7, RFC 3986 §2.1", level="MUST",
       requires=WEBDAV)
def test_utf8_propfind_href(dav):
    _listed_name(dav, NAMES["utf8"], b"utf-8 name\n")


@check("webdav/names/space-put-get", clause="RFC 4918 §8.3, RFC 3986 §2.1", level="MUST", requires=WEBDAV)
def test_space_put_get(dav):
    _put_get(dav, NAMES["space"], b"space in name\n")


@check("webdav/names/space-propfind-href", clause="RFC 4918 §8.3, §14.7, RFC 3986 §2.1", level="MUST",
       requires=WEBDAV)
def test_space_propfind_href(dav):
    _listed_name(dav, NAMES["space"], b"space in name\n")


@check("webdav/names/percent-put-get", clause="RFC 4918 §8.3, RFC 3986 §2.1, §2.4", level="MUST",
       requires=WEBDAV)
def test_percent_put_get(dav):
    _put_get(dav, NAMES["percent"], b"percent in name\n")


@check("webdav/names/percent-propfind-href", clause="RFC 4918 §8.3, §14.7, RFC 3986 §2.4", level="MUST",
       requires=WEBDAV)
def test_percent_propfind_href(dav):
    _listed_name(dav, NAMES["percent"], b"percent in name\n")


@check("webdav/names/percent-not-double-decoded", clause="RFC 3986 §2.4", level="MUST", requires=WEBDAV)
def test_percent_not_double_decoded(dav):
    # The name "50%41.txt" is sent as 50%2541.txt; decoding twice would turn it into "50A.txt".
    dav.put("50A.txt", b"the decoy\n", "text/plain")
    created = dav.put(_enc("50%41.txt"), b"the real one\n", "text/plain")
    assert created.status_code == 201, (f"PUT 50%2541.txt (the name '50%41.txt') must create a new resource "
                                        f"with 201, got {created.status_code}; 200/204 means it replaced "
                                        f"'50A.txt', i.e. the path was decoded twice")
    decoy = dav.get("50A.txt")
    assert decoy.content == b"the decoy\n", ("PUT 50%2541.txt overwrote '50A.txt': the server decoded the "
                                             "path twice (RFC 3986 §2.4: decode exactly once)")
    got = dav.get(_enc("50%41.txt"))
    assert got.status_code == 200 and got.content == b"the real one\n", (
        f"GET 50%2541.txt answered {got.status_code} with {got.content[:40]!r}, not the resource PUT there")


@check("webdav/names/plus-put-get", clause="RFC 4918 §8.3, RFC 3986 §2.2", level="MUST", requires=WEBDAV)
def test_plus_put_get(dav):
    _put_get(dav, NAMES["plus"], b"plus in name\n")


@check("webdav/names/plus-propfind-href", clause="RFC 4918 §8.3, §14.7, RFC 3986 §2.2", level="MUST",
       requires=WEBDAV)
def test_plus_propfind_href(dav):
    _listed_name(dav, NAMES["plus"], b"plus in name\n")


@check("webdav/names/plus-not-space", clause="RFC 3986 §2.2, §3.3", level="MUST", requires=WEBDAV)
def test_plus_not_space(dav):
    # A bare "+" in a path is data (sub-delims), not the form-encoding of a space (that is for queries).
    dav.put("x%20y.txt", b"the decoy with a space\n", "text/plain")
    created = dav.put("x+y.txt", b"plus\n", "text/plain")
    assert created.status_code == 201, (f"PUT x+y.txt must create a new resource with 201, got "
                                        f"{created.status_code}; 200/204 means it replaced 'x y.txt', i.e. the "
                                        f"server read '+' as a space")
    got = dav.get("x%2By.txt")
    assert got.status_code == 200 and got.content == b"plus\n", (
        f"GET x%2By.txt answered {got.status_code} with {got.content[:40]!r}: the resource PUT as x+y.txt must "
        f"be the one named 'x+y.txt'")
    decoy = dav.get("x%20y.txt")
    assert decoy.content == b"the decoy with a space\n", "PUT x+y.txt overwrote 'x y.txt': '+' read as a space"


@check("webdav/names/hash-put-get", clause="RFC 4918 §8.3, RFC 3986 §2.2, §3.5", level="MUST", requires=WEBDAV)
def test_hash_put_get(dav):
    _put_get(dav, NAMES["hash"], b"hash in name\n")


@check("webdav/names/hash-propfind-href", clause="RFC 4918 §8.3, §14.7, RFC 3986 §2.2, §3.5", level="MUST",
       requires=WEBDAV)
def test_hash_propfind_href(dav):
    _listed_name(dav, NAMES["hash"], b"hash in name\n")


@check("webdav/names/question-put-get", clause="RFC 4918 §8.3, RFC 3986 §2.2, §3.4", level="MUST",
       requires=WEBDAV)
def test_question_put_get(dav):
    _put_get(dav, NAMES["question"], b"question mark in name\n")


@check("webdav/names/question-propfind-href", clause="RFC 4918 §8.3, §14.7, RFC 3986 §2.2, §3.4",
       level="MUST", requires=WEBDAV)
def test_question_propfind_href(dav):
    _listed_name(dav, NAMES["question"], b"question mark in name\n")


# --- the Destination header carries an encoded name (MOVE) ------------------------------------------

@check("webdav/names/utf8-move-destination", clause="RFC 4918 §9.9, §10.3, RFC 3986 §2.1", level="MUST",
       requires=WEBDAV)
def test_utf8_move_destination(dav):
    _moved(dav, NAMES["utf8"], b"moved to a utf-8 name\n")


@check("webdav/names/space-move-destination", clause="RFC 4918 §9.9, §10.3, RFC 3986 §2.1", level="MUST",
       requires=WEBDAV)
def test_space_move_destination(dav):
    _moved(dav, NAMES["space"], b"moved to a name with a space\n")


@check("webdav/names/percent-move-destination", clause="RFC 4918 §9.9, §10.3, RFC 3986 §2.4", level="MUST",
       requires=WEBDAV)
def test_percent_move_destination(dav):
    _moved(dav, NAMES["percent"], b"moved to a name with %\n")


@check("webdav/names/plus-move-destination", clause="RFC 4918 §9.9, §10.3, RFC 3986 §2.2", level="MUST",
       requires=WEBDAV)
def test_plus_move_destination(dav):
    _moved(dav, NAMES["plus"], b"moved to a name with +\n")


@check("webdav/names/hash-move-destination", clause="RFC 4918 §9.9, §10.3, RFC 3986 §3.5", level="MUST",
       requires=WEBDAV)
def test_hash_move_destination(dav):
    _moved(dav, NAMES["hash"], b"moved to a name with #\n")


@check("webdav/names/question-move-destination", clause="RFC 4918 §9.9, §10.3, RFC 3986 §3.4", level="MUST",
       requires=WEBDAV)
def test_question_move_destination(dav):
    _moved(dav, NAMES["question"], b"moved to a name with ?\n")


# --- collections ----------------------------------------------------------------------------------

COLLECTION = "dir ü #?%+"


@check("webdav/names/collection-href-slash", clause="RFC 4918 §8.3, §5.2", level="SHOULD", requires=WEBDAV)
def test_collection_href_slash(dav):
    encoded = _enc(COLLECTION) + "/"
    made = dav.mkcol(encoded)
    assert made.status_code == 201, f"MKCOL {encoded} (the name {COLLECTION!r}) answered {made.status_code}"
    listing = multistatus(dav.propfind("", depth="1"))
    want = _path_of(dav, encoded)
    found = [r for r in listing.responses if r.path.rstrip("/") == want.rstrip("/")]
    assert found, (f"PROPFIND Depth 1 lists no href that decodes to {want!r}; hrefs: "
                   f"{[r.href for r in listing.responses]!r}")
    href = found[0].href
    assert urlsplit(href.strip()).path.endswith("/"), (
        f"the href of the collection {COLLECTION!r} is {href!r}; identifiers for collections SHOULD end in '/'")


@check("webdav/names/collection-href-slash-unslashed-request", clause="RFC 4918 §8.3, §5.2", level="SHOULD",
       requires=WEBDAV)
def test_collection_href_slash_unslashed_request(dav):
    encoded = _enc(COLLECTION)
    made = dav.mkcol(encoded + "/")
    assert made.status_code == 201, f"MKCOL {encoded}/ (the name {COLLECTION!r}) answered {made.status_code}"
    response = dav.propfind(encoded, depth="0")
    if response.status_code in (301, 302, 307, 308):  # §5.2: a client must be prepared for a redirect
        location = response.headers.get("Location", "")
        assert urlsplit(location).path.endswith("/"), (
            f"PROPFIND {encoded} (no slash) redirected to {location!r}, which does not end in '/'")
        return
    found = multistatus(response).responses
    assert found, "PROPFIND Depth 0 of the collection answered an empty multistatus"
    href = found[0].href
    assert urlsplit(href.strip()).path.endswith("/"), (
        f"PROPFIND Depth 0 of the collection requested without its trailing slash ({encoded}) reported the href "
        f"{href!r}; identifiers for collections SHOULD end in '/' whatever form the request used")
