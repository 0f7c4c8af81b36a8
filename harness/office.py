"""The target API of an office tool: convert a document through the tool behind an ``odf-roundtrip`` endpoint.

This is to office-tool targets what :mod:`harness.http` is to DAV servers: suites (``suites/odf``) and
the ``documents`` moves (:mod:`harness.moves.documents`) drive a tool only through :func:`roundtrip`
(or :func:`convert`, one step), and every invocation is recorded in a :class:`ToolLog`.

Endpoint kinds (the value of ``target.endpoints["odf-roundtrip"]``), one dispatch branch each in
:func:`convert`:

- ``unoserver``: ``http://HOST:PORT/`` or ``https://...``, a unoserver XML-RPC endpoint (warm
  LibreOffice); ``convert(indata=..., convert_to=...)`` is a plain XML-RPC call, so Overstap needs no
  ``uno`` module;
- ``tool``: ``tool:ssconvert``, ``tool:abiword``, ``tool:pandoc``: one command-line process per
  conversion; ``tool:odfdo``: the odfdo library in this process (``Document(path).save(out)``);
- ``collabora``: ``https://HOST/cool/convert-to/``, the conversion API of Collabora Online: one
  multipart POST per conversion (:func:`_convert_collabora`).

Adding an endpoint kind (for example an HTTP convert-to service): recognise its endpoints in
:func:`endpoint_kind` (before the generic ``http(s)://`` test when it is also a URL), write one
``_convert_<kind>(endpoint, data, src_ext, dst_ext, log, workdir, step) -> bytes`` that records each
call with :meth:`ToolLog.record` and raises :class:`ToolError` on failure, and add its branch to
:func:`convert`. :func:`roundtrip` (ODF -> ODF, or ODF -> OOXML -> ODF) needs no change.

Every invocation is recorded as an :class:`harness.evidence.Exchange` (method ``TOOL`` for a command
line, ``XML-RPC`` or ``CALL`` otherwise; ``url`` is the command line or call; no response; ``error``
holds the exit status and the tool's output), so a failing check shows exactly how the document was
converted. (Exchange has no field for a tool's result; ``error`` is the one free-text field the report
shows for a step without a response.)

The ODF feature fixtures every office tool is tested with (``fixtures/odf/``) are loaded here too
(:func:`load_fixtures`), for the ``odf`` suite and the documents moves alike.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from harness.evidence import Exchange

TOOL_TIMEOUT_S = 120.0
OOXML = {"odt": "docx", "ods": "xlsx", "odp": "pptx"}
ENDPOINT_KINDS = ("unoserver", "tool", "collabora")


class ToolError(RuntimeError):
    """The tool did not produce the document it was asked for (the message says why)."""


class ToolLog:
    """Collects the tool invocations of one check or conversion; has ``exchanges`` like a DavClient, so a
    suite can hand it to ``register_client``."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def record(self, method: str, call: str, status: int | None, output: str, elapsed: float,
               error: str | None = None, request: bytes = b"") -> None:
        """Add one invocation. ``status`` is the exit status (0 for a call that returned), None when it
        never finished; it goes into the text, not into ``Exchange.status``, so that the report's
        reproducers see a tool step (no response) and do not try to replay it as an HTTP request.
        ``elapsed`` is in seconds."""
        outcome = "" if method == "XPATH" else ("did not finish" if status is None else f"exit status {status}")
        text = "; ".join(part for part in (outcome, error, output.strip()[-2000:]) if part)
        self.exchanges.append(Exchange(method=method, url=call, request_headers={}, request_body=request,
                                       request_body_size=len(request), elapsed_s=elapsed, error=text))


