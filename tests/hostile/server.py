"""A hostile WebDAV-ish server on loopback, for testing that Overstap survives bad targets.

``HostileServer`` listens on 127.0.0.1 (or another loopback address) with a thread per connection.
The first path segment picks the fault, so one server gives one "endpoint" per fault::

    http://127.0.0.1:PORT/<fault>/            e.g. /drip/, /gzip-bomb/, /xxe-file/

Requests *inside a check's collection* (``/<fault>/overstap-RUN/<check>/...``, and the check's collection
itself except its MKCOL and DELETE) get the fault; with the prefix ``setup-`` (``/setup-drip/``) every
request from the run collection on does (the MKCOL of the run collection, each check's setup). Everything else behaves like a tiny, forgetful
WebDAV server, so that the start probe (OPTIONS on the endpoint), the run collection (MKCOL/DELETE)
and each check's collection (MKCOL) work and the suite reaches the faulty exchanges: OPTIONS -> 200
with ``DAV: 1, 2``, MKCOL -> 201, DELETE -> 204, PUT -> 201, anything else -> 404.
``HostileServer(..., fault_everywhere=True)`` applies the fault to every request instead.

Every request is recorded (method, path, headers) in :attr:`HostileServer.requests`.
Everything is bounded: a hang waits at most ``HANG_S`` (and ends at ``stop()``), a drip sends at most
``DRIP_BYTES`` bytes, a huge body is ``HUGE_BYTES`` and ends when the client goes away.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HANG_S = 60.0
DRIP_INTERVAL_S = 0.5
DRIP_BYTES = 120  # 60 s at most
HUGE_BYTES = 300 * 1024 * 1024
BOMB_DECODED_BYTES = 1024 * 1024 * 1024  # 1 GiB of zeros, gzip'd to about 1 MB
CHUNK = b"\0" * (1024 * 1024)

FAULTS = (
    "hang", "drip", "close", "error500", "malformed", "huge", "laughs", "xxe-file", "xxe-net",
    "redirect-loop", "redirect-other", "cl-long", "cl-short", "gzip-bomb", "garbage", "wrong-type", "echo",
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>/x/&lol9;</D:href>
<D:propstat><D:prop><D:displayname>&lol9;</D:displayname></D:prop>
<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>
"""

MALFORMED = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:"><D:response>'
             b'<D:href>/x/</D:href><D:propstat><D:prop><D:getetag>"1"</D:prop></D:status>'
             b'<D:response><\x00\xff\xfe & unterminated')


def xxe_file_body(secret_path: Path) -> bytes:
    uri = secret_path.resolve().as_uri()
    return (f'<?xml version="1.0"?>\n<!DOCTYPE D:multistatus [ <!ENTITY xxe SYSTEM "{uri}"> ]>\n'
            '<D:multistatus xmlns:D="DAV:"><D:response><D:href>/x/&xxe;</D:href><D:propstat><D:prop>'
            '<D:displayname>&xxe;</D:displayname><D:getetag>"&xxe;"</D:getetag></D:prop>'
            '<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>\n').encode()


def xxe_net_body(listener_url: str) -> bytes:
    # an external DTD, a parameter entity that pulls another DTD, and a general external entity
    return (f'<?xml version="1.0"?>\n<!DOCTYPE D:multistatus SYSTEM "{listener_url}ext.dtd" [\n'
            f' <!ENTITY % remote SYSTEM "{listener_url}param.dtd"> %remote;\n'
            f' <!ENTITY net SYSTEM "{listener_url}entity">\n]>\n'
            '<D:multistatus xmlns:D="DAV:"><D:response><D:href>/x/&net;</D:href><D:propstat><D:prop>'
            '<D:displayname>&net;</D:displayname></D:prop>'
            '<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>\n').encode()


_BOMB: bytes | None = None
_BOMB_LOCK = threading.Lock()


