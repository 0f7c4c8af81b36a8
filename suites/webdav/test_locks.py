"""WebDAV locking: LOCK, UNLOCK, lock discovery and the If header (RFC 4918 §6, §7, §9.10, §9.11,
§10.4, §10.5, §10.7, §14.1, §14.12-§14.17, §14.29, §15.8, §15.10, §16).

Reproduces every test of litmus 0.13's ``locks`` group, each as a self-contained check: where litmus
carries one lock from test to test (lock_excl, then discover, refresh, notowner_modify...), every
check here takes its own lock inside its own collection, in as few requests as it can, and always
UNLOCKs it at the end (so the run collection can be deleted). "Not the owner" means, as in litmus,
a request that does not submit the lock token (same credentials): litmus's second session.

Beyond litmus: the Lock-Token response header, lockroot, Timeout, owner preservation, unique tokens,
supportedlock, UNLOCK with a wrong token, 423 with its precondition element, locks and DELETE/MOVE,
collection locks and new members, locked empty resources (§7.3, §9.10.4), tagged If lists.

Levels: that a write lock makes a request *fail* is a MUST (§7, §7.5); that it fails with exactly
423 is checked separately at SHOULD level (the RFC names 423 and its precondition codes, §9.9.4,
§11.3, §16, without a MUST), as litmus warns rather than fails on the status code.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from conformance.lock import (
    ActiveLock,
    LockProblem,
    is_absolute_uri,
    parse_coded_url,
    parse_dav_error,
    parse_lock_response,
    parse_lockdiscovery,
    parse_supportedlock,
    parse_timeout,
)
from conformance.multistatus import normalise_href, parse_multistatus
from harness.checks import check, precondition_failed
from suites.webdav.helpers import multistatus

WEBDAV = "webdav"
LOCKING = "webdav-locking"
XML = 'application/xml; charset="utf-8"'
OWNER = "overstap lock check"
CONTENT = b"locked content\n"
RES, OTHER, COLL = "lockme.txt", "notlocked.txt", "lockcoll/"
MEMBER = COLL + "lockme.txt"
NO_LOCK = "DAV:no-lock"  # a state token no resource ever has (RFC 4918 §10.4.8)

PROPPATCH_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/overstap/">'
    "<D:set><D:prop><Z:random>foobar</Z:random></D:prop></D:set></D:propertyupdate>"
)


def _propfind_body(*names: str) -> str:
    props = "".join(f"<D:{name}/>" for name in names)
    return f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>{props}</D:prop></D:propfind>'


def _lockinfo(scope: str, owner: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">'
            f"<D:lockscope><D:{scope}/></D:lockscope><D:locktype><D:write/></D:locktype>"
            f"<D:owner>{owner}</D:owner></D:lockinfo>")


# -- helpers -------------------------------------------------------------------------------------

def _ok(response) -> bool:
    return 200 <= response.status_code < 300


def _lock(dav, path, scope="exclusive", depth="0", timeout="Second-60", owner=OWNER, headers=None):
    """Send a LOCK creating a new lock; returns (response, token or None).

    The token comes from the Lock-Token header (RFC 4918 §10.5), else from the body's only activelock.
    ``depth=None`` sends no Depth header.
    """
    hdrs = {"Content-Type": XML, "Timeout": timeout, **(headers or {})}
    if depth is not None:
        hdrs["Depth"] = depth
    response = dav.request("LOCK", path, headers=hdrs, body=_lockinfo(scope, owner))
    token = None
    if _ok(response):
        header = response.headers.get("Lock-Token")
        if header:
            try:
                token = parse_coded_url(header)
            except LockProblem:
                token = header.strip().strip("<>") or None
        if token is None:
            try:
                locks = parse_lock_response(response.content)
            except ValueError:
                locks = []
            if len(locks) == 1:
                token = locks[0].token
    return response, token


def _unlock(dav, path, token):
    return dav.request("UNLOCK", path, headers={"Lock-Token": f"<{token}>"})


def _refresh(dav, path, token, timeout="Second-120"):
    """A refresh LOCK: no body, the lock named in an untagged If list (RFC 4918 §9.10.2)."""
    return dav.request("LOCK", path, headers={"If": f"(<{token}>)", "Timeout": timeout})


@contextmanager
def _locked(dav, path, scope="exclusive", depth="0", **kw):
    """LOCK ``path`` (asserting success), yield (response, token), always UNLOCK at the end.

    A refused shared lock ends the check with PRECONDITION_FAILED: a server may support exclusive
    locks only (RFC 4918 §6.3).
    """
    response, token = _lock(dav, path, scope=scope, depth=depth, **kw)
    try:
        _require_lock(response, token, scope, path)
        yield response, token
    finally:
        if token:
            _unlock(dav, path, token)


def _require_lock(response, token, scope, path):
    if scope == "shared" and not _ok(response) and response.status_code != 423:
        precondition_failed(f"the target refused a shared LOCK on {path} ({response.status_code}); "
                            "a server may support exclusive locks only (RFC 4918 §6.3)")
    assert _ok(response), (f"LOCK ({scope}) of {path} answered {response.status_code}; a server that claims "
                           "locking must grant a lock on an unlocked resource (RFC 4918 §9.10.1)")
    assert token, f"LOCK of {path} succeeded but neither a Lock-Token header nor the body gave a lock token"


def _response_locks(response) -> list[ActiveLock]:
    """The activelocks of a LOCK response body; a malformed body fails the check (RFC 4918 §9.10.1)."""
    try:
        return parse_lock_response(response.content)
    except ValueError as exc:
        raise AssertionError(f"the LOCK response body is not a DAV:prop with DAV:lockdiscovery: {exc}") from None


def _discover(dav, path) -> list[ActiveLock]:
    """The activelocks in ``path``'s DAV:lockdiscovery, read with PROPFIND Depth 0 (RFC 4918 §15.8)."""
    ms = multistatus(dav.propfind(path, depth="0", body=_propfind_body("lockdiscovery")))
    assert ms.responses, f"PROPFIND of {path} returned no response"
    element = ms.responses[0].prop("{DAV:}lockdiscovery")
    assert element is not None, (f"{path} has no DAV:lockdiscovery property; a class 2 server MUST support it "
                                 "(RFC 4918 §18.2, §15.8)")
    return parse_lockdiscovery(element)


