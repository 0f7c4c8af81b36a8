"""The containers provider: a product started from an image through the Docker Engine API.

Docker and Podman both serve that API (``podman system service``); the ``docker`` Python SDK talks
to whichever socket :func:`engine` finds. For each target the provider

- creates a container from the product's reference image (``overstap images build``), passing the
  account in the environment (``OVERSTAP_USERNAME`` / ``OVERSTAP_PASSWORD``) and publishing the
  container's port on a free 127.0.0.1 port chosen by the engine;
- labels it with the harness's process id and starts a guard process
  (:mod:`harness.providers._container_guard`) that removes the container and its volumes if the
  harness dies; a later start also removes containers whose owner process is gone (:func:`sweep`);
- learns the product's version and endpoint paths from the image's ``OVERSTAP-SERVE`` line
  (:mod:`harness.catalog._serve`), then waits until the endpoint answers — never on the engine's
  healthcheck, which Podman runs through systemd timers that a CI machine may lack;
- gives the container's log for evidence (:meth:`ContainerTarget.log_tail`);
- removes the container with its anonymous volumes at the end (:meth:`ContainerTarget.stop`).

A targets-file entry with ``provider = "container"`` (see :mod:`harness.providers.remote`) names any
image instead -- an upstream one where a registry is reachable: the provider pulls it when it is not
here, passes the entry's environment, maps the entry's endpoint paths onto the published port and reads
the version from the entry or the ``Server`` header.

A check never knows this provider started its target: the Target looks like a local one, with
``provider = "container"``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

from harness.catalog import Product, ProductUnavailable
from harness.catalog._serve import ANNOUNCE
from harness.catalog.base import account
from harness.target import Target

CONTAINER_PORT = 8080
START_TIMEOUT_S = 120.0
LABEL_OWNER = "org.overstap.owner-pid"
LABEL_HOST = "org.overstap.owner-host"
LABEL_TARGET = "org.overstap.target"
IMAGE_REPOSITORY = "localhost/overstap"
#: Sockets tried, in order, when DOCKER_HOST is not set (Docker's, then rootful and rootless Podman's).
USUAL_SOCKETS = (
    "/var/run/docker.sock",
    "/run/podman/podman.sock",
    "{XDG_RUNTIME_DIR}/podman/podman.sock",
    "{XDG_RUNTIME_DIR}/docker.sock",
)


class EngineUnavailable(RuntimeError):
    """No Docker Engine API answers; the message says how to start one."""


class TargetStartError(RuntimeError):
    """A container did not come up; the message carries the end of its log."""


def image_tag(product: Product) -> str:
    """The tag of ``product``'s reference image, e.g. ``localhost/overstap/radicale:latest``."""
    return f"{IMAGE_REPOSITORY}/{product.name}:latest"


def engine_sockets() -> list[str]:
    """Engine addresses to try: DOCKER_HOST alone when set, else the usual sockets that exist here."""
    if os.environ.get("DOCKER_HOST"):
        return [os.environ["DOCKER_HOST"]]
    runtime = os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}")
    found = []
    for pattern in USUAL_SOCKETS:
        path = pattern.format(XDG_RUNTIME_DIR=runtime)
        if Path(path).is_socket():
            found.append(f"unix://{path}")
    return found


def engine(timeout_s: float = 60.0):
    """A ``docker.DockerClient`` for the first engine that answers a ping; its ``overstap_url`` attribute is
    the address that answered (a DOCKER_HOST value).

    Raises:
        EngineUnavailable: the ``docker`` SDK is missing or no socket answers; the message names what was
            tried and how to start Podman's API service.
    """
    try:
        import docker
    except ImportError as exc:
        raise EngineUnavailable("the docker SDK is missing; install with: pip install docker") from exc
    tried = []
    for url in engine_sockets():
        try:
            client = docker.DockerClient(base_url=url, timeout=int(timeout_s))
            client.ping()
            client.overstap_url = url  # for processes that must reach the same engine (the guard)
            return client
        except Exception as exc:  # any failure here means "not this socket"
            tried.append(f"{url} ({type(exc).__name__})")
    raise EngineUnavailable(
        "no Docker Engine API answers" + (f" (tried {', '.join(tried)})" if tried else "") +
        "; start one, e.g. `podman system service --time=0 unix:///run/podman/podman.sock &`, "
        "or set DOCKER_HOST (see docs/containers.md)")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(client) -> list[str]:
    """Remove Overstap containers (and their anonymous volumes) whose owner process on this host is gone.

    Covers the one window the guard cannot: a harness killed between creating a container and starting
    its guard. Containers of live runs, and of other hosts sharing the engine, are left alone.

    Returns:
        the names of the containers removed.
    """
    removed = []
    host = socket.gethostname()
    for container in client.containers.list(all=True, filters={"label": LABEL_OWNER}):
        labels = container.labels or {}
        try:
            owner = int(labels.get(LABEL_OWNER, ""))
        except ValueError:
            continue
        if labels.get(LABEL_HOST) == host and not _pid_alive(owner):
            try:
                container.remove(force=True, v=True)
                removed.append(container.name)
            except Exception:  # already gone, or removed by its guard meanwhile
                pass
    return removed


