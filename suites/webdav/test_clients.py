"""Real WebDAV clients move a tree of awkwardly named files through the target and back.

Two clients people actually use, webdavclient3 (Python, PyPI ``webdavclient3``) and rclone
(Go, Debian ``rclone``), each upload the same small tree into a fresh sub-collection ``tree/`` of
the check's collection, list it, move one file and one folder, and download the tree again. The
check then compares the download with the local tree byte for byte and the client's listing with
the uploaded names. The operations rely on RFC 4918 §9.1 (PROPFIND), §9.3 (MKCOL), §9.4 (GET,
HEAD), §9.7 (PUT) and §9.9 (MOVE, with the Destination header of §10.3), and on names being
percent-encoded and decoded exactly once (RFC 4918 §8.3, RFC 3986 §2.1, §2.4).

The clients' own HTTP traffic does not pass through :class:`harness.http.DavClient`, so:
- scope: webdavclient3's session is wrapped so that it cannot touch anything outside the check's
  collection (nor write outside ``tree/``); rclone's remote is the check's collection and it is only
  ever given paths below ``tree/``, with no configuration outside a temporary folder;
- evidence: every failing client step adds an :class:`harness.evidence.Exchange` to
  ``dav.exchanges`` (the client's failing request where known, else a summary with the error);
- time: every request of webdavclient3 uses the DavClient's timeouts, every rclone run is bounded.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests

from harness.checks import check
from harness.evidence import BODY_LIMIT, Exchange
from harness.http import WRITE_METHODS, WriteOutsideRunCollection, within

WEBDAV = "webdav"
CLAUSE = "RFC 4918 §9.1, §9.3, §9.4, §9.7, §9.9, §10.3, §8.3"

# The tree every client uploads: relative path -> content. Folders are implied by the paths.
TREE: dict[str, bytes] = {
    "grüße 日本.txt": "non-ASCII and a space: Grüße, 日本\n".encode(),
    "100% sure.txt": b"a percent sign followed by a space\n",
    "p%41q.txt": b"'%41' must stay three characters, never 'A'\n",
    "a+b c.txt": b"a plus sign is not a space\n",
    "c#d.txt": b"a hash is not a fragment\n",
    "what?.txt": b"a question mark is not a query\n",
    "empty.txt": b"",
    "big.bin": random.Random(4918).randbytes(1 << 20),
    "move me ü.txt": b"this file gets moved\n",
    "Ordner ä/notiz #1.txt": b"nested, with a hash\n",
    "Ordner ä/sub dir/tief+%.txt": b"two levels down\n",
    "move me/inner ?.txt": b"inside the folder that gets moved\n",
    "move me/x y%.txt": b"second file of the moved folder\n",
}
MOVED_FILE = ("move me ü.txt", "moved? #1 €.txt")
MOVED_FOLDER = ("move me", "moved folder €")


def _folders(paths) -> set[str]:
    """Every folder (relative, ending in "/") that holds one of ``paths``."""
    out = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.add("/".join(parts[:i]) + "/")
    return out


def _after_moves() -> dict[str, bytes]:
    """The tree as it must be after the client's two moves."""
    out = {}
    for path, data in TREE.items():
        if path == MOVED_FILE[0]:
            path = MOVED_FILE[1]
        elif path.startswith(MOVED_FOLDER[0] + "/"):
            path = MOVED_FOLDER[1] + path[len(MOVED_FOLDER[0]):]
        out[path] = data
    return out


def _write_tree(root: Path) -> None:
    for path, data in TREE.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _compare_download(client: str, got: dict[str, bytes]) -> None:
    """Assert that the downloaded tree ``got`` equals the expected tree after the moves."""
    want = _after_moves()
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    differ = sorted(p for p in set(want) & set(got) if want[p] != got[p])
    problems = []
    if missing:
        problems.append(f"missing from the download: {missing!r}")
    if extra:
        problems.append(f"unexpected in the download: {extra!r}")
    if differ:
        problems.append("content differs for " + ", ".join(
            f"{p!r} ({len(got[p])} bytes downloaded, {len(want[p])} uploaded)" for p in differ))
    assert not problems, f"{client}: the downloaded tree does not match what was uploaded and moved: " + "; ".join(
        problems)


