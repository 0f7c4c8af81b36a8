"""The HTTP layer every check goes through: recording, timeouts and the write guard.

:class:`DavClient` sends WebDAV requests (RFC 4918) to one target, records each exchange as
evidence, never follows redirects on its own (a check must see what the server said), and refuses
any write (PUT, DELETE, MOVE, COPY, PROPPATCH, MKCOL, LOCK...) outside the collection the run
created: Overstap must never change anything on a target that it did not create.
"""

from __future__ import annotations

import posixpath
import time
from urllib.parse import quote, unquote, urljoin, urlsplit

import requests

from harness.evidence import BODY_LIMIT, Exchange
from harness.wire import BodyTooLarge, Wire
from harness.target import Target

WRITE_METHODS = frozenset(
    {"PUT", "DELETE", "MOVE", "COPY", "PROPPATCH", "MKCOL", "MKCALENDAR", "LOCK", "UNLOCK", "POST", "PATCH", "ACL"}
)
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) in seconds, per request
MAX_RESPONSE_BYTES = 256 * 1024 * 1024  # a body (after Content-Encoding is undone) larger than this is refused


class ResponseTooLarge(RuntimeError):
    """The target sent a body larger than the client's limit (a huge body or a decompression bomb)."""


class WriteOutsideRunCollection(PermissionError):
    """A write was asked for outside the run's own collection; it was not sent."""


def _normal_path(url: str) -> tuple[str, str]:
    """(scheme://host:port, unquoted path with dot-segments removed) of ``url``."""
    parts = urlsplit(url)
    path = unquote(parts.path) or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if trailing and not path.endswith("/"):
        path += "/"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    origin = f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or default_port}"
    return origin, path


