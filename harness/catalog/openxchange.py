"""Open-Xchange App Suite calendars and contacts (openDesk's Groupware) over CalDAV and CardDAV: remote only.

Endpoints: ``caldav = "https://HOST/caldav/"`` and ``carddav = "https://HOST/carddav/"``, as the deployment's
web server or ingress routes them to the middleware's DAV servlets (Open-Xchange middleware documentation,
"CalDAV and CardDAV": https://documentation.open-xchange.com/8/middleware/miscellaneous/caldav_carddav.html,
which also describes a dedicated ``dav.HOST`` virtual host; use whichever URL your deployment serves).
The suites discover the principal and the home sets from these URLs (RFC 5397, RFC 4791 §6.2.1,
RFC 6352 §7.1.1), so the folder ids OX uses in its collection URLs need not be known. The run makes
calendars and address books named ``overstap-<run id>-...`` in the homes and deletes them at the end.

Login: the user's **e-mail address** (``alice@example.org``) and password, in the environment variables
that ``username_env`` and ``password_env`` name.

Suites that apply: ``caldav`` and ``carddav`` (and the calendar and contact moves).

What a user must set up first:

- the CalDAV and CardDAV interfaces enabled for the test user and routed by the web server/ingress to
  the DAV servlets (the documentation above; the App Suite charts have a ``dav`` virtual service);
- a test account that may create calendar and contact folders (each check creates one);
- the e-mail address and password in environment variables. If the deployment signs users in only
  through single sign-on, DAV clients need whatever application password the deployment offers.

Known deviations (from Open-Xchange's own documentation; still to be recorded as expectations from a
real run):

- Open-Xchange marks its CalDAV/CardDAV documentation "deprecated" (documentation page above).
- CardDAV maps vCard properties onto OX contact fields; only properties OX has are recognised as
  fields, the original vCard is kept since v7.8.0 for the others; ATTACH is not supported and
  distribution lists are not synchronised ("CardDAV Clients: General Limitations",
  https://documentation.open-xchange.com/7.10.5/middleware/miscellaneous/caldav_carddav/carddav_clients.html).
  Expect losses in the contact moves for properties without an OX field, if the kept vCard is not served.

Version: the targets file's ``version`` key (the Server header names the web server in front).

Example targets-file block::

    [[targets]]
    id = "opendesk-groupware-ox"
    product = "openxchange"
    endpoints = { caldav = "https://webmail.example.org/caldav/", carddav = "https://webmail.example.org/carddav/" }
    username_env = "OX_USER"           # the e-mail address
    password_env = "OX_PASSWORD"
    version = "8.30"
"""

from __future__ import annotations

from harness.catalog.base import Product


class OpenXchange(Product):
    """Open-Xchange App Suite's CalDAV and CardDAV interfaces."""

    name = "openxchange"
    title = "Open-Xchange App Suite (CalDAV, CardDAV; openDesk)"
    capabilities = frozenset({"caldav", "carddav"})
    suites = ("caldav", "carddav")
    services = ("caldav", "carddav")
    local = False
    remote_setup = ("CalDAV/CardDAV enabled and routed to /caldav/ and /carddav/; a test user's e-mail address "
                    "and password in the environment variables the targets file names")


PRODUCT = OpenXchange()