def endpoint_kind(endpoint: str) -> str:
    """The kind of an ``odf-roundtrip`` endpoint, one of :data:`ENDPOINT_KINDS`.

    Raises:
        ToolError: an endpoint of no known kind.
    """
    if endpoint.startswith(("http://", "https://")) and urlsplit(endpoint).path.endswith(COLLABORA_PATH):
        return "collabora"
    if endpoint.startswith(("http://", "https://")):
        return "unoserver"
    if endpoint.startswith("tool:") and len(endpoint) > len("tool:"):
        return "tool"
    raise ToolError(f"unknown odf-roundtrip endpoint {endpoint!r}")


def convert(endpoint: str, data: bytes, src_ext: str, dst_ext: str, log: ToolLog, workdir: Path,
            step: str = "1") -> bytes:
    """One conversion of ``data`` (a document with extension ``src_ext``) to ``dst_ext`` by the tool
    behind ``endpoint``; ``workdir`` is an empty folder the call may write into (``step`` names its files).

    Returns the converted document's bytes.

    Raises:
        ToolError: the tool failed, timed out (:data:`TOOL_TIMEOUT_S`) or wrote nothing.
    """
    kind = endpoint_kind(endpoint)
    if kind == "unoserver":
        return convert_unoserver(endpoint, data, dst_ext, log)
    if kind == "tool":
        return _convert_tool(endpoint[len("tool:"):], data, src_ext, dst_ext, log, workdir, step)
    if kind == "collabora":
        return _convert_collabora(endpoint, data, src_ext, dst_ext, log, step)
    raise ToolError(f"no converter for endpoint kind {kind!r}")  # pragma: no cover - endpoint_kind guards


def roundtrip(endpoint: str, data: bytes, ext: str, log: ToolLog, via: str | None = None) -> bytes:
    """Open the ODF document ``data`` (extension ``ext``) in the tool and save it as ODF again.

    With ``via`` (``"docx"``, ``"xlsx"``, ``"pptx"``) the tool saves it in that format first and the
    result is opened and saved as ODF again: the OOXML path. Returns the final ODF bytes.

    Raises:
        ToolError: the tool failed or wrote nothing, or the endpoint is of no known kind.
    """
    with tempfile.TemporaryDirectory(prefix="overstap-odf-") as tmp:
        workdir = Path(tmp)
        if via:
            middle = convert(endpoint, data, ext, via, log, workdir, "1")
            return convert(endpoint, middle, via, ext, log, workdir, "2")
        return convert(endpoint, data, ext, ext, log, workdir, "1")


# -- kind "collabora": Collabora Online's conversion API ----------------------------------------------

COLLABORA_PATH = "/cool/convert-to/"
COLLABORA_API = "https://sdk.collaboraonline.com/docs/conversion_api.html"


