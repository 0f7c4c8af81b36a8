"""CalDAV discovery: /.well-known/caldav (RFC 6764 §5, §6), DAV:current-user-principal (RFC 5397 §3),
CALDAV:calendar-home-set (RFC 4791 §6.2.1) and the calendar-access DAV header (RFC 4791 §5.1)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from conformance.dav import parse_dav_header
from harness.checks import check
from suites.caldav.helpers import c, d, multistatus, propfind_body

CALDAV = "caldav"


def _well_known(client, endpoint):
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(endpoint))
    return client.propfind(urljoin(origin, ".well-known/caldav"), depth="0",
                           body=propfind_body(d("current-user-principal")))


def _principal(response) -> str | None:
    for item in multistatus(response, "PROPFIND current-user-principal"):
        element = item.prop(d("current-user-principal"))
        if element is not None and element.find(d("href")) is not None:
            return urljoin(response.url, (element.find(d("href")).text or "").strip())
    return None


@check("caldav/discovery/well-known-redirect", clause="RFC 6764 §5", level="MUST", requires=CALDAV,
       peer={"caldav-server-tester": "well-known"})
def test_well_known_redirect(home_client, caldav_home):
    response = _well_known(home_client, caldav_home.endpoint)
    assert 300 <= response.status_code < 400 and response.headers.get("Location"), (
        f"/.well-known/caldav must redirect (e.g. 301, 303 or 307 with a Location) to the CalDAV context path, "
        f"and the service must not live at the well-known URI itself; got {response.status_code} {response.reason}"
        f"{' Location: ' + response.headers['Location'] if response.headers.get('Location') else ' without Location'}")


@check("caldav/discovery/well-known-context-path", clause="RFC 6764 §6, RFC 5397 §3", level="SHOULD",
       requires=CALDAV, peer={"caldav-server-tester": "well-known"})
def test_well_known_context_path(home_client, caldav_home):
    response = _well_known(home_client, caldav_home.endpoint)
    location = response.headers.get("Location")
    if not (300 <= response.status_code < 400 and location):
        raise AssertionError(f"/.well-known/caldav did not redirect ({response.status_code}); a client cannot "
                             f"bootstrap from it")
    followed = home_client.propfind(urljoin(response.url, location), depth="0",
                                    body=propfind_body(d("current-user-principal")))
    principal = _principal(followed)
    assert principal, (f"the context path {location} that /.well-known/caldav redirects to does not report "
                       f"DAV:current-user-principal, so a client cannot find the user's principal from it")
    assert urlsplit(principal).path == urlsplit(caldav_home.principal_url).path, (
        f"the context path names principal {principal}, but the endpoint names {caldav_home.principal_url}")


@check("caldav/discovery/current-user-principal", clause="RFC 5397 §3", level="SHOULD", requires=CALDAV,
       peer={"caldav-server-tester": "get-current-user-principal"})
def test_current_user_principal(home_client, caldav_home):
    response = home_client.propfind(caldav_home.endpoint, depth="0", body=propfind_body(d("current-user-principal")))
    principal = _principal(response)
    assert principal, ("PROPFIND of DAV:current-user-principal on the CalDAV endpoint reported no principal href "
                       "(RFC 5397: the URL of the authenticated user's principal resource)")
    again = home_client.propfind(principal, depth="0", body=propfind_body(d("resourcetype")))
    ms = multistatus(again, f"PROPFIND of the principal {principal}")
    resourcetype = ms.responses[0].prop(d("resourcetype")) if ms.responses else None
    assert resourcetype is not None and resourcetype.find(d("principal")) is not None, (
        f"the current-user-principal {principal} is not a principal resource: its DAV:resourcetype has no "
        f"DAV:principal (RFC 3744 §4)")


@check("caldav/discovery/calendar-home-set", clause="RFC 4791 §6.2.1", level="SHOULD", requires=CALDAV)
def test_calendar_home_set(home_client, caldav_home):
    response = home_client.propfind(caldav_home.principal_url, depth="0", body=propfind_body(c("calendar-home-set")))
    ms = multistatus(response, "PROPFIND calendar-home-set on the principal")
    element = ms.responses[0].prop(c("calendar-home-set")) if ms.responses else None
    hrefs = [h.text for h in element.findall(d("href"))] if element is not None else []
    assert hrefs, (f"the principal {caldav_home.principal_url} should carry CALDAV:calendar-home-set with at least "
                   f"one href; got {'nothing' if element is None else 'an empty property'}")
    home = home_client.propfind(urljoin(response.url, hrefs[0].strip()), depth="0",
                                body=propfind_body(d("resourcetype")))
    home_ms = multistatus(home, "PROPFIND of the calendar home")
    assert home_ms.responses and home_ms.responses[0].is_collection, \
        f"the calendar home {hrefs[0]} is not a collection"


@check("caldav/discovery/options-calendar-access", clause="RFC 4791 §5.1", level="MUST", requires=CALDAV)
def test_options_calendar_access(cal):
    response = cal.options("")
    assert response.status_code in (200, 204), f"OPTIONS on a calendar answered {response.status_code}"
    classes = parse_dav_header([response.headers.get("DAV", "")])
    assert "calendar-access" in classes, (
        f"OPTIONS on a calendar collection must list calendar-access in the DAV header; got "
        f"{response.headers.get('DAV', '(no DAV header)')!r}")


@check("caldav/discovery/options-home-calendar-access", clause="RFC 4791 §5.1", level="MUST", requires=CALDAV)
def test_options_home_calendar_access(home_client):
    response = home_client.options("")
    assert response.status_code in (200, 204), f"OPTIONS on the calendar home answered {response.status_code}"
    classes = parse_dav_header([response.headers.get("DAV", "")])
    assert "calendar-access" in classes, (
        f"OPTIONS on the calendar home (where MKCALENDAR is allowed) must list calendar-access in the DAV "
        f"header; got {response.headers.get('DAV', '(no DAV header)')!r}")
