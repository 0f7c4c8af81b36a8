"""lighttpd with mod_webdav (Debian ``lighttpd`` + ``lighttpd-mod-webdav``): a small C web server.

Claims WebDAV with dead properties and locking, both kept in an SQLite database
(``webdav.sqlite-db-name``). Local start: ``lighttpd -D -f CONFIG`` (foreground) with DAV under
``/dav/`` behind HTTP Basic authentication (mod_auth, htpasswd file with a ``{SHA}`` entry),
upload temp files and the SQLite database inside the work folder. As root it serves as ``www-data``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from harness.catalog.base import (
    LocalSpec, Product, chown_tree, drop_privileges_user, names_of, run_version_command, sha_htpasswd_line,
)
from harness.target import Credentials

MODULE_DIR = Path("/usr/lib/lighttpd")
MODULES = ("mod_auth", "mod_authn_file", "mod_webdav")


class Lighttpd(Product):
    """lighttpd serving a folder through mod_webdav."""

    name = "lighttpd"
    title = "lighttpd mod_webdav"
    capabilities = frozenset({"webdav", "webdav-locking", "webdav-dead-properties"})
    suites = ("webdav",)
    install_hint = "apt-get install lighttpd lighttpd-mod-webdav"
    binaries = ("lighttpd",)

    def missing(self) -> str | None:
        why = super().missing()
        if why:
            return why
        for module in MODULES:
            if not (MODULE_DIR / f"{module}.so").exists():
                return f"{MODULE_DIR}/{module}.so not found; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        return run_version_command(["lighttpd", "-v"], r"lighttpd/(\S+)")

    def local_spec(self, workdir: Path, port: int) -> LocalSpec:
        (workdir / "www" / "dav").mkdir(parents=True)
        (workdir / "tmp").mkdir()
        (workdir / "db").mkdir()
        credentials = Credentials("overstap", secrets.token_urlsafe(16))
        (workdir / "htpasswd").write_text(sha_htpasswd_line(credentials))
        ids = drop_privileges_user()
        lines = [
            "server.modules = (" + ", ".join(f'"{m}"' for m in MODULES) + ")",
            'server.bind = "127.0.0.1"',
            f"server.port = {port}",
            f'server.document-root = "{workdir / "www"}"',
            f'server.upload-dirs = ("{workdir / "tmp"}")',
            f'server.pid-file = "{workdir / "lighttpd.pid"}"',
            'auth.backend = "htpasswd"',
            f'auth.backend.htpasswd.userfile = "{workdir / "htpasswd"}"',
            'auth.require = ("/dav/" => ("method" => "basic", "realm" => "Overstap", "require" => "valid-user"))',
            '$HTTP["url"] =~ "^/dav($|/)" {',
            '    webdav.activate = "enable"',
            f'    webdav.sqlite-db-name = "{workdir / "db" / "webdav.db"}"',
            "}",
        ]
        if ids is not None:
            lines += [f'server.username = "{names_of(ids)[0]}"', f'server.groupname = "{names_of(ids)[1]}"']
        (workdir / "lighttpd.conf").write_text("\n".join(lines) + "\n")
        base = f"http://127.0.0.1:{port}/dav/"
        return LocalSpec(
            argv=["lighttpd", "-D", "-f", str(workdir / "lighttpd.conf"), "-m", str(MODULE_DIR)],
            endpoints={"webdav": base},
            probe_url=base,
            credentials=credentials,
        )

    def prepare_workdir(self, workdir: Path) -> None:
        chown_tree(workdir, drop_privileges_user())


PRODUCT = Lighttpd()
