"""WsgiDAV (PyPI ``wsgidav``): a WebDAV server in Python, run on cheroot with its file-system provider.

Claims class 1 and 2 WebDAV (locking) with dead properties kept in memory.
Local start: ``wsgidav --config FILE`` with HTTP Basic authentication for one generated user.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harness.catalog.base import LocalSpec, Product, ProductUnavailable, account, installed_pins
from harness.target import Credentials


class WsgiDAV(Product):
    name = "wsgidav"
    title = "WsgiDAV"
    capabilities = frozenset({"webdav", "webdav-locking", "webdav-dead-properties"})
    suites = ("webdav",)
    install_hint = "pip install wsgidav cheroot"
    image = True

    def missing(self) -> str | None:
        try:
            import wsgidav  # noqa: F401
            import cheroot  # noqa: F401
        except ImportError:
            return f"the wsgidav and cheroot modules are missing; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        try:
            from wsgidav import __version__
        except ImportError as exc:
            raise ProductUnavailable(str(exc)) from exc
        return __version__

    def pip_requirements(self) -> list[str]:
        # WsgiDAV uses lxml when it is importable and xml.etree otherwise; the two keep dead-property prefixes
        # differently (webdav/props/dead-property-prefix), so the image carries lxml as Overstap's venv does.
        return installed_pins("wsgidav", "cheroot", "lxml")

    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        root = workdir / "data"
        root.mkdir()
        credentials = account(credentials)
        config = {
            "host": listen,
            "port": port,
            "provider_mapping": {"/": str(root)},
            "property_manager": True,
            "lock_storage": True,
            "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
            "simple_dc": {"user_mapping": {"*": {credentials.username: {"password": credentials.password}}}},
            "dir_browser": {"enable": False},
            "verbose": 1,
            "logging": {"enable_loggers": []},
        }
        config_path = workdir / "wsgidav.json"
        config_path.write_text(json.dumps(config, indent=2))
        base = f"http://127.0.0.1:{port}/"
        return LocalSpec(
            argv=[sys.executable, "-m", "wsgidav.server.server_cli", "--config", str(config_path)],
            endpoints={"webdav": base},
            probe_url=base,
            credentials=credentials,
        )


PRODUCT = WsgiDAV()