def _convert_collabora(endpoint: str, data: bytes, src_ext: str, dst_ext: str, log: ToolLog, step: str) -> bytes:
    """One conversion through Collabora Online: ``POST <endpoint><dst_ext>`` with the document as the
    multipart form field ``data`` (the file part needs a file name: coolwsd ignores a part without one).

    What coolwsd answers (Collabora SDK, "Conversion API", :data:`COLLABORA_API`; wsd/ClientRequestDispatcher.cpp
    and wsd/ClientSession.cpp of CollaboraOnline/online): 200 with the converted file
    (``application/octet-stream``, ``Content-Disposition: attachment``); 403 with an empty body when the
    caller's address is not in ``net.post_allow.host``; 400 with an empty body when the file part or the
    format is missing; and **no response at all** (the connection is closed) when the conversion itself
    fails, e.g. for a format it cannot write (CollaboraOnline/online#5924: "empty reply"; the source marks
    it "TODO: Send back error when there is no output").

    Each POST is recorded as one step of the evidence: ``url`` is a curl command line that repeats it, the
    outcome (HTTP status, bytes returned, or why there was none) is the text; the document itself is not
    kept. Times out after :data:`TOOL_TIMEOUT_S` seconds.

    Raises:
        ToolError: any answer but 200 with a non-empty body; the message names the likely cause.
    """
    import requests

    url = endpoint + dst_ext
    name = f"{step}-in.{src_ext}"
    call = f"curl -sS -F data=@{name} {url}"
    started = time.monotonic()

    def record(outcome: str) -> None:
        log.exchanges.append(Exchange(method="POST", url=call, request_headers={}, request_body=b"",
                                      request_body_size=len(data), elapsed_s=time.monotonic() - started,
                                      error=outcome))

    try:
        response = requests.post(url, files={"data": (name, data, "application/octet-stream")},
                                 timeout=(10.0, TOOL_TIMEOUT_S), allow_redirects=False)
    except requests.Timeout:
        record(f"did not finish within {TOOL_TIMEOUT_S:g} s")
        raise ToolError(f"POST {url} did not answer within {TOOL_TIMEOUT_S:g} s") from None
    except requests.ConnectionError as exc:
        text = str(exc)
        if "RemoteDisconnected" in text or "without response" in text or "Connection aborted" in text:
            why = (f"the server closed the connection without an answer: Collabora does this when the "
                   f"conversion to {dst_ext} fails (CollaboraOnline/online#5924)")
        else:
            why = f"cannot connect ({type(exc).__name__})"
        record(why)
        raise ToolError(f"POST {url}: {why}") from None
    body = response.content
    outcome = f"HTTP {response.status_code} {response.reason}; returned {len(body)} bytes"
    if response.status_code == 200 and body:
        record(outcome)
        return body
    hints = {403: f"this machine's address is not allowed: add it as a dot-escaped net.post_allow.host entry "
                  f"in coolwsd.xml ({COLLABORA_API})",
             400: "the request lacked the document (form field data, with a file name) or the format"}
    hint = hints.get(response.status_code, "no document came back" if response.status_code == 200 else "")
    record(f"{outcome}{'; ' + hint if hint else ''}")
    raise ToolError(f"POST {url} answered {response.status_code} {response.reason}{': ' + hint if hint else ''}")


# -- kind "tool": a command line per conversion, or odfdo in-process ---------------------------------


def _convert_tool(tool: str, data: bytes, src_ext: str, dst_ext: str, log: ToolLog, workdir: Path,
                  step: str) -> bytes:
    if tool == "odfdo":
        if src_ext != dst_ext:
            raise ToolError(f"odfdo writes no {dst_ext.upper()}")
        return _convert_odfdo(data, src_ext, log, workdir, step)
    src = workdir / f"{step}-in.{src_ext}"
    dst = workdir / f"{step}-out.{dst_ext}"
    src.write_bytes(data)
    return _run(log, _command(tool, src, dst), workdir, dst)


def _run(log: ToolLog, argv: list[str], cwd: Path, produced: Path) -> bytes:
    started = time.monotonic()
    call = shlex.join(argv)
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        log.record("TOOL", call, None, "", time.monotonic() - started, error=f"timed out after {exc.timeout} s")
        raise ToolError(f"`{call}` did not finish within {TOOL_TIMEOUT_S:g} s") from exc
    except OSError as exc:  # the binary is gone
        log.record("TOOL", call, None, "", time.monotonic() - started, error=str(exc))
        raise ToolError(f"`{call}` could not start: {exc}") from exc
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    elapsed = time.monotonic() - started
    if proc.returncode != 0 or not produced.exists() or produced.stat().st_size == 0:
        log.record("TOOL", call, proc.returncode, output, elapsed, error=f"no {produced.name} written")
        raise ToolError(f"`{call}` exited with status {proc.returncode} and wrote no {produced.name}: {output[-400:]}")
    log.record("TOOL", call, proc.returncode, output, elapsed)
    return produced.read_bytes()


def _command(tool: str, src: Path, dst: Path) -> list[str]:
    """The command line, with file names relative to the work folder (so it reads as a reproducer)."""
    if tool == "ssconvert":
        return ["ssconvert", src.name, dst.name]
    if tool == "abiword":
        return ["abiword", f"--to={dst.suffix[1:]}", f"--to-name={dst.name}", src.name]
    if tool == "pandoc":
        return ["pandoc", "-f", src.suffix[1:], "-t", dst.suffix[1:], "-o", dst.name, src.name]
    raise ToolError(f"unknown tool {tool!r}")


