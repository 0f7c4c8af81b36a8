"""Radicale (PyPI ``radicale``): a small CalDAV and CardDAV server in Python, storing collections as files.

Claims CalDAV, CardDAV and collection synchronisation (RFC 6578 ``sync-collection``).
Local start: ``python -m radicale --config FILE`` (the harness's own interpreter, so the venv's copy
is used) with its storage folder inside the work folder and HTTP Basic authentication against an
htpasswd file with one generated user (``htpasswd_encryption = plain``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.catalog.base import LocalSpec, Product, ProductUnavailable, account, installed_pins
from harness.target import Credentials


class Radicale(Product):
    """Radicale with file-system storage and htpasswd authentication."""

    name = "radicale"
    title = "Radicale"
    capabilities = frozenset({"caldav", "carddav", "webdav-sync"})
    suites = ("caldav", "carddav")
    services = ("caldav", "carddav")
    install_hint = "pip install radicale"
    image = True

    def missing(self) -> str | None:
        try:
            import radicale  # noqa: F401
        except ImportError:
            return f"the radicale module is missing; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        try:
            from radicale import VERSION
        except ImportError as exc:
            raise ProductUnavailable(str(exc)) from exc
        return VERSION

    def pip_requirements(self) -> list[str]:
        return installed_pins("radicale")

    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        credentials = account(credentials)
        users = workdir / "users"
        users.write_text(f"{credentials.username}:{credentials.password}\n")
        config = workdir / "radicale.conf"
        config.write_text(
            f"[server]\nhosts = {listen}:{port}\n\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n\n"
            f"[storage]\nfilesystem_folder = {workdir / 'collections'}\n\n"
            "[logging]\nlevel = info\n"
        )
        base = f"http://127.0.0.1:{port}/"
        return LocalSpec(
            argv=[sys.executable, "-m", "radicale", "--config", str(config)],
            endpoints={"caldav": base, "carddav": base},
            probe_url=base,
            credentials=credentials,
        )


PRODUCT = Radicale()
