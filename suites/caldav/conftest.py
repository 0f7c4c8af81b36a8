"""Fixtures of the CalDAV suite: the calendar home of each target and a fresh calendar per check.

Discovery (once per target per session) goes the standard way: DAV:current-user-principal
(RFC 5397) asked at the configured ``caldav`` endpoint, else at the context path that
``/.well-known/caldav`` redirects to (RFC 6764 §5, §6), then CALDAV:calendar-home-set (RFC 4791
§6.2.1) on the principal. Discovery never writes.

Every write of the suite happens inside calendars named ``overstap-<run id>-<short check name>/``
directly inside the calendar home (CalDAV forbids calendars inside calendars, RFC 4791 §4.2),
created with MKCALENDAR and deleted after their check. The write scope of each check's client is
its own calendar URL (a calendar a check makes in addition gets a client scoped to that one), so the
HTTP layer refuses any other write. At session end whatever is left in the home under the run's
prefix ``overstap-<run id>-`` (a check that broke half-way) is deleted too, one scoped client each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest

from conformance.multistatus import normalise_href
from harness.http import DavClient, within
from suites.caldav.helpers import c, d, mkcalendar, multistatus, propfind_body


@dataclass
class CalendarHome:
    """What discovery found for one target."""

    endpoint: str
    principal_url: str
    home_url: str
    prefix: str  # overstap-<run id>-
    how: list[str] = field(default_factory=list)  # the discovery steps, for error messages

    def owns(self, url: str) -> bool:
        """True for a calendar URL directly inside the home whose name starts with the run's prefix."""
        if not within(url, self.home_url):
            return False
        rest = normalise_href(url)[len(normalise_href(self.home_url)):].strip("/")
        return rest.startswith(self.prefix) and "/" not in rest

    @property
    def read_only_scope(self) -> str:
        """A write scope that names nothing that exists: for clients that only read."""
        return self.home_url + self.prefix + "reads-only/"


class DiscoveryFailed(RuntimeError):
    """The calendar home could not be found the standard way."""


def _principal_at(client: DavClient, url: str) -> str | None:
    response = client.propfind(url, depth="0", body=propfind_body(d("current-user-principal")))
    if response.status_code != 207:
        return None
    try:
        ms = multistatus(response)
    except AssertionError:
        return None
    for item in ms:
        element = item.prop(d("current-user-principal"))
        if element is not None:
            href = element.find(d("href"))
            if href is not None and (href.text or "").strip():
                return urljoin(response.url, href.text.strip())
    return None


def discover(client: DavClient, endpoint: str) -> tuple[str, str, list[str]]:
    """(principal URL, calendar home URL, steps) of the authenticated user, found the standard way."""
    steps = []
    principal = _principal_at(client, endpoint)
    steps.append(f"PROPFIND {endpoint} current-user-principal -> {principal}")
    if principal is None:
        origin = "{0.scheme}://{0.netloc}/".format(urlsplit(endpoint))
        well_known = client.propfind(urljoin(origin, ".well-known/caldav"), depth="0",
                                     body=propfind_body(d("current-user-principal")))
        location = well_known.headers.get("Location")
        steps.append(f"PROPFIND /.well-known/caldav -> {well_known.status_code} {location or ''}")
        if 300 <= well_known.status_code < 400 and location:
            principal = _principal_at(client, urljoin(well_known.url, location))
            steps.append(f"PROPFIND {location} current-user-principal -> {principal}")
    candidates = [principal] if principal else [endpoint]
    for url in candidates:
        response = client.propfind(url, depth="0", body=propfind_body(c("calendar-home-set")))
        steps.append(f"PROPFIND {url} calendar-home-set -> {response.status_code}")
        if response.status_code != 207:
            continue
        try:
            ms = multistatus(response)
        except AssertionError:
            continue
        for item in ms:
            element = item.prop(c("calendar-home-set"))
            href = element.find(d("href")) if element is not None else None
            if href is not None and (href.text or "").strip():
                home = urljoin(response.url, href.text.strip())
                return url, home if home.endswith("/") else home + "/", steps
    raise DiscoveryFailed("cannot find the calendar home set: " + "; ".join(steps))


@pytest.fixture(scope="session")
def caldav_home(target, run_id, request_timeout):
    """The :class:`CalendarHome` of ``target`` (discovered once); sweeps the run's leftovers at the end."""
    endpoint = target.endpoints.get("caldav")
    if not endpoint:
        raise RuntimeError(f"{target.id} claims caldav but names no caldav endpoint")
    prefix = f"overstap-{run_id}-"
    # discovery never writes: the scope below names nothing that exists
    reader = DavClient(target, base=endpoint, write_scope=urljoin(endpoint, f"{prefix}discovery-never-writes/"),
                       timeout=request_timeout)
    principal, home, steps = discover(reader, endpoint)
    found = CalendarHome(endpoint=endpoint, principal_url=principal, home_url=home, prefix=prefix, how=steps)
    yield found
    try:
        listing = reader.propfind(home, depth="1", body=propfind_body(d("resourcetype")))
        if listing.status_code == 207:
            for item in multistatus(listing):
                url = urljoin(home, item.href)
                if found.owns(url):
                    sweeper = DavClient(target, base=url, write_scope=url, timeout=request_timeout,
                                        session=reader.session)
                    sweeper.delete(url)
    finally:
        reader.close()


def short_name(check_id: str) -> str:
    """``caldav/objects/put-vevent`` -> ``objects-put-vevent``."""
    return check_id.split("/", 1)[1].replace("/", "-")


@pytest.fixture
def calendar_factory(caldav_home, target, request_timeout, request, register_client):
    """``make(suffix="", body=None) -> (response, client)``: MKCALENDAR ``overstap-<run>-<check>[-suffix]/``.

    The client's base is the new calendar; its exchanges are evidence; every calendar made here is
    deleted after the check (by an unregistered client, so the clean-up is not evidence).
    """
    marker = request.node.get_closest_marker("check")
    base_name = caldav_home.prefix + short_name(marker.kwargs["id"])
    made: list[str] = []
    clients: list[DavClient] = []

    def make(suffix: str = "", body: str | None = None):
        url = caldav_home.home_url + base_name + (f"-{suffix}" if suffix else "") + "/"
        assert caldav_home.owns(url), f"refusing to create {url}: not a run calendar"
        client = DavClient(target, base=url, write_scope=url, timeout=request_timeout,
                           session=clients[0].session if clients else None)
        clients.append(client)
        register_client(client)
        response = mkcalendar(client, "", body)
        if 200 <= response.status_code < 300:
            made.append(url)
        return response, client

    yield make
    if clients:
        try:
            for url in made:  # a fresh client per calendar: the clean-up is not evidence
                DavClient(target, base=url, write_scope=url, timeout=request_timeout,
                          session=clients[0].session).delete(url)
        finally:
            clients[0].close()


@pytest.fixture
def cal(calendar_factory) -> DavClient:
    """A client on a new, empty calendar for this check alone (MKCALENDAR without a body)."""
    response, client = calendar_factory()
    if response.status_code != 201:
        raise RuntimeError(f"cannot create the check's calendar {client.base}: MKCALENDAR answered "
                           f"{response.status_code} {response.reason}")
    return client


@pytest.fixture
def home_client(caldav_home, target, request_timeout, register_client) -> DavClient:
    """A client on the calendar home that only reads (its write scope names nothing that exists)."""
    client = DavClient(target, base=caldav_home.home_url, write_scope=caldav_home.read_only_scope,
                       timeout=request_timeout)
    register_client(client)
    yield client
    client.close()
