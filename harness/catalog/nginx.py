"""nginx with its built-in dav module and the dav_ext module (Debian ``nginx-light`` +
``libnginx-mod-http-dav-ext``): a general web server with partial WebDAV.

Claims plain WebDAV only: no locking and no dead properties (PROPPATCH and LOCK answer 405, although
the ``Allow`` header of OPTIONS lists LOCK and UNLOCK). The configuration is what a typical admin
writes; deviations the suite finds are real findings, not something to configure away.
Local start: ``nginx -p WORKDIR -c nginx.conf -e stderr`` with ``daemon off``, every temp path and the
pid/lock files inside the work folder, DAV under ``/dav/`` behind HTTP Basic authentication
(``{SHA}`` htpasswd entry). As root its workers run as ``www-data``.
"""

from __future__ import annotations

from pathlib import Path

from harness.catalog.base import (
    LocalSpec, Product, account, chown_tree, drop_privileges_user, names_of, run_version_command, sha_htpasswd_line,
)
from harness.target import Credentials

DAV_EXT_MODULE = Path("/usr/lib/nginx/modules/ngx_http_dav_ext_module.so")
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class Nginx(Product):
    """nginx serving a folder with ``dav_methods`` and ``dav_ext_methods``."""

    name = "nginx"
    title = "nginx dav + dav_ext"
    capabilities = frozenset({"webdav"})
    suites = ("webdav",)
    install_hint = "apt-get install nginx-light libnginx-mod-http-dav-ext"
    image = True
    binaries = ("nginx",)

    def missing(self) -> str | None:
        why = super().missing()
        if why is None and not DAV_EXT_MODULE.exists():
            why = f"{DAV_EXT_MODULE} not found; install with: {self.install_hint}"
        return why

    def local_version(self) -> str:
        return run_version_command(["nginx", "-v"], r"nginx/(\S+)")

    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        (workdir / "www" / "dav").mkdir(parents=True)
        (workdir / "temp").mkdir()
        credentials = account(credentials)
        (workdir / "htpasswd").write_text(sha_htpasswd_line(credentials))
        ids = drop_privileges_user()
        user = f"user {' '.join(names_of(ids))};\n" if ids is not None else ""
        temps = "".join(f"    {kind}_temp_path {workdir / 'temp' / kind};\n" for kind in TEMP_PATHS)
        (workdir / "nginx.conf").write_text(
            f"load_module {DAV_EXT_MODULE};\n{user}daemon off;\nmaster_process on;\nworker_processes 1;\n"
            f"pid {workdir / 'nginx.pid'};\nlock_file {workdir / 'nginx.lock'};\nerror_log stderr warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    access_log /dev/stdout;\n{temps}"
            f"    server {{\n        listen {listen}:{port};\n        root {workdir / 'www'};\n"
            "        client_max_body_size 0;\n"
            # relative Location on redirects (RFC 9110 §10.2.2 allows it): behind a published container port
            # nginx cannot know the port the client used, and an absolute URL would name the wrong one
            "        absolute_redirect off;\n"
            "        location /dav/ {\n"
            "            dav_methods PUT DELETE MKCOL COPY MOVE;\n"
            "            dav_ext_methods PROPFIND OPTIONS;\n"
            "            create_full_put_path off;\n"
            "            dav_access user:rw group:rw all:r;\n"
            '            auth_basic "Overstap";\n'
            f"            auth_basic_user_file {workdir / 'htpasswd'};\n"
            "        }\n    }\n}\n"
        )
        base = f"http://127.0.0.1:{port}/dav/"
        return LocalSpec(
            argv=["nginx", "-p", f"{workdir}/", "-c", str(workdir / "nginx.conf"), "-e", "stderr"],
            endpoints={"webdav": base},
            probe_url=base,
            credentials=credentials,
        )

    def prepare_workdir(self, workdir: Path) -> None:
        chown_tree(workdir, drop_privileges_user())


PRODUCT = Nginx()
