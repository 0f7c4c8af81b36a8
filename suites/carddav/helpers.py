"""Helpers the CardDAV checks share: request bodies, REPORTs, and turning answers into verdicts.

XML goes through :mod:`conformance.multistatus` / :mod:`conformance.xml` (lxml, no entities);
vCards through :mod:`conformance.vcard` and :mod:`conformance.compare`.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from conformance.compare import compare_vcard
from conformance.multistatus import Multistatus, parse_multistatus
from conformance.vcard import parse_vcards
from conformance.xml import parse_xml

DAV = "DAV:"
CR = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"
CURRENT_USER_PRINCIPAL = "{DAV:}current-user-principal"
ADDRESSBOOK_HOME_SET = f"{{{CR}}}addressbook-home-set"
ADDRESS_DATA = f"{{{CR}}}address-data"
GETETAG = "{DAV:}getetag"
XML_CT = 'application/xml; charset="utf-8"'
VCARD_CT = "text/vcard; charset=utf-8"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "carddav"
CARDDAV = "carddav"  # the capability every check requires
SYNC = "webdav-sync"  # RFC 6578, optional


def fixture(name: str) -> bytes:
    """The bytes of ``fixtures/carddav/<name>``."""
    return (FIXTURES / name).read_bytes()


def _prefix(clark: str) -> str:
    ns, local = clark[1:].split("}", 1)
    return {DAV: "D", CR: "C", CS: "CS"}[ns] + ":" + local


def propfind_body(props: list[str]) -> str:
    """A PROPFIND body asking for ``props`` (Clark names in the DAV:, CardDAV or CalendarServer namespace)."""
    inner = "".join(f"<{_prefix(p)}/>" for p in props)
    return (f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="{CR}" xmlns:CS="{CS}">'
            f"<D:prop>{inner}</D:prop></D:propfind>")


def mkcol_addressbook_body(displayname: str | None = None, description: str | None = None,
                           extra: str = "") -> str:
    """An extended MKCOL body (RFC 5689 §3) that makes an address book (RFC 6352 §6.3.1)."""
    parts = ["<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"]
    if displayname is not None:
        parts.append(f"<D:displayname>{escape(displayname)}</D:displayname>")
    if description is not None:
        parts.append(f'<C:addressbook-description xml:lang="en">{escape(description)}</C:addressbook-description>')
    return (f'<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:C="{CR}">'
            f"<D:set><D:prop>{''.join(parts)}{extra}</D:prop></D:set></D:mkcol>")


def parse_ms(data: bytes) -> Multistatus:
    return parse_multistatus(data)


def multistatus(response, what: str = "the request") -> Multistatus:
    """The parsed 207 body of ``response``; anything else fails the check."""
    assert response.status_code == 207, (f"{what}: expected 207 Multi-Status, got {response.status_code} "
                                         f"{response.reason}")
    try:
        return parse_multistatus(response.content)
    except ValueError as exc:
        raise AssertionError(f"{what}: the 207 body is not a valid multistatus: {exc}") from None


def props_of(client, path: str, props: list[str]):
    """PROPFIND Depth 0 of ``path`` for ``props``; the single :class:`Response` of the answer."""
    response = client.propfind(path, depth="0", body=propfind_body(props))
    ms = multistatus(response, f"PROPFIND {client.url(path)}")
    found = ms.find(client.url(path)) or (ms.responses[0] if ms.responses else None)
    assert found is not None, f"PROPFIND {client.url(path)} answered a multistatus without a response"
    return found


def error_conditions(data: bytes) -> set[str]:
    """Clark names of the children of a ``DAV:error`` body (RFC 4918 §16), empty if it is none."""
    if not data:
        return set()
    try:
        root = parse_xml(data)
    except ValueError:
        return set()
    if root.tag != "{DAV:}error":
        return set()
    return {child.tag for child in root if isinstance(child.tag, str)}


def error_element(data: bytes, clark: str):
    """The ``clark`` child of a ``DAV:error`` body, or None."""
    try:
        root = parse_xml(data)
    except ValueError:
        return None
    return root.find(clark) if root.tag == "{DAV:}error" else None


def put_vcard(client, name: str, data: bytes, headers: dict | None = None, content_type: str = VCARD_CT):
    """PUT ``data`` as ``name`` in the book."""
    return client.put(name, data, content_type, headers=headers)


def put_ok(client, name: str, data: bytes, what: str = ""):
    """PUT that must succeed (201/204); returns the response."""
    response = put_vcard(client, name, data)
    assert response.status_code in (200, 201, 204), (
        f"PUT of {what or name} into the address book answered {response.status_code} {response.reason}"
        f"{': ' + response.text[:300] if response.text else ''}")
    return response


def same_vcard(original: bytes, received: bytes, what: str, only: set[str] | None = None) -> None:
    """Assert that ``received`` holds the same contact data as ``original`` (conformance.compare).

    With ``only``, differences in other vCard properties are left to the checks about those.
    """
    differences = compare_vcard(original, received)
    if only is not None:
        differences = [d for d in differences if d.property in only or not d.property]
    assert not differences, f"{what}: the vCard read back differs from the one stored: " + "; ".join(
        f"{d.property or d.component} {d.kind}: {d.note or ''} (sent {d.original!r}, got {d.received!r})"[:400]
        for d in differences[:8])


def get_vcard(client, name: str, what: str = "") -> bytes:
    response = client.get(name)
    assert response.status_code == 200, f"GET of {what or name} answered {response.status_code} {response.reason}"
    return response.content


def report(client, body: str, depth: str = "1", path: str = ""):
    return client.request("REPORT", path, headers={"Depth": depth, "Content-Type": XML_CT}, body=body)


def address_data_prop(content_type: str | None = None, version: str | None = None, props: list[str] = ()) -> str:
    attrs = ""
    if content_type:
        attrs += f" content-type={quoteattr(content_type)}"
    if version:
        attrs += f" version={quoteattr(version)}"
    inner = "".join(f"<C:prop name={quoteattr(p)}/>" for p in props)
    return f"<C:address-data{attrs}>{inner}</C:address-data>" if inner else f"<C:address-data{attrs}/>"


def query_body(filter_xml: str, test: str | None = None, limit: int | None = None,
               address_data: str | None = None) -> str:
    """An addressbook-query body (RFC 6352 §10.3) with ``filter_xml`` inside ``CARDDAV:filter``."""
    test_attr = f' test="{test}"' if test else ""
    limit_xml = f"<C:limit><C:nresults>{limit}</C:nresults></C:limit>" if limit is not None else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="{CR}">'
            f"<D:prop><D:getetag/>{address_data if address_data is not None else '<C:address-data/>'}</D:prop>"
            f"<C:filter{test_attr}>{filter_xml}</C:filter>{limit_xml}</C:addressbook-query>")


def text_match(text: str, match_type: str | None = None, collation: str | None = None,
               negate: bool = False) -> str:
    attrs = ""
    if collation:
        attrs += f" collation={quoteattr(collation)}"
    if match_type:
        attrs += f' match-type="{match_type}"'
    if negate:
        attrs += ' negate-condition="yes"'
    return f"<C:text-match{attrs}>{escape(text)}</C:text-match>"


def prop_filter(name: str, inner: str = "", test: str | None = None) -> str:
    test_attr = f' test="{test}"' if test else ""
    return f"<C:prop-filter name={quoteattr(name)}{test_attr}>{inner}</C:prop-filter>"


def multiget_body(hrefs: list[str], address_data: str = "<C:address-data/>") -> str:
    inner = "".join(f"<D:href>{escape(h)}</D:href>" for h in hrefs)
    return (f'<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="{CR}">'
            f"<D:prop><D:getetag/>{address_data}</D:prop>{inner}</C:addressbook-multiget>")


def member_name(href: str) -> str:
    """The last path segment of an href (unquoted), '' for the collection itself."""
    from conformance.multistatus import normalise_href

    path = normalise_href(href)
    return path.rstrip("/").rsplit("/", 1)[-1] if not path.endswith("/") else ""


def results_by_name(ms: Multistatus) -> dict[str, object]:
    """Member responses of a REPORT keyed by resource name (the collection's own response left out)."""
    out = {}
    for item in ms:
        name = member_name(item.href)
        if name:
            out[name] = item
    return out


def card_version(data: bytes) -> str | None:
    cards = parse_vcards(data).cards
    return cards[0].version if cards else None


def address_data_bytes(item) -> bytes | None:
    """The text of ``CARDDAV:address-data`` in a REPORT response, as bytes with CRLF line ends."""
    element = item.prop(ADDRESS_DATA)
    if element is None:
        return None
    text = "".join(element.itertext())
    lines = text.replace("\r\n", "\n").split("\n")
    return "\r\n".join(line for line in lines).encode("utf-8")


def supported_address_data(response_item) -> list[tuple[str, str]] | None:
    """(content-type, version) pairs of ``CARDDAV:supported-address-data`` (RFC 6352 §6.2.2), None if absent.

    Only ``CARDDAV:address-data-type`` children count; the attribute defaults are text/vcard and 3.0.
    """
    element = response_item.prop(f"{{{CR}}}supported-address-data")
    if element is None:
        return None
    out = []
    for child in element:
        if child.tag == f"{{{CR}}}address-data-type":
            out.append((child.get("content-type", "text/vcard").lower(), child.get("version", "3.0")))
    return out


def child_tags(element) -> list[str]:
    return [c.tag for c in element if isinstance(c.tag, str)] if element is not None else []


def to_xml(element) -> str:
    return etree.tostring(element, encoding="unicode")[:300] if element is not None else "(none)"
