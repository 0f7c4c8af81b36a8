"""Stand-in for Collabora Online's conversion API: the real API shape, conversions by a real LibreOffice.

Served (Collabora SDK "Conversion API", https://sdk.collaboraonline.com/docs/conversion_api.html, and
coolwsd's wsd/ClientRequestDispatcher.cpp, wsd/ClientSession.cpp in CollaboraOnline/online):

- ``POST /cool/convert-to/<format>`` (or ``/cool/convert-to`` with a form field ``format``), the document
  in a multipart part that has a file name (coolwsd takes any part with a ``filename``; the documented
  field is ``data``): 200 with the converted bytes, ``Content-Type: application/octet-stream`` and
  ``Content-Disposition: attachment; filename="<name>.<format>"``;
- a caller whose address matches no ``--post-allow`` pattern (coolwsd: ``net.post_allow.host``, regular
  expressions): 403 with an empty body;
- no file part, or no format: 400 with an empty body;
- a conversion that fails (a format LibreOffice cannot write): the connection is closed with no response,
  as coolwsd does (CollaboraOnline/online#5924);
- ``GET /hosting/capabilities``: ``{"convert-to": {"available": <caller allowed>, "endpoint":
  "/cool/convert-to"}, "productName", "productVersion", ...}``.

The conversions run in a warm LibreOffice started through Overstap's own ``libreoffice`` catalog entry
(unoserver), on the first allowed conversion; a stand-in that never converts never starts it.

Where it differs from coolwsd: no WOPI host check (coolwsd also admits a Host header that is an allowed
WOPI host), no jails, no per-document time limit, other methods on the API path get http.server's 501.

Usage: ``python -m standins.collabora --port P --dir D --access-log F [--post-allow REGEX]...``
(default allow list: ``127\\.0\\.0\\.1`` and ``::1``).
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import json
import re
import signal
import threading
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standins import AccessLog

API = "/cool/convert-to"
MAX_BODY = 100 * 1024 * 1024


class Converter:
    """A warm LibreOffice (Overstap's ``libreoffice`` catalog entry), started on first use; one conversion
    at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = None
        self.url = None

    def version(self) -> str:
        from harness import catalog

        return catalog.get("libreoffice").local_version()

    def convert(self, data: bytes, convert_to: str) -> bytes:
        """The document converted to ``convert_to`` (an extension), or raises on any failure."""
        from harness import catalog
        from harness.catalog.libreoffice import xmlrpc_proxy
        from harness.providers.local import LocalTarget

        with self.lock:
            if self.local is None:
                self.local = LocalTarget(catalog.get("libreoffice"), target_id="standin-collabora-lo")
                self.url = self.local.start().endpoints["odf-roundtrip"]
            result = xmlrpc_proxy(self.url, timeout=120).convert(
                None, xmlrpc.client.Binary(data), None, convert_to, None, [], False, None, None)
        out = result.data if result is not None else b""
        if not out:
            raise RuntimeError("no output")
        return out

    def stop(self) -> None:
        with self.lock:
            if self.local is not None:
                self.local.stop()
                self.local = None


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """(form fields, (file name, bytes) of the first part that has a file name) of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields, upload = {}, None
    if not message.is_multipart():
        return fields, None
    for part in message.iter_parts():
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename:
            if upload is None:
                upload = (filename, payload)
        else:
            name = part.get_param("name", header="content-disposition")
            if name:
                fields[str(name)] = payload.decode("utf-8", "replace")
    return fields, upload


def make_handler(allow: list[re.Pattern], converter: Converter, access: AccessLog, product_version: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "standin-coolwsd"

        def log_message(self, fmt, *args):  # the access log is written by us
            pass

        def allowed(self) -> bool:
            return any(p.fullmatch(self.client_address[0]) for p in allow)

        def answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            access.write(self.command, self.path, status, self.client_address[0])

        def do_GET(self):
            if self.path.split("?")[0] == "/hosting/capabilities":
                available = self.allowed()
                caps = {"convert-to": {"available": available, **({"endpoint": API} if available else {})},
                        "hasTemplateSaveAs": False, "hasTemplateSource": True, "hasMobileSupport": True,
                        "productName": "Overstap stand-in for Collabora Online", "productVersion": product_version}
                self.answer(200, json.dumps(caps).encode(), {"Content-Type": "application/json"})
            else:
                self.answer(404)

        def do_POST(self):
            path = self.path.split("?")[0]
            if not (path == API or path.startswith(API + "/")):
                self.answer(404)
                return
            if not self.allowed():
                self.answer(403)
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.answer(413)
                return
            body = self.rfile.read(length)
            fields, upload = parse_form(self.headers.get("Content-Type", ""), body)
            segment = path[len(API) + 1:].strip("/")
            convert_to = segment or fields.get("format", "")
            if upload is None or not convert_to:
                self.answer(400)
                return
            filename, data = upload
            try:
                out = converter.convert(data, convert_to)
            except Exception:  # coolwsd: a failed conversion gets no response at all
                access.write(self.command, self.path, 0, self.client_address[0])
                self.close_connection = True
                return
            name = Path(Path(filename).name).stem + "." + convert_to
            self.answer(200, out, {"Content-Type": "application/octet-stream",
                                   "Content-Disposition": f'attachment; filename="{name}"'})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(prog="standins.collabora")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--access-log", required=True)
    parser.add_argument("--post-allow", action="append", metavar="REGEX",
                        help="a client address pattern allowed to convert (like net.post_allow.host)")
    args = parser.parse_args()
    allow = [re.compile(p) for p in (args.post_allow or [r"127\.0\.0\.1", r"::1"])]
    converter = Converter()
    handler = make_handler(allow, converter, AccessLog(args.access_log), f"standin-libreoffice{converter.version()}")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop.wait()
    server.shutdown()
    server.server_close()
    converter.stop()


if __name__ == "__main__":
    main()
