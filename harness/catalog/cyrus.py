"""Cyrus IMAP with its CalDAV/CardDAV httpd (Debian ``cyrus-imapd``, ``cyrus-caldav``).

Claims CalDAV, CardDAV and collection synchronisation (RFC 6578).
Local start: one foreground wrapper (:mod:`harness.catalog._cyrus_start`) that writes a private
``imapd.conf`` and ``cyrus.conf`` (configuration directory, spool, sockets, locks and temp folder all
inside the work folder; ``httpmodules: caldav carddav``; SASL ``auxprop`` against a private sasldb
filled by ``saslpasswd2``), runs Cyrus's ``master`` in the foreground with ``-C``/``-M`` and, before
anything may call it ready, logs the user in once over IMAP on a private port: Cyrus answers every
DAV request with 500 until the user's INBOX exists, and that first login creates it (the calendar
and address-book homes then appear by themselves). ``master`` is a child of the wrapper, in the
guard's process group. As root, Cyrus drops to its ``cyrus`` user; otherwise it runs as the caller.

Layout: the principal is ``/dav/principals/user/USER/``, calendars live under
``/dav/calendars/user/USER/`` (default calendar ``Default``), address books under
``/dav/addressbooks/user/USER/`` (default ``Default``); ``/.well-known/caldav`` and ``carddav`` redirect
to ``/dav/``.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

from harness.catalog.base import LocalSpec, Product, run_version_command
from harness.target import Credentials

CYRUS_BIN = Path("/usr/lib/cyrus/bin")
PACKAGES = "cyrus-imapd cyrus-caldav sasl2-bin"
USERNAME = "overstap"


class Cyrus(Product):
    """Cyrus IMAP's httpd serving CalDAV and CardDAV, with sasldb authentication."""

    name = "cyrus"
    title = "Cyrus IMAP (CalDAV/CardDAV)"
    capabilities = frozenset({"caldav", "carddav", "webdav-sync"})
    suites = ("caldav", "carddav")
    services = ("caldav", "carddav")
    install_hint = f"apt-get install --no-install-recommends {PACKAGES}"
    binaries = ("saslpasswd2",)

    def missing(self) -> str | None:
        why = super().missing()
        if why:
            return why
        for program in ("master", "imapd", "httpd", "ctl_cyrusdb"):
            if not (CYRUS_BIN / program).exists():
                return f"{CYRUS_BIN / program} not found; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        return run_version_command([str(CYRUS_BIN / "master"), "-V"], r"cyrus-imapd (\d+(?:\.\d+)+)")

    def local_spec(self, workdir: Path, port: int) -> LocalSpec:
        from harness.providers.local import free_port

        credentials = Credentials(USERNAME, secrets.token_urlsafe(16))
        settings = {
            "workdir": str(workdir),
            "http_port": port,
            "imap_port": free_port(),
            "username": credentials.username,
            "password": credentials.password,
            "bin": str(CYRUS_BIN),
            "cyrus_user": "cyrus" if os.geteuid() == 0 else None,
        }
        (workdir / "cyrus.json").write_text(json.dumps(settings, indent=1))
        base = f"http://127.0.0.1:{port}/dav/"
        return LocalSpec(
            argv=[sys.executable, "-m", "harness.catalog._cyrus_start", str(workdir / "cyrus.json")],
            endpoints={
                "caldav": f"{base}calendars/user/{credentials.username}/",
                "carddav": f"{base}addressbooks/user/{credentials.username}/",
            },
            # The wrapper lets the HTTP service listen only after the IMAP login created the INBOX.
            probe_url=f"{base}calendars/user/{credentials.username}/",
            credentials=credentials,
        )

    def prepare_workdir(self, workdir: Path) -> None:
        if os.geteuid() == 0:
            os.chmod(workdir, 0o711)  # the cyrus user traverses it; the wrapper hands it its folder


PRODUCT = Cyrus()
