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
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness.catalog import Product, ProductUnavailable
from harness.catalog._serve import ANNOUNCE
from harness.catalog.base import account
from harness.providers.local import TargetStartError, wait_answering
from harness.target import Target

__all__ = ["ContainerTarget", "EngineUnavailable", "TargetStartError", "engine", "image_problem", "image_tag",
           "sweep", "unavailable"]

CONTAINER_PORT = 8080
#: announcement and readiness together, in seconds; below the plugin's start allowance (90 s), so that a
#: container that never answers ends as this provider's clear error, not as the check alarm's TIMEOUT
START_TIMEOUT_S = 75.0
LABEL_OWNER = "org.overstap.owner-pid"
LABEL_HOST = "org.overstap.owner-host"
LABEL_PIDNS = "org.overstap.owner-pidns"
LABEL_TARGET = "org.overstap.target"
LABEL_DIGEST = "org.overstap.catalog-digest"
NAME_PREFIX = "overstap-"
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


def pid_namespace() -> str:
    """Who can judge our process ids: the boot and the PID namespace of this process
    (``<boot id>/pid:[inode]``). A pid means the same process only where this string is the same."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return "unknown"
    return f"{boot}/{namespace}"


def owner_labels(target_id: str) -> dict[str, str]:
    """The labels that tie a container to this process (see :func:`sweep`)."""
    return {LABEL_OWNER: str(os.getpid()), LABEL_HOST: socket.gethostname(), LABEL_PIDNS: pid_namespace(),
            LABEL_TARGET: target_id}


def sweep(client) -> list[str]:
    """Remove Overstap containers (and their anonymous volumes) whose owner process is gone.

    Covers the one window the guard cannot: a harness killed between creating a container and starting
    its guard. Only containers this provider made (name ``overstap-*`` with all owner labels) whose
    owner ran on this host, in this boot and PID namespace, and no longer runs, are removed; containers of
    live runs, of other hosts or containers sharing the engine, and anyone else's are left alone.

    Returns:
        the names of the containers removed.
    """
    removed = []
    host, namespace = socket.gethostname(), pid_namespace()
    for container in client.containers.list(all=True, filters={"label": LABEL_OWNER}):
        labels = container.labels or {}
        try:
            owner = int(labels.get(LABEL_OWNER, ""))
        except ValueError:
            continue
        ours = (container.name or "").startswith(NAME_PREFIX) and labels.get(LABEL_PIDNS) == namespace != "unknown"
        if ours and labels.get(LABEL_HOST) == host and not _pid_alive(owner):
            try:
                container.remove(force=True, v=True)
                removed.append(container.name)
            except Exception:  # already gone, or removed by its guard meanwhile
                pass
    return removed


def unavailable(product: Product | None = None) -> str | None:
    """Why a container target cannot start here, or None: no engine answers, or ``product``'s reference
    image is not built or was built from another version of the catalog (then its configuration may differ
    from a local run's). ``product=None`` checks only the engine (targets-file entries name their image)."""
    try:
        client = engine(timeout_s=10)
    except EngineUnavailable as exc:
        return str(exc)
    try:
        if product is None:
            return None
        return image_problem(client, product)
    except Exception as exc:  # the engine broke while we asked: say so rather than guess
        return f"the container engine failed to answer ({type(exc).__name__}: {exc})"
    finally:
        client.close()


def image_problem(client, product: Product) -> str | None:
    """Why ``product``'s reference image cannot be used, or None: no image for this product, not built, or
    built from another version of Overstap's catalog (label ``org.overstap.catalog-digest``), whose
    configuration may differ from a local run's."""
    import docker

    from harness.images import catalog_digest

    if not product.image:
        return f"{product.name} has no reference image (`overstap images list` shows the products that have one)"
    tag = image_tag(product)
    try:
        labels = client.images.get(tag).labels or {}
    except docker.errors.ImageNotFound:
        return f"image {tag} is not built here; build it with: overstap images build {product.name}"
    if labels.get(LABEL_DIGEST) != catalog_digest(product):
        return (f"image {tag} was built from another version of Overstap's catalog, so its configuration may "
                f"differ from a local run's; rebuild it with: overstap images build {product.name}")
    return None


def endpoint_url(port: int, path) -> str:
    """``http://127.0.0.1:PORT`` + ``path``, for a path that starts with one ``/`` (never ``//host``: a path
    must not be able to name another host, where the account would be sent).

    Raises:
        ValueError: ``path`` is not such a path.
    """
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise ValueError(f"{path!r} is not an absolute path on the container's port")
    return f"http://127.0.0.1:{port}{path}"


def _announced(line: str) -> dict:
    """The OVERSTAP-SERVE announcement, checked: ``{"endpoints": {service: path}, "probe": path, ...}``.

    Raises:
        ValueError: not JSON of that form.
    """
    data = json.loads(line)
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), dict) or not data["endpoints"]:
        raise ValueError("no endpoints")
    for path in [*data["endpoints"].values(), data.get("probe")]:
        endpoint_url(1, path)
    if not all(isinstance(k, str) for k in data["endpoints"]):
        raise ValueError("service names must be strings")
    return data


