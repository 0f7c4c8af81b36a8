"""DAViCal (Debian ``davical``): a CalDAV and CardDAV server in PHP on PostgreSQL.

Claims CalDAV, CardDAV, collection synchronisation (RFC 6578) and CalDAV scheduling (RFC 6638:
every principal has ``.in``/``.out`` scheduling collections).
Local start: one foreground wrapper (:mod:`harness.catalog._davical_start`) that, inside the work
folder, creates a private PostgreSQL cluster (``initdb``; ``listen_addresses=''``, its socket in a
private folder), creates the database with DAViCal's own ``dba/create-database.sh``, adds one
principal with its home collections, then runs a private Apache with mod_php serving DAViCal's
``htdocs`` at ``/`` (so the CalDAV root is ``/caldav.php/``). PostgreSQL and Apache are children of
the wrapper, in the guard's process group. As root, PostgreSQL runs as ``postgres`` (initdb refuses
root) and Apache's children as ``www-data``.

DAViCal reads its configuration only from ``/etc/davical/SERVER_NAME-conf.php`` (or fixed fallbacks);
a PHP ``auto_prepend_file`` points ``SERVER_NAME`` at the private configuration in the work folder,
which sets it back to ``127.0.0.1`` before DAViCal builds any URL. Nothing under ``/etc`` is read.
"""

from __future__ import annotations

import glob
import json
import os
import re
import secrets
import sys
from pathlib import Path

from harness.catalog.base import LocalSpec, Product, ProductUnavailable, account, drop_privileges_user
from harness.target import Credentials

DAVICAL_HTDOCS = Path("/usr/share/davical/htdocs")
DAVICAL_INC = Path("/usr/share/davical/inc")
DAVICAL_DBA = Path("/usr/share/davical/dba")
AWL_INC = Path("/usr/share/awl/inc")
APACHE_MODULES = Path("/usr/lib/apache2/modules")
APACHE_MODULE_NAMES = ("mpm_prefork", "authz_core", "dir", "mime", "rewrite")
PACKAGES = "davical postgresql apache2 libapache2-mod-php"
USERNAME = "overstap"


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` holding ``initdb`` and ``postgres`` (Debian's layout)."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bindir = Path(initdb).parent
        try:
            major = float(bindir.parent.name)
        except ValueError:
            continue
        if (bindir / "postgres").exists() and (bindir / "psql").exists():
            found.append((major, bindir))
    return max(found)[1] if found else None


def php_module() -> Path | None:
    """Debian's mod_php (``libphp8.2.so``...), or ``None``."""
    found = sorted(APACHE_MODULES.glob("libphp*.so"))
    return found[-1] if found else None


class Davical(Product):
    """DAViCal on a private PostgreSQL cluster behind a private Apache with mod_php."""

    name = "davical"
    title = "DAViCal"
    capabilities = frozenset({"caldav", "carddav", "webdav-sync", "caldav-scheduling"})
    suites = ("caldav", "carddav")
    services = ("caldav", "carddav")
    install_hint = f"apt-get install --no-install-recommends {PACKAGES}"
    image = True
    binaries = ("apache2", "psql", "perl")

    def missing(self) -> str | None:
        why = super().missing()
        if why:
            return why
        needed = [
            DAVICAL_HTDOCS / "caldav.php", DAVICAL_DBA / "create-database.sh", AWL_INC / "AWLUtilities.php",
            *(APACHE_MODULES / f"mod_{m}.so" for m in APACHE_MODULE_NAMES),
        ]
        for path in needed:
            if not path.exists():
                return f"{path} not found; install with: {self.install_hint}"
        if php_module() is None:
            return f"{APACHE_MODULES}/libphp*.so (mod_php) not found; install with: {self.install_hint}"
        if postgres_bindir() is None:
            return f"/usr/lib/postgresql/*/bin/initdb not found; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        """DAViCal's own version string, as its ``always.php`` announces it."""
        try:
            text = (DAVICAL_HTDOCS / "always.php").read_text(errors="replace")
        except OSError as exc:
            raise ProductUnavailable(f"DAViCal not installed ({exc}); install with: {self.install_hint}") from exc
        match = re.search(r"\$c->version_string\s*=\s*'([^']+)'", text)
        if not match:
            raise ProductUnavailable(f"{DAVICAL_HTDOCS / 'always.php'} names no version")
        return match.group(1)

    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        credentials = account(credentials, USERNAME)
        ids = drop_privileges_user()
        settings = {
            "workdir": str(workdir),
            "port": port,
            "listen": listen,
            "username": credentials.username,
            "password": credentials.password,
            "admin_password": secrets.token_urlsafe(16),
            "pg_bindir": str(postgres_bindir()),
            "php_module": str(php_module()),
            "apache_modules": [str(APACHE_MODULES / f"mod_{m}.so") for m in APACHE_MODULE_NAMES],
            "htdocs": str(DAVICAL_HTDOCS),
            "include_path": f"{DAVICAL_INC}:{AWL_INC}:.:/usr/share/php",  # DAViCal first, as its always.php puts ../inc
            "dba": str(DAVICAL_DBA),
            "www_ids": list(ids) if ids else None,
            "pg_user": "postgres" if ids else None,
        }
        (workdir / "davical.json").write_text(json.dumps(settings, indent=1))
        base = f"http://127.0.0.1:{port}/caldav.php/"
        return LocalSpec(
            argv=[sys.executable, "-m", "harness.catalog._davical_start", str(workdir / "davical.json")],
            endpoints={"caldav": base, "carddav": base},
            # Apache (and so the probe) only comes up once the database and the principal exist.
            probe_url=f"{base}{credentials.username}/",
            credentials=credentials,
        )

    def prepare_workdir(self, workdir: Path) -> None:
        if os.geteuid() == 0:
            os.chmod(workdir, 0o711)  # postgres and www-data traverse it; the wrapper hands them their folders


PRODUCT = Davical()
