"""Address object resources: PUT and GET of vCard 3.0 (RFC 6352 §3 MUST) and 4.0 (§3 SHOULD) read
back semantically equal; UID required and unique (§5.1, §6.3.2.1 no-uid-conflict); valid-address-data
(§6.3.2.1); non-standard X- properties and parameters (§6.3.2.2); strong ETags (§6.3.2.3); conditional
PUT (§6.3.2, §9.2 with RFC 9110 §13.1.1, §13.1.2)."""

from __future__ import annotations

from conformance.dav import is_strong_etag
from conformance.vcard import parse_vcards, validate_vcard
from harness.checks import check
from suites.carddav.helpers import (
    CARDDAV,
    CR,
    error_conditions,
    error_element,
    fixture,
    get_vcard,
    props_of,
    put_ok,
    put_vcard,
    same_vcard,
    supported_address_data,
)

NO_UID = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zonder UID\r\nN:UID;Zonder;;;\r\n"
          b"EMAIL:nouid@example.org\r\nEND:VCARD\r\n")


def _card(uid: str, fn: str) -> bytes:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:{fn};;;;\r\nEND:VCARD\r\n").encode()


@check("carddav/put/vcard3-roundtrip", clause="RFC 6352 §3, §6.3.2; RFC 2426", level="MUST", requires=CARDDAV)
def test_vcard3_roundtrip(book):
    data = fixture("contact-3.0.vcf")
    put_ok(book, "contact-3.vcf", data, "a vCard 3.0")
    same_vcard(data, get_vcard(book, "contact-3.vcf"), "vCard 3.0 contact")


@check("carddav/put/vcard4-roundtrip", clause="RFC 6352 §3, §5.1.1; RFC 6350", level="SHOULD", requires=CARDDAV)
def test_vcard4_roundtrip(book):
    data = fixture("contact-4.0.vcf")
    response = put_vcard(book, "contact-4.vcf", data)
    assert response.status_code in (200, 201, 204), (
        f"a CardDAV server SHOULD support vCard 4.0; the PUT answered {response.status_code} "
        f"{sorted(error_conditions(response.content))}")
    same_vcard(data, get_vcard(book, "contact-4.vcf"), "vCard 4.0 contact")


@check("carddav/put/vcard4-as-advertised", clause="RFC 6352 §6.2.2, §5.1.1", level="MUST", requires=CARDDAV)
def test_vcard4_as_advertised(book):
    # §6.2.2: storing a media type (content-type + version) not listed in supported-address-data MUST fail
    # with the CARDDAV:supported-address-data precondition; one that is listed has to be accepted (§5.1.1).
    kinds = supported_address_data(props_of(book, "", [f"{{{CR}}}supported-address-data"])) or [("text/vcard", "3.0")]
    response = put_vcard(book, "contact-4.vcf", fixture("contact-4.0.vcf"))
    if ("text/vcard", "4.0") in kinds:
        assert response.status_code in (200, 201, 204), (
            f"supported-address-data lists text/vcard 4.0, so the server has to accept it; the PUT "
            f"answered {response.status_code}")
        return
    assert response.status_code >= 400, (
        f"supported-address-data lists only {kinds}, yet a vCard 4.0 was stored ({response.status_code}); "
        "a version not listed MUST be refused with CARDDAV:supported-address-data (or 4.0 advertised)")
    assert f"{{{CR}}}supported-address-data" in error_conditions(response.content), (
        f"the refusal ({response.status_code}) must name CARDDAV:supported-address-data; got "
        f"{sorted(error_conditions(response.content)) or 'no DAV:error'}")


@check("carddav/put/etag-strong", clause="RFC 6352 §6.3.2.3", level="MUST", requires=CARDDAV)
def test_etag_strong(book):
    put_ok(book, "etag.vcf", fixture("query-bram.vcf"))
    got = book.get("etag.vcf")
    etag = got.headers.get("ETag")
    assert etag and is_strong_etag(etag), f"GET of an address object must carry a strong ETag; got {etag!r}"
    prop = props_of(book, "etag.vcf", ["{DAV:}getetag"]).prop_text("{DAV:}getetag")
    assert prop == etag, f"DAV:getetag ({prop!r}) must be the strong ETag the GET gave ({etag!r})"


