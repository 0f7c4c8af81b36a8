"""A small HTTP/1.1 client over the standard library's http.client, for the checks' hot path.

Checks send thousands of short requests to each target; ``requests`` spends about 1–1.5 ms of CPU
on each one here, ``http.client`` about 0.3 ms (measured side by side against nginx on loopback,
benchmarks/webdav.py). :class:`Wire` keeps one persistent connection per origin and returns
:class:`WireResponse` objects that offer the part of ``requests.Response`` the suites use
(``status_code``, ``reason``, ``headers``, ``content``, ``text``, ``url``, ``request``,
``iter_content``). Failures raise ``requests``' exception types (``ConnectTimeout``, ``ReadTimeout``,
``ConnectionError``), so verdicts do not depend on which client sent the request.

It never follows redirects and never reads credentials from the environment. Content-Encoding
(gzip, deflate) is undone with a bounded decompressor: a body is refused past ``max_bytes`` after
decoding, so a decompression bomb cannot exhaust memory.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import zlib
from types import SimpleNamespace
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from harness import __version__

DEFAULT_HEADERS = {
    "User-Agent": f"overstap/{__version__}",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
    "Connection": "keep-alive",
}
READ_CHUNK = 256 * 1024


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT", "TRACE"})


def _dropped(sock: socket.socket) -> bool:
    """True when an idle kept-alive socket is readable: the server closed it (or sent something unasked)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class BodyTooLarge(RuntimeError):
    """The decoded body is larger than the limit the caller set."""


class _Decoder:
    """Undo Content-Encoding chunk by chunk, never producing more than ``limit`` bytes in total."""

    def __init__(self, encoding: str, limit: int):
        encoding = encoding.strip().lower()
        self.limit = limit
        self.produced = 0
        if encoding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.zlib = zlib.decompressobj()
        else:
            self.zlib = None

    STEP = 1024 * 1024  # decoded bytes produced per step: a bomb never inflates more than this at once

    def feed(self, data: bytes):
        """Yield the decoded form of ``data`` in pieces of at most :data:`STEP` bytes.

        Raises:
            BodyTooLarge: past ``limit`` decoded bytes in total.
            requests.exceptions.ContentDecodingError: the encoded stream is corrupt.
        """
        while data:
            if self.zlib is None:
                out, data = data, b""
            else:
                try:
                    out = self.zlib.decompress(data, self.STEP)
                except zlib.error as exc:
                    raise requests.exceptions.ContentDecodingError(f"the body is not valid {exc}") from None
                data = self.zlib.unconsumed_tail
            self.produced += len(out)
            if self.produced > self.limit:
                raise BodyTooLarge(f"the decoded body is larger than {self.limit} bytes")
            if out:
                yield out
            elif self.zlib is not None and data:
                continue
            else:
                break


class WireResponse:
    """One response; with ``stream=True`` the body is read through :meth:`iter_content`."""

    def __init__(self, raw: http.client.HTTPResponse, url: str, method: str, request_headers: dict,
                 max_bytes: int, on_done):
        self.raw = raw
        self.status_code = raw.status
        self.reason = raw.reason or ""
        self.headers = CaseInsensitiveDict(_merge_headers(raw.getheaders()))
        self.url = url
        self.request = SimpleNamespace(method=method, url=url, headers=CaseInsensitiveDict(request_headers))
        self._max = max_bytes
        self._content: bytes | None = None
        self._on_done = on_done
        self._decoder = _Decoder(self.headers.get("Content-Encoding", ""), max_bytes)
        self.complete = False  # the whole body was read: the connection may carry the next request

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    def iter_content(self, chunk_size: int = READ_CHUNK):
        """Yield the decoded body in chunks (each at most about ``chunk_size`` bytes before decoding).

        Raises:
            BodyTooLarge: past the client's limit; requests.ReadTimeout / ConnectionError on trouble.
        """
        if self._content is not None:
            yield self._content
            return
        finished = False
        try:
            while True:
                try:
                    data = self.raw.read1(chunk_size) if chunk_size else self.raw.read()
                except socket.timeout as exc:
                    raise requests.ReadTimeout(f"read timed out: {exc}") from None
                except (OSError, http.client.HTTPException) as exc:
                    raise requests.ConnectionError(f"{type(exc).__name__}: {exc}") from None
                if not data:
                    missing = self.raw.length if self.raw.length is not None and not self.raw.chunked else 0
                    if missing:
                        raise requests.ConnectionError(f"the response body was cut short: {missing} bytes of the "
                                                       f"announced Content-Length never came")
                    break
                yield from self._decoder.feed(data)
            finished = True
        finally:
            self.complete = finished  # abandoned or failed mid-body: the connection must not be reused
            self.raw.close()  # releases the response; the socket stays with the connection (http.client)
            self.close()

    def _read_all(self) -> bytes:
        if self._content is None:
            self._content = b"".join(self.iter_content(READ_CHUNK))
        return self._content

    @property
    def content(self) -> bytes:
        return self._read_all()

    @property
    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")

    def close(self) -> None:
        if self._on_done is not None:
            done, self._on_done = self._on_done, None
            done(self)