def _compare_listing(client: str, listed: set[str]) -> None:
    want = set(TREE) | _folders(TREE)
    missing, extra = sorted(want - listed), sorted(listed - want)
    assert not missing and not extra, (
        f"{client}: the listing of the uploaded tree does not give back the uploaded names; "
        f"missing: {missing!r}; unexpected: {extra!r}")


class ClientStepFailed(AssertionError):
    """A client step failed because of what the server answered (the check's verdict)."""


# --- webdavclient3 ----------------------------------------------------------------------------------

class _Webdav3:
    """A webdavclient3 client confined to the check's collection, recording its traffic."""

    def __init__(self, dav):
        from webdav3.client import Client

        self.dav = dav
        self.tree_url = dav.url("tree/")
        base = urlsplit(dav.base)
        creds = dav.target.credentials
        self.client = Client({
            "webdav_hostname": f"{base.scheme}://{base.netloc}",
            "webdav_root": unquote(base.path),
            "webdav_login": creds.username if creds else "",
            "webdav_password": creds.password if creds else "",
            "webdav_timeout": dav.timeout,
            # webdavclient3's existence check is a HEAD on the path, also for collections, and it reads
            # anything but 200 as "absent"; RFC 4918 §9.4 leaves GET/HEAD of a collection to the server
            # (Apache here answers 404, lighttpd, nginx and WsgiDAV 403), so the check would blame the
            # server for a client habit. The client's own option turns it off; every step then uses only
            # MKCOL, PUT, PROPFIND, MOVE and GET.
            "webdav_disable_check": True,
        })
        self.client.session.trust_env = False
        self.trail: list[Exchange] = []
        self._send = self.client.session.request
        self.client.session.request = self._guarded

    def _guarded(self, method, url, **kw):
        """Refuse anything outside the check's collection and writes outside tree/; record the exchange."""
        headers = kw.get("headers") or {}
        destination = headers.get("Destination")
        for candidate in (url, destination):
            if candidate and not within(candidate, self.dav.base):
                raise WriteOutsideRunCollection(f"webdavclient3 asked for {method} {candidate}, outside "
                                                f"{self.dav.base}; not sent")
            if candidate and method.upper() in WRITE_METHODS and not within(candidate, self.tree_url):
                raise WriteOutsideRunCollection(f"webdavclient3 asked for {method} {candidate}, a write outside "
                                                f"{self.tree_url}; not sent")
        kw["allow_redirects"] = False  # a redirect would re-send the request to a URL nobody checked
        exchange = Exchange(method=method.upper(), url=url, request_headers=dict(headers))
        self.trail.append(exchange)
        try:
            response = self._send(method, url, **kw)
        except requests.RequestException as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            raise
        exchange.request_headers = dict(response.request.headers)
        exchange.request_body_size = int(response.request.headers.get("Content-Length") or 0)
        exchange.status, exchange.reason = response.status_code, response.reason or ""
        exchange.response_headers = dict(response.headers)
        if response.status_code >= 300:  # keep error bodies; never pull a streamed download here
            exchange.response_body = response.content[:BODY_LIMIT]
            exchange.response_body_size = len(response.content)
        return response

    def step(self, step: str, name: str, fn, *args, **kw):
        """Run one client call; turn its failure into a verdict that names the step, file and answer."""
        from webdav3.exceptions import ConnectionException, NoConnection, WebDavException

        before = len(self.trail)
        try:
            return fn(*args, **kw)
        except (WebDavException, requests.RequestException) as exc:
            last = self.trail[-1] if len(self.trail) > before else None
            cause = exc.exception if isinstance(exc, ConnectionException) else exc
            detail = re.sub(r"\s+", " ", str(exc))[:300]
            if last is not None and last.status is not None:
                answer = f"{last.method} {unquote(last.url)} answered {last.status} {last.reason}"
            elif last is not None:
                answer = f"{last.method} {unquote(last.url)} got no answer ({last.error})"
            else:
                answer = "no request was sent"
            message = (f"webdavclient3 step '{step}' failed for {name!r}: {answer} "
                       f"(client said {type(exc).__name__}: {detail})")
            evidence = last or Exchange(method=step.upper(), url=self.tree_url, request_headers={})
            evidence.error = message
            self.dav.exchanges.append(evidence)
            if isinstance(cause, requests.Timeout):
                raise requests.Timeout(message) from exc
            if isinstance(exc, NoConnection) or isinstance(cause, requests.ConnectionError):
                raise requests.ConnectionError(message) from exc
            raise ClientStepFailed(message) from None

    def walk(self, folder: str = "") -> set[str]:
        """Every path below tree/ as the client lists it (one Depth 1 PROPFIND per folder)."""
        found = set()
        for entry in self.step("list", folder or "tree/", self.client.list, "tree/" + folder):
            path = folder + entry
            found.add(path)
            if entry.endswith("/"):
                found |= self.walk(path)
        return found


