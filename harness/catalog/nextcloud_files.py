"""Nextcloud Files (openDesk's file store) over WebDAV: remote only, through a targets file.

Endpoint (Nextcloud developer manual, Client APIs > WebDAV,
https://docs.nextcloud.com/server/stable/developer_manual/client_apis/index.html; the ``files`` collection
of the DAV tree in apps/dav/lib/RootCollection.php, nextcloud/server):
``webdav = "https://HOST/remote.php/dav/files/USER/"`` (keep a sub-folder install's prefix:
``https://HOST/nextcloud/remote.php/dav/files/USER/``). The run creates ``overstap-<run id>/`` in the
user's files and deletes it at the end; nothing else is written.

Why Nextcloud is two catalog entries (this one and ``nextcloud_groupware`` for calendars and contacts):
see :mod:`harness.catalog._nextcloud`.

Suites that apply: ``webdav`` (and the WebDAV moves between this target and the others).

What a user must set up first: a test user with an app password (Settings > Security > Devices &
sessions), its login name and app password in the environment variables that ``username_env`` and
``password_env`` name. openDesk signs users in through single sign-on, so the login password does not
work for WebDAV.

Known deviations (from Nextcloud's own tracker; still to be recorded as expectations from a real run):

- No WebDAV locking (LOCK/UNLOCK, class 2): sabre/dav's lock plugin is not enabled in Nextcloud
  (nextcloud/server#1308 and #9969, both closed without it; the files_lock app locks per user, not per
  lock token: nextcloud/files_lock#44). ``webdav-locking`` is therefore not claimed: the lock checks give
  PRECONDITION_FAILED, not FAIL.
- No RFC 6578 ``sync-collection`` on files ("The {DAV:}sync-collection REPORT is not supported on this
  url"; siosig/obsidian-nextcloudsync#37 quotes Nextcloud 34's answer): ``webdav-sync`` is not claimed.

Version: ``versionstring`` of ``status.php`` beside ``remote.php`` (the Server header names the web server).

Example targets-file block::

    [[targets]]
    id = "opendesk-files"
    product = "nextcloud_files"
    endpoints = { webdav = "https://files.example.org/remote.php/dav/files/alice/" }
    username_env = "NEXTCLOUD_USER"
    password_env = "NEXTCLOUD_APP_PASSWORD"
"""

from __future__ import annotations

from harness.catalog._nextcloud import NextcloudDav


class NextcloudFiles(NextcloudDav):
    """The WebDAV side of Nextcloud's dav app: one user's files."""

    name = "nextcloud_files"
    title = "Nextcloud Files (WebDAV; openDesk)"
    capabilities = frozenset({"webdav", "webdav-dead-properties"})
    suites = ("webdav",)
    services = ("webdav",)


PRODUCT = NextcloudFiles()
