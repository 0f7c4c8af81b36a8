"""Collection synchronisation of an address book (RFC 6578): the DAV:sync-token property (§4), the
initial sync-collection report (§3.2, §3.4), a delta after adding, changing and removing cards (§3.5),
and an invalid token (§3.2 DAV:valid-sync-token)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from harness.checks import check
from suites.carddav.helpers import (
    CARDDAV,
    GETETAG,
    SYNC,
    XML_CT,
    error_conditions,
    fixture,
    multistatus,
    props_of,
    put_ok,
    results_by_name,
)


def _sync(book, token: str = ""):
    body = ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
            f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
            "<D:prop><D:getetag/></D:prop></D:sync-collection>")
    return book.request("REPORT", "", headers={"Content-Type": XML_CT}, body=body)


def _code(item) -> int | None:
    return item.status if item.status is not None else next((p.status for p in item.propstats), None)


@check("carddav/sync/sync-token-property", clause="RFC 6578 §4", level="MUST", requires=CARDDAV, optional=SYNC)
def test_sync_token_property(book):
    token = props_of(book, "", ["{DAV:}sync-token"]).prop_text("{DAV:}sync-token")
    assert token, "a collection that supports sync-collection MUST have the DAV:sync-token property"


@check("carddav/sync/initial", clause="RFC 6578 §3.2, §3.4", level="MUST", requires=CARDDAV, optional=SYNC)
def test_sync_initial(book):
    put_ok(book, "a.vcf", fixture("query-anna.vcf"))
    put_ok(book, "b.vcf", fixture("query-bram.vcf"))
    ms = multistatus(_sync(book), "sync-collection with an empty token")
    assert ms.sync_token, "the sync-collection response must carry a DAV:sync-token"
    found = results_by_name(ms)
    assert {"a.vcf", "b.vcf"} <= set(found), f"the initial sync must list every member; got {sorted(found)}"
    for name in ("a.vcf", "b.vcf"):
        assert found[name].prop_text(GETETAG), f"the initial sync gave no DAV:getetag for {name}"


@check("carddav/sync/delta", clause="RFC 6578 §3.5, §3.5.2", level="MUST", requires=CARDDAV, optional=SYNC)
def test_sync_delta(book):
    put_ok(book, "keep.vcf", fixture("query-anna.vcf"))
    put_ok(book, "change.vcf", fixture("query-bram.vcf"))
    put_ok(book, "gone.vcf", fixture("query-chloe.vcf"))
    first = multistatus(_sync(book), "the initial sync-collection")
    assert first.sync_token, "the initial sync-collection carried no DAV:sync-token"
    put_ok(book, "change.vcf", fixture("query-bram.vcf").replace(b"FN:Bram de Vries", b"FN:Bram de Vries Jr."))
    put_ok(book, "new.vcf", fixture("query-dirk.vcf"))
    assert book.delete("gone.vcf").status_code in (200, 204), "DELETE of a card failed"
    ms = multistatus(_sync(book, first.sync_token), "sync-collection with the first token")
    found = results_by_name(ms)
    assert ms.sync_token and ms.sync_token != first.sync_token, "the token did not change after changes"
    for name in ("change.vcf", "new.vcf"):
        assert name in found and _code(found[name]) == 200, (
            f"{name} changed since the token but the delta {'lists it with ' + str(_code(found[name])) if name in found else 'does not list it'}")
    assert "gone.vcf" in found and _code(found["gone.vcf"]) == 404, (
        "a member removed since the token must be reported with 404 (§3.5.2); "
        + (f"it came with {_code(found['gone.vcf'])}" if "gone.vcf" in found else "it is not listed"))
    assert "keep.vcf" not in found, "an unchanged member was reported in the delta"


@check("carddav/sync/invalid-token", clause="RFC 6578 §3.2", level="MUST", requires=CARDDAV, optional=SYNC)
def test_sync_invalid_token(book):
    response = _sync(book, "http://example.invalid/overstap/not-a-token")
    assert 400 <= response.status_code < 500, (
        f"an unknown sync token must fail (typically 403) with DAV:valid-sync-token; got {response.status_code}")
    assert "{DAV:}valid-sync-token" in error_conditions(response.content), (
        f"the error must name DAV:valid-sync-token; got {sorted(error_conditions(response.content))}")


@check("carddav/sync/limit-truncation", clause="RFC 6578 §3.6, §3.7", level="MUST", requires=CARDDAV, optional=SYNC,
       peer={"caldav-server-tester": "sync-token.limit"})
def test_sync_limit_truncation(book):
    names = ("anna", "bram", "chloe")
    for name in names:
        put_ok(book, f"{name}.vcf", fixture(f"query-{name}.vcf"))
    body = ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
            "<D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>1</D:nresults></D:limit>"
            "<D:prop><D:getetag/></D:prop></D:sync-collection>")
    response = book.request("REPORT", "", headers={"Content-Type": XML_CT}, body=body)
    if response.status_code >= 400:
        return  # a server may refuse a limit it will not honour (DAV:number-of-matches-within-limits)
    ms = multistatus(response, "sync-collection with DAV:limit nresults=1")
    found = {n for n, item in results_by_name(ms).items() if _code(item) == 200}
    if len(found) >= len(names):
        return  # the limit was disregarded: every member came at once, nothing is lost
    assert any(item.status == 507 for item in ms), (
        f"the sync report was cut to {sorted(found)} of {len(names)} members without a 507 response for the "
        "Request-URI, so the client cannot know more are waiting (§3.6)")
    assert ms.sync_token, "a truncated sync report must still carry a DAV:sync-token to continue from"
    rest = multistatus(_sync(book, ms.sync_token), "sync-collection continuing from the truncated report's token")
    seen = found | {n for n, item in results_by_name(rest).items() if _code(item) == 200}
    missing = {f"{n}.vcf" for n in names} - seen
    assert not missing, (f"after a truncated report and a follow-up from its token, {sorted(missing)} were never "
                         "reported: the token skipped changes the client never saw")
