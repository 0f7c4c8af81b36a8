"""Shared part of the two Nextcloud entries (``nextcloud_files``, ``nextcloud_groupware``); not a product.

Nextcloud serves files (WebDAV) and calendars and contacts (CalDAV/CardDAV) from one core app (``dav``,
built on sabre/dav) below ``/remote.php/dav/``, with one version and one app password per user. The
catalog still has two entries, because a target claims its optional capabilities as a whole and the two
halves differ in them: calendars and address books answer the RFC 6578 ``sync-collection`` REPORT, the
files endpoint refuses it ("The {DAV:}sync-collection REPORT is not supported on this url"), and only
files are WebDAV collections with dead properties. One entry would either hide the real sync checks of
calendars and contacts or report a feature Nextcloud never claimed for files as FAIL. Both entries read
the version the same way, from ``status.php``.

What a user must set up for either (Nextcloud user manual, "Managing connected browsers and devices";
https://github.com/nextcloud/twofactor_totp/wiki): a test account and an **app password** for it
(Settings > Security > Devices & sessions > "Create new app password"). openDesk signs users in through
single sign-on; with SSO or two-factor authentication the login password does not work for DAV clients.
The user name is the login name that appears in the DAV URLs.
"""

from __future__ import annotations

import json

import requests

from harness.catalog.base import Product

STATUS_TIMEOUT_S = 10.0
SETUP = ("a test user with an app password (Settings > Security > Devices & sessions); its login name and app "
         "password in the environment variables the targets file names")


def status_url(endpoint: str) -> str | None:
    """``https://h/sub/status.php`` for an endpoint ``https://h/sub/remote.php/dav/...`` (Nextcloud's status page
    sits beside ``remote.php``, also in a sub-folder install); None when the URL has no ``/remote.php/``."""
    head, sep, _tail = endpoint.partition("/remote.php/")
    return head + "/status.php" if sep else None


class NextcloudDav(Product):
    """A Nextcloud deployment reached through its ``dav`` app; remote only."""

    local = False
    remote_setup = SETUP

    def remote_check(self, endpoints: dict[str, str], auth, timeout: float) -> str | None:
        """The ``versionstring`` of ``status.php`` (public, read-only JSON: ``{"installed": true, "version":
        "29.0.4.1", "versionstring": "29.0.4", "productname": "Nextcloud", ...}``), or None when it cannot be
        read; then the targets file's ``version``, else the Server header, is used. The Server header names
        the web server in front of Nextcloud, not Nextcloud."""
        urls = [u for u in map(status_url, endpoints.values()) if u]
        if not urls:
            return None
        try:
            response = requests.get(urls[0], timeout=min(timeout, STATUS_TIMEOUT_S), allow_redirects=False)
            status = json.loads(response.content) if response.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return None
        version = status.get("versionstring") if isinstance(status, dict) else None
        return version if isinstance(version, str) and version else None