def gzip_bomb() -> bytes:
    """``BOMB_DECODED_BYTES`` of zeros as one gzip member of about 1 MB (made once, in well under a second).

    One fully flushed deflate block of 1 MiB of zeros refers only to itself, so the block repeated
    is a valid deflate stream; the gzip trailer carries the CRC-32 and size of the whole.
    """
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = comp.compress(CHUNK) + comp.flush(zlib.Z_FULL_FLUSH)
            count = BOMB_DECODED_BYTES // len(CHUNK)
            crc = 0
            for _ in range(count):
                crc = zlib.crc32(CHUNK, crc)
            end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
            _BOMB = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + block * count + end
                     + struct.pack("<II", crc, BOMB_DECODED_BYTES & 0xFFFFFFFF))
        return _BOMB


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    client: str


class ConnectionRecorder:
    """A TCP listener that records every connection (and what the peer sent first), answers 404 and closes."""

    def __init__(self, host: str = "127.0.0.1"):
        self.sock = socket.create_server((host, 0))
        self.sock.settimeout(0.2)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> "ConnectionRecorder":
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    first = conn.recv(4096)
                except OSError:
                    first = b""
                self.connections.append(first)
                try:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile/0.1"
    sys_version = ""
    server: "_Server"

    def log_message(self, *args) -> None:  # quiet
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def _dispatch(self) -> None:
        owner = self.server.owner
        owner.record(Recorded(self.command, self.path, dict(self.headers.items()), self.client_address[0]))
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining > 0:  # consume the body, in pieces (a PUT may be large)
            piece = self.rfile.read(min(remaining, 1 << 20))
            if not piece:
                break
            remaining -= len(piece)
        segments = [s for s in self.path.split("?", 1)[0].split("/") if s]
        if owner.fault is None:  # /<fault>/overstap-RUN/<check>/...
            fault = segments[0] if segments else ""
            depth = len(segments) - 1
        else:
            fault, depth = owner.fault, len(segments)
        if fault.startswith("setup-"):  # from the run collection on: its MKCOL, every check's setup
            fault, faulty = fault.removeprefix("setup-"), depth >= 1
        else:  # inside a check's collection, and on it except its own MKCOL/DELETE
            faulty = depth >= 3 or (depth == 2 and self.command not in ("MKCOL", "DELETE"))
        if fault in FAULTS and (faulty or owner.fault_everywhere):
            getattr(self, "fault_" + fault.replace("-", "_"))()
        else:
            self.benign()

    do_GET = do_HEAD = do_PUT = do_DELETE = do_MKCOL = do_OPTIONS = do_PROPFIND = do_PROPPATCH = _dispatch
    do_COPY = do_MOVE = do_LOCK = do_UNLOCK = do_REPORT = do_POST = _dispatch

    # -- helpers ---------------------------------------------------------------------------------
    def send(self, status: int, body: bytes = b"", content_type: str = "text/plain", headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def benign(self) -> None:
        status = {"OPTIONS": 200, "MKCOL": 201, "DELETE": 204, "PUT": 201}.get(self.command, 404)
        self.send(status, headers={"DAV": "1, 2", "Allow": "OPTIONS, GET, PUT, DELETE, MKCOL, PROPFIND"})

    def stopping(self) -> bool:
        return self.server.owner.stopped.is_set()

    # -- faults ----------------------------------------------------------------------------------
    def fault_hang(self) -> None:
        self.server.owner.stopped.wait(HANG_S)
        self.close_connection = True

    def fault_drip(self) -> None:
        self.close_connection = True
        payload = (b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n"
                   + b"<" * DRIP_BYTES)
        # headers at once, then the body one byte at a time (a socket read timeout never fires)
        head, body = payload.split(b"\r\n\r\n", 1)
        self.wfile.write(head + b"\r\n\r\n")
        self.wfile.flush()
        for i in range(len(body)):
            if self.stopping():
                return
            self.wfile.write(body[i:i + 1])
            self.wfile.flush()
            time.sleep(DRIP_INTERVAL_S)

    def fault_close(self) -> None:
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n"
                         b'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:resp')
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)

    def fault_error500(self) -> None:
        self.send(500, b"Internal Server Error: <b>everything</b> is broken\n")

    def fault_malformed(self) -> None:
        self.send(207, MALFORMED, "application/xml; charset=utf-8")

    def fault_laughs(self) -> None:
        self.send(207, BILLION_LAUGHS, "application/xml; charset=utf-8")

    def fault_xxe_file(self) -> None:
        self.send(207, xxe_file_body(self.server.owner.secret_path), "application/xml; charset=utf-8")

    def fault_xxe_net(self) -> None:
        self.send(207, xxe_net_body(self.server.owner.recorder_url), "application/xml; charset=utf-8")

    def fault_wrong_type(self) -> None:  # a 207 whose body is JSON
        self.send(207, b'{"multistatus": [1, 2, 3]}', "application/json")

    def fault_echo(self) -> None:  # reflects the credentials it was sent, in a header and in the body
        import base64

        auth = self.headers.get("Authorization", "")
        decoded = ""
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode("latin-1")  # what requests encodes Basic with
        body = (f"you sent Authorization: {auth}\ndecoded: {decoded}\n"
                f"password: {decoded.partition(':')[2]}\n").encode()
        self.send(207 if self.command == "PROPFIND" else 400, body, "text/plain",
                  headers={"X-Echo-Authorization": auth, "X-Echo-Credentials": decoded})

    def fault_huge(self) -> None:
        self.close_connection = True
        self.send_response(207 if self.command == "PROPFIND" else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        sent = 0
        while sent < HUGE_BYTES and not self.stopping():
            self.wfile.write(CHUNK)  # raises when the client goes away
            sent += len(CHUNK)

    def fault_gzip_bomb(self) -> None:
        bomb = gzip_bomb()
        self.send(207 if self.command == "PROPFIND" else 200, bomb, "application/xml",
                  headers={"Content-Encoding": "gzip"})

    def fault_redirect_loop(self) -> None:
        self.send(301, b"", headers={"Location": self.path})

    def fault_redirect_other(self) -> None:
        other = self.server.owner.other_origin
        self.send(307, b"", headers={"Location": f"{other}{self.path}"})

    def fault_cl_long(self) -> None:  # Content-Length says more than is sent, then the connection closes
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
                         + b"x" * 10)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)

    def fault_cl_short(self) -> None:  # Content-Length says less than is sent; the rest poisons keep-alive
        self.wfile.write(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: 10\r\n\r\n"
                         + b"<D:multistatus xmlns:D='DAV:'/>" + b"GARBAGE / HTTP/9.9\r\n" * 3)
        self.wfile.flush()

    def fault_garbage(self) -> None:  # not HTTP at all
        self.close_connection = True
        self.wfile.write(b"\x00\xffSSH-2.0-not-http\r\n\r\n" + bytes(range(256)))
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "HostileServer"


@dataclass
class HostileServer:
    """The hostile server; use as a context manager or call start()/stop().

    Args:
        host: the loopback address to listen on.
        fault: serve this fault on every path (the first segment then names nothing), else per path.
        fault_everywhere: apply the fault to every request, also OPTIONS/MKCOL/DELETE outside checks.
        secret_path: the local file the XXE fault names.
        recorder_url: where the network-entity fault points (a :class:`ConnectionRecorder`).
        other_origin: where ``redirect-other`` sends the client (``http://127.0.0.2:PORT``).
    """

    host: str = "127.0.0.1"
    fault: str | None = None
    fault_everywhere: bool = False
    secret_path: Path = Path("/nonexistent")
    recorder_url: str = "http://127.0.0.1:9/"
    other_origin: str = "http://127.0.0.2:9"
    requests: list[Recorded] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server = _Server((self.host, 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def endpoint(self, fault: str) -> str:
        return f"{self.origin}/{fault}/"

    def record(self, item: Recorded) -> None:
        with self._lock:
            self.requests.append(item)

    def start(self) -> "HostileServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "HostileServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
