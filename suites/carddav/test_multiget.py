"""addressbook-multiget (RFC 6352 §8.7): existing hrefs, a missing href (404 in its own response), and
address-data content negotiation (§5.1.1, §10.4): asking for vCard 4.0 or 3.0 gives that version or
the CARDDAV:supported-address-data-conversion precondition; an unsupported media type fails with
CARDDAV:supported-address-data (§8.7 preconditions)."""

from __future__ import annotations

from harness.checks import check
from suites.carddav.helpers import (
    CARDDAV,
    CR,
    GETETAG,
    address_data_bytes,
    address_data_prop,
    card_version,
    error_conditions,
    fixture,
    multiget_body,
    multistatus,
    props_of,
    put_ok,
    put_vcard,
    report,
    results_by_name,
    same_vcard,
    supported_address_data,
)

CONVERSION = f"{{{CR}}}supported-address-data-conversion"
SUPPORTED = f"{{{CR}}}supported-address-data"


def _path(book, name: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(book.url(name)).path


@check("carddav/multiget/hrefs", clause="RFC 6352 §8.7", level="MUST", requires=CARDDAV)
def test_multiget_hrefs(book):
    a, b = fixture("query-anna.vcf"), fixture("query-bram.vcf")
    put_ok(book, "a.vcf", a)
    put_ok(book, "b.vcf", b)
    ms = multistatus(report(book, multiget_body([_path(book, "a.vcf"), _path(book, "b.vcf")]), depth="0"),
                     "addressbook-multiget")
    found = results_by_name(ms)
    assert set(found) == {"a.vcf", "b.vcf"}, f"multiget of a.vcf and b.vcf returned responses for {sorted(found)}"
    for name, original in (("a.vcf", a), ("b.vcf", b)):
        data = address_data_bytes(found[name])
        assert data, f"no CARDDAV:address-data for {name}"
        assert found[name].prop_text(GETETAG), f"no DAV:getetag for {name}"
        same_vcard(original, data, f"address-data of {name}")


@check("carddav/multiget/missing-href-404", clause="RFC 6352 §8.7", level="MUST", requires=CARDDAV)
def test_multiget_missing_href(book):
    put_ok(book, "a.vcf", fixture("query-anna.vcf"))
    ms = multistatus(report(book, multiget_body([_path(book, "a.vcf"), _path(book, "missing.vcf")]), depth="0"),
                     "addressbook-multiget with a missing href")
    found = results_by_name(ms)
    assert "missing.vcf" in found, (f"the multiget must return a response for every href, also the missing "
                                    f"one; got {sorted(found)}")
    missing = found["missing.vcf"]
    code = missing.status or next((p.status for p in missing.propstats), None)
    assert code == 404, f"the response for a missing href must carry 404; got {code} ({missing.status_line})"
    assert "a.vcf" in found and address_data_bytes(found["a.vcf"]), "the existing href lost its address-data"


def _negotiate(book, stored: str, version: str) -> None:
    response = put_vcard(book, "n.vcf", fixture(stored))
    if response.status_code >= 400:
        return  # this version cannot be stored at all: see the put checks
    advertised = supported_address_data(props_of(book, "", [SUPPORTED])) or [("text/vcard", "3.0")]
    body = multiget_body([_path(book, "n.vcf")], address_data_prop("text/vcard", version))
    answer = report(book, body, depth="0")
    if answer.status_code >= 400:
        conditions = error_conditions(answer.content)
        assert ("text/vcard", version) not in advertised, (
            f"version {version} is listed in supported-address-data, yet asking for it failed ({answer.status_code})")
        assert SUPPORTED in conditions or CONVERSION in conditions, (
            f"refusing address-data version {version} must name CARDDAV:supported-address-data(-conversion); "
            f"got {answer.status_code} {sorted(conditions)}")
        return
    ms = multistatus(answer, f"addressbook-multiget asking for vCard {version}")
    item = results_by_name(ms).get("n.vcf")
    assert item is not None, "the multiget returned no response for the stored card"
    data = address_data_bytes(item)
    if data is None:
        assert item.error is not None or any(p.error is not None for p in item.propstats) or item.status, (
            "no address-data and no error for the stored card")
        return
    got = card_version(data)
    assert got == version, (
        f"address-data content-type='text/vcard' version='{version}' was asked for a card stored as {stored}; "
        f"the server returned VERSION:{got} instead of converting or failing with "
        "CARDDAV:supported-address-data-conversion (§5.1.1)")
    same_vcard(fixture(stored), data, f"the card converted to vCard {version}")


@check("carddav/multiget/address-data-version-4", clause="RFC 6352 §5.1.1, §10.4", level="MUST", requires=CARDDAV)
def test_address_data_version_4(book):
    _negotiate(book, "query-anna.vcf", "4.0")


@check("carddav/multiget/address-data-version-3", clause="RFC 6352 §5.1.1, §10.4", level="MUST", requires=CARDDAV)
def test_address_data_version_3(book):
    _negotiate(book, "group-4.0.vcf", "3.0")


@check("carddav/multiget/unsupported-media-type", clause="RFC 6352 §8.7, §10.4", level="MUST", requires=CARDDAV)
def test_unsupported_media_type(book):
    put_ok(book, "a.vcf", fixture("query-anna.vcf"))
    body = multiget_body([_path(book, "a.vcf")], address_data_prop("application/x-overstap", "1.0"))
    response = report(book, body, depth="0")
    if response.status_code == 207:
        ms = multistatus(response)
        item = results_by_name(ms).get("a.vcf")
        assert item is None or address_data_bytes(item) is None, (
            "address-data in application/x-overstap was asked for; the server returned data anyway instead of "
            "failing the CARDDAV:supported-address-data precondition")
        return
    conditions = error_conditions(response.content)
    assert response.status_code >= 400 and (SUPPORTED in conditions or CONVERSION in conditions), (
        f"an unsupported address-data media type must fail with CARDDAV:supported-address-data; got "
        f"{response.status_code} {sorted(conditions)}")
