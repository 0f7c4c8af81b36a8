"""The local provider: a product started as a process on 127.0.0.1 with a private folder.

Each target gets a free port, a fresh temporary folder (data, configuration, log) and a guard
process (:mod:`harness.providers._guard`) that takes the server down and removes the folder even
when the harness itself is killed. Readiness is judged by probing the endpoint, never by sleeping.

A product with ``server = False`` (a command-line converter or a library, e.g. ``ssconvert``) gets no
process and no folder: :meth:`LocalTarget.start` checks that it is available, reads its version and
returns a Target whose endpoints are the product's ``tool:`` locators.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import requests

from harness.catalog import Product, ProductUnavailable
from harness.target import Target

TMP_PREFIX = "overstap-"
START_TIMEOUT_S = 60.0
PORT_ATTEMPTS = 3


class TargetStartError(RuntimeError):
    """A target did not come up (local process, container or remote deployment); the message says why and,
    where there is one, carries the end of its log."""


def wait_answering(url: str, auth: tuple[str, str] | None, deadline: float, check_alive: Callable[[], None],
                   ready: Callable[[], bool] | None = None) -> str | None:
    """Poll until ``url`` answers a GET with any status below 500 (or, when given, until ``ready()`` is true),
    with a growing pause (20 ms to 250 ms). ``check_alive`` is called before each try and raises the caller's
    own error when the process or container has ended.

    Returns:
        the answer's ``Server`` header (None when ``ready`` decided).

    Raises:
        TimeoutError: ``deadline`` (a ``time.monotonic()`` value) passed first.
    """
    delay = 0.02
    with requests.Session() as session:
        while True:
            check_alive()
            if ready is not None:
                if ready():
                    return None
            else:
                try:
                    response = session.get(url, auth=auth, timeout=2, allow_redirects=False)
                    if response.status_code < 500:
                        return response.headers.get("Server")
                except requests.RequestException:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(url)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "(no log)"
    return data[-limit:].decode("utf-8", "replace")


class LocalTarget:
    """A running local instance of a product; use as a context manager or call start()/stop().

    Args:
        product: the catalog entry to start.
        target_id: the id used in reports (default: the product name).
        timeout_s: how long to wait for the endpoint to answer, in seconds.

    Raises (from start):
        ProductUnavailable: the product is not installed here.
        TargetStartError: the process exited or never answered; the message holds its log tail.
    """

    def __init__(self, product: Product, target_id: str | None = None, timeout_s: float = START_TIMEOUT_S):
        self.product = product
        self.target_id = target_id or product.name
        self.timeout_s = timeout_s
        self.workdir: Path | None = None
        self.guard: subprocess.Popen | None = None
        self.target: Target | None = None
        #: the account's password once configured, so that a failed start's message is redacted too
        self.secrets: list[str] = []

    @property
    def log_path(self) -> Path | None:
        return self.workdir / "server.log" if self.workdir else None

    def start(self) -> Target:
        why = self.product.missing()
        if why:
            raise ProductUnavailable(why)
        version = self.product.local_version()
        if not self.product.server:  # a tool run per document: nothing to start or stop
            self.target = Target(id=self.target_id, product=self.product.name, version=version, provider="local",
                                 capabilities=frozenset(self.product.capabilities),
                                 endpoints=dict(self.product.tool_endpoints()))
            return self.target
        last_error = None
        for _attempt in range(PORT_ATTEMPTS):  # a port can be taken between our probe and the bind
            try:
                return self._start_once(version)
            except TargetStartError as exc:
                last_error = exc
                self.stop()
                if "in use" not in str(exc).lower():
                    break
        raise last_error

    def _start_once(self, version: str) -> Target:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{self.target_id}-"))
        port = free_port()
        spec = self.product.local_spec(self.workdir, port)
        self.secrets = [spec.credentials.password] if spec.credentials and spec.credentials.password else []
        self.product.prepare_workdir(self.workdir)
        env = {**os.environ, **spec.env}
        with open(self.log_path, "ab") as log:
            self.guard = subprocess.Popen(
                [sys.executable, "-m", "harness.providers._guard", str(os.getpid()), str(self.workdir), "--", *spec.argv],
                cwd=spec.cwd or self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal reaches the harness, which stops us in order
            )
        self._wait_ready(spec.probe_url, spec.credentials, spec.ready)
        self.target = Target(
            id=self.target_id,
            product=self.product.name,
            version=version,
            provider="local",
            capabilities=frozenset(self.product.capabilities),
            endpoints=dict(spec.endpoints),
            credentials=spec.credentials,
            log_path=str(self.log_path),
            secrets=list(self.secrets),
        )
        return self.target

    def _wait_ready(self, url: str, credentials, ready=None) -> None:
        auth = (credentials.username, credentials.password) if credentials else None

        def check_alive() -> None:
            if self.guard.poll() is not None:
                raise TargetStartError(
                    f"{self.product.name} exited with status {self.guard.returncode} before it answered "
                    f"{url}; its log ends with:\n{_tail(self.log_path)}"
                )

        try:
            wait_answering(url, auth, time.monotonic() + self.timeout_s, check_alive, ready)
        except TimeoutError:
            raise TargetStartError(
                f"{self.product.name} did not answer {url} within {self.timeout_s:.0f} s; "
                f"its log ends with:\n{_tail(self.log_path)}"
            ) from None

    def log_tail(self, limit: int = 4000) -> str:
        """The end of the server's log, for evidence ("" when there is none)."""
        return _tail(self.log_path, limit) if self.log_path else ""

    def stop(self) -> None:
        """Stop the server (its whole process group) and remove the work folder. Safe to call twice."""
        if self.guard is not None:
            if self.guard.poll() is None:
                self.guard.send_signal(signal.SIGTERM)
                try:
                    self.guard.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.guard.pid, signal.SIGKILL)
                    self.guard.wait()
            self.guard = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
