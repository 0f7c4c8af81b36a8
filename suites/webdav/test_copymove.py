"""COPY and MOVE: resources and collections, Overwrite, Depth, Destination encoding, properties.

RFC 4918 §9.8 (COPY: §9.8.2 properties, §9.8.3 collections and Depth, §9.8.4 Overwrite, §9.8.5 status
codes), §9.9 (MOVE: §9.9.1 properties, §9.9.2 collections, §9.9.3 Overwrite, §9.9.4 status codes),
§10.3 (Destination), §10.6 (Overwrite, and its default "T"), §8.3 (URL handling: percent-encoded
names in Destination and in the hrefs a server returns), RFC 3986 §2.1, §3.3 (what a path may hold).

The litmus 0.13 ``copymove`` tests are reproduced with the fixes later litmus versions made (412 is
a MUST for Overwrite: F, copy_shallow looks for the member below the destination collection);
litmus tests that check several things are split into several checks.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urljoin, urlsplit

from harness.checks import check, precondition_failed
from suites.webdav.helpers import multistatus

WEBDAV = "webdav"
DEAD = "webdav-dead-properties"
SRC = b"source content \xe2\x82\xac\n"
OTHER = b"the other resource, which must be replaced\n"
MEMBERS = [f"foo.{n}" for n in range(10)]
# every character that needs percent-encoding in a path segment, or is special inside one
SPECIAL = "cöpy 50% a+b #1 ?x.txt"
SPECIAL_2 = "mövé 100% c+d #2 ?y.txt"


def _ok(response) -> bool:
    return 200 <= response.status_code < 300


def _enc(name: str) -> str:
    """``name`` as one percent-encoded path segment (DavClient passes paths holding '%' through as they are)."""
    return quote(name, safe="")


def _exists(dav, path: str) -> bool:
    """Whether ``path`` is mapped, by PROPFIND Depth 0 (GET on a collection is not defined by WebDAV)."""
    status = dav.propfind(path, depth="0").status_code
    assert status in (207, 404), f"PROPFIND Depth 0 on {path} answered {status}, neither 207 nor 404"
    return status == 207


def _member_names(dav, collection: str) -> set[str]:
    """Unquoted names of the internal members of ``collection`` (PROPFIND Depth 1)."""
    listing = multistatus(dav.propfind(collection, depth="1"))
    own = unquote(urlsplit(dav.url(collection)).path).rstrip("/")
    names = set()
    for response in listing.responses:
        path = response.path.rstrip("/")
        if path != own:
            names.add(path.rsplit("/", 1)[-1])
    return names


def _fill(dav, collection: str) -> None:
    """MKCOL ``collection`` with ten resources and an empty sub-collection, as litmus does."""
    assert dav.mkcol(collection).status_code == 201, f"setup: MKCOL {collection} failed"
    for name in MEMBERS:
        created = dav.put(collection + name, f"member {name}\n".encode(), "text/plain")
        assert _ok(created), f"setup: PUT {collection}{name} answered {created.status_code}"
    assert dav.mkcol(collection + "subcoll/").status_code == 201, f"setup: MKCOL {collection}subcoll/ failed"


def _setup_pair(dav, src: str = "src", dst: str = "dst") -> None:
    assert _ok(dav.put(src, SRC, "text/plain")), "setup: PUT of the source failed"
    assert _ok(dav.put(dst, OTHER, "text/plain")), "setup: PUT of the destination failed"


# -- COPY of a resource -------------------------------------------------------------------------------

@check("webdav/copymove/copy-simple", clause="RFC 4918 §9.8", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_simple"})
def test_copy_simple(dav):
    assert _ok(dav.put("copysrc", SRC, "text/plain")), "setup: PUT of the source failed"
    response = dav.copy("copysrc", "copydest", overwrite="F")
    assert _ok(response), f"COPY of a resource to a new URL must succeed, got {response.status_code}"
    copied, source = dav.get("copydest"), dav.get("copysrc")
    assert copied.status_code == 200 and copied.content == SRC, (
        f"GET of the COPY destination answered {copied.status_code} with {len(copied.content)} bytes, "
        f"not the {len(SRC)} bytes of the source")
    assert source.status_code == 200 and source.content == SRC, "COPY changed or removed its source"


@check("webdav/copymove/copy-new-201", clause="RFC 4918 §9.8.5", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "copymove/copy_simple"})
def test_copy_new_201(dav):
    assert _ok(dav.put("copysrc", SRC, "text/plain")), "setup: PUT of the source failed"
    response = dav.copy("copysrc", "copydest")
    assert response.status_code == 201, (f"COPY that creates a new resource should answer 201 Created, "
                                         f"got {response.status_code}")


@check("webdav/copymove/copy-overwrite-false", clause="RFC 4918 §9.8.4, §10.6", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_overwrite"})
def test_copy_overwrite_false(dav):
    _setup_pair(dav)
    response = dav.copy("src", "dst", overwrite="F")
    assert response.status_code == 412, (f"COPY onto an existing resource with 'Overwrite: F' must fail with "
                                         f"412 Precondition Failed, got {response.status_code}")
    assert dav.get("dst").content == OTHER, "the destination changed although the COPY was refused"


@check("webdav/copymove/copy-overwrite-true", clause="RFC 4918 §9.8.4", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_overwrite"})
def test_copy_overwrite_true(dav):
    _setup_pair(dav)
    response = dav.copy("src", "dst", overwrite="T")
    assert _ok(response), (f"COPY onto an existing resource with 'Overwrite: T' must succeed, "
                           f"got {response.status_code}")
    assert dav.get("dst").content == SRC, "after COPY with 'Overwrite: T' the destination lacks the source content"


@check("webdav/copymove/copy-overwrite-204", clause="RFC 4918 §9.8.5", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "copymove/copy_overwrite"})
def test_copy_overwrite_204(dav):
    _setup_pair(dav)
    response = dav.copy("src", "dst", overwrite="T")
    assert response.status_code == 204, (f"COPY onto an existing resource should answer 204 No Content, "
                                         f"got {response.status_code}")


@check("webdav/copymove/copy-overwrite-collection", clause="RFC 4918 §9.8.4", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_overwrite"})
def test_copy_overwrite_collection(dav):
    assert _ok(dav.put("src", SRC, "text/plain")), "setup: PUT of the source failed"
    assert dav.mkcol("coll/").status_code == 201, "setup: MKCOL failed"
    assert _ok(dav.put("coll/inner.txt", OTHER, "text/plain")), "setup: PUT into the collection failed"
    response = dav.copy("src", "coll/", overwrite="T")
    assert _ok(response), (f"COPY of a resource onto an existing collection with 'Overwrite: T' must delete the "
                           f"collection and succeed, got {response.status_code}")
    got = dav.get("coll")
    assert got.status_code == 200 and got.content == SRC, (
        f"after the COPY, GET of the former collection's URL answered {got.status_code} without the source "
        f"content: the collection was not replaced (was the resource copied into it?)")
    assert dav.get("coll/inner.txt").status_code == 404, "the overwritten collection's member still exists"


@check("webdav/copymove/copy-overwrite-default", clause="RFC 4918 §10.6", level="MUST", requires=WEBDAV)
def test_copy_overwrite_default(dav):
    _setup_pair(dav)
    response = dav.copy("src", "dst")  # no Overwrite header: the server must act as for "T"
    assert _ok(response), (f"COPY without an Overwrite header onto an existing resource must act as 'Overwrite: T' "
                           f"and succeed, got {response.status_code}")
    assert dav.get("dst").content == SRC, "COPY without an Overwrite header did not replace the destination"


@check("webdav/copymove/copy-no-parent", clause="RFC 4918 §9.8.5", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_nodestcoll"})
def test_copy_no_parent(dav):
    assert _ok(dav.put("copysrc", SRC, "text/plain")), "setup: PUT of the source failed"
    response = dav.copy("copysrc", "nonesuch/foo", depth="0")
    assert not _ok(response), f"COPY into a collection that does not exist succeeded ({response.status_code})"
    assert not _exists(dav, "nonesuch/"), "the server created the missing intermediate collection itself"


@check("webdav/copymove/copy-no-parent-409", clause="RFC 4918 §9.8.5", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "copymove/copy_nodestcoll"})
def test_copy_no_parent_409(dav):
    assert _ok(dav.put("copysrc", SRC, "text/plain")), "setup: PUT of the source failed"
    response = dav.copy("copysrc", "nonesuch/foo", depth="0")
    assert response.status_code == 409, (f"COPY into a collection that does not exist should answer 409 Conflict, "
                                         f"got {response.status_code}")


@check("webdav/copymove/copy-to-self", clause="RFC 4918 §9.8.5", level="MAY", requires=WEBDAV)
def test_copy_to_self(dav):
    assert _ok(dav.put("self.txt", SRC, "text/plain")), "setup: PUT failed"
    response = dav.copy("self.txt", "self.txt", overwrite="T")
    got = dav.get("self.txt")
    assert got.status_code == 200 and got.content == SRC, (f"COPY onto itself (answered {response.status_code}) "
                                                           f"damaged or removed the resource")
    assert response.status_code == 403, (f"COPY of a resource onto itself may answer 403 Forbidden (the special "
                                         f"case §9.8.5 names), got {response.status_code}")


@check("webdav/copymove/copy-destination-absolute-path", clause="RFC 4918 §10.3", level="SHOULD",
       requires=WEBDAV)
def test_copy_destination_absolute_path(dav):
    """litmus 0.14+ copymove/copy_abspath (no peer: litmus 0.13 lacks it)."""
    assert _ok(dav.put("src", SRC, "text/plain")), "setup: PUT of the source failed"
    path = urlsplit(dav.url("dst")).path
    response = dav.request("COPY", "src", headers={"Destination": path, "Overwrite": "F"})
    assert _ok(response), (f"a Destination given as an absolute path ({path}) is a valid Simple-ref; "
                           f"COPY answered {response.status_code}")
    assert dav.get("dst").content == SRC, "COPY to an absolute-path Destination did not create it"


# -- COPY of a collection -----------------------------------------------------------------------------

@check("webdav/copymove/copy-collection", clause="RFC 4918 §9.8.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_coll"})
def test_copy_collection(dav):
    _fill(dav, "ccsrc/")
    response = dav.copy("ccsrc/", "ccdest/", overwrite="F")
    assert _ok(response), f"COPY of a collection (Depth infinity by default) answered {response.status_code}"
    copied = _member_names(dav, "ccdest/")
    expected = set(MEMBERS) | {"subcoll"}
    assert copied == expected, (f"the copied collection holds {sorted(copied)}, expected {sorted(expected)}")
    got = dav.get("ccdest/foo.3")
    assert got.content == b"member foo.3\n", "a member of the copied collection has the wrong content"
    assert _member_names(dav, "ccsrc/") == expected, "COPY changed the source collection"


@check("webdav/copymove/copy-collection-overwrite-false", clause="RFC 4918 §9.8.4, §10.6", level="MUST",
       requires=WEBDAV, peer={"litmus": "copymove/copy_coll"})
def test_copy_collection_overwrite_false(dav):
    _fill(dav, "ccsrc/")
    assert dav.mkcol("ccdest/").status_code == 201, "setup: MKCOL failed"
    assert _ok(dav.put("ccdest/keep.txt", OTHER, "text/plain")), "setup: PUT failed"
    response = dav.copy("ccsrc/", "ccdest/", overwrite="F")
    assert response.status_code == 412, (f"COPY of a collection onto an existing collection with 'Overwrite: F' "
                                         f"must fail with 412, got {response.status_code}")
    assert _member_names(dav, "ccdest/") == {"keep.txt"}, "the refused COPY changed the destination collection"


@check("webdav/copymove/copy-collection-overwrite-true", clause="RFC 4918 §9.8.4", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_coll"})
def test_copy_collection_overwrite_true(dav):
    _fill(dav, "ccsrc/")
    assert dav.mkcol("ccdest/").status_code == 201, "setup: MKCOL failed"
    assert _ok(dav.put("ccdest/stale.txt", OTHER, "text/plain")), "setup: PUT failed"
    response = dav.copy("ccsrc/", "ccdest/", overwrite="T")
    assert _ok(response), (f"COPY of a collection onto an existing collection with 'Overwrite: T' must succeed, "
                           f"got {response.status_code}")
    names = _member_names(dav, "ccdest/")
    assert "stale.txt" not in names, ("with 'Overwrite: T' the destination must be deleted (Depth infinity) "
                                      "before the copy, but its old member stale.txt survived (a merge, not a copy)")
    assert names == set(MEMBERS) | {"subcoll"}, f"the overwritten collection holds {sorted(names)}"


@check("webdav/copymove/copy-shallow", clause="RFC 4918 §9.8.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/copy_shallow"})
def test_copy_shallow(dav):
    assert dav.mkcol("ccsrc/").status_code == 201, "setup: MKCOL failed"
    assert _ok(dav.put("ccsrc/foo", SRC, "text/plain")), "setup: PUT failed"
    response = dav.copy("ccsrc/", "ccdest/", depth="0")
    assert _ok(response), f"COPY of a collection with Depth 0 answered {response.status_code}"
    # litmus <= 0.13 looked for the member at <base>/foo, where it never is; it belongs below ccdest/
    assert dav.get("ccdest/foo").status_code == 404, ("COPY with Depth 0 copied the collection's member too "
                                                      "(ccdest/foo exists)")


@check("webdav/copymove/copy-depth-0-collection", clause="RFC 4918 §9.8.3", level="MUST", requires=WEBDAV)
def test_copy_depth_0_collection(dav):
    assert dav.mkcol("ccsrc/").status_code == 201, "setup: MKCOL failed"
    assert dav.mkcol("ccsrc/sub/").status_code == 201, "setup: MKCOL failed"
    response = dav.copy("ccsrc/", "ccdest/", depth="0")
    assert _ok(response), f"COPY of a collection with Depth 0 answered {response.status_code}"
    listing = multistatus(dav.propfind("ccdest/", depth="1"))
    is_collection = bool(listing.responses) and listing.responses[0].is_collection
    assert len(listing.responses) == 1 and is_collection, (
        f"after COPY Depth 0 the destination must be an empty collection; PROPFIND Depth 1 gave "
        f"{len(listing.responses)} responses, collection={is_collection}")


# -- MOVE of a resource -------------------------------------------------------------------------------

@check("webdav/copymove/move-simple", clause="RFC 4918 §9.9", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move"})
def test_move_simple(dav):
    assert _ok(dav.put("move", SRC, "text/plain")), "setup: PUT failed"
    response = dav.move("move", "movedest", overwrite="F")
    assert _ok(response), f"MOVE of a resource to a new URL must succeed, got {response.status_code}"
    assert dav.get("movedest").content == SRC, "the MOVE destination does not hold the source content"
    assert dav.get("move").status_code == 404, "the source still exists after MOVE"


@check("webdav/copymove/move-new-201", clause="RFC 4918 §9.9.4", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "copymove/move"})
def test_move_new_201(dav):
    assert _ok(dav.put("move", SRC, "text/plain")), "setup: PUT failed"
    response = dav.move("move", "movedest")
    assert response.status_code == 201, (f"MOVE that creates a new resource should answer 201 Created, "
                                         f"got {response.status_code}")


@check("webdav/copymove/move-overwrite-false", clause="RFC 4918 §9.9.3, §10.6", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move"})
def test_move_overwrite_false(dav):
    _setup_pair(dav)
    response = dav.move("src", "dst", overwrite="F")
    assert response.status_code == 412, (f"MOVE onto an existing resource with 'Overwrite: F' must fail with 412, "
                                         f"got {response.status_code}")
    assert dav.get("dst").content == OTHER, "the destination changed although the MOVE was refused"
    assert dav.get("src").content == SRC, "the source is gone although the MOVE was refused"


@check("webdav/copymove/move-overwrite-true", clause="RFC 4918 §9.9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move"})
def test_move_overwrite_true(dav):
    _setup_pair(dav)
    response = dav.move("src", "dst", overwrite="T")
    assert _ok(response), f"MOVE onto an existing resource with 'Overwrite: T' must succeed, got {response.status_code}"
    assert dav.get("dst").content == SRC, "after MOVE with 'Overwrite: T' the destination lacks the source content"
    assert dav.get("src").status_code == 404, "the source still exists after MOVE"


@check("webdav/copymove/move-overwrite-collection", clause="RFC 4918 §9.9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move"})
def test_move_overwrite_collection(dav):
    assert _ok(dav.put("movedest", SRC, "text/plain")), "setup: PUT failed"
    assert dav.mkcol("movecoll/").status_code == 201, "setup: MKCOL failed"
    response = dav.move("movedest", "movecoll/", overwrite="T")
    assert _ok(response), (f"MOVE of a resource onto an existing collection with 'Overwrite: T' must succeed, "
                           f"got {response.status_code}")
    got = dav.get("movecoll")
    assert got.status_code == 200 and got.content == SRC, (
        f"after the MOVE, GET of the former collection's URL answered {got.status_code} without the source "
        f"content: the collection was not replaced (was the resource moved into it?)")


@check("webdav/copymove/move-overwrite-204", clause="RFC 4918 §9.9.4", level="SHOULD", requires=WEBDAV,
       peer={"litmus": "copymove/move"})
def test_move_overwrite_204(dav):
    assert _ok(dav.put("movedest", SRC, "text/plain")), "setup: PUT failed"
    assert dav.mkcol("movecoll/").status_code == 201, "setup: MKCOL failed"
    response = dav.move("movedest", "movecoll/", overwrite="T")
    assert response.status_code == 204, (f"MOVE onto an existing resource (here a collection) should answer "
                                         f"204 No Content, got {response.status_code}")


@check("webdav/copymove/move-overwrite-default", clause="RFC 4918 §10.6", level="MUST", requires=WEBDAV)
def test_move_overwrite_default(dav):
    _setup_pair(dav)
    response = dav.move("src", "dst")  # no Overwrite header: the server must act as for "T"
    assert _ok(response), (f"MOVE without an Overwrite header onto an existing resource must act as 'Overwrite: T' "
                           f"and succeed, got {response.status_code}")
    assert dav.get("dst").content == SRC, "MOVE without an Overwrite header did not replace the destination"


@check("webdav/copymove/move-no-parent", clause="RFC 4918 §9.9.4", level="MUST", requires=WEBDAV)
def test_move_no_parent(dav):
    assert _ok(dav.put("src", SRC, "text/plain")), "setup: PUT failed"
    response = dav.move("src", "nonesuch/dst")
    assert not _ok(response), f"MOVE into a collection that does not exist succeeded ({response.status_code})"
    assert not _exists(dav, "nonesuch/"), "the server created the missing intermediate collection itself"
    assert dav.get("src").content == SRC, "the failed MOVE removed its source"


@check("webdav/copymove/move-no-parent-409", clause="RFC 4918 §9.9.4", level="SHOULD", requires=WEBDAV)
def test_move_no_parent_409(dav):
    assert _ok(dav.put("src", SRC, "text/plain")), "setup: PUT failed"
    response = dav.move("src", "nonesuch/dst")
    assert response.status_code == 409, (f"MOVE into a collection that does not exist should answer 409 Conflict, "
                                         f"got {response.status_code}")


@check("webdav/copymove/move-to-self", clause="RFC 4918 §9.9.4", level="SHOULD", requires=WEBDAV)
def test_move_to_self(dav):
    assert _ok(dav.put("self.txt", SRC, "text/plain")), "setup: PUT failed"
    response = dav.move("self.txt", "self.txt", overwrite="T")
    got = dav.get("self.txt")
    assert got.status_code == 200 and got.content == SRC, (f"MOVE onto itself (answered {response.status_code}) "
                                                           f"damaged or removed the resource")
    assert response.status_code == 403, (f"MOVE of a resource onto itself should answer 403 Forbidden "
                                         f"(recommended by §9.9.4), got {response.status_code}")


# -- MOVE of a collection -----------------------------------------------------------------------------

@check("webdav/copymove/move-collection", clause="RFC 4918 §9.9.2", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move_coll"})
def test_move_collection(dav):
    _fill(dav, "mvsrc/")
    response = dav.move("mvsrc/", "mvdest/", overwrite="F")
    assert _ok(response), f"MOVE of a collection with members answered {response.status_code}"
    moved = _member_names(dav, "mvdest/")
    expected = set(MEMBERS) | {"subcoll"}
    assert moved == expected, f"the moved collection holds {sorted(moved)}, expected {sorted(expected)}"
    assert dav.get("mvdest/foo.7").content == b"member foo.7\n", "a moved member has the wrong content"
    assert not _exists(dav, "mvsrc/"), "the source collection still exists after MOVE"


@check("webdav/copymove/move-collection-overwrite-false", clause="RFC 4918 §9.9.3, §10.6", level="MUST",
       requires=WEBDAV, peer={"litmus": "copymove/move_coll"})
def test_move_collection_overwrite_false(dav):
    _fill(dav, "mvsrc/")
    assert dav.mkcol("mvdest2/").status_code == 201, "setup: MKCOL failed"
    response = dav.move("mvsrc/", "mvdest2/", overwrite="F")
    assert response.status_code == 412, (f"MOVE of a collection onto an existing collection with 'Overwrite: F' "
                                         f"must fail with 412, got {response.status_code}")
    assert _member_names(dav, "mvsrc/") == set(MEMBERS) | {"subcoll"}, "the refused MOVE changed its source"


@check("webdav/copymove/move-collection-overwrite-true", clause="RFC 4918 §9.9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move_coll"})
def test_move_collection_overwrite_true(dav):
    _fill(dav, "mvsrc/")
    assert dav.mkcol("mvdest/").status_code == 201, "setup: MKCOL failed"
    assert _ok(dav.put("mvdest/stale.txt", OTHER, "text/plain")), "setup: PUT failed"
    response = dav.move("mvsrc/", "mvdest/", overwrite="T")
    assert _ok(response), (f"MOVE of a collection onto an existing collection with 'Overwrite: T' must succeed, "
                           f"got {response.status_code}")
    names = _member_names(dav, "mvdest/")
    assert "stale.txt" not in names, ("with 'Overwrite: T' the destination must be deleted before the move, "
                                      "but its old member stale.txt survived")
    assert names == set(MEMBERS) | {"subcoll"}, f"the destination holds {sorted(names)}"
    assert not _exists(dav, "mvsrc/"), "the source collection still exists after MOVE"


@check("webdav/copymove/move-collection-over-resource", clause="RFC 4918 §9.9.3", level="MUST", requires=WEBDAV,
       peer={"litmus": "copymove/move_coll"})
def test_move_collection_over_resource(dav):
    _fill(dav, "mvdest2/")
    assert _ok(dav.put("mvnoncoll", OTHER, "text/plain")), "setup: PUT failed"
    response = dav.move("mvdest2/", "mvnoncoll", overwrite="T")
    assert _ok(response), (f"MOVE of a collection over a non-collection with 'Overwrite: T' must succeed, "
                           f"got {response.status_code}")
    names = _member_names(dav, "mvnoncoll/")
    assert names == set(MEMBERS) | {"subcoll"}, f"the moved collection holds {sorted(names)}"


# -- names that need percent-encoding -----------------------------------------------------------------

@check("webdav/copymove/copy-destination-encoded", clause="RFC 4918 §8.3, §10.3; RFC 3986 §2.1", level="MUST",
       requires=WEBDAV)
def test_copy_destination_encoded(dav):
    assert _ok(dav.put("plain.txt", SRC, "text/plain")), "setup: PUT failed"
    response = dav.copy("plain.txt", _enc(SPECIAL), overwrite="F")
    assert _ok(response), f"COPY to a percent-encoded Destination ({_enc(SPECIAL)}) answered {response.status_code}"
    names = _member_names(dav, "")
    assert names == {"plain.txt", SPECIAL}, (f"after COPY to {SPECIAL!r} the collection holds {sorted(names)}: the "
                                             f"server decoded the Destination wrongly")
    assert dav.get(_enc(SPECIAL)).content == SRC, "GET of the encoded destination did not return the source content"


@check("webdav/copymove/move-encoded-names", clause="RFC 4918 §8.3, §10.3; RFC 3986 §2.1", level="MUST",
       requires=WEBDAV)
def test_move_encoded_names(dav):
    assert _ok(dav.put(_enc(SPECIAL), SRC, "text/plain")), "setup: PUT to a percent-encoded name failed"
    response = dav.move(_enc(SPECIAL), _enc(SPECIAL_2), overwrite="F")
    assert _ok(response), f"MOVE between percent-encoded names answered {response.status_code}"
    names = _member_names(dav, "")
    assert names == {SPECIAL_2}, f"after MOVE {SPECIAL!r} -> {SPECIAL_2!r} the collection holds {sorted(names)}"
    assert dav.get(_enc(SPECIAL_2)).content == SRC, "the moved resource lost its content"


@check("webdav/copymove/move-by-returned-href", clause="RFC 4918 §8.3, §14.7; RFC 3986 §3.3", level="MUST",
       requires=WEBDAV)
def test_move_by_returned_href(dav):
    assert dav.mkcol(_enc(SPECIAL) + "/").status_code == 201, "setup: MKCOL of a percent-encoded name failed"
    assert _ok(dav.put(_enc(SPECIAL) + "/" + _enc(SPECIAL_2), SRC, "text/plain")), "setup: PUT failed"
    listing = multistatus(dav.propfind(_enc(SPECIAL) + "/", depth="1"))
    own = unquote(urlsplit(dav.url(_enc(SPECIAL) + "/")).path)
    member = listing.find(own + SPECIAL_2)
    hrefs = [r.href for r in listing.responses]
    assert member is not None, (f"no href of the PROPFIND answer decodes to the member {SPECIAL_2!r}; hrefs: {hrefs}")
    for href in hrefs:
        path = urlsplit(href).path if "://" in href else href
        bad = sorted({c for c in path if c in " #?" or ord(c) > 126})
        assert not bad, f"the href {href!r} holds characters that must be percent-encoded in a URI path: {bad}"
    # the request URI is the server's own href, as a client would use it; the Destination is plain
    source = urljoin(dav.url(""), member.href)
    response = dav.request("MOVE", source, headers={"Destination": dav.url("moved"), "Overwrite": "F"})
    assert _ok(response), f"MOVE of the href the server returned ({member.href}) answered {response.status_code}"
    assert _member_names(dav, _enc(SPECIAL) + "/") == set(), "the member is still there after MOVE by its href"
    assert dav.get("moved").content == SRC, "MOVE by the returned href did not move the member to 'moved'"


# -- properties ---------------------------------------------------------------------------------------

NS = "urn:overstap:test"
PROPPATCH = f"""<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:O="{NS}"><D:set><D:prop><O:colour>grün &amp; blau</O:colour></D:prop></D:set>
</D:propertyupdate>"""
PROPFIND = f"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:O="{NS}"><D:prop><O:colour/></D:prop></D:propfind>"""