@check("webdav/clients/webdavclient3-tree", clause=CLAUSE, level="MUST", requires=WEBDAV)
def test_webdavclient3_tree(dav, tmp_path):
    pytest.importorskip("webdav3.client")
    wd = _Webdav3(dav)
    local, download = tmp_path / "local", tmp_path / "download"
    _write_tree(local)
    wd.step("mkdir", "tree/", wd.client.mkdir, "tree/")
    for folder in sorted(_folders(TREE), key=lambda f: f.count("/")):
        wd.step("mkdir", folder, wd.client.mkdir, "tree/" + folder)
    for path in TREE:
        wd.step("upload", path, wd.client.upload_file, "tree/" + path, str(local / path))
    _compare_listing("webdavclient3", wd.walk())
    wd.step("move file", MOVED_FILE[0], wd.client.move, "tree/" + MOVED_FILE[0], "tree/" + MOVED_FILE[1])
    wd.step("move folder", MOVED_FOLDER[0] + "/", wd.client.move, "tree/" + MOVED_FOLDER[0] + "/",
            "tree/" + MOVED_FOLDER[1] + "/")
    wd.step("download", "tree/", wd.client.download_sync, "tree/", str(download))
    try:
        _compare_download("webdavclient3", _read_tree(download))
    except AssertionError as exc:  # evidence: the client's moves, whose Destination names decide the result
        for exchange in wd.trail:
            if exchange.method == "MOVE":
                exchange.error = f"(evidence for: {exc})"
                dav.exchanges.append(exchange)
        raise


# --- rclone -----------------------------------------------------------------------------------------

RCLONE_STEP_TIMEOUT_S = 120
REMOTE = "overstap"
_STEP_METHOD = {"mkdir": "MKCOL", "upload": "PUT", "list": "PROPFIND", "move file": "MOVE",
                "move folder": "MOVE", "download": "GET"}


def _short(message: str) -> str:
    """rclone's error text without the HTML error page it quotes: "Failed to copy: <html>...: 409 Conflict"
    becomes "Failed to copy: [HTML error page]: 409 Conflict"."""
    message = re.sub(r"\s+", " ", message).strip()
    start = message.find(": <")
    if start >= 0:
        end = message.rfind(">: ")
        message = message[:start] + ": [HTML error page]" + (message[end + 1:] if end > start else "")
    return message


