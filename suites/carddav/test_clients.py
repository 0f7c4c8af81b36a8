"""A real CardDAV client moves contacts through the target: vdirsyncer (PyPI ``vdirsyncer``).

vdirsyncer's CardDAV storage, pointed at the check's own address book, uploads three vCard 3.0
contacts (a contact with several ADR/TEL and X- properties, an Apple-style group, a 30 KiB PHOTO;
fixtures/carddav/), lists the address book and fetches everything back with addressbook-multiget. The
check compares what the client fetched with what it uploaded (conformance.compare), and what a plain
GET returns too, so a loss is pinned on the server, not on the client. Relies on RFC 6352 §6.3.2 (PUT
with If-None-Match), RFC 4918 §9.1 (PROPFIND Depth 1 listing), RFC 6352 §8.7 (addressbook-multiget).

The client's own traffic does not pass through :class:`harness.http.DavClient`: its URL is the check's
address book, every upload goes below it, and when a step fails, an
:class:`harness.evidence.Exchange` summarising the step is added to the check's evidence.
"""

from __future__ import annotations

import asyncio

import pytest

from harness.checks import check
from harness.evidence import Exchange
from suites.carddav.helpers import CARDDAV, fixture, get_vcard, member_name, same_vcard

CARDS = ("contact-3.0.vcf", "group-3.0-apple.vcf", "photo-3.0.vcf")


async def _vdirsyncer_roundtrip(book) -> tuple[dict[str, bytes], dict[str, str]]:
    """Upload CARDS with vdirsyncer, list, fetch; returns ({fixture: fetched bytes}, {fixture: href})."""
    import aiohttp
    from vdirsyncer.storage.dav import CardDAVStorage
    from vdirsyncer.vobject import Item

    credentials = book.target.credentials
    async with aiohttp.TCPConnector(limit=2) as connector:
        storage = CardDAVStorage(url=book.base, username=credentials.username if credentials else "",
                                 password=credentials.password if credentials else "", connector=connector)
        hrefs = {}
        for name in CARDS:
            href, _etag = await storage.upload(Item(fixture(name).decode("utf-8")))
            hrefs[name] = href
        listed = {href async for href, _etag in storage.list()}
        missing = {name: href for name, href in hrefs.items() if href not in listed}
        if missing:
            raise AssertionError(f"vdirsyncer uploaded {sorted(missing)} but the listing of the address book "
                                 f"does not name them (it names {sorted(listed)})")
        fetched = {}
        async for href, item, _etag in storage.get_multi(list(hrefs.values())):
            name = next(n for n, h in hrefs.items() if h == href)
            fetched[name] = item.raw.encode("utf-8")
        return fetched, hrefs


@check("carddav/clients/vdirsyncer-roundtrip", clause="RFC 6352 §6.3.2, §8.7; RFC 4918 §9.1", level="MUST",
       requires=CARDDAV)
def test_vdirsyncer_roundtrip(book):
    pytest.importorskip("vdirsyncer", reason="vdirsyncer is a dependency of Overstap; pip install -e .")
    try:
        fetched, hrefs = asyncio.run(_vdirsyncer_roundtrip(book))
    except Exception as exc:  # noqa: BLE001 - any client failure is the verdict, with the step as evidence
        book.exchanges.append(Exchange(method="VDIRSYNCER", url=book.base, request_headers={},
                                       error=f"{type(exc).__name__}: {exc}"[:2000]))
        if isinstance(exc, AssertionError):
            raise
        raise AssertionError(f"vdirsyncer could not move contacts through the address book: "
                             f"{type(exc).__name__}: {exc}"[:600]) from None
    lost = sorted(set(CARDS) - set(fetched))
    assert not lost, f"vdirsyncer's multiget did not return {lost}"
    for name in CARDS:
        raw = get_vcard(book, member_name(hrefs[name]), name)  # what the server has, without the client
        same_vcard(fixture(name), raw, f"{name} uploaded by vdirsyncer, read back with GET")
        same_vcard(fixture(name), fetched[name], f"{name} uploaded and fetched by vdirsyncer")
