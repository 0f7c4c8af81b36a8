"""Nextcloud calendars and contacts (openDesk's Calendar and Contacts) over CalDAV and CardDAV: remote only.

Endpoints (the DAV tree of Nextcloud's dav app, apps/dav/lib/RootCollection.php in nextcloud/server:
``principals/users``, ``calendars``, ``addressbooks/users`` below ``/remote.php/dav/``):

- ``caldav = "https://HOST/remote.php/dav/calendars/USER/"``: the calendar home;
- ``carddav = "https://HOST/remote.php/dav/addressbooks/users/USER/"``: the address-book home.

The principal is ``/remote.php/dav/principals/users/USER/`` and ``/.well-known/caldav`` and
``/.well-known/carddav`` redirect to ``/remote.php/dav/`` (Nextcloud's shipped .htaccess). The suites do
not rely on these paths: they ask the endpoint for DAV:current-user-principal (RFC 5397) and the
principal for its home sets (RFC 4791 §6.2.1, RFC 6352 §7.1.1), so any URL inside the DAV tree is a good
start. The run makes calendars and address books named ``overstap-<run id>-...`` in the homes and
deletes them at the end; the user's own calendars and contacts are only read by discovery.

Why Nextcloud is two catalog entries (this one and ``nextcloud_files``): see :mod:`harness.catalog._nextcloud`.

Suites that apply: ``caldav`` and ``carddav`` (and the calendar and contact moves).

What a user must set up first: a test user with an app password (Settings > Security > Devices &
sessions), its login name and app password in the environment variables that ``username_env`` and
``password_env`` name. Calendars and contacts are served by Nextcloud's core dav app; the Calendar and
Contacts apps are only web interfaces and need not be enabled for the protocols.

Known deviations (from Nextcloud's own tracker; still to be recorded as expectations from a real run):

- A second calendar object whose UID is already in the calendar is refused with ``400 Bad Request``
  ("Calendar object with uid already exists in this calendar collection") instead of 403/409 with the
  ``CALDAV:no-uid-conflict`` precondition of RFC 4791 §5.3.2.1 (nextcloud/server#17915; the fix proposed
  in nextcloud/server#61640 was closed unmerged): expect WARN on
  ``caldav/objects/no-uid-conflict-precondition`` while ``caldav/objects/no-uid-conflict`` passes.

Version: ``versionstring`` of ``status.php`` beside ``remote.php`` (the Server header names the web server).

Example targets-file block::

    [[targets]]
    id = "opendesk-groupware"
    product = "nextcloud_groupware"
    username_env = "NEXTCLOUD_USER"
    password_env = "NEXTCLOUD_APP_PASSWORD"
    [targets.endpoints]
    caldav = "https://files.example.org/remote.php/dav/calendars/alice/"
    carddav = "https://files.example.org/remote.php/dav/addressbooks/users/alice/"
"""

from __future__ import annotations

from harness.catalog._nextcloud import NextcloudDav


class NextcloudGroupware(NextcloudDav):
    """The CalDAV and CardDAV side of Nextcloud's dav app: one user's calendars and address books."""

    name = "nextcloud_groupware"
    title = "Nextcloud Calendar and Contacts (CalDAV, CardDAV; openDesk)"
    capabilities = frozenset({"caldav", "carddav", "webdav-sync"})
    suites = ("caldav", "carddav")
    services = ("caldav", "carddav")


PRODUCT = NextcloudGroupware()