class _Rclone:
    """rclone run with a remote that is exactly the check's collection (every path given to it is
    below tree/), configured only by environment variables, with its config, cache and temporary
    files in a private folder. (A remote rooted at tree/ itself would not do: rclone never MKCOLs the
    root of a remote, it assumes the root exists.)"""

    def __init__(self, dav, workdir: Path):
        self.dav = dav
        self.tree_url = dav.url("tree/")
        creds = dav.target.credentials
        home = workdir / "home"
        (home / "cache").mkdir(parents=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home), "TMPDIR": str(home), "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home),
            "RCLONE_CONFIG": str(home / "rclone.conf"),  # never created: the remote lives in the environment
            f"RCLONE_CONFIG_{REMOTE.upper()}_TYPE": "webdav",
            f"RCLONE_CONFIG_{REMOTE.upper()}_URL": dav.base,
            f"RCLONE_CONFIG_{REMOTE.upper()}_VENDOR": "other",
        }
        if creds:
            obscured = subprocess.run(["rclone", "obscure", "-"], input=creds.password, capture_output=True,
                                      text=True, timeout=30, env=self.env, check=True).stdout.strip()
            self.env[f"RCLONE_CONFIG_{REMOTE.upper()}_USER"] = creds.username
            self.env[f"RCLONE_CONFIG_{REMOTE.upper()}_PASS"] = obscured
        self.flags = ["--cache-dir", str(home / "cache"), "--retries", "1", "--low-level-retries", "1",
                      "--timeout", f"{int(dav.timeout[1])}s", "--contimeout", f"{int(dav.timeout[0])}s",
                      "--use-json-log", "--log-level", "ERROR", "--ask-password=false"]

    @staticmethod
    def remote(path: str = "") -> str:
        """The rclone path of ``path`` relative to tree/ (never anything outside tree/)."""
        if path.startswith("/") or ".." in path.split("/"):
            raise WriteOutsideRunCollection(f"rclone path {path!r} would leave tree/")
        return f"{REMOTE}:tree/{path}".rstrip("/")

    def run(self, step: str, name: str, *args: str) -> str:
        """Run ``rclone ARGS``; on failure, a verdict naming the step, the file and rclone's error."""
        argv = ["rclone", *args, *self.flags]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=self.env,
                                  timeout=RCLONE_STEP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            message = f"rclone step '{step}' for {name!r} did not finish within {RCLONE_STEP_TIMEOUT_S} s"
            self.dav.exchanges.append(Exchange(method=_STEP_METHOD[step], url=self.tree_url, request_headers={},
                                               error=message))
            raise requests.Timeout(message) from None
        if done.returncode == 0:
            return done.stdout
        errors = []  # (object, message) from rclone's JSON log lines
        for line in done.stderr.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                if line.strip():
                    errors.append(("", line.strip()))
                continue
            if entry.get("level") in ("error", "critical", "fatal"):
                errors.append((entry.get("object", ""), _short(entry.get("msg", ""))))
        errors = errors or [("", f"exit status {done.returncode}, no message")]
        for obj, msg in errors[:5]:
            status = re.search(r"\b([1-5][0-9]{2})\b", msg)
            self.dav.exchanges.append(Exchange(
                method=_STEP_METHOD[step], url=self.tree_url + quote(obj) if obj else self.tree_url,
                request_headers={}, status=int(status.group(1)) if status else None,
                error=f"rclone step '{step}' ({obj or name}): {msg}"))
        obj, msg = next(((o, m) for o, m in errors if o), errors[0])
        raise ClientStepFailed(f"rclone step '{step}' failed for {obj or name!r}: {msg[:400]}"
                               + (f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""))


@check("webdav/clients/rclone-tree", clause=CLAUSE, level="MUST", requires=WEBDAV)
def test_rclone_tree(dav, tmp_path):
    if shutil.which("rclone") is None:
        pytest.skip("rclone is not installed here (apt-get install rclone)")
    rc = _Rclone(dav, tmp_path)
    local, download = tmp_path / "local", tmp_path / "download"
    _write_tree(local)
    rc.run("mkdir", "tree/", "mkdir", rc.remote())
    rc.run("upload", "tree/", "copy", str(local), rc.remote())
    listing = json.loads(rc.run("list", "tree/", "lsjson", "-R", rc.remote()) or "[]")
    _compare_listing("rclone", {e["Path"] + ("/" if e.get("IsDir") else "") for e in listing})
    rc.run("move file", MOVED_FILE[0], "moveto", rc.remote(MOVED_FILE[0]), rc.remote(MOVED_FILE[1]))
    rc.run("move folder", MOVED_FOLDER[0] + "/", "moveto", rc.remote(MOVED_FOLDER[0]), rc.remote(MOVED_FOLDER[1]))
    rc.run("download", "tree/", "copy", rc.remote(), str(download))
    try:
        _compare_download("rclone", _read_tree(download))
    except AssertionError as exc:
        dav.exchanges.append(Exchange(method="GET", url=rc.tree_url, request_headers={}, error=str(exc)))
        raise