@check("carddav/put/etag-octet-equal", clause="RFC 6352 §6.3.2.3", level="MUST", requires=CARDDAV)
def test_etag_octet_equal(book):
    # a strong ETag in the PUT response promises the stored octets are the ones sent
    data = fixture("contact-4.0.vcf")
    response = put_vcard(book, "octets.vcf", data)
    if response.status_code >= 400:
        data = fixture("contact-3.0.vcf")
        response = put_ok(book, "octets.vcf", data)
    etag = response.headers.get("ETag")
    if not etag or not is_strong_etag(etag):
        return  # no strong ETag promised: nothing to hold the server to
    stored = get_vcard(book, "octets.vcf")
    assert stored == data, (
        f"the PUT answered the strong ETag {etag} but the stored resource differs from the octets sent "
        f"({len(data)} bytes sent, {len(stored)} bytes stored{', same length, reordered/rewritten' if len(stored) == len(data) else ''}); "
        "a strong ETag MUST NOT be returned when the stored data is not octet-equal")


@check("carddav/put/uid-required", clause="RFC 6352 §5.1", level="MUST", requires=CARDDAV)
def test_uid_required(book):
    response = put_vcard(book, "nouid.vcf", NO_UID)
    if response.status_code >= 400:
        return  # refused: fine
    stored = get_vcard(book, "nouid.vcf")
    cards = parse_vcards(stored).cards
    assert cards and cards[0].get("UID"), (
        f"vCards in an address book MUST have a UID: a card without one was accepted ({response.status_code}) "
        "and is stored without a UID (the server may refuse it or add one)")


@check("carddav/put/no-uid-conflict", clause="RFC 6352 §5.1, §6.3.2.1", level="MUST", requires=CARDDAV)
def test_no_uid_conflict(book):
    put_ok(book, "first.vcf", _card("overstap-same-uid", "First"))
    response = put_vcard(book, "second.vcf", _card("overstap-same-uid", "Second"))
    assert response.status_code >= 400, (
        f"a second resource with a UID already used in the address book must be refused (CARDDAV:no-uid-"
        f"conflict); the PUT answered {response.status_code}")
    assert book.get("second.vcf").status_code == 404, "the refused resource exists anyway"


@check("carddav/put/no-uid-conflict-href", clause="RFC 6352 §6.3.2.1", level="SHOULD", requires=CARDDAV)
def test_no_uid_conflict_href(book):
    put_ok(book, "first.vcf", _card("overstap-same-uid", "First"))
    response = put_vcard(book, "second.vcf", _card("overstap-same-uid", "Second"))
    if response.status_code < 400:
        assert False, f"the duplicate UID was accepted ({response.status_code}), so no precondition was reported"
    element = error_element(response.content, f"{{{CR}}}no-uid-conflict")
    assert element is not None, (f"the refusal should carry DAV:error with CARDDAV:no-uid-conflict; got "
                                 f"{sorted(error_conditions(response.content)) or response.content[:200]!r}")
    href = element.findtext("{DAV:}href")
    assert href and href.strip().endswith("first.vcf"), (
        f"servers SHOULD name the resource already using the UID in DAV:href; got {href!r}")


@check("carddav/put/uid-change-refused", clause="RFC 6352 §6.3.2.1", level="MUST", requires=CARDDAV)
def test_uid_change_refused(book):
    put_ok(book, "card.vcf", _card("overstap-uid-a", "Keeps UID"))
    response = put_vcard(book, "card.vcf", _card("overstap-uid-b", "Keeps UID"))
    assert response.status_code >= 400, (
        f"overwriting an address object with one of a different UID must be refused (CARDDAV:no-uid-conflict); "
        f"the PUT answered {response.status_code}")