def _mapped_port(container, port: int) -> int | None:
    ports = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in ports.get(f"{port}/tcp") or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


class ContainerTarget:
    """A running container of a product's reference image; use as a context manager or call start()/stop().

    Args:
        product: the catalog entry (``product.image`` must be True).
        target_id: the id used in reports (default: ``<product>-container``).
        timeout_s: how long to wait for the container to announce itself and its endpoint to answer, in seconds.
        entry: a targets-file entry with ``provider = "container"`` (image, port, endpoint paths, environment);
            ``None`` for the product's reference image.

    Raises (from start):
        ProductUnavailable: the product has no reference image, or the image is not built here.
        EngineUnavailable: no Docker Engine API answers.
        TargetStartError: the container exited or never answered; the message holds its log tail.
    """

    def __init__(self, product: Product, target_id: str | None = None, timeout_s: float = START_TIMEOUT_S,
                 entry=None):
        self.product = product
        self.entry = entry  # a RemoteEntry with provider "container": a declared image instead of the reference one
        self.target_id = target_id or f"{product.name}-container"
        self.timeout_s = timeout_s
        self.client = None
        self.container = None
        self.guard: subprocess.Popen | None = None
        self.target: Target | None = None

    def start(self) -> Target:
        if self.entry is None and not self.product.image:
            raise ProductUnavailable(f"{self.product.name} has no reference image; products with one: "
                                     "see `overstap images list`")
        self.client = engine()
        sweep(self.client)
        if self.entry is not None:
            return self._start_declared()
        import docker

        tag = image_tag(self.product)
        try:
            self.client.images.get(tag)
        except docker.errors.ImageNotFound:
            raise ProductUnavailable(f"image {tag} is not built here; build it with: "
                                     f"overstap images build {self.product.name}") from None
        credentials = account(None)
        self._create(tag, CONTAINER_PORT,
                     {"OVERSTAP_USERNAME": credentials.username, "OVERSTAP_PASSWORD": credentials.password})
        announced, port = self._wait_announced()
        base = f"http://127.0.0.1:{port}"
        endpoints = {service: urljoin(base, path) for service, path in announced["endpoints"].items()}
        uses_auth = announced.get("username") is not None
        self._wait_ready(urljoin(base, announced["probe"]), credentials if uses_auth else None)
        self.target = Target(
            id=self.target_id,
            product=self.product.name,
            version=str(announced.get("version") or "unknown"),
            provider="container",
            capabilities=frozenset(self.product.capabilities),
            endpoints=endpoints,
            credentials=credentials if uses_auth else None,
            secrets=[credentials.password],
        )
        return self.target

    def _start_declared(self) -> Target:
        import docker

        from harness.target import Credentials

        e = self.entry
        missing = e.missing_env()
        if missing:
            raise ProductUnavailable(f"target {e.id}: set the environment variable(s) {', '.join(missing)} "
                                     f"(named in {e.source})")
        try:
            self.client.images.get(e.image)
        except docker.errors.ImageNotFound:
            try:
                self.client.images.pull(e.image)
            except docker.errors.APIError as exc:
                raise ProductUnavailable(f"target {e.id}: image {e.image} is not here and cannot be pulled "
                                         f"({exc.explanation or exc}); is a registry reachable?") from None
        environment = {**e.environment, **{k: os.environ[v] for k, v in e.environment_env.items()}}
        credentials = None
        if e.username_env or e.password_env:
            credentials = Credentials(os.environ.get(e.username_env or "", ""), os.environ.get(e.password_env or "", ""))
        self._create(e.image, e.port, environment)
        port = self._wait_port(e.port)
        base = f"http://127.0.0.1:{port}"
        endpoints = {service: urljoin(base, path) for service, path in e.endpoints.items()}
        server = self._wait_ready(next(iter(endpoints.values())), credentials)
        secrets_given = [os.environ[v] for v in e.environment_env.values()]
        if credentials and credentials.password:
            secrets_given.append(credentials.password)
        self.target = Target(
            id=self.target_id, product=self.product.name,
            version=e.version or self.product.remote_version(server), provider="container",
            capabilities=e.capabilities, endpoints=endpoints, credentials=credentials,
            secrets=[s for s in secrets_given if s],
        )
        return self.target

    def _create(self, image: str, port: int, environment: dict[str, str]) -> None:
        """Create the container (port published on a free 127.0.0.1 port, owner labels), start its guard, start it."""
        self.container = self.client.containers.create(
            image,
            name=f"overstap-{self.target_id}-{secrets.token_hex(4)}",
            environment=environment,
            ports={f"{port}/tcp": ("127.0.0.1", None)},
            labels={LABEL_OWNER: str(os.getpid()), LABEL_HOST: socket.gethostname(), LABEL_TARGET: self.target_id},
            detach=True,
        )
        self.guard = subprocess.Popen(
            [sys.executable, "-m", "harness.providers._container_guard", str(os.getpid()), self.container.id],
            env={**os.environ, "DOCKER_HOST": self.client.overstap_url},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.container.start()

    def _wait_port(self, port: int) -> int:
        deadline = time.monotonic() + self.timeout_s
        while True:
            self.container.reload()
            mapped = _mapped_port(self.container, port)
            if mapped is not None:
                return mapped
            if self.container.status in ("exited", "dead") or time.monotonic() > deadline:
                raise self._fail(f"has no published port for {port}/tcp")
            time.sleep(0.1)

    def _fail(self, why: str) -> TargetStartError:
        return TargetStartError(f"{self.product.name} container {why}; its log ends with:\n{self.log_tail()}")

    def _wait_announced(self) -> tuple[dict, int]:
        deadline = time.monotonic() + self.timeout_s
        delay = 0.05
        while True:
            self.container.reload()
            if self.container.status in ("exited", "dead"):
                raise self._fail(f"exited ({self.container.attrs['State'].get('ExitCode')}) before it announced "
                                 "its endpoints")
            for line in self.container.logs(stdout=True, stderr=False).decode("utf-8", "replace").splitlines():
                if line.startswith(ANNOUNCE):
                    port = _mapped_port(self.container, CONTAINER_PORT)
                    if port is None:
                        raise self._fail(f"has no published port for {CONTAINER_PORT}/tcp")
                    try:
                        return json.loads(line[len(ANNOUNCE):]), port
                    except json.JSONDecodeError:
                        raise self._fail("announced something that is not JSON") from None
            if time.monotonic() > deadline:
                raise self._fail(f"did not announce its endpoints within {self.timeout_s:.0f} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _wait_ready(self, url: str, credentials) -> str | None:
        """Wait until ``url`` answers below 500; returns the answer's Server header."""
        auth = (credentials.username, credentials.password) if credentials else None
        deadline = time.monotonic() + self.timeout_s
        delay = 0.05
        with requests.Session() as session:
            while True:
                try:
                    response = session.get(url, auth=auth, timeout=2, allow_redirects=False)
                    if response.status_code < 500:
                        return response.headers.get("Server")
                except requests.RequestException:
                    pass
                self.container.reload()
                if self.container.status in ("exited", "dead"):
                    raise self._fail(f"exited before it answered {url}")
                if time.monotonic() > deadline:
                    raise self._fail(f"did not answer {url} within {self.timeout_s:.0f} s")
                time.sleep(delay)
                delay = min(delay * 1.5, 0.5)

    def log_tail(self, limit: int = 4000) -> str:
        """The end of the container's log (standard output and error), for evidence ("" when there is none)."""
        if self.container is None:
            return ""
        try:
            data = self.container.logs(stdout=True, stderr=True, tail=200)
        except Exception:  # the container is gone: no log to give
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def stop(self) -> None:
        """Remove the container with its anonymous volumes, then end the guard. Safe to call twice."""
        if self.container is not None:
            try:
                self.container.remove(force=True, v=True)
            except Exception:  # already removed (by its guard or by hand)
                pass
            self.container = None
        if self.guard is not None:
            if self.guard.poll() is None:
                self.guard.terminate()
                try:
                    self.guard.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.guard.kill()
                    self.guard.wait()
            self.guard = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

