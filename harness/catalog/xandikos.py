"""Xandikos (PyPI ``xandikos``): a CalDAV and CardDAV server in Python that stores collections in Git.

Claims CalDAV, CardDAV and collection synchronisation (RFC 6578). It has no authentication of its
own over plain HTTP (Basic auth needs ``--autocert`` TLS or a reverse proxy), so the target is anonymous.
Local start: ``python -m xandikos serve --defaults`` (creates a principal ``/user/`` with a calendar
and an address book) with its data and state folders inside the work folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.catalog.base import LocalSpec, Product, ProductUnavailable, installed_pins
from harness.target import Credentials


class Xandikos(Product):
    """Xandikos with its default principal, calendar and address book."""

    name = "xandikos"
    title = "Xandikos"
    capabilities = frozenset({"caldav", "carddav", "webdav-sync"})
    suites = ("caldav", "carddav")
    services = ("caldav", "carddav")
    install_hint = "pip install xandikos"
    image = True

    def missing(self) -> str | None:
        try:
            import xandikos  # noqa: F401
        except ImportError:
            return f"the xandikos module is missing; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        try:
            from xandikos import __version__
        except ImportError as exc:
            raise ProductUnavailable(str(exc)) from exc
        return ".".join(str(part) for part in __version__)

    def pip_requirements(self) -> list[str]:
        return installed_pins("xandikos")

    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        base = f"http://127.0.0.1:{port}/"
        return LocalSpec(
            argv=[
                sys.executable, "-m", "xandikos", "serve", "--defaults", "--no-detect-systemd",
                "-d", str(workdir / "data"), "--state-dir", str(workdir / "state"),
                "-l", listen, "-p", str(port),
            ],
            endpoints={"caldav": base, "carddav": base},
            probe_url=base,
            env={"XDG_DATA_HOME": str(workdir / "state"), "HOME": str(workdir)},
        )


PRODUCT = Xandikos()