@check("carddav/put/valid-address-data", clause="RFC 6352 §6.3.2.1", level="MUST", requires=CARDDAV)
def test_valid_address_data(book):
    broken = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:overstap-broken\r\nFN:Broken\r\nthis is no content line\r\n"
    response = put_vcard(book, "broken.vcf", broken)
    assert response.status_code >= 400, (
        f"a text/vcard body that is not a vCard (no END:VCARD, a line without ':') must be refused "
        f"(CARDDAV:valid-address-data); the PUT answered {response.status_code}")
    assert book.get("broken.vcf").status_code == 404, "the refused resource exists anyway"


@check("carddav/put/x-properties", clause="RFC 6352 §6.3.2.2", level="MUST", requires=CARDDAV)
def test_x_properties(book):
    data = fixture("contact-3.0.vcf")
    put_ok(book, "x.vcf", data)
    stored = parse_vcards(get_vcard(book, "x.vcf")).cards
    assert stored, "GET returned no vCard"
    sent = {p.name: p for p in parse_vcards(data).cards[0].props if p.name.startswith("X-")}
    got = {p.name: p for p in stored[0].props if p.name.startswith("X-")}
    lost = sorted(set(sent) - set(got))
    assert not lost, f"non-standard properties were dropped: {lost} (servers MUST support X- properties)"
    token = got["X-OVERSTAP-TOKEN"]
    assert token.value == "keep me exactly", f"X-OVERSTAP-TOKEN's value changed to {token.value!r}"
    params = {k: v for k, v in token.params.items() if k.startswith("X-")}
    assert params.get("X-OVERSTAP-PARAM") == ["alpha", "beta"] or params.get("X-OVERSTAP-PARAM") == ["alpha,beta"], (
        f"the X- parameter X-OVERSTAP-PARAM=alpha,beta changed or was lost: {params}")
    assert params.get("X-OTHER") == ["quoted:value"], f"the quoted X- parameter changed or was lost: {params}"


@check("carddav/put/if-none-match", clause="RFC 6352 §6.3.2; RFC 9110 §13.1.2", level="MUST", requires=CARDDAV)
def test_if_none_match(book):
    put_ok(book, "once.vcf", _card("overstap-once", "Once"))
    response = put_vcard(book, "once.vcf", _card("overstap-once", "Twice"), headers={"If-None-Match": "*"})
    assert response.status_code == 412, (
        f"PUT with If-None-Match: * on an existing address object must answer 412; got {response.status_code}")
    assert b"FN:Once" in get_vcard(book, "once.vcf"), "the conditional PUT overwrote the resource"


@check("carddav/put/if-match-stale", clause="RFC 6352 §9.2; RFC 9110 §13.1.1", level="MUST", requires=CARDDAV)
def test_if_match_stale(book):
    first = put_ok(book, "lost.vcf", _card("overstap-lost", "Version one"))
    etag = first.headers.get("ETag") or book.get("lost.vcf").headers.get("ETag")
    put_ok(book, "lost.vcf", _card("overstap-lost", "Version two"))
    response = put_vcard(book, "lost.vcf", _card("overstap-lost", "Version three"), headers={"If-Match": etag})
    assert response.status_code == 412, (
        f"PUT with If-Match of a stale ETag ({etag}) must answer 412 so updates are not lost; "
        f"got {response.status_code}")


@check("carddav/put/served-card-valid", clause="RFC 6352 §5.1; RFC 6350 §6.7.9, §4.3.1; RFC 2426 §3.1.5",
       level="MUST", requires=CARDDAV)
def test_served_card_valid(book):
    # whatever a server does with a stored vCard 4.0 (keep it, or convert it), what GET serves must be a
    # valid vCard of the version it says it is
    response = put_vcard(book, "valid.vcf", fixture("contact-4.0.vcf"))
    if response.status_code >= 400:
        return  # refused: judged by the vcard4 checks
    back = get_vcard(book, "valid.vcf")
    verdict = validate_vcard(back)
    errors = [f for f in verdict.findings if f.severity == "error"]
    assert not errors, (f"GET serves a vCard that is not valid ({len(errors)} errors): " + "; ".join(
        f"{f.clause}: {f.message}" for f in errors[:4]))