def _merge_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated header fields joined with ", " (RFC 9110 §5.3), as requests does."""
    merged: dict[str, str] = {}
    for name, value in pairs:
        for key in merged:
            if key.lower() == name.lower():
                merged[key] = f"{merged[key]}, {value}"
                break
        else:
            merged[name] = value
    return merged


class Wire:
    """Persistent HTTP/1.1 connections, one per origin, for use from one thread.

    Attributes:
        auth: (user, password) for Basic authentication, or None.
        verify: verify TLS certificates (https targets); False accepts any certificate.
    """

    def __init__(self):
        self.auth: tuple[str, str] | None = None
        # origins (scheme, host, port) that may receive the credentials; None: any. Set to the target's
        # own endpoints so that an href or Location a target supplies cannot collect them elsewhere.
        self.auth_origins: set[tuple[str, str, int]] | None = None
        self.verify = True
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._outstanding: dict[tuple[str, str, int], WireResponse] = {}  # streamed bodies not yet read

    def _connection(self, scheme: str, host: str, port: int, connect_timeout: float) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is None:
            if scheme == "https":
                context = ssl.create_default_context()
                if not self.verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                conn = http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=context)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
            self._connections[key] = conn
        return conn

    def _drop(self, key) -> None:
        self._outstanding.pop(key, None)
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    def request(self, method: str, url: str, *, headers: dict | None = None, data=None,
                timeout: tuple[float, float] = (5.0, 30.0), stream: bool = False,
                max_bytes: int = 256 * 1024 * 1024, **_ignored) -> WireResponse:
        """Send one request and return its response (body read unless ``stream``).

        ``data`` is bytes, a str (sent as UTF-8) or a readable object with ``read`` (and ``__len__``
        or a Content-Length header). Redirects are not followed.

        Raises:
            requests.ConnectTimeout, requests.ReadTimeout, requests.ConnectionError: transport trouble.
            BodyTooLarge: the decoded body is larger than ``max_bytes`` (when not streaming).
        """
        url = requests.utils.requote_uri(url)  # http.client sends the request line as ASCII
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise requests.exceptions.InvalidURL(f"not an http(s) URL: {url}")
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = dict(DEFAULT_HEADERS)
        if self.auth is not None and (self.auth_origins is None or (scheme, host, port) in self.auth_origins):
            import base64

            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        for name, value in (headers or {}).items():
            for key in list(sent):
                if key.lower() == name.lower():
                    del sent[key]
            if value is not None:
                sent[name] = value
        body = data.encode("utf-8") if isinstance(data, str) else data
        has_length = any(k.lower() in ("content-length", "transfer-encoding") for k in sent)
        if body is None and method.upper() not in ("GET", "HEAD") and not has_length:
            sent["Content-Length"] = "0"  # as requests does for every bodiless method but GET and HEAD
        elif body is not None and not isinstance(body, (bytes, bytearray)) and not has_length \
                and hasattr(body, "__len__"):
            sent["Content-Length"] = str(len(body))
        key = (scheme, host, port)
        if key in self._outstanding:  # the last response's body was never read: that connection is unusable
            self._drop(key)
        safe = method.upper() in SAFE_METHODS
        for attempt in (1, 2):
            conn = self._connection(scheme, host, port, timeout[0])
            if conn.sock is not None and _dropped(conn.sock):  # the server closed it while it was idle
                self._drop(key)
                conn = self._connection(scheme, host, port, timeout[0])
            reused = conn.sock is not None
            connected = reused
            sent_all = False
            try:
                if conn.sock is None:
                    conn.connect()
                    connected = True
                conn.sock.settimeout(timeout[1])
                conn.request(method, target, body=body, headers=sent)
                sent_all = True
                raw = conn.getresponse()
            except socket.timeout as exc:
                self._drop(key)
                if not connected:
                    raise requests.ConnectTimeout(f"connecting to {host}:{port} timed out: {exc}") from None
                raise requests.ReadTimeout(f"{method} {url}: read timed out after {timeout[1]} s") from None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self._drop(key)
                # a kept-alive connection the server closed meanwhile: send once more on a new one, unless the
                # server may already have acted on a request that is not safe to repeat (RFC 9110 §9.2.1)
                if reused and attempt == 1 and (body is None or isinstance(body, (bytes, bytearray))) \
                        and (safe or not sent_all):
                    continue
                raise requests.ConnectionError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop(key)
                raise requests.ConnectionError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
            except BaseException:  # e.g. the check timeout's alarm mid-read: the connection is in an unknown state
                self._drop(key)
                raise
            break

        def done(response: WireResponse) -> None:
            # keep the connection only when the whole body was read and the server keeps it open
            if self._outstanding.get(key) is response:
                del self._outstanding[key]
            if response.raw.will_close or not response.complete:
                if self._connections.get(key) is conn:
                    self._drop(key)

        response = WireResponse(raw, url, method.upper(), sent, max_bytes, done)
        self._outstanding[key] = response
        if not stream:
            try:
                response._read_all()
            except BodyTooLarge:
                self._drop(key)
                raise
        return response

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)
