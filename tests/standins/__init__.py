"""Local stand-ins for the openDesk products: real servers on loopback that serve the real products' paths.

Each stand-in is a module run in its own process (``python -m standins.<name> --port P ...``, with
``tests/`` on ``PYTHONPATH``) and is stopped with SIGTERM, which it answers by shutting its servers down
and removing what it started:

- :mod:`standins.nextcloud`: WsgiDAV for ``/remote.php/dav/files/<user>/``, Radicale for
  ``/remote.php/dav/calendars/<user>/`` and ``/remote.php/dav/addressbooks/users/<user>/``, the
  ``/.well-known`` redirects and ``/status.php``;
- :mod:`standins.openxchange`: Radicale for ``/caldav/`` and ``/carddav/`` with an e-mail address as login;
- :mod:`standins.collabora`: ``POST /cool/convert-to/<format>`` and ``GET /hosting/capabilities``, each
  conversion done by a real (warm) LibreOffice, with coolwsd's answers for a caller outside the allow list
  (403), a missing file or format (400) and a failed conversion (connection closed, no response).

Every stand-in writes one JSON line per request to ``--access-log`` (method, path, status), so a test can
check which paths the harness touched. Nothing here is a mock: the DAV answers come from WsgiDAV and
Radicale, the documents from LibreOffice.

:func:`running` starts one and stops it again.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

TESTS = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


@dataclass
class StandIn:
    """A running stand-in: ``base`` is ``http://127.0.0.1:PORT`` (no trailing slash)."""

    base: str
    proc: subprocess.Popen
    log: Path
    access_log: Path

    def requests(self) -> list[dict]:
        """The requests served so far: ``[{"method", "path", "status", "client"}, ...]`` in order."""
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running(name: str, workdir: Path, *args: str, env: dict | None = None,
            timeout: float = START_TIMEOUT_S) -> Iterator[StandIn]:
    """Start stand-in ``name`` (a module of this package) with its data in ``workdir``; stop it at the end.

    Secrets go through ``env`` (e.g. ``STANDIN_PASSWORD``), never the command line.

    Raises:
        RuntimeError: it exited or did not listen within ``timeout`` seconds (the message holds its log).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / f"{name}.log"
    access_log = workdir / f"{name}-access.jsonl"
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"standins.{name}", "--port", str(port), "--dir", str(workdir),
             "--access-log", str(access_log), *args],
            env={**os.environ, **(env or {}), "PYTHONPATH": path}, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"stand-in {name} did not start (exit {proc.poll()}):\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield StandIn(f"http://127.0.0.1:{port}", proc, log, access_log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- helpers for the stand-in processes -----------------------------------------------------------------

class AccessLog:
    """Appends one JSON line per request to a file (thread-safe)."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()

    def write(self, method: str, path: str, status: int | str, client: str = "") -> None:
        line = json.dumps({"method": method, "path": path, "status": int(str(status).split()[0]), "client": client})
        with self.lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def logged(app, access: AccessLog):
    """Wrap a WSGI app so that every request and its status go to ``access``."""
    def wrapper(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")

        def start(status, headers, exc_info=None):
            access.write(method, path, status, environ.get("REMOTE_ADDR", ""))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
        return app(environ, start)
    return wrapper


def mounted(prefix: str, app):
    """Serve ``app`` below ``prefix`` (no trailing slash): SCRIPT_NAME gets the prefix, PATH_INFO the rest,
    as a reverse proxy does for Radicale (which builds its hrefs from SCRIPT_NAME)."""
    def wrapper(environ, start_response):
        path = environ.get("PATH_INFO", "")
        environ = dict(environ, SCRIPT_NAME=prefix, PATH_INFO=path[len(prefix):] or "/")
        return app(environ, start_response)
    return wrapper


def radicale_app(folder: Path, users: dict[str, str]):
    """A Radicale WSGI application storing in ``folder``, HTTP Basic against ``users`` (name -> password)."""
    import radicale
    from radicale import config

    folder.mkdir(parents=True, exist_ok=True)
    htpasswd = folder.with_suffix(".htpasswd")
    htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    configuration = config.load()
    configuration.update({
        "auth": {"type": "htpasswd", "htpasswd_filename": str(htpasswd), "htpasswd_encryption": "plain"},
        "storage": {"filesystem_folder": str(folder / "collections")},
        "rights": {"type": "owner_only"},
        "web": {"type": "none"},
    }, "stand-in", privileged=True)
    return radicale.Application(configuration)


def text_response(start_response, status: str, body: bytes = b"", headers: list | None = None):
    start_response(status, [("Content-Length", str(len(body))), *(headers or [])])
    return [body]


def serve_wsgi(app, port: int) -> None:
    """Serve ``app`` on 127.0.0.1:``port`` with cheroot until SIGTERM or SIGINT, then stop cleanly."""
    from cheroot import wsgi

    server = wsgi.Server(("127.0.0.1", port), app, numthreads=8, server_name="standin")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    stop.wait()
    server.stop()
    thread.join(10)


def dav_main(prog: str, build, default_user: str) -> None:
    """Command line of a DAV stand-in: ``--port --dir --access-log [--user]``, the password from
    ``STANDIN_PASSWORD``; serves ``build(dir, user, password)`` with every request logged."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--access-log", required=True)
    parser.add_argument("--user", default=default_user)
    args = parser.parse_args()
    app = build(Path(args.dir), args.user, os.environ["STANDIN_PASSWORD"])
    serve_wsgi(logged(app, AccessLog(args.access_log)), args.port)