def _with_token(locks, token) -> ActiveLock | None:
    return next((lock for lock in locks if lock.token == token), None)


def _etag(dav, path) -> str:
    etag = dav.get(path).headers.get("ETag")
    if not etag:
        precondition_failed(f"GET {path} gives no ETag, so no If header with an entity tag can be built "
                            "(ETags are a SHOULD, RFC 4918 §8.6)")
    return etag


def _proppatch_succeeded(response) -> bool:
    """True if a PROPPATCH took effect: 2xx and, for 207, every propstat 2xx (RFC 4918 §9.2)."""
    if not _ok(response):
        return False
    if response.status_code != 207:
        return True
    try:
        ms = parse_multistatus(response.content, strict=False)
    except ValueError:
        return False
    codes = [p.status for r in ms.responses for p in r.propstats] + [r.status for r in ms.responses if r.status]
    return bool(codes) and all(code is not None and 200 <= code < 300 for code in codes)


def _refused_as_locked(response) -> bool:
    """True if a PROPPATCH was refused because of a lock: 423 overall or in any propstat (RFC 4918 §9.2.1)."""
    if response.status_code == 423:
        return True
    if response.status_code != 207:
        return False
    try:
        ms = parse_multistatus(response.content, strict=False)
    except ValueError:
        return False
    return any(p.status == 423 for r in ms.responses for p in r.propstats) or \
        any(r.status == 423 for r in ms.responses)


def _absent(dav, path) -> bool:
    """True if ``path`` is unmapped (GET 404): judges the effect of a request rather than its status code."""
    return dav.get(path).status_code == 404


def _describe(attempts) -> str:
    return ", ".join(f"{what} -> {response.status_code}" for what, response in attempts)


def _notowner_modify(dav, res, other):
    """Try every change litmus's notowner_modify tries, without the lock token; assert each failed."""
    attempts = [
        ("DELETE", dav.delete(res)),
        ("MOVE away", dav.move(res, "whocares.txt", overwrite="F")),
        ("COPY onto it", dav.copy(other, res, overwrite="T", depth="0")),
        ("PROPPATCH", dav.proppatch(res, PROPPATCH_BODY)),
        ("PUT", dav.put(res, b"not the lock owner\n", "text/plain")),
    ]
    succeeded = [what for what, response in attempts
                 if (_proppatch_succeeded(response) if what == "PROPPATCH" else _ok(response))]
    assert not succeeded, (f"without the lock token, {', '.join(succeeded)} of the locked {res} succeeded "
                           f"({_describe(attempts)}); a write lock MUST make them fail (RFC 4918 §7, §7.5)")


def _notowner_lock(dav, res):
    """UNLOCK with a token that is not the lock's, and a new exclusive LOCK: both must fail."""
    bogus = f"opaquelocktoken:{uuid.uuid4()}"
    unlocked = _unlock(dav, res, bogus)
    relock, token = _lock(dav, res, owner="notowner lock")
    try:
        assert not _ok(unlocked), (f"UNLOCK of {res} with a token that names no lock answered "
                                   f"{unlocked.status_code}; it must fail (RFC 4918 §9.11, §10.5)")
        assert not _ok(relock), (f"a second exclusive LOCK of the locked {res} answered {relock.status_code}; a "
                                 "server MUST NOT grant conflicting locks (RFC 4918 §6.1, §9.10.5; 423 expected)")
    finally:
        if token:
            _unlock(dav, res, token)


def _owner_modify(dav, res, if_header):
    put = dav.put(res, b"the lock owner writes\n", "text/plain", headers={"If": if_header})
    patch = dav.proppatch(res, PROPPATCH_BODY, headers={"If": if_header})
    assert _ok(put), f"PUT to the locked {res} with its lock token answered {put.status_code} (RFC 4918 §7.5)"
    # A server may refuse a dead property for reasons of its own (403, §9.2.1); only a refusal
    # because of the lock (423) says the submitted token was not honoured.
    assert not _refused_as_locked(patch), (f"PROPPATCH of the locked {res} with its lock token was refused as "
                                           f"locked ({patch.status_code}, 423 inside) (RFC 4918 §7.5)")


def _tagged(dav, path, token) -> str:
    """A tagged-list If header naming ``path`` (RFC 4918 §10.4.2), as used for collection locks (§10.4.10)."""
    return f"<{dav.url(path)}> (<{token}>)"


def _error_elements(response) -> dict:
    try:
        return parse_dav_error(response.content)
    except ValueError:
        return {}


def _setup(dav, *paths):
    for path in paths:
        if path.endswith("/"):
            assert dav.mkcol(path).status_code == 201, f"set-up: MKCOL {path} failed"
        else:
            created = dav.put(path, CONTENT, "text/plain")
            assert created.status_code in (200, 201, 204), f"set-up: PUT {path} answered {created.status_code}"


def _same_path(href, dav, path) -> bool:
    return normalise_href(href, dav.url("")).rstrip("/") == normalise_href(dav.url(path)).rstrip("/")


# -- litmus locks, exclusive lock on a resource ---------------------------------------------------

