"""Apache httpd with mod_dav and mod_dav_fs (Debian ``apache2``): the reference WebDAV server in C.

Claims class 1 and 2 WebDAV: locking (lock database from mod_dav_fs) and dead properties.
Local start: ``apache2 -f CONFIG -DFOREGROUND`` with a configuration of its own (event MPM, the
needed modules loaded from ``/usr/lib/apache2/modules``), DAV under ``/dav/`` behind HTTP Basic
authentication (``{SHA}`` entry in an ``AuthUserFile``). As root it serves as ``www-data``.
"""

from __future__ import annotations

from pathlib import Path

from harness.catalog.base import (
    LocalSpec, Product, account, chown_tree, drop_privileges_user, run_version_command, sha_htpasswd_line,
)
from harness.target import Credentials

MODULE_DIR = Path("/usr/lib/apache2/modules")
MIME_TYPES = Path("/etc/mime.types")
MODULES = (
    "mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_basic",
    "alias", "mime", "dav", "dav_fs",
)


class Apache(Product):
    """Apache httpd serving a folder through mod_dav_fs."""

    name = "apache"
    title = "Apache httpd mod_dav"
    capabilities = frozenset({"webdav", "webdav-locking", "webdav-dead-properties"})
    suites = ("webdav",)
    install_hint = "apt-get install apache2"
    image = True
    binaries = ("apache2",)

    def missing(self) -> str | None:
        why = super().missing()
        if why:
            return why
        for module in MODULES:
            if not (MODULE_DIR / f"mod_{module}.so").exists():
                return f"{MODULE_DIR}/mod_{module}.so not found; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        return run_version_command(["apache2", "-v"], r"Apache/(\S+)")

    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        data = workdir / "data"
        for folder in (data, workdir / "htdocs", workdir / "lock", workdir / "run"):
            folder.mkdir()
        credentials = account(credentials)
        (workdir / "htpasswd").write_text(sha_htpasswd_line(credentials))
        ids = drop_privileges_user()
        lines = [f"LoadModule {m}_module {MODULE_DIR}/mod_{m}.so" for m in MODULES]
        if ids is not None:
            lines += [f"User #{ids[0]}", f"Group #{ids[1]}"]
        lines += [
            f'ServerRoot "{workdir}"',
            f'DefaultRuntimeDir "{workdir / "run"}"',
            f'PidFile "{workdir / "run" / "httpd.pid"}"',
            "ServerName 127.0.0.1",
            f"Listen {listen}:{port}",
            'ErrorLog "/dev/stderr"',
            "LogLevel warn",
            'LogFormat "%h %u \\"%r\\" %>s %b" overstap',
            'CustomLog "/dev/stdout" overstap',
            f'DocumentRoot "{workdir / "htdocs"}"',
            f'DavLockDB "{workdir / "lock" / "DavLock"}"',
            f"TypesConfig {MIME_TYPES if MIME_TYPES.exists() else '/dev/null'}",
            f'Alias /dav "{data}"',
            f'<Directory "{data}">',
            "    Dav On",
            "    AuthType Basic",
            '    AuthName "Overstap"',
            f'    AuthUserFile "{workdir / "htpasswd"}"',
            "    Require valid-user",
            "</Directory>",
        ]
        (workdir / "httpd.conf").write_text("\n".join(lines) + "\n")
        base = f"http://127.0.0.1:{port}/dav/"
        return LocalSpec(
            argv=["apache2", "-f", str(workdir / "httpd.conf"), "-DFOREGROUND"],
            endpoints={"webdav": base},
            probe_url=base,
            credentials=credentials,
        )

    def prepare_workdir(self, workdir: Path) -> None:
        chown_tree(workdir, drop_privileges_user())


PRODUCT = Apache()
