"""rclone ``serve webdav`` (Debian ``rclone``): a cloud-sync tool that serves any remote over WebDAV.

Claims plain WebDAV (its WebDAV layer is Go's ``golang.org/x/net/webdav``); dead properties are
not stored and locks are not claimed. Local start: ``rclone serve webdav DATA --addr
127.0.0.1:PORT`` on a local folder, with HTTP Basic authentication (user and password passed in
the environment, ``RCLONE_USER``/``RCLONE_PASS``, so they stay off the command line) and config,
cache and temp folders inside the work folder.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from harness.catalog.base import LocalSpec, Product, run_version_command
from harness.target import Credentials


class Rclone(Product):
    """rclone serving a local folder over WebDAV."""

    name = "rclone"
    title = "rclone serve webdav"
    capabilities = frozenset({"webdav", "webdav-locking"})
    suites = ("webdav",)
    install_hint = "apt-get install rclone"
    binaries = ("rclone",)

    def local_version(self) -> str:
        return run_version_command(["rclone", "version"], r"rclone v(\S+)")

    def local_spec(self, workdir: Path, port: int) -> LocalSpec:
        for folder in ("data", "cache", "tmp"):
            (workdir / folder).mkdir()
        credentials = Credentials("overstap", secrets.token_urlsafe(16))
        base = f"http://127.0.0.1:{port}/"
        return LocalSpec(
            argv=[
                "rclone", "serve", "webdav", str(workdir / "data"),
                "--addr", f"127.0.0.1:{port}",
                "--config", str(workdir / "rclone.conf"),
                "--cache-dir", str(workdir / "cache"),
                "--temp-dir", str(workdir / "tmp"),
            ],
            endpoints={"webdav": base},
            probe_url=base,
            env={
                "RCLONE_USER": credentials.username,
                "RCLONE_PASS": credentials.password,
                "TMPDIR": str(workdir / "tmp"),
            },
            credentials=credentials,
        )


PRODUCT = Rclone()