@check("webdav/locks/lock-exclusive", clause="RFC 4918 §9.10.1, §9.10.6", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/lock_excl"})
def test_lock_exclusive(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (response, token):
        assert response.status_code == 200, (f"LOCK of an existing resource must answer 200 OK, "
                                             f"got {response.status_code} (RFC 4918 §9.10.6, §7.3)")
        lock = _with_token(_response_locks(response), token)
        assert lock is not None, f"the LOCK response's lockdiscovery does not describe the new lock {token}"
        assert lock.scope == "exclusive", f"asked for an exclusive lock, the server granted {lock.scope!r}"
        assert lock.type == "write", f"asked for a write lock, the server granted {lock.type!r}"
        assert lock.depth == "0", f"asked for Depth 0, the activelock says depth {lock.depth!r}"


@check("webdav/locks/discover", clause="RFC 4918 §15.8, §9.10.1", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/discover"})
def test_discover(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        lock = _with_token(_discover(dav, RES), token)
        assert lock is not None, f"DAV:lockdiscovery of the locked {RES} does not list the lock {token}"
        assert lock.owner_text == OWNER, (f"the discovered lock's owner is {lock.owner_text!r}, the LOCK said "
                                          f"{OWNER!r}; the server MUST preserve it (RFC 4918 §9.10.1)")


@check("webdav/locks/refresh", clause="RFC 4918 §9.10.2", level="MUST", requires=WEBDAV, optional=LOCKING,
       peer={"litmus": "locks/refresh#8"})
def test_refresh(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        response = _refresh(dav, RES, token)
        assert response.status_code == 200, f"a refresh LOCK (no body, If: (<token>)) answered {response.status_code}"
        assert _with_token(_response_locks(response), token) is not None, \
            "the refresh response's DAV:lockdiscovery does not contain the refreshed lock (RFC 4918 §9.10.2)"


@check("webdav/locks/notowner-modify", clause="RFC 4918 §7, §7.5", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/notowner_modify#9"})
def test_notowner_modify(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES):
        _notowner_modify(dav, RES, OTHER)


@check("webdav/locks/notowner-lock", clause="RFC 4918 §6.1, §9.10.5, §9.11", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/notowner_lock#10"})
def test_notowner_lock(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        _notowner_lock(dav, RES)


@check("webdav/locks/owner-modify", clause="RFC 4918 §7.5", level="MUST", requires=WEBDAV, optional=LOCKING,
       peer={"litmus": "locks/owner_modify#11"})
def test_owner_modify(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        _owner_modify(dav, RES, f"(<{token}>)")


@check("webdav/locks/notowner-modify-after-owner-put", clause="RFC 4918 §7, §7.5", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_modify#12"})
def test_notowner_modify_after_owner_put(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES) as (_, token):
        put = dav.put(RES, b"the lock owner writes\n", "text/plain", headers={"If": f"(<{token}>)"})
        assert _ok(put), f"set-up: PUT by the lock owner answered {put.status_code}"
        _notowner_modify(dav, RES, OTHER)


@check("webdav/locks/notowner-lock-after-owner-put", clause="RFC 4918 §6.1, §9.10.5", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_lock#13"})
def test_notowner_lock_after_owner_put(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        put = dav.put(RES, b"the lock owner writes\n", "text/plain", headers={"If": f"(<{token}>)"})
        assert _ok(put), f"set-up: PUT by the lock owner answered {put.status_code}"
        _notowner_lock(dav, RES)


@check("webdav/locks/copy-lock-not-copied", clause="RFC 4918 §7.6", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/copy"})
def test_copy_lock_not_copied(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        copied = dav.copy(RES, "copydest.txt", overwrite="F", depth="0")
        assert copied.status_code == 201, f"COPY of a locked resource to a new URL answered {copied.status_code}"
        put = dav.put("copydest.txt", b"the copy is not locked\n", "text/plain")
        assert _ok(put), (f"PUT without token to the copy of a locked resource answered {put.status_code}; a COPY "
                          "MUST NOT duplicate the write locks of its source (RFC 4918 §7.6)")


# -- litmus locks: Julian Reschke's conditional PUTs ------------------------------------------------

@check("webdav/locks/cond-put", clause="RFC 4918 §10.4.1, §10.4.4", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/cond_put"})
def test_cond_put(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        etag = _etag(dav, RES)
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{token}> [{etag}])"})
        assert _ok(put), f"PUT with If: (<lock token> [current ETag]) answered {put.status_code}; the list is true"


@check("webdav/locks/fail-cond-put", clause="RFC 4918 §10.4.1, §7.5", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/fail_cond_put"})
def test_fail_cond_put(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        etag = _etag(dav, RES)
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{NO_LOCK}> [{etag}])"})
        assert put.status_code in (412, 423), (
            f"PUT with If: (<DAV:no-lock> [ETag]) on a locked resource answered {put.status_code}; the If header is "
            "false (412, RFC 4918 §10.4.1) and the lock token is not submitted (423, §7.5): it must fail with one")


@check("webdav/locks/cond-put-with-not", clause="RFC 4918 §10.4.3, §10.4.8", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/cond_put_with_not"})
def test_cond_put_with_not(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{token}>) (Not <{NO_LOCK}>)"})
        assert _ok(put), f"PUT with If: (<lock token>) (Not <DAV:no-lock>) answered {put.status_code}; it is true"


@check("webdav/locks/cond-put-corrupt-token", clause="RFC 4918 §7.5, §10.4.8", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/cond_put_corrupt_token"})
def test_cond_put_corrupt_token(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{token}x>) (Not <{NO_LOCK}>)"})
        assert not _ok(put), (f"PUT with If: (<corrupted token>) (Not <DAV:no-lock>) answered {put.status_code}; the "
                              "If header is true but the lock token is not submitted, so the PUT MUST fail "
                              "(RFC 4918 §7.5; 423 expected)")


@check("webdav/locks/complex-cond-put", clause="RFC 4918 §10.4.2, §10.4.3", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/complex_cond_put"})
def test_complex_cond_put(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        etag = _etag(dav, RES)
        put = dav.put(RES, b"zero", "text/plain",
                      headers={"If": f"(<{token}> [{etag}]) (Not <{NO_LOCK}> [{etag}])"})
        assert _ok(put), f"PUT with If: (<token> [ETag]) (Not <DAV:no-lock> [ETag]) answered {put.status_code}"


@check("webdav/locks/fail-complex-cond-put", clause="RFC 4918 §10.4.1", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/fail_complex_cond_put"})
def test_fail_complex_cond_put(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        etag = _etag(dav, RES)
        bad = etag[:-3] + chr(ord(etag[-3]) + 1) + etag[-2:] if len(etag) > 3 else '"overstap-no-such-etag"'
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{token}> [{bad}]) (Not <{NO_LOCK}> [{bad}])"})
        assert put.status_code == 412, (f"PUT whose If lists all name a wrong ETag ({bad}) answered "
                                        f"{put.status_code}; a false If header MUST give 412 (RFC 4918 §10.4.1)")


@check("webdav/locks/unlock", clause="RFC 4918 §9.11, §9.11.1", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/unlock#21"})
def test_unlock(dav):
    _setup(dav, RES)
    response, token = _lock(dav, RES)
    _require_lock(response, token, "exclusive", RES)
    unlocked = _unlock(dav, RES, token)
    assert _ok(unlocked), f"UNLOCK with the lock's token answered {unlocked.status_code} (204 expected)"
    put = dav.put(RES, b"after unlock\n", "text/plain")
    assert _ok(put), (f"after UNLOCK, a PUT without token answered {put.status_code}; the server MUST delete "
                      "the lock entirely (RFC 4918 §9.11)")


@check("webdav/locks/fail-cond-put-unlocked", clause="RFC 4918 §10.4.1, §10.4.8", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/fail_cond_put_unlocked"})
def test_fail_cond_put_unlocked(dav):
    _setup(dav, RES)
    put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{NO_LOCK}>)"})
    assert put.status_code == 412, (f"PUT with If: (<DAV:no-lock>) answered {put.status_code}; no resource has that "
                                    "state token, so the If header is false and MUST give 412 (RFC 4918 §10.4.1)")


# -- litmus locks, shared locks ----------------------------------------------------------------------

@check("webdav/locks/lock-shared", clause="RFC 4918 §6.2, §9.10.1", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/lock_shared"})
def test_lock_shared(dav):
    _setup(dav, RES)
    with _locked(dav, RES, scope="shared") as (response, token):
        lock = _with_token(_response_locks(response), token)
        assert lock is not None, f"the LOCK response's lockdiscovery does not describe the new lock {token}"
        assert lock.scope == "shared", f"asked for a shared lock, the server granted {lock.scope!r}"


@check("webdav/locks/notowner-modify-shared", clause="RFC 4918 §7, §7.5", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/notowner_modify#24"})
def test_notowner_modify_shared(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES, scope="shared"):
        _notowner_modify(dav, RES, OTHER)


@check("webdav/locks/notowner-lock-shared", clause="RFC 4918 §6.1, §9.10.5, §9.11", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_lock#25"})
def test_notowner_lock_shared(dav):
    _setup(dav, RES)
    with _locked(dav, RES, scope="shared"):
        _notowner_lock(dav, RES)


@check("webdav/locks/owner-modify-shared", clause="RFC 4918 §7.5", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/owner_modify#26"})
def test_owner_modify_shared(dav):
    _setup(dav, RES)
    with _locked(dav, RES, scope="shared") as (_, token):
        _owner_modify(dav, RES, f"(<{token}>)")


@contextmanager
def _two_shared(dav):
    """A shared lock on RES, plus a second shared lock taken and released; yields the first token."""
    with _locked(dav, RES, scope="shared") as (_, token):
        second, token2 = _lock(dav, RES, scope="shared", owner="second shared lock")
        try:
            assert _ok(second) and token2, (f"a second shared LOCK of a shared-locked resource answered "
                                            f"{second.status_code}; shared locks allow several holders (RFC 4918 §6.2)")
            assert token2 != token, "the second shared lock has the same token as the first (RFC 4918 §6.5)"
            unlocked = _unlock(dav, RES, token2)
            token2 = None if _ok(unlocked) else token2
            assert unlocked.status_code in (200, 204), f"UNLOCK of the second shared lock answered {unlocked.status_code}"
        finally:
            if token2:
                _unlock(dav, RES, token2)
        yield token


@check("webdav/locks/double-shared-lock", clause="RFC 4918 §6.2, §9.10.5", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/double_sharedlock"})
def test_double_shared_lock(dav):
    _setup(dav, RES)
    with _two_shared(dav) as token:
        assert _with_token(_discover(dav, RES), token) is not None, \
            "after the second shared lock was released, the first is gone from DAV:lockdiscovery"


@check("webdav/locks/notowner-modify-after-second-shared", clause="RFC 4918 §7, §7.5", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_modify#28"})
def test_notowner_modify_after_second_shared(dav):
    _setup(dav, RES, OTHER)
    with _two_shared(dav):
        _notowner_modify(dav, RES, OTHER)


@check("webdav/locks/notowner-lock-after-second-shared", clause="RFC 4918 §6.1, §9.10.5", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_lock#29"})
def test_notowner_lock_after_second_shared(dav):
    _setup(dav, RES)
    with _two_shared(dav):
        _notowner_lock(dav, RES)


@check("webdav/locks/unlock-shared", clause="RFC 4918 §9.11", level="MUST", requires=WEBDAV, optional=LOCKING,
       peer={"litmus": "locks/unlock#30"})
def test_unlock_shared(dav):
    _setup(dav, RES)
    response, token = _lock(dav, RES, scope="shared")
    _require_lock(response, token, "shared", RES)
    unlocked = _unlock(dav, RES, token)
    assert _ok(unlocked), f"UNLOCK of a shared lock answered {unlocked.status_code} (204 expected)"
    put = dav.put(RES, b"after unlock\n", "text/plain")
    assert _ok(put), f"after UNLOCK of the only (shared) lock, a PUT without token answered {put.status_code}"


# -- litmus locks, collection locks ----------------------------------------------------------------

@check("webdav/locks/lock-collection", clause="RFC 4918 §9.10.3, §7.4", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/lock_collection"})
def test_lock_collection(dav):
    _setup(dav, COLL)
    with _locked(dav, COLL, depth="infinity") as (response, token):
        lock = _with_token(_response_locks(response), token)
        assert lock is not None and lock.depth == "infinity", (
            f"a Depth: infinity LOCK of a collection must be granted as depth infinity, the activelock says "
            f"{lock.depth if lock else 'nothing'!r}")
        put = dav.put(MEMBER, CONTENT, "text/plain", headers={"If": _tagged(dav, COLL, token)})
        assert put.status_code == 201, (f"PUT of a new member into the locked collection, with its token, answered "
                                        f"{put.status_code}")


@check("webdav/locks/owner-modify-collection-member", clause="RFC 4918 §7.4, §7.5, §10.4.10", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/owner_modify#33"})
def test_owner_modify_collection_member(dav):
    _setup(dav, COLL, MEMBER)
    with _locked(dav, COLL, depth="infinity") as (_, token):
        _owner_modify(dav, MEMBER, _tagged(dav, COLL, token))


@check("webdav/locks/notowner-modify-collection-member", clause="RFC 4918 §7.4, §7.5", level="MUST",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_modify#34"})
def test_notowner_modify_collection_member(dav):
    _setup(dav, COLL, MEMBER, OTHER)
    with _locked(dav, COLL, depth="infinity"):
        _notowner_modify(dav, MEMBER, OTHER)


@check("webdav/locks/refresh-collection", clause="RFC 4918 §9.10.2", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/refresh#35"})
def test_refresh_collection(dav):
    _setup(dav, COLL)
    with _locked(dav, COLL, depth="infinity") as (_, token):
        response = _refresh(dav, COLL, token)
        assert response.status_code == 200, f"refresh LOCK of the collection lock answered {response.status_code}"
        assert _with_token(_response_locks(response), token) is not None, \
            "the refresh response's DAV:lockdiscovery does not contain the refreshed lock (RFC 4918 §9.10.2)"


@check("webdav/locks/indirect-refresh", clause="RFC 4918 §9.10.2", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/indirect_refresh"})
def test_indirect_refresh(dav):
    _setup(dav, COLL, MEMBER)
    with _locked(dav, COLL, depth="infinity") as (_, token):
        response = _refresh(dav, MEMBER, token)
        assert response.status_code == 200, (f"refresh LOCK sent to a member of the depth-infinity locked collection "
                                             f"answered {response.status_code}; a lock is refreshed at the URL of any "
                                             "resource within its scope (RFC 4918 §9.10.2)")


@check("webdav/locks/unlock-collection", clause="RFC 4918 §9.11, §9.10.3", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/unlock#37"})
def test_unlock_collection(dav):
    _setup(dav, COLL, MEMBER)
    response, token = _lock(dav, COLL, depth="infinity")
    _require_lock(response, token, "exclusive", COLL)
    unlocked = _unlock(dav, COLL, token)
    assert _ok(unlocked), f"UNLOCK of the collection lock answered {unlocked.status_code} (204 expected)"
    put = dav.put(MEMBER, b"after unlock\n", "text/plain")
    assert _ok(put), (f"after UNLOCK of the depth-infinity collection lock, a PUT to a member without token "
                      f"answered {put.status_code}; UNLOCK releases every resource of the lock (RFC 4918 §9.10.3)")


# -- litmus locks, unmapped URL ----------------------------------------------------------------------

@check("webdav/locks/unmapped-lock", clause="RFC 4918 §7.3, §9.10.6", level="MUST", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/unmapped_lock"})
def test_unmapped_lock(dav):
    with _locked(dav, "unmapped.txt") as (response, _):
        assert response.status_code == 201, (f"LOCK of an unmapped URL answered {response.status_code}; it creates a "
                                              "resource and MUST say so with 201 Created (RFC 4918 §7.3)")
        _response_locks(response)


@check("webdav/locks/unlock-unmapped", clause="RFC 4918 §9.11", level="MUST", requires=WEBDAV, optional=LOCKING,
       peer={"litmus": "locks/unlock#39"})
def test_unlock_unmapped(dav):
    response, token = _lock(dav, "unmapped.txt")
    _require_lock(response, token, "exclusive", "unmapped.txt")
    unlocked = _unlock(dav, "unmapped.txt", token)
    assert _ok(unlocked), f"UNLOCK of the lock made on an unmapped URL answered {unlocked.status_code}"


# -- beyond litmus: the LOCK response ----------------------------------------------------------------

@check("webdav/locks/lock-token-header", clause="RFC 4918 §9.10.1, §10.5", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_lock_token_header(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (response, _):
        header = response.headers.get("Lock-Token")
        assert header, "a LOCK creating a new lock MUST return a Lock-Token response header (RFC 4918 §9.10.1)"
        try:
            token = parse_coded_url(header)
        except LockProblem as exc:
            raise AssertionError(str(exc)) from None
        assert _with_token(_response_locks(response), token) is not None, (
            f"the Lock-Token header names {token}, which no activelock of the response body carries")


@check("webdav/locks/lock-token-unique", clause="RFC 4918 §6.5", level="MUST", requires=WEBDAV, optional=LOCKING)
def test_lock_token_unique(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, OTHER) as (_, other_token):
        first, token1 = _lock(dav, RES)
        _require_lock(first, token1, "exclusive", RES)
        _unlock(dav, RES, token1)
        with _locked(dav, RES) as (_, token2):
            tokens = [token1, token2, other_token]
            assert len(set(tokens)) == 3, (f"lock tokens repeat: {tokens}; lock token URIs MUST be unique across "
                                           "all resources for all time (RFC 4918 §6.5)")
            assert all(is_absolute_uri(t) for t in tokens), f"lock tokens must be absolute URIs, got {tokens}"


@check("webdav/locks/owner-preserved", clause="RFC 4918 §9.10.1, §14.17", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_owner_preserved(dav):
    _setup(dav, RES)
    href = "mailto:overstap@example.org"
    with _locked(dav, RES, owner=f"<D:href>{href}</D:href>") as (_, token):
        lock = _with_token(_discover(dav, RES), token)
        assert lock is not None, f"DAV:lockdiscovery does not list the lock {token}"
        got = lock.owner.find("{DAV:}href") if lock.owner is not None else None
        assert got is not None and (got.text or "").strip() == href, (
            f"the owner was sent as <D:href>{href}</D:href>; lockdiscovery returns "
            f"{lock.owner_text!r} without that DAV:href; the server MUST preserve owner (RFC 4918 §9.10.1)")


@check("webdav/locks/lockroot", clause="RFC 4918 §14.12", level="SHOULD", requires=WEBDAV, optional=LOCKING)
def test_lockroot(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (response, token):
        for where, locks in (("LOCK response", _response_locks(response)), ("lockdiscovery", _discover(dav, RES))):
            lock = _with_token(locks, token)
            assert lock is not None, f"the {where} does not list the lock {token}"
            assert lock.lockroot, f"the {where}'s activelock has no DAV:lockroot (RFC 4918 §14.12)"
            assert _same_path(lock.lockroot, dav, RES), \
                f"the {where}'s lockroot is {lock.lockroot!r}, not the locked URL {dav.url(RES)}"


@check("webdav/locks/lockroot-indirect", clause="RFC 4918 §14.12, §15.8, §6.1", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_lockroot_indirect(dav):
    _setup(dav, COLL, MEMBER)
    with _locked(dav, COLL, depth="infinity") as (_, token):
        lock = _with_token(_discover(dav, MEMBER), token)
        assert lock is not None, (f"DAV:lockdiscovery of a member of the depth-infinity locked collection does not "
                                  f"list the collection's lock {token} (RFC 4918 §6.1, §15.8)")
        assert lock.lockroot and _same_path(lock.lockroot, dav, COLL), (
            f"the member's activelock gives lockroot {lock.lockroot!r}; the lock's root is {dav.url(COLL)}")


@check("webdav/locks/timeout-syntax", clause="RFC 4918 §14.29, §10.7", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_timeout_syntax(dav):
    _setup(dav, RES)
    with _locked(dav, RES, timeout="Second-60") as (response, token):
        lock = _with_token(_response_locks(response), token)
        assert lock is not None, f"the LOCK response does not describe the lock {token}"
        if lock.timeout is not None:
            try:
                parse_timeout(lock.timeout)
            except LockProblem as exc:
                raise AssertionError(str(exc)) from None


@check("webdav/locks/timeout-honoured", clause="RFC 4918 §10.7, §6.6", level="MAY", requires=WEBDAV,
       optional=LOCKING)
def test_timeout_honoured(dav):
    _setup(dav, RES)
    with _locked(dav, RES, timeout="Second-60") as (response, token):
        lock = _with_token(_response_locks(response), token)
        assert lock is not None and lock.timeout, "the LOCK response's activelock gives no DAV:timeout"
        try:
            seconds = parse_timeout(lock.timeout)
        except LockProblem as exc:
            raise AssertionError(str(exc)) from None
        assert seconds is not None and seconds <= 60, (
            f"asked for Timeout: Second-60, the lock was granted {lock.timeout}; a server may honour the request "
            "(RFC 4918 §10.7)")


@check("webdav/locks/lock-no-depth-is-infinity", clause="RFC 4918 §9.10.3", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_lock_no_depth_is_infinity(dav):
    _setup(dav, COLL)
    with _locked(dav, COLL, depth=None) as (response, token):
        lock = _with_token(_response_locks(response), token)
        assert lock is not None, f"the LOCK response does not describe the lock {token}"
        assert lock.depth == "infinity", (f"a LOCK with no Depth header MUST act as Depth: infinity; the activelock "
                                          f"says depth {lock.depth!r} (RFC 4918 §9.10.3)")


@check("webdav/locks/supportedlock", clause="RFC 4918 §6.7, §15.10", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_supportedlock(dav):
    _setup(dav, RES)
    ms = multistatus(dav.propfind(RES, depth="0", body=_propfind_body("supportedlock")))
    element = ms.responses[0].prop("{DAV:}supportedlock") if ms.responses else None
    assert element is not None, "a resource that supports LOCK MUST define DAV:supportedlock (RFC 4918 §6.7)"
    entries = parse_supportedlock(element)
    assert any(kind == "write" for _, kind in entries), (
        f"DAV:supportedlock lists {sorted(entries)}, no write lock entry, yet LOCK is supported (RFC 4918 §15.10)")


@check("webdav/locks/lockdiscovery-unlocked", clause="RFC 4918 §15.8", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_lockdiscovery_unlocked(dav):
    _setup(dav, RES)
    locks = _discover(dav, RES)
    assert not locks, f"an unlocked resource's DAV:lockdiscovery lists {len(locks)} activelock(s)"


# -- beyond litmus: UNLOCK --------------------------------------------------------------------------

@check("webdav/locks/unlock-wrong-token", clause="RFC 4918 §9.11.1, §16", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_unlock_wrong_token(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        response = _unlock(dav, RES, f"opaquelocktoken:{uuid.uuid4()}")
        assert response.status_code == 409, (f"UNLOCK with a token that names no lock answered "
                                             f"{response.status_code}, not 409 Conflict (RFC 4918 §9.11.1)")
        assert "{DAV:}lock-token-matches-request-uri" in _error_elements(response), (
            "the 409 body has no DAV:error with DAV:lock-token-matches-request-uri (RFC 4918 §9.11.1, §16)")


@check("webdav/locks/unlock-other-resource-token", clause="RFC 4918 §9.11, §10.5", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_unlock_other_resource_token(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES) as (_, token):
        response = _unlock(dav, OTHER, token)
        assert not _ok(response), (f"UNLOCK of {OTHER} with the token of the lock on {RES} answered "
                                   f"{response.status_code}; the token MUST identify a lock that contains the "
                                   "Request-URI (RFC 4918 §10.5; 409 expected, §9.11.1)")
        assert _with_token(_discover(dav, RES), token) is not None, \
            f"the lock on {RES} vanished after an UNLOCK addressed to {OTHER}"


@check("webdav/locks/unlock-no-token", clause="RFC 4918 §9.11.1", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_unlock_no_token(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        response = dav.request("UNLOCK", RES)
        assert response.status_code == 400, (f"UNLOCK without a Lock-Token header answered {response.status_code}, "
                                             "not 400 Bad Request (RFC 4918 §9.11.1)")


# -- beyond litmus: what a lock refuses, and how -------------------------------------------------------

@check("webdav/locks/notowner-modify-423", clause="RFC 4918 §11.3, §16, §9.9.4, §9.8.5", level="SHOULD",
       requires=WEBDAV, optional=LOCKING, peer={"litmus": "locks/notowner_modify#9"})
def test_notowner_modify_423(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES):
        attempts = [
            ("DELETE", dav.delete(RES)),
            ("MOVE away", dav.move(RES, "whocares.txt", overwrite="F")),
            ("COPY onto it", dav.copy(OTHER, RES, overwrite="T", depth="0")),
            ("PROPPATCH", dav.proppatch(RES, PROPPATCH_BODY)),
            ("PUT", dav.put(RES, b"not the lock owner\n", "text/plain")),
        ]
        other = [what for what, response in attempts
                 if response.status_code != 423 and not (what == "PROPPATCH" and _refused_as_locked(response))]
        assert not other, (f"without the lock token, {', '.join(other)} of the locked resource did not answer 423 "
                           f"Locked ({_describe(attempts)}) (RFC 4918 §11.3, §16 lock-token-submitted)")


@check("webdav/locks/cond-put-corrupt-token-423", clause="RFC 4918 §7.5, §16", level="SHOULD", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/cond_put_corrupt_token"})
def test_cond_put_corrupt_token_423(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{token}x>) (Not <{NO_LOCK}>)"})
        assert put.status_code == 423, (f"PUT with If: (<corrupted token>) (Not <DAV:no-lock>) answered "
                                        f"{put.status_code}; the If header is true, only the lock token is missing: "
                                        "423 Locked (RFC 4918 §7.5, §16 lock-token-submitted)")


@check("webdav/locks/fail-cond-put-412", clause="RFC 4918 §10.4.3", level="SHOULD", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/fail_cond_put"})
def test_fail_cond_put_412(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        etag = _etag(dav, RES)
        put = dav.put(RES, b"zero", "text/plain", headers={"If": f"(<{NO_LOCK}> [{etag}])"})
        assert put.status_code == 412, (f"PUT with If: (<DAV:no-lock> [ETag]) answered {put.status_code}; the If "
                                        "header is false, which gives 412 (RFC 4918 §10.4.3)")


@check("webdav/locks/delete-locked-423", clause="RFC 4918 §9.6, §7.5, §11.3", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_delete_locked_423(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        response = dav.delete(RES)
        assert response.status_code == 423, (f"DELETE of a locked resource without its token answered "
                                             f"{response.status_code}, not 423 Locked (RFC 4918 §11.3, §16)")


@check("webdav/locks/move-locked-423", clause="RFC 4918 §9.9.4, §7.5", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_move_locked_423(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        response = dav.move(RES, "moved.txt", overwrite="F")
        assert response.status_code == 423, (f"MOVE of a locked resource without its token answered "
                                             f"{response.status_code}, not 423 Locked (RFC 4918 §9.9.4)")


@check("webdav/locks/put-locked-token-submitted", clause="RFC 4918 §16, §11.3", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_put_locked_token_submitted(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        response = dav.put(RES, b"not the lock owner\n", "text/plain")
        assert response.status_code == 423, f"PUT to a locked resource without its token answered {response.status_code}"
        condition = _error_elements(response).get("{DAV:}lock-token-submitted")
        assert condition is not None, "the 423 body has no DAV:error with DAV:lock-token-submitted (RFC 4918 §16)"
        hrefs = ["".join(h.itertext()).strip() for h in condition.findall("{DAV:}href")]
        assert any(_same_path(h, dav, RES) for h in hrefs), (
            f"DAV:lock-token-submitted names {hrefs}, not the locked resource {dav.url(RES)} (RFC 4918 §16)")


@check("webdav/locks/notowner-lock-423", clause="RFC 4918 §9.10.6", level="SHOULD", requires=WEBDAV,
       optional=LOCKING, peer={"litmus": "locks/notowner_lock#10"})
def test_notowner_lock_423(dav):
    _setup(dav, RES)
    with _locked(dav, RES):
        response, token = _lock(dav, RES, owner="conflicting lock")
        try:
            assert response.status_code == 423, (f"an exclusive LOCK of an exclusively locked resource answered "
                                                 f"{response.status_code}, not 423 Locked (RFC 4918 §9.10.6)")
        finally:
            if token:
                _unlock(dav, RES, token)


@check("webdav/locks/delete-with-token-removes-lock", clause="RFC 4918 §9.6, §6.1", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_delete_with_token_removes_lock(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        deleted = dav.delete(RES, headers={"If": _tagged(dav, RES, token)})
        assert _ok(deleted), f"DELETE of a locked resource with its token answered {deleted.status_code}"
        put = dav.put(RES, b"new resource\n", "text/plain")
        assert _ok(put), (f"after the locked resource was deleted, a PUT to its URL without token answered "
                          f"{put.status_code}; DELETE MUST destroy locks rooted on the resource (RFC 4918 §9.6, §6.1)")


@check("webdav/locks/move-does-not-move-lock", clause="RFC 4918 §7.6, §6.1", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_move_does_not_move_lock(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        moved = dav.move(RES, "moved.txt", overwrite="F", headers={"If": _tagged(dav, RES, token)})
        assert moved.status_code == 201, f"MOVE of a locked resource with its token answered {moved.status_code}"
        put = dav.put("moved.txt", b"no lock here\n", "text/plain")
        assert _ok(put), (f"PUT without token to the MOVE destination answered {put.status_code}; a MOVE MUST NOT "
                          "move the write lock with the resource (RFC 4918 §7.6)")


@check("webdav/locks/collection-lock-protects-new-member", clause="RFC 4918 §7.4, §6.1", level="MUST",
       requires=WEBDAV, optional=LOCKING)
def test_collection_lock_protects_new_member(dav):
    _setup(dav, COLL)
    with _locked(dav, COLL, depth="infinity"):
        put = dav.put(MEMBER, CONTENT, "text/plain")
        assert not _ok(put) or put.status_code == 207, (
            f"PUT of a new member into a depth-infinity locked collection without its token answered "
            f"{put.status_code}; it MUST fail (RFC 4918 §7.4; 423 expected)")
        assert _absent(dav, MEMBER), ("PUT without token created a member in a depth-infinity locked collection "
                                      f"(answer {put.status_code}); it MUST fail (RFC 4918 §7.4)")


@check("webdav/locks/depth0-collection-lock-protects-membership", clause="RFC 4918 §7.4", level="MUST",
       requires=WEBDAV, optional=LOCKING)
def test_depth0_collection_lock_protects_membership(dav):
    _setup(dav, COLL, MEMBER)
    with _locked(dav, COLL, depth="0"):
        attempts = [("PUT of a new member", dav.put(COLL + "new.txt", CONTENT, "text/plain")),
                    ("DELETE of a member", dav.delete(MEMBER))]
        succeeded = [what for what, took in (("PUT of a new member", not _absent(dav, COLL + "new.txt")),
                                             ("DELETE of a member", _absent(dav, MEMBER))) if took]
        assert not succeeded, (f"with a depth-0 lock on the collection and no token, {', '.join(succeeded)} "
                               f"succeeded ({_describe(attempts)}); the lock protects its member URLs (RFC 4918 §7.4)")


@check("webdav/locks/depth0-collection-lock-leaves-members", clause="RFC 4918 §7.4", level="SHOULD",
       requires=WEBDAV, optional=LOCKING)
def test_depth0_collection_lock_leaves_members(dav):
    _setup(dav, COLL, MEMBER)
    with _locked(dav, COLL, depth="0"):
        put = dav.put(MEMBER, b"member content changes\n", "text/plain")
        assert _ok(put), (f"PUT replacing an existing member of a depth-0 locked collection answered "
                          f"{put.status_code}; a depth-0 lock does not protect the members' content (RFC 4918 §7.4)")


@check("webdav/locks/copy-into-locked-collection", clause="RFC 4918 §7.6, §6.1", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_copy_into_locked_collection(dav):
    _setup(dav, COLL, OTHER)
    with _locked(dav, COLL, depth="infinity") as (_, token):
        copied = dav.copy(OTHER, MEMBER, overwrite="F", depth="0", headers={"If": _tagged(dav, COLL, token)})
        assert copied.status_code == 201, (f"COPY into the locked collection with its token (tagged If list, "
                                           f"RFC 4918 §7.5.1) answered {copied.status_code}")
        put = dav.put(MEMBER, b"not the lock owner\n", "text/plain")
        assert not _ok(put), (f"PUT without token to a resource copied into a depth-infinity locked collection "
                              f"answered {put.status_code}; the copy MUST be added to the lock (RFC 4918 §7.6, §6.1)")


# -- beyond litmus: locked empty resources (§7.3, §9.10.4) -----------------------------------------

@check("webdav/locks/unmapped-lock-empty-resource", clause="RFC 4918 §9.10.4, §7.3", level="MUST",
       requires=WEBDAV, optional=LOCKING)
def test_unmapped_lock_empty_resource(dav):
    with _locked(dav, "unmapped.txt"):
        got = dav.get("unmapped.txt")
        assert got.status_code in (200, 204), (f"GET of the resource a LOCK created answered {got.status_code}; the "
                                               "server MUST answer 200 with no content or 204 (RFC 4918 §9.10.4)")
        assert got.content == b"", f"the resource a LOCK created is not empty: {len(got.content)} bytes"


@check("webdav/locks/unmapped-lock-listed", clause="RFC 4918 §9.10.4, §7.3", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_unmapped_lock_listed(dav):
    with _locked(dav, "unmapped.txt"):
        ms = multistatus(dav.propfind("", depth="1", body=_propfind_body("resourcetype")))
        member = ms.find(dav.url("unmapped.txt"))
        assert member is not None, ("a Depth 1 PROPFIND of the parent does not list the resource a LOCK created; it "
                                    "MUST appear (RFC 4918 §9.10.4)")
        assert not member.is_collection, "LOCK of an unmapped URL created a collection (RFC 4918 §7.3)"


@check("webdav/locks/unmapped-lock-survives-unlock", clause="RFC 4918 §7.3", level="SHOULD", requires=WEBDAV,
       optional=LOCKING)
def test_unmapped_lock_survives_unlock(dav):
    response, token = _lock(dav, "unmapped.txt")
    _require_lock(response, token, "exclusive", "unmapped.txt")
    _unlock(dav, "unmapped.txt", token)
    got = dav.get("unmapped.txt")
    assert got.status_code in (200, 204), (f"after UNLOCK, GET of the resource a LOCK created answered "
                                           f"{got.status_code}; it SHOULD NOT disappear with its lock (RFC 4918 §7.3)")


@check("webdav/locks/unmapped-lock-no-mkcol", clause="RFC 4918 §7.3", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_unmapped_lock_no_mkcol(dav):
    with _locked(dav, "unmapped") as (_, token):
        response = dav.mkcol("unmapped", headers={"If": f"(<{token}>)"})
        assert not _ok(response), (f"MKCOL on the locked empty resource (with its token) answered "
                                   f"{response.status_code}; it MUST NOT be converted into a collection (RFC 4918 §7.3)")


@check("webdav/locks/unmapped-lock-no-parent", clause="RFC 4918 §9.10.6", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_unmapped_lock_no_parent(dav):
    response, token = _lock(dav, "missing/res.txt")
    try:
        assert not _ok(response), (f"LOCK below a collection that does not exist answered {response.status_code}; "
                                   "it must fail (409 Conflict, RFC 4918 §9.10.6)")
    finally:
        if token:
            _unlock(dav, "missing/res.txt", token)
    parent = dav.propfind("missing/", depth="0")
    assert parent.status_code == 404, ("the server created the missing intermediate collection; it MUST NOT "
                                       f"(RFC 4918 §9.10.6); PROPFIND missing/ answered {parent.status_code}")


# -- beyond litmus: tagged If lists (§10.4.2) --------------------------------------------------------

@check("webdav/locks/if-tagged-list", clause="RFC 4918 §10.4.2, §10.4.3", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_if_tagged_list(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES) as (_, token):
        put = dav.put(OTHER, b"tagged\n", "text/plain", headers={"If": _tagged(dav, RES, token)})
        assert _ok(put), (f"PUT to {OTHER} with If: <{RES}> (<its lock token>) answered {put.status_code}; a tagged "
                          "list is evaluated against the tagged resource, which has that token (RFC 4918 §10.4.2)")


@check("webdav/locks/if-tagged-list-false", clause="RFC 4918 §10.4.2, §10.4.3", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_if_tagged_list_false(dav):
    _setup(dav, RES, OTHER)
    with _locked(dav, RES) as (_, token):
        put = dav.put(OTHER, b"tagged\n", "text/plain", headers={"If": _tagged(dav, OTHER, token)})
        assert put.status_code == 412, (f"PUT to {OTHER} with If: <{OTHER}> (<the lock token of {RES}>) answered "
                                        f"{put.status_code}; {OTHER} is not in that lock's scope, so the If header "
                                        "is false and MUST give 412 (RFC 4918 §10.4.3)")


@check("webdav/locks/if-untagged-list-delete", clause="RFC 4918 §10.4.2, §10.4.3", level="MUST", requires=WEBDAV,
       optional=LOCKING)
def test_if_untagged_list_delete(dav):
    _setup(dav, RES)
    with _locked(dav, RES) as (_, token):
        deleted = dav.delete(RES, headers={"If": f"(<{token}>)"})
        assert _ok(deleted), (f"DELETE of a locked resource with If: (<its lock token>) answered {deleted.status_code}; "
                              "an untagged list applies to the Request-URI only, where it is true (RFC 4918 §10.4.2), "
                              "so the header is true (§10.4.3)")