def _origin_key(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, as harness.wire.Wire compares origins."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80)


def _ambiguous(url: str) -> bool:
    """True when servers may resolve the path of ``url`` in different places: it holds an encoded '/' or
    '\\', or (once decoded) a '.', '..' or empty segment. RFC 3986 dot-removal keeps empty segments
    ('x//..' pops only the empty one) and a server may remove dot-segments before or after decoding, so
    e.g. ``/dav/overstap-RUN/a%2Fb/%2e%2e/%2e%2e`` is '/dav/overstap-RUN' decoded but '/dav/' raw."""
    raw = urlsplit(url).path
    if "%2f" in raw.lower() or "%5c" in raw.lower():
        return True
    decoded = unquote(raw)
    if "\\" in decoded:  # some servers take a backslash as a separator
        return True
    segments = decoded.split("/")[1:]
    if segments and segments[-1] == "":  # the trailing slash of a collection
        segments.pop()
    # ".." and "." with path parameters (Tomcat's "..;x") are dot-segments to some servers
    return any(segment.split(";", 1)[0] in ("", ".", "..") and (segment in ("", ".", "..") or segment.startswith("."))
               for segment in segments)


def within(url: str, scope: str) -> bool:
    """True when ``url`` names ``scope`` (a collection URL ending in ``/``) or something inside it
    (never when its path could be resolved elsewhere by some server: see :func:`_ambiguous`)."""
    origin, path = _normal_path(url)
    scope_origin, scope_path = _normal_path(scope)
    if origin != scope_origin or _ambiguous(url):
        return False
    root = scope_path.rstrip("/")  # "/dav/overstap-RUN" must not admit its sibling "/dav/overstap-RUN-x"
    return path == root or path.startswith(root + "/")


class DavClient:
    """A recording HTTP client for one target and one base collection.

    Args:
        target: the target to talk to (its credentials are used for every request).
        base: the collection URL that relative paths resolve against (ends in ``/``).
        write_scope: the only collection URL under which writes are allowed (default: ``base``).
        timeout: (connect, read) timeout per request, in seconds.

    ``exchanges`` lists every :class:`~harness.evidence.Exchange` so far, oldest first.
    """

    def __init__(self, target: Target, base: str, write_scope: str | None = None, timeout=DEFAULT_TIMEOUT,
                 session: Wire | None = None, max_response_bytes: int = MAX_RESPONSE_BYTES):
        self.target = target
        self.base = base if base.endswith("/") else base + "/"
        self.write_scope = write_scope or self.base
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        # persistent connections shared by every client made from this one (see harness/wire.py for why
        # not requests: about 4x less CPU per request, which is most of a check's time)
        self.session = session or Wire()
        if self.session.auth_origins is None:  # credentials go only to the target's own endpoints
            self.session.auth_origins = {_origin_key(url) for url in target.endpoints.values()} or None
        if target.credentials:
            self.session.auth = (target.credentials.username, target.credentials.password)
        self.exchanges: list[Exchange] = []

    def url(self, path: str = "") -> str:
        """The absolute URL of ``path``: absolute URLs pass through; other paths are percent-encoded
        (unless ``path`` is already encoded, i.e. contains ``%``) and resolved against ``base``."""
        if "://" in path:
            return path
        return urljoin(self.base, path if "%" in path else quote(path, safe="/;=@:,&$!'()*-._~"))

    def child(self, path: str) -> "DavClient":
        """A client for the collection ``path`` (relative to ``base``), sharing session, scope and record."""
        other = DavClient.__new__(DavClient)
        other.__dict__.update(self.__dict__)
        other.base = self.url(path if path.endswith("/") else path + "/")
        return other

    def request(self, method: str, path: str = "", *, headers: dict | None = None, body: bytes | str | None = None,
                stream: bool = False) -> requests.Response:
        """Send one request and record it.

        With ``stream=False`` the body is read here, decoded as the Content-Encoding says, and refused
        past ``max_response_bytes`` (so neither a huge body nor a gzip bomb can exhaust memory).

        Raises:
            WriteOutsideRunCollection: for a write method (or a Destination) outside ``write_scope``.
            ResponseTooLarge: the (decoded) body is larger than ``max_response_bytes``.
            requests.Timeout, requests.ConnectionError: when the target does not answer in time.

        The response offers ``status_code``, ``reason``, ``headers``, ``content``, ``text``, ``url``,
        ``request.headers`` and ``iter_content`` (:class:`harness.wire.WireResponse`).
        """
        method = method.upper()
        url = self.url(path)
        headers = dict(headers or {})
        if method in WRITE_METHODS:
            # header names are case-insensitive: "destination" is a Destination too (RFC 9110 §5.1)
            destinations = [str(v) for k, v in headers.items() if k.lower() == "destination"]
            for candidate in (url, *destinations):
                if candidate and not within(urljoin(url, candidate), self.write_scope):
                    raise WriteOutsideRunCollection(
                        f"refused {method} {candidate}: Overstap writes only inside {self.write_scope}"
                    )
        if isinstance(body, str):
            body = body.encode("utf-8")
        exchange = Exchange(method=method, url=url, request_headers=dict(headers))
        if isinstance(body, bytes):
            exchange.request_body, exchange.request_body_size = body[:BODY_LIMIT], len(body)
        self.exchanges.append(exchange)
        started = time.monotonic()
        try:
            response = self.session.request(method, url, headers=headers, data=body, timeout=self.timeout,
                                            stream=True, max_bytes=self.max_response_bytes)
        except requests.RequestException as exc:
            exchange.elapsed_s = time.monotonic() - started
            exchange.error = f"{type(exc).__name__}: {exc}"
            raise
        exchange.elapsed_s = time.monotonic() - started
        exchange.request_headers = dict(response.request.headers)
        exchange.status, exchange.reason = response.status_code, response.reason or ""
        exchange.response_headers = dict(response.headers)
        if not stream:
            content = self._read_limited(response)
            exchange.response_body = content[:BODY_LIMIT]
            exchange.response_body_size = len(content)
        return response

    def _read_limited(self, response) -> bytes:
        chunks, size = [], 0
        too_large = ResponseTooLarge(f"{response.request.method} {response.url}: the response body is larger "
                                     f"than {self.max_response_bytes} bytes (after decoding); refused")
        try:
            for chunk in response.iter_content(chunk_size=256 * 1024):
                size += len(chunk)
                if size > self.max_response_bytes:
                    chunks.clear()  # the traceback keeps this frame alive: do not let it keep the body too
                    response.close()
                    raise too_large
                chunks.append(chunk)
        except BodyTooLarge:
            chunks.clear()
            raise too_large from None
        except requests.exceptions.ContentDecodingError as exc:
            raise requests.ConnectionError(f"the response body could not be decoded: {exc}") from None
        except requests.exceptions.ChunkedEncodingError as exc:  # cut short: fewer bytes than Content-Length said
            raise requests.ConnectionError(f"the response body was cut short: {exc}") from None
        content = b"".join(chunks)
        response._content = content  # what response.content returns from now on
        response._content_consumed = True
        return content

    def raw_request(self, method: str, request_target: str, *, headers: dict | None = None,
                    body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        """Send a request whose request-target goes on the wire exactly as given (no encoding, no fragment
        stripping), for checks about malformed or unusual request lines (RFC 9112 §3.2).

        ``request_target`` is an origin-form path such as ``/dav/x/#frag``. The write guard judges the
        target with any fragment removed. Returns (status, headers, body) and records the exchange.

        Raises:
            WriteOutsideRunCollection, OSError (connection trouble), http.client.HTTPException.
        """
        import base64
        import http.client

        parts = urlsplit(self.base)
        method = method.upper()
        url = f"{parts.scheme}://{parts.netloc}{request_target}"
        headers = dict(headers or {})
        if method in WRITE_METHODS:
            base_url = url.split("#", 1)[0]
            for candidate in (base_url, *(str(v) for k, v in headers.items() if k.lower() == "destination")):
                if not within(urljoin(base_url, candidate), self.write_scope):
                    raise WriteOutsideRunCollection(
                        f"refused {method} {candidate}: Overstap writes only inside {self.write_scope}")
        if self.target.credentials:
            token = f"{self.target.credentials.username}:{self.target.credentials.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        exchange = Exchange(method=method, url=url, request_headers=dict(headers), request_body=body[:BODY_LIMIT],
                            request_body_size=len(body))
        self.exchanges.append(exchange)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.hostname, parts.port, timeout=self.timeout[1])
        started = time.monotonic()
        try:
            conn.putrequest(method, request_target, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if body:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read(self.max_response_bytes + 1)
        except (OSError, http.client.HTTPException) as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            exchange.elapsed_s = time.monotonic() - started
            conn.close()
        if len(data) > self.max_response_bytes:
            raise ResponseTooLarge(f"{method} {url}: the response body is larger than {self.max_response_bytes} bytes")
        exchange.status, exchange.reason = response.status, response.reason
        exchange.response_headers = dict(response.getheaders())
        exchange.response_body, exchange.response_body_size = data[:BODY_LIMIT], len(data)
        return response.status, exchange.response_headers, data

    # Shorthands, each RFC 4918 §9 (methods) unless noted.
    def options(self, path: str = "", **kw) -> requests.Response:
        """OPTIONS (RFC 9110 §9.3.7; DAV header per RFC 4918 §10.1)."""
        return self.request("OPTIONS", path, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def head(self, path: str, **kw) -> requests.Response:
        return self.request("HEAD", path, **kw)

    def put(self, path: str, body: bytes | str, content_type: str = "application/octet-stream",
            headers: dict | None = None) -> requests.Response:
        """PUT (RFC 4918 §9.7) with ``body`` as the entity."""
        return self.request("PUT", path, headers={"Content-Type": content_type, **(headers or {})}, body=body)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def mkcol(self, path: str, **kw) -> requests.Response:
        return self.request("MKCOL", path, **kw)

    def propfind(self, path: str = "", depth: str = "0", body: bytes | str | None = None,
                 headers: dict | None = None) -> requests.Response:
        """PROPFIND (RFC 4918 §9.1); with no body the server must answer as for allprop."""
        hdrs = {"Depth": depth, **(headers or {})}
        if body is not None:
            hdrs.setdefault("Content-Type", 'application/xml; charset="utf-8"')
        return self.request("PROPFIND", path, headers=hdrs, body=body)

    def proppatch(self, path: str, body: bytes | str, headers: dict | None = None) -> requests.Response:
        return self.request("PROPPATCH", path, headers={"Content-Type": 'application/xml; charset="utf-8"',
                                                        **(headers or {})}, body=body)

    def copy(self, path: str, destination: str, overwrite: str | None = None, depth: str | None = None,
             headers: dict | None = None) -> requests.Response:
        return self._copymove("COPY", path, destination, overwrite, depth, headers)

    def move(self, path: str, destination: str, overwrite: str | None = None,
             headers: dict | None = None) -> requests.Response:
        return self._copymove("MOVE", path, destination, overwrite, None, headers)

    def _copymove(self, method, path, destination, overwrite, depth, headers):
        hdrs = {"Destination": self.url(destination), **(headers or {})}
        if overwrite is not None:
            hdrs["Overwrite"] = overwrite
        if depth is not None:
            hdrs["Depth"] = depth
        return self.request(method, path, headers=hdrs)

    def close(self) -> None:
        self.session.close()
