"""Address book collections: extended MKCOL (RFC 5689 §3, RFC 6352 §6.3.1) and the collection's
properties (RFC 6352 §5.2, §6.2.1 addressbook-description, §6.2.2 supported-address-data, §6.2.3
max-resource-size, §8 supported-report-set, §8.3.1 supported-collation-set), nesting (§5.2 b) and the
de-facto CalendarServer ``getctag`` (caldav-ctag-02, not an RFC: level MAY)."""

from __future__ import annotations

from harness.checks import check, precondition_failed
from suites.carddav.helpers import (
    CARDDAV,
    CR,
    CS,
    XML_CT,
    child_tags,
    error_conditions,
    fixture,
    mkcol_addressbook_body,
    multistatus,
    parse_ms,
    props_of,
    put_ok,
    put_vcard,
    supported_address_data,
    to_xml,
)

DESCRIPTION = f"{{{CR}}}addressbook-description"
SUPPORTED = f"{{{CR}}}supported-address-data"


def _mkcol_failed_props(response) -> dict[str, int]:
    """Property -> status of every non-200 propstat in a DAV:mkcol-response body."""
    if not response.content:
        return {}
    from conformance.xml import parse_xml
    from conformance.multistatus import parse_status_line

    try:
        root = parse_xml(response.content)
    except ValueError:
        return {}
    out = {}
    for propstat in root.findall("{DAV:}propstat"):
        status = propstat.findtext("{DAV:}status") or ""
        try:
            code = parse_status_line(status)
        except ValueError:
            continue
        if code != 200:
            for prop in propstat.find("{DAV:}prop") if propstat.find("{DAV:}prop") is not None else []:
                out[prop.tag] = code
    return out


@check("carddav/collection/resourcetype", clause="RFC 6352 §5.2, §6.3.1", level="MUST", requires=CARDDAV)
def test_resourcetype(book):
    item = props_of(book, "", ["{DAV:}resourcetype"])
    tags = child_tags(item.prop("{DAV:}resourcetype"))
    assert "{DAV:}collection" in tags and f"{{{CR}}}addressbook" in tags, (
        f"an address book made with extended MKCOL must report DAV:collection and CARDDAV:addressbook in "
        f"DAV:resourcetype; got {tags}")


@check("carddav/collection/mkcol-displayname", clause="RFC 5689 §3, RFC 6352 §6.3.1", level="MUST",
       requires=CARDDAV)
def test_mkcol_displayname(book):
    item = props_of(book, "", ["{DAV:}displayname"])
    got = item.prop_text("{DAV:}displayname")
    want = "Overstap " + book.base.rstrip("/").rsplit("/", 1)[-1].split("-", 3)[-1]
    assert got and got.startswith("Overstap "), (
        f"the DAV:displayname set in the extended MKCOL must read back (a MKCOL that cannot set a property "
        f"must fail); got {got!r}, expected something like {want!r}")


@check("carddav/collection/mkcol-description", clause="RFC 6352 §6.2.1, RFC 5689 §3", level="SHOULD",
       requires=CARDDAV)
def test_mkcol_description(book):
    failed = _mkcol_failed_props(book.mkcol_response)
    item = props_of(book, "", [DESCRIPTION])
    got = item.prop_text(DESCRIPTION)
    assert got and got.startswith("Overstap check "), (
        f"CARDDAV:addressbook-description SHOULD NOT be protected, so the value set in the extended MKCOL "
        f"should read back; got {got!r}" + (f" (the MKCOL answered {failed} for it)" if failed else ""))


@check("carddav/collection/mkcol-atomic", clause="RFC 5689 §3", level="MUST", requires=CARDDAV)
def test_mkcol_atomic(book):
    # An extended MKCOL whose body sets a protected property (CARDDAV:supported-address-data, RFC 6352
    # §6.2.2 "MUST be protected") cannot fully succeed: the whole MKCOL must fail and create nothing.
    side = book.sibling("-x")
    url = side.base
    body = mkcol_addressbook_body(displayname="must not exist", extra=(
        '<C:supported-address-data><C:address-data-type content-type="text/x-overstap" version="9"/>'
        "</C:supported-address-data>"))
    response = side.request("MKCOL", url, headers={"Content-Type": XML_CT}, body=body)
    try:
        failed = _mkcol_failed_props(response)
        created = book.propfind(url, depth="0").status_code == 207
        if 200 <= response.status_code < 300:
            if not failed and created:
                item = props_of(book, url, [SUPPORTED])
                kinds = supported_address_data(item) or []
                assert ("text/x-overstap", "9") not in kinds, (
                    "the server claims to have set the protected CARDDAV:supported-address-data to a media type "
                    "it does not support")
                return  # it accepted and honoured the value: odd but not a partial success
            assert not failed, (
                f"extended MKCOL answered {response.status_code} although it could not set {failed}: failure to "
                f"set a property MUST fail the whole MKCOL and the collection must not be created")
        assert not created, (f"the extended MKCOL failed ({response.status_code}) but the collection {url} "
                             "exists anyway; all or nothing (RFC 5689 §3)")
    finally:
        if side.propfind(url, depth="0").status_code == 207:
            side.delete(url)


