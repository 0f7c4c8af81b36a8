"""Fixtures of the CardDAV suite: discovery of the address-book home, and a fresh address book per check.

Discovery (once per target per session) follows what a client does: PROPFIND
``DAV:current-user-principal`` (RFC 5397 §3) on the CardDAV endpoint, else the ``/.well-known/carddav``
redirect (RFC 6764 §5, §6), then ``CARDDAV:addressbook-home-set`` (RFC 6352 §7.1.1) on the principal.

Every write of the suite happens inside address books named ``overstap-<run id>-<check>/`` directly
inside the home set, each created with extended MKCOL (RFC 5689 §3, RFC 6352 §6.3.1) and deleted after
its check. Every DavClient's write scope is exactly one collection whose URL starts with
``<home>overstap-<run id>-`` (the book of the check, or a sibling a check makes and removes itself), so
nothing else on the target can be written. At the end of the session, anything with that prefix still in the home is
deleted as well (a check interrupted half-way).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest

from harness.http import DavClient
from suites.carddav.helpers import (
    ADDRESSBOOK_HOME_SET,
    CURRENT_USER_PRINCIPAL,
    mkcol_addressbook_body,
    parse_ms,
    propfind_body,
)


@dataclass
class CardDavHome:
    """What discovery found for one target (absolute URLs, each ending in ``/``)."""

    endpoint: str
    principal: str
    home: str
    how: str  # "current-user-principal", "well-known" or "endpoint" (how the principal was found)


def _href_in(client: DavClient, url: str, prop: str) -> str | None:
    response = client.propfind(url, depth="0", body=propfind_body([prop]))
    if response.status_code != 207:
        return None
    try:
        ms = parse_ms(response.content)
    except ValueError:
        return None
    for item in ms:
        element = item.prop(prop)
        if element is not None:
            href = element.find("{DAV:}href")
            if href is not None and (href.text or "").strip():
                return urljoin(url, href.text.strip())
    return None


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def discover(client: DavClient, endpoint: str) -> CardDavHome:
    """Find the principal and the first addressbook-home-set of the target's user.

    Raises:
        RuntimeError: no addressbook-home-set can be found (every check of the target then ERRORs).
    """
    how = "current-user-principal"
    principal = _href_in(client, endpoint, CURRENT_USER_PRINCIPAL)
    if principal is None:
        parts = urlsplit(endpoint)
        response = client.request("PROPFIND", f"{parts.scheme}://{parts.netloc}/.well-known/carddav",
                                  headers={"Depth": "0", "Content-Type": 'application/xml; charset="utf-8"'},
                                  body=propfind_body([CURRENT_USER_PRINCIPAL]))
        location = response.headers.get("Location")
        if 300 <= response.status_code < 400 and location:
            principal = _href_in(client, urljoin(response.url, location), CURRENT_USER_PRINCIPAL)
            how = "well-known"
    if principal is None:
        principal, how = endpoint, "endpoint"
    home = _href_in(client, principal, ADDRESSBOOK_HOME_SET)
    if home is None:
        raise RuntimeError(f"no CARDDAV:addressbook-home-set found on the principal {principal} "
                           f"(found through {how}); the CardDAV checks need one (RFC 6352 §7.1.1)")
    return CardDavHome(endpoint=endpoint, principal=_slash(principal), home=_slash(home), how=how)


@pytest.fixture(scope="session")
def carddav_home(target, run_id, request_timeout):
    """The :class:`CardDavHome` of ``target``; at session end, sweeps leftover ``overstap-<run id>-*`` books."""
    endpoint = target.endpoints.get("carddav")
    if not endpoint:
        pytest.skip(f"{target.id} names no carddav endpoint")
    client = DavClient(target, base=endpoint, write_scope=endpoint + "\0no-writes", timeout=request_timeout)
    home = discover(client, endpoint)
    yield home
    prefix = f"{home.home}overstap-{run_id}-"
    try:
        listing = client.propfind(home.home, depth="1", body=propfind_body(["{DAV:}resourcetype"]))
        if listing.status_code == 207:
            for item in parse_ms(listing.content):
                url = _slash(urljoin(home.home, item.href))
                if url.startswith(prefix) and url != prefix:
                    sweeper = DavClient(target, base=url, write_scope=url, timeout=request_timeout)
                    try:
                        sweeper.delete("")
                    finally:
                        sweeper.close()
    except Exception:  # noqa: BLE001 - best effort; each book was already deleted after its check
        pass
    finally:
        client.close()


def short_name(check_id: str) -> str:
    """``carddav/query/text-match-equals`` -> ``query-text-match-equals``."""
    return check_id.split("/", 1)[1].replace("/", "-")


@pytest.fixture
def book(carddav_home, run_id, target, request, register_client, request_timeout) -> DavClient:
    """A :class:`DavClient` whose base is a new address book for this check alone.

    Created with extended MKCOL (resourcetype DAV:collection + CARDDAV:addressbook, a displayname and
    an addressbook-description); ``book.mkcol_response`` keeps the server's answer; ``book.home`` is the
    home-set URL; ``book.sibling(suffix)`` gives a client scoped to ``<book URL minus "/"><suffix>/`` (same
    prefix, same evidence record) for checks that must create a collection of their own. Deleted after
    the check.
    """
    marker = request.node.get_closest_marker("check")
    name = short_name(marker.kwargs["id"])
    scope = f"{carddav_home.home}overstap-{run_id}-"
    url = f"{scope}{name}/"
    client = DavClient(target, base=url, write_scope=url, timeout=request_timeout)
    register_client(client)
    response = client.request("MKCOL", "", headers={"Content-Type": 'application/xml; charset="utf-8"'},
                              body=mkcol_addressbook_body(displayname=f"Overstap {name}",
                                                          description=f"Overstap check {marker.kwargs['id']}"))
    if response.status_code != 201:
        raise RuntimeError(f"cannot create the check's address book {url}: extended MKCOL (RFC 5689) answered "
                           f"{response.status_code} {response.reason}")
    client.mkcol_response = response
    client.home = carddav_home.home
    client.scope = scope

    def sibling(suffix: str) -> DavClient:
        other_url = url.rstrip("/") + suffix + "/"
        other = DavClient(target, base=other_url, write_scope=other_url, timeout=request_timeout,
                          session=client.session)
        other.exchanges = client.exchanges  # one record: the evidence of the check
        return other

    client.sibling = sibling
    yield client
    cleaner = DavClient(target, base=url, write_scope=url, timeout=request_timeout)
    try:
        cleaner.delete("")
    finally:
        cleaner.close()
        client.close()


@pytest.fixture
def probe(carddav_home, target, register_client, request_timeout) -> DavClient:
    """A read-only client on the CardDAV endpoint (writes are refused), for discovery checks."""
    client = DavClient(target, base=carddav_home.endpoint, write_scope=carddav_home.endpoint + "\0no-writes",
                       timeout=request_timeout)
    client.carddav = carddav_home
    register_client(client)
    yield client
    client.close()
