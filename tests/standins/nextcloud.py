"""Stand-in for Nextcloud's DAV endpoints: real WsgiDAV and Radicale behind Nextcloud's paths.

Paths served (Nextcloud: apps/dav/lib/RootCollection.php and the shipped .htaccess):

- ``/remote.php/dav/files/<user>/``: WsgiDAV (file system, dead properties; no LOCK, like Nextcloud);
- ``/remote.php/dav/calendars/<user>/``: Radicale mounted at ``/remote.php/dav/calendars`` (its own storage);
- ``/remote.php/dav/addressbooks/users/<user>/``: Radicale mounted at ``/remote.php/dav/addressbooks/users``;
- ``/remote.php/dav/``: answered by the calendar Radicale (Nextcloud answers it with its DAV root);
- ``/.well-known/caldav`` and ``/.well-known/carddav``: 301 to ``/remote.php/dav/``;
- ``/status.php``: Nextcloud's status JSON, with this stand-in's name and versions.

Where it differs from Nextcloud: the principal. Radicale's principal is its home
(``/remote.php/dav/calendars/<user>/``), Nextcloud's is ``/remote.php/dav/principals/users/<user>/``
(not served here). The homes, where every write of a run goes, are Nextcloud's.

Usage: ``python -m standins.nextcloud --port P --dir D --access-log F [--user alice]``, password in
``STANDIN_PASSWORD``. ``D/files/<user>/`` holds the user's files (seed it before starting).
"""

from __future__ import annotations

import json
from pathlib import Path

from standins import dav_main, mounted, radicale_app, text_response

DAV = "/remote.php/dav"


def build(folder: Path, user: str, password: str):
    """The dispatcher WSGI app for ``user``; data below ``folder``."""
    import radicale
    import wsgidav
    from wsgidav.wsgidav_app import WsgiDAVApp

    files_root = folder / "files" / user
    files_root.mkdir(parents=True, exist_ok=True)
    files_prefix = f"{DAV}/files/{user}"
    files = WsgiDAVApp({
        "provider_mapping": {files_prefix: str(files_root)},
        "property_manager": True,
        "lock_storage": False,
        "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
        "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
        "dir_browser": {"enable": False},
        "verbose": 1,
        "logging": {"enable_loggers": []},
    })
    calendars = mounted(f"{DAV}/calendars", radicale_app(folder / "calendars", {user: password}))
    contacts = mounted(f"{DAV}/addressbooks/users", radicale_app(folder / "addressbooks", {user: password}))
    status = json.dumps({"installed": True, "maintenance": False, "needsDbUpgrade": False,
                         "version": "0.0.0.0", "versionstring": f"standin-wsgidav{wsgidav.__version__}-"
                                                                f"radicale{radicale.VERSION}",
                         "edition": "", "productname": "Overstap stand-in for Nextcloud",
                         "extendedSupport": False}).encode()

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in ("/.well-known/caldav", "/.well-known/carddav"):
            return text_response(start_response, "301 Moved Permanently", headers=[("Location", f"{DAV}/")])
        if path == "/status.php":
            return text_response(start_response, "200 OK", status, [("Content-Type", "application/json")])
        if path == files_prefix or path.startswith(files_prefix + "/"):
            return files(environ, start_response)
        if path.startswith(f"{DAV}/calendars/") or path == f"{DAV}/calendars":
            return calendars(environ, start_response)
        if path.startswith(f"{DAV}/addressbooks/users/") or path == f"{DAV}/addressbooks/users":
            return contacts(environ, start_response)
        if path in (DAV, f"{DAV}/"):
            return calendars(dict(environ, PATH_INFO=f"{DAV}/calendars/"), start_response)
        return text_response(start_response, "404 Not Found", b"not served by this stand-in\n",
                             [("Content-Type", "text/plain")])
    return app


def main() -> None:
    dav_main("standins.nextcloud", build, "alice")

if __name__ == "__main__":
    main()
