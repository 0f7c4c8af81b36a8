"""Stand-in for Open-Xchange App Suite's DAV interface: real Radicale at ``/caldav/`` and ``/carddav/``.

Paths served: ``/caldav/`` (Radicale mounted there, its own storage), ``/carddav/`` (a second Radicale),
``/.well-known/caldav`` -> 301 ``/caldav/``, ``/.well-known/carddav`` -> 301 ``/carddav/``. The login is an
e-mail address (``--user alice@example.org``), as on OX.

Where it differs from OX: below ``/caldav/`` and ``/carddav/`` the collections are Radicale's
(``<login>/<name>/``); OX names them by folder id and keeps principals elsewhere. The suites find both by
discovery (current-user-principal, home sets).

Usage: ``python -m standins.openxchange --port P --dir D --access-log F [--user alice@example.org]``,
password in ``STANDIN_PASSWORD``.
"""

from __future__ import annotations

from pathlib import Path

from standins import dav_main, mounted, radicale_app, text_response


def build(folder: Path, user: str, password: str):
    """The dispatcher WSGI app; data below ``folder``."""
    caldav = mounted("/caldav", radicale_app(folder / "caldav", {user: password}))
    carddav = mounted("/carddav", radicale_app(folder / "carddav", {user: password}))

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/.well-known/caldav":
            return text_response(start_response, "301 Moved Permanently", headers=[("Location", "/caldav/")])
        if path == "/.well-known/carddav":
            return text_response(start_response, "301 Moved Permanently", headers=[("Location", "/carddav/")])
        if path == "/caldav" or path.startswith("/caldav/"):
            return caldav(environ, start_response)
        if path == "/carddav" or path.startswith("/carddav/"):
            return carddav(environ, start_response)
        return text_response(start_response, "404 Not Found", b"not served by this stand-in\n",
                             [("Content-Type", "text/plain")])
    return app


def main() -> None:
    dav_main("standins.openxchange", build, "alice@example.org")

if __name__ == "__main__":
    main()
