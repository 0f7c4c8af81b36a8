"""CardDAV discovery: well-known URI (RFC 6764 §5, §6), current-user-principal (RFC 5397 §3),
addressbook-home-set (RFC 6352 §7.1.1), and the DAV header (RFC 6352 §6.1, RFC 5689 §3.1)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from conformance.dav import parse_dav_header
from harness.checks import check
from suites.carddav.helpers import (
    ADDRESSBOOK_HOME_SET,
    CARDDAV,
    CURRENT_USER_PRINCIPAL,
    XML_CT,
    multistatus,
    propfind_body,
)


def _principal_href(client, url: str) -> str | None:
    ms = multistatus(client.propfind(url, depth="0", body=propfind_body([CURRENT_USER_PRINCIPAL])),
                     f"PROPFIND {url} for DAV:current-user-principal")
    for item in ms:
        element = item.prop(CURRENT_USER_PRINCIPAL)
        if element is not None:
            href = element.find("{DAV:}href")
            return href.text.strip() if href is not None and href.text else None
    return None


@check("carddav/discovery/well-known-redirect", clause="RFC 6764 §5", level="SHOULD", requires=CARDDAV)
def test_well_known_redirect(probe):
    parts = urlsplit(probe.carddav.endpoint)
    url = f"{parts.scheme}://{parts.netloc}/.well-known/carddav"
    response = probe.request("PROPFIND", url, headers={"Depth": "0", "Content-Type": XML_CT},
                             body=propfind_body([CURRENT_USER_PRINCIPAL]))
    location = response.headers.get("Location")
    assert 300 <= response.status_code < 400 and location, (
        f"PROPFIND {url} should redirect to the CardDAV context path (RFC 6764 §5: a 301/303/307 with "
        f"Location); got {response.status_code} {response.reason}, Location {location!r}")
    principal = _principal_href(probe, urljoin(url, location))
    assert principal, (f"the well-known URI redirects to {location}, but a PROPFIND there gives no "
                       "DAV:current-user-principal, so a client cannot go on (RFC 6764 §6)")


@check("carddav/discovery/current-user-principal", clause="RFC 6352 §3, §9.3; RFC 5397 §3", level="SHOULD",
       requires=CARDDAV, peer={"caldav-server-tester": "get-current-user-principal"})
def test_current_user_principal(probe):
    href = _principal_href(probe, probe.carddav.endpoint)
    assert href, ("PROPFIND of the CardDAV endpoint should report DAV:current-user-principal with the "
                  "authenticated user's principal URL; it gave none")
    principal = urljoin(probe.carddav.endpoint, href)
    response = probe.propfind(principal, depth="0", body=propfind_body(["{DAV:}resourcetype"]))
    ms = multistatus(response, f"PROPFIND of the principal {principal}")
    assert any(item.prop("{DAV:}resourcetype") is not None and
               item.prop("{DAV:}resourcetype").find("{DAV:}principal") is not None for item in ms), (
        f"DAV:current-user-principal names {href}, whose DAV:resourcetype does not contain DAV:principal "
        "(RFC 3744 §4, RFC 5397 §3)")


@check("carddav/discovery/addressbook-home-set", clause="RFC 6352 §7.1.1", level="SHOULD", requires=CARDDAV)
def test_addressbook_home_set(probe):
    principal = probe.carddav.principal
    ms = multistatus(probe.propfind(principal, depth="0", body=propfind_body([ADDRESSBOOK_HOME_SET])),
                     f"PROPFIND {principal} for CARDDAV:addressbook-home-set")
    hrefs = []
    for item in ms:
        element = item.prop(ADDRESSBOOK_HOME_SET)
        if element is not None:
            hrefs = [h.text.strip() for h in element.findall("{DAV:}href") if h.text and h.text.strip()]
    assert hrefs, f"the principal {principal} reports no CARDDAV:addressbook-home-set href"
    home = urljoin(principal, hrefs[0])
    response = probe.propfind(home, depth="0", body=propfind_body(["{DAV:}resourcetype"]))
    ms = multistatus(response, f"PROPFIND of the addressbook-home-set {home}")
    assert any(item.is_collection for item in ms), (
        f"the addressbook-home-set {home} is not a collection (§7.1.1: it contains the user's address books)")


@check("carddav/discovery/options-addressbook", clause="RFC 6352 §6.1", level="MUST", requires=CARDDAV)
def test_options_addressbook(book):
    response = book.options("")
    classes = parse_dav_header([response.headers.get("DAV", "")])
    assert "addressbook" in classes, (
        f"OPTIONS on an address book must list 'addressbook' in the DAV header; got "
        f"{response.headers.get('DAV', '(no DAV header)')!r}")


@check("carddav/discovery/options-extended-mkcol", clause="RFC 5689 §3.1", level="MUST", requires=CARDDAV)
def test_options_extended_mkcol(book):
    # the fixture just made this book with an extended MKCOL in the home, so the home supports it
    response = book.options(book.home)
    classes = parse_dav_header([response.headers.get("DAV", "")])
    assert "extended-mkcol" in classes, (
        f"the home set accepted an extended MKCOL, so OPTIONS on it must list 'extended-mkcol' in the DAV "
        f"header; got {response.headers.get('DAV', '(no DAV header)')!r}")