def _container_name(target_id: str) -> str:
    return NAME_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "-", target_id)[:60] + "-" + secrets.token_hex(4)


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
        #: every secret this target is given, known before it starts, so that a failed start is redacted too
        self.secrets: list[str] = []

    def start(self) -> Target:
        """Start the container and wait until it answers; see the class docstring for what is raised."""
        import docker

        try:
            return self._start()
        except docker.errors.APIError as exc:
            raise TargetStartError(f"{self.product.name} container: the engine refused: "
                                   f"{exc.explanation or exc}") from None

    def _start(self) -> Target:
        self.client = engine()
        sweep(self.client)
        if self.entry is not None:
            return self._start_declared()
        why = image_problem(self.client, self.product)
        if why:
            raise ProductUnavailable(why)
        tag = image_tag(self.product)
        credentials = account(None)
        self.secrets.append(credentials.password)
        self._create(tag, CONTAINER_PORT,
                     {"OVERSTAP_USERNAME": credentials.username, "OVERSTAP_PASSWORD": credentials.password})
        deadline = time.monotonic() + self.timeout_s
        announced, port = self._wait_announced(deadline)
        endpoints = {service: endpoint_url(port, path) for service, path in announced["endpoints"].items()}
        uses_auth = announced.get("username") is not None
        self._wait_ready(endpoint_url(port, announced["probe"]), credentials if uses_auth else None, deadline)
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
        credentials = e.credentials()
        secrets_given = [os.environ[v] for v in e.environment_env.values()]
        if credentials:
            secrets_given.append(credentials.password)
        self.secrets.extend(s for s in secrets_given if s)
        deadline = time.monotonic() + self.timeout_s
        self._create(e.image, e.port, environment)
        port = self._wait_port(e.port, deadline)
        endpoints = {service: endpoint_url(port, path) for service, path in e.endpoints.items()}
        server = self._wait_ready(next(iter(endpoints.values())), credentials, deadline)
        self.target = Target(
            id=self.target_id, product=self.product.name,
            version=e.version or self.product.remote_version(server), provider="container",
            capabilities=e.capabilities, endpoints=endpoints, credentials=credentials,
            secrets=list(self.secrets),
        )
        return self.target

    def _create(self, image: str, port: int, environment: dict[str, str]) -> None:
        """Create the container (port published on a free 127.0.0.1 port, owner labels), start its guard, start it."""
        self.container = self.client.containers.create(
            image,
            name=_container_name(self.target_id),
            environment=environment,
            ports={f"{port}/tcp": ("127.0.0.1", None)},
            labels=owner_labels(self.target_id),
            detach=True,
        )
        self.guard = subprocess.Popen(
            [sys.executable, "-m", "harness.providers._container_guard", str(os.getpid()), self.container.id],
            env={**os.environ, "DOCKER_HOST": self.client.overstap_url},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.container.start()

    def _wait_port(self, port: int, deadline: float) -> int:
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

    def _wait_announced(self, deadline: float) -> tuple[dict, int]:
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
                        return _announced(line[len(ANNOUNCE):]), port
                    except ValueError as exc:  # JSONDecodeError included
                        raise self._fail(f"announced something that is not an {ANNOUNCE.strip()} line of "
                                         f"Overstap's images ({exc})") from None
            if time.monotonic() > deadline:
                raise self._fail(f"did not announce its endpoints within {self.timeout_s:.0f} s of its start")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _wait_ready(self, url: str, credentials, deadline: float) -> str | None:
        """Wait until ``url`` answers below 500; returns the answer's Server header."""
        def check_alive() -> None:
            self.container.reload()
            if self.container.status in ("exited", "dead"):
                raise self._fail(f"exited before it answered {url}")

        try:
            return wait_answering(url, (credentials.username, credentials.password) if credentials else None,
                                  deadline, check_alive)
        except TimeoutError:
            raise self._fail(f"did not answer {url} within {self.timeout_s:.0f} s of its start") from None

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