@check("carddav/collection/supported-address-data", clause="RFC 6352 §6.2.2, §3", level="MUST", requires=CARDDAV)
def test_supported_address_data(book):
    item = props_of(book, "", [SUPPORTED])
    element = item.prop(SUPPORTED)
    if element is None:
        return  # absent: text/vcard 3.0 only is implied (§6.2.2), which is the minimum anyway
    kinds = supported_address_data(item)
    assert kinds, (f"CARDDAV:supported-address-data must hold CARDDAV:address-data-type elements "
                   f"(<!ELEMENT supported-address-data (address-data-type+)>); got {to_xml(element)}")
    assert ("text/vcard", "3.0") in kinds, (
        f"a CardDAV server MUST support vCard 3.0 (§3), so supported-address-data must list text/vcard 3.0; "
        f"it lists {kinds}")


@check("carddav/collection/vcard4-advertised", clause="RFC 6352 §3, §6.2.2", level="SHOULD", requires=CARDDAV)
def test_vcard4_advertised(book):
    item = props_of(book, "", [SUPPORTED])
    kinds = supported_address_data(item) or []
    assert ("text/vcard", "4.0") in kinds, (
        f"a CardDAV server SHOULD support vCard 4.0 (§3) and advertise it in CARDDAV:supported-address-data; "
        f"it advertises {kinds or 'nothing (so only text/vcard 3.0)'}")


@check("carddav/collection/max-resource-size", clause="RFC 6352 §6.2.3, §6.3.2.1", level="MUST", requires=CARDDAV)
def test_max_resource_size(book):
    item = props_of(book, "", [f"{{{CR}}}max-resource-size"])
    text = item.prop_text(f"{{{CR}}}max-resource-size")
    if text is None:
        precondition_failed("the address book reports no CARDDAV:max-resource-size (optional, §6.2.3)")
    assert text.isdigit() and int(text) > 0, f"CARDDAV:max-resource-size must be a positive integer, got {text!r}"
    limit = int(text)
    if limit > 4 * 1024 * 1024:
        return  # too large to exceed cheaply; the value itself is well formed
    note = "X" * (limit + 1)
    data = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:overstap-too-big\r\nFN:Too big\r\nN:Big;Too;;;\r\n"
            f"NOTE:{note}\r\nEND:VCARD\r\n").encode()
    response = put_vcard(book, "too-big.vcf", data)
    assert response.status_code >= 400, (
        f"a PUT of {len(data)} octets, more than max-resource-size {limit}, must fail with the "
        f"CARDDAV:max-resource-size precondition; it answered {response.status_code}")


@check("carddav/collection/supported-report-set", clause="RFC 6352 §3, §8", level="MUST", requires=CARDDAV)
def test_supported_report_set(book):
    item = props_of(book, "", ["{DAV:}supported-report-set"])
    element = item.prop("{DAV:}supported-report-set")
    reports = set()
    if element is not None:
        for report in element.iter("{DAV:}report"):
            reports.update(child_tags(report))
    missing = {f"{{{CR}}}addressbook-query", f"{{{CR}}}addressbook-multiget"} - reports
    assert not missing, (f"an address book MUST advertise the address book reports in DAV:supported-report-set; "
                         f"missing {sorted(missing)}")


@check("carddav/collection/supported-collation-set", clause="RFC 6352 §8.3, §8.3.1", level="MUST", requires=CARDDAV)
def test_supported_collation_set(book):
    item = props_of(book, "", [f"{{{CR}}}supported-collation-set"])
    element = item.prop(f"{{{CR}}}supported-collation-set")
    assert element is not None, ("servers MUST advertise their collations in CARDDAV:supported-collation-set on "
                                 "any resource that supports reports using collations; the address book has none")
    names = {(c.text or "").strip() for c in element.findall(f"{{{CR}}}supported-collation")}
    missing = {"i;ascii-casemap", "i;unicode-casemap"} - names
    assert not missing, f"supported-collation-set must list i;ascii-casemap and i;unicode-casemap; missing {missing}"


@check("carddav/collection/no-nested-addressbook", clause="RFC 6352 §5.2 (b)", level="MUST", requires=CARDDAV)
def test_no_nested_addressbook(book):
    response = book.request("MKCOL", "inner/", headers={"Content-Type": XML_CT},
                            body=mkcol_addressbook_body(displayname="nested"))
    if 200 <= response.status_code < 300:
        item = props_of(book, "inner/", ["{DAV:}resourcetype"])
        tags = child_tags(item.prop("{DAV:}resourcetype"))
        assert f"{{{CR}}}addressbook" not in tags, (
            f"an address book was created inside an address book (MKCOL answered {response.status_code}); "
            "address book collections MUST NOT be nested at any depth")


@check("carddav/collection/only-address-objects", clause="RFC 6352 §5.2 (a), §6.3.2.1", level="MUST",
       requires=CARDDAV)
def test_only_address_objects(book):
    response = book.put("note.txt", b"plain text is no address object\r\n", "text/plain")
    assert response.status_code >= 400, (
        f"a text/plain PUT into an address book must be refused (CARDDAV:supported-address-data precondition): "
        f"address books contain only address object resources; it answered {response.status_code}")


@check("carddav/collection/getctag", clause="caldav-ctag-02 §4.1 (CalendarServer, de facto)", level="MAY",
       requires=CARDDAV)
def test_getctag(book):
    name = f"{{{CS}}}getctag"
    before = props_of(book, "", [name]).prop_text(name)
    if before is None:
        precondition_failed("the address book has no CS:getctag (a CalendarServer extension, not an RFC)")
    put_ok(book, "ctag.vcf", fixture("query-anna.vcf"))
    after = props_of(book, "", [name]).prop_text(name)
    assert after and after != before, (f"CS:getctag must change when a member changes; it stayed {before!r}")