def _set_dead_property(dav, path: str) -> None:
    response = dav.proppatch(path, PROPPATCH)
    if not _ok(response) or _dead_property(dav, path) != "grün & blau":
        precondition_failed(f"a dead property could not be set on the source (PROPPATCH answered "
                            f"{response.status_code}); the props checks judge that, this check needs it")


def _dead_property(dav, path: str) -> str | None:
    listing = multistatus(dav.propfind(path, depth="0", body=PROPFIND))
    return listing.responses[0].prop_text(f"{{{NS}}}colour") if listing.responses else None


@check("webdav/copymove/copy-dead-property", clause="RFC 4918 §9.8.2", level="SHOULD", requires=WEBDAV,
       optional=DEAD)
def test_copy_dead_property(dav):
    assert _ok(dav.put("src", SRC, "text/plain")), "setup: PUT failed"
    _set_dead_property(dav, "src")
    assert _ok(dav.copy("src", "dst", overwrite="F")), "COPY failed"
    value = _dead_property(dav, "dst")
    assert value == "grün & blau", f"the dead property on the COPY destination is {value!r}, not 'grün & blau'"


@check("webdav/copymove/move-dead-property", clause="RFC 4918 §9.9.1", level="MUST", requires=WEBDAV,
       optional=DEAD)
def test_move_dead_property(dav):
    assert dav.mkcol("coll/").status_code == 201, "setup: MKCOL failed"
    assert _ok(dav.put("coll/member", SRC, "text/plain")), "setup: PUT failed"
    _set_dead_property(dav, "coll/member")
    assert _ok(dav.move("coll/", "moved/", overwrite="F")), "MOVE of the collection failed"
    value = _dead_property(dav, "moved/member")
    assert value == "grün & blau", (f"the dead property of a member of a moved collection is {value!r}, "
                                    f"not 'grün & blau': dead properties must move with the resource")
