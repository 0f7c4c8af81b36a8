"""What a catalog entry (one product) provides.

Each product is one module in ``harness/catalog/`` that defines ``PRODUCT``, an instance of a
:class:`Product` subclass. The loader in :mod:`harness.catalog` finds it by module name, so
adding a product is one new module and nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from harness.target import Credentials


class ProductUnavailable(Exception):
    """The product cannot be started here (binary or module missing); the message says how to install it."""


class DeploymentNotReady(Exception):
    """A remote deployment answers but is not set up for testing (e.g. Collabora refuses this address for its
    conversion API); the message says what the user must set up."""


@dataclass
class LocalSpec:
    """How to start one product as a local process (see :mod:`harness.providers.local`).

    Attributes:
        argv: the command line; ``argv[0]`` is looked up on PATH.
        endpoints: base URL per service (``"webdav"``, ``"caldav"``, ``"carddav"``), each ending in ``/``.
        probe_url: a URL that answers (any HTTP status below 500) once the server is ready.
        env: extra environment variables for the process.
        credentials: the HTTP Basic credentials the product was configured with, if any.
        cwd: working directory (default: the target's work folder).
        ready: for a server that does not speak HTTP (e.g. XML-RPC that 501s a GET), a callable that
            returns True once the server answers; when set, the provider polls it instead of ``probe_url``.
    """

    argv: list[str]
    endpoints: dict[str, str]
    probe_url: str
    env: dict[str, str] = field(default_factory=dict)
    credentials: Credentials | None = None
    cwd: Path | None = None
    ready: Callable[[], bool] | None = None


class Product:
    """A product Overstap knows how to test.

    Subclasses set the class attributes and implement :meth:`local_spec` when the product can be
    started as a local process, and :meth:`local_version` to read its version from the product.

    Attributes:
        name: short catalog name (``"apache"``), also the default target id.
        title: human name (``"Apache httpd mod_dav"``).
        capabilities: what a default-configured instance claims (DESIGN.md "capability").
        suites: the suites that apply to it.
        install_hint: the command that installs the product when it is missing.
        binaries: executables that must be on PATH for a local start.
        services: endpoint keys a targets file must give for a remote deployment (e.g. ``("webdav",)``).
        server: False for a tool that is no server (a converter run per document, a library): the local
            provider then starts no process; it checks availability, reads the version and returns a
            Target whose endpoints come from :meth:`tool_endpoints` (e.g. ``{"odf-roundtrip": "tool:ssconvert"}``).
        local: False for a product that only exists as a deployment somebody else runs (Nextcloud, Collabora
            Online...): it is never started here, only named in a targets file.
        remote_setup: for such a product, what a user must set up on the deployment before testing it (one
            line, shown by ``overstap targets``).
    """

    name: str = ""
    title: str = ""
    capabilities: frozenset[str] = frozenset()
    suites: tuple[str, ...] = ()
    install_hint: str = ""
    binaries: tuple[str, ...] = ()
    services: tuple[str, ...] = ("webdav",)
    local: bool = True
    server: bool = True
    remote_setup: str = ""

    # -- availability and version -------------------------------------------------
    def missing(self) -> str | None:
        """Why the product cannot be started here, or ``None`` when it can."""
        if not self.local:
            why = "remote only: name a deployment in a targets file (--targets-file)"
            return f"{why}; set up first: {self.remote_setup}" if self.remote_setup else why
        for binary in self.binaries:
            if shutil.which(binary) is None:
                return f"{binary} not found; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        """The version reported by the installed product itself.

        Raises:
            ProductUnavailable: when the product is not installed.
        """
        raise NotImplementedError

    def remote_version(self, server_header: str | None) -> str:
        """Best-effort version of a remote deployment from its ``Server`` response header (RFC 9110 §10.2.4):
        the version of this product's token (``WsgiDAV/4.4.0 Cheroot/11.1.2`` -> ``4.4.0`` for wsgidav), else
        the whole header, else ``"unknown"``. A targets file's ``version`` key overrides it."""
        if not server_header:
            return "unknown"
        match = re.search(rf"(?i)(?:^|\s){re.escape(self.name)}/([\w.+~-]+)", server_header)
        return match.group(1) if match else server_header

    def remote_check(self, endpoints: dict[str, str], auth: tuple[str, str] | None, timeout: float) -> str | None:
        """Product-specific look at a remote deployment when its target starts, with read-only requests only.

        Args:
            endpoints: the target's endpoints (service -> URL ending in ``/``).
            auth: HTTP Basic (user, password) from the targets file's environment variables, or None.
            timeout: seconds per request.

        Returns:
            the version the deployment reports about itself (e.g. Nextcloud's ``status.php``), or None to fall
            back on :meth:`remote_version` of the ``Server`` header.

        Raises:
            DeploymentNotReady: the deployment answers but is not set up for testing; the message says what to
                set up.
        """
        return None

    # -- local start ---------------------------------------------------------------
    def local_spec(self, workdir: Path, port: int, *, listen: str = "127.0.0.1",
                   credentials: Credentials | None = None) -> LocalSpec:
        """Write the product's configuration into ``workdir`` and say how to start it on ``port``.

        ``workdir`` is a fresh private folder that the provider removes afterwards; the product
        keeps its data, configuration and log inside it.

        Args:
            listen: the address the server binds; the local provider keeps the default (loopback), a
                container image's entry point (:mod:`harness.catalog._serve`) passes ``0.0.0.0`` so that
                the engine can publish the port. Endpoint URLs always name 127.0.0.1.
            credentials: the account to configure; ``None`` means "make one up" (a fresh random password).
                Products without authentication ignore it.
        """
        raise NotImplementedError(f"{self.name} cannot be started locally")

    # -- container image -------------------------------------------------------------
    #: True when ``containers/<name>/Containerfile`` builds a reference image of this product
    #: (``overstap images build``); the image's entry point runs this module's :meth:`local_spec`.
    image: bool = False

    def pip_requirements(self) -> list[str]:
        """PyPI requirements baked into the product's reference image (Python products), pinned to the
        versions installed here when there are any, so that a container run and a local run test the
        same version. Empty for products installed from Debian packages."""
        return []

    def tool_endpoints(self) -> dict[str, str]:
        """Endpoints of a tool that is no server (``server = False``): service -> ``tool:<name>`` locator."""
        raise NotImplementedError(f"{self.name} is a server: it has local_spec(), not tool_endpoints()")

    def prepare_workdir(self, workdir: Path) -> None:
        """Hook for products that drop privileges: make ``workdir`` usable by the server's user."""


def account(credentials: Credentials | None, username: str = "overstap") -> Credentials:
    """``credentials`` when given, else a new account ``username`` with a random 128-bit password."""
    import secrets

    return credentials if credentials is not None else Credentials(username, secrets.token_urlsafe(16))


def installed_pins(*distributions: str) -> list[str]:
    """``name==version`` for each PyPI distribution installed here, plain ``name`` for one that is not."""
    from importlib.metadata import PackageNotFoundError, version

    pins = []
    for name in distributions:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pins.append(name)
    return pins


def run_version_command(argv: list[str], pattern: str) -> str:
    """Run ``argv`` and return the first group of ``pattern`` found in its output.

    Used to read a version from the product itself (``apache2 -v``, ``nginx -v``...).

    Raises:
        ProductUnavailable: when the command is missing, fails or prints no version.
    """
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProductUnavailable(f"{argv[0]}: {exc}") from exc
    match = re.search(pattern, proc.stdout + proc.stderr)
    if not match:
        raise ProductUnavailable(f"{' '.join(argv)} printed no version")
    return match.group(1)


def drop_privileges_user() -> tuple[int, int] | None:
    """The (uid, gid) a server that insists on dropping root should use, or ``None`` when not root.

    Apache, nginx and lighttpd refuse to serve as root; when Overstap runs as root (as in CI) they
    run as ``www-data`` and their work folder is handed to that user.
    """
    import os
    import pwd

    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("www-data")
    except KeyError:
        entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def names_of(ids: tuple[int, int]) -> tuple[str, str]:
    """(user name, group name) of a (uid, gid) pair: nginx and lighttpd configs want names."""
    import grp
    import pwd

    return pwd.getpwuid(ids[0]).pw_name, grp.getgrgid(ids[1]).gr_name


def sha_htpasswd_line(credentials: Credentials) -> str:
    """An htpasswd line with the ``{SHA}`` scheme (base64 of SHA-1), understood by Apache, nginx and lighttpd."""
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha1(credentials.password.encode()).digest()).decode()
    return f"{credentials.username}:{{SHA}}{digest}\n"


def untraversable(path: Path, uid: int, gid: int) -> Path | None:
    """The first folder above ``path`` that user ``uid``/``gid`` cannot enter (a private TMPDIR), or None.

    Servers that drop root (PostgreSQL, Apache, Cyrus) must be able to reach their work folder.
    """
    for folder in path.parents:
        st = folder.stat()
        if st.st_uid == uid:
            bit = 0o100
        elif st.st_gid == gid:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return folder
    return None


def chown_tree(root: Path, ids: tuple[int, int] | None) -> None:
    """Give ``root`` and everything under it to ``ids`` (uid, gid); a no-op when ``ids`` is None."""
    import os

    if ids is None:
        return
    os.chown(root, *ids)
    for path in root.rglob("*"):
        os.chown(path, *ids, follow_symlinks=False)