def _convert_odfdo(data: bytes, ext: str, log: ToolLog, workdir: Path, step: str = "1") -> bytes:
    from odfdo import Document

    src, dst = workdir / f"{step}-in.{ext}", workdir / f"{step}-out.{ext}"
    src.write_bytes(data)
    call = f"odfdo.Document({src.name!r}).save({dst.name!r})"
    started = time.monotonic()
    try:
        Document(str(src)).save(str(dst))
    except Exception as exc:  # the library's own failure is the tool's failure
        log.record("CALL", call, None, "", time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
        raise ToolError(f"{call} raised {type(exc).__name__}: {exc}") from exc
    log.record("CALL", call, 0, f"wrote {dst.stat().st_size} bytes", time.monotonic() - started)
    return dst.read_bytes()


# -- kind "unoserver": warm LibreOffice over XML-RPC --------------------------------------------------


def _proxy(url: str) -> xmlrpc.client.ServerProxy:
    from harness.catalog.libreoffice import xmlrpc_proxy

    return xmlrpc_proxy(url, timeout=TOOL_TIMEOUT_S)


def convert_unoserver(url: str, data: bytes, convert_to: str, log: ToolLog | None = None) -> bytes:
    """One conversion through a unoserver XML-RPC endpoint; the document travels in the call.

    ``update_index`` is False: regenerating indexes needs a layout, which is not what a round trip is
    about (and the bare models of ``_unoserver_start`` have none).

    Raises:
        ToolError: the call failed or returned no document.
    """
    call = f"{url} convert(indata=<{len(data)} bytes>, convert_to={convert_to!r})"
    started = time.monotonic()
    try:
        result = _proxy(url).convert(None, xmlrpc.client.Binary(data), None, convert_to, None, [], False, None, None)
    except (OSError, xmlrpc.client.Error) as exc:
        if log:
            log.record("XML-RPC", call, None, "", time.monotonic() - started, error=str(exc)[-2000:])
        raise ToolError(f"{call} failed: {str(exc)[-600:]}") from exc
    out = result.data if result is not None else b""
    if log:
        log.record("XML-RPC", call, 0, f"returned {len(out)} bytes", time.monotonic() - started)
    if not out:
        raise ToolError(f"{call} returned no document")
    return out


# -- the ODF feature fixtures (fixtures/odf/, made by fixtures/odf/generate.py) ------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "odf"
DOCUMENT_KINDS = {"odt": "text", "ods": "spreadsheet", "odp": "presentation"}


@dataclass(frozen=True)
class Fixture:
    """One ODF feature fixture: ``feature`` (its name), ``kind`` (``text`` | ``spreadsheet`` |
    ``presentation``: the ``odf-<kind>`` capability a tool needs for it), ``path`` of the document,
    ``what`` it exercises, the ODF ``clause`` and its survival ``assertions`` (``{"part", "xpath",
    "what"}``, judged by :mod:`conformance.odf.survival`)."""

    feature: str
    kind: str
    path: Path
    what: str
    clause: str
    assertions: tuple[dict, ...]

    @property
    def ext(self) -> str:
        return self.path.suffix[1:]


def load_fixtures(folder: Path = FIXTURES) -> list[Fixture]:
    """Every fixture with its ``<feature>.json`` sidecar in ``folder``, in name order.

    Raises:
        OSError, ValueError, KeyError: a sidecar cannot be read or lacks a field (the fixtures are
            generated and checked by tests/test_odf_roundtrip.py, so this means a broken checkout).
    """
    out = []
    for side in sorted(folder.glob("*.json")):
        meta = json.loads(side.read_text(encoding="utf-8"))
        out.append(Fixture(meta["feature"], meta["kind"], folder / meta["file"], meta["what"], meta["clause"],
                           tuple(meta["assertions"])))
    return out
