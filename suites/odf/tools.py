"""How the ``odf`` suite drives an office tool, by the kind of its ``odf-roundtrip`` endpoint.

- ``http://HOST:PORT/``: a unoserver XML-RPC endpoint (warm LibreOffice); ``convert(indata=..., convert_to=...)``
  is a plain XML-RPC call, so Overstap needs no ``uno`` module;
- ``tool:ssconvert``, ``tool:abiword``, ``tool:pandoc``: one command-line process per conversion;
- ``tool:odfdo``: the odfdo library in this process (``Document(path).save(out)``).

Every invocation is recorded as an :class:`harness.evidence.Exchange` (method ``TOOL`` for a command
line, ``XML-RPC`` or ``CALL`` otherwise; ``url`` is the command line or call; no response; ``error``
holds the exit status and the tool's output), so a failing check shows exactly how the document was
converted. (Exchange has no field for a tool's result; ``error`` is the one free-text field the report
shows for a step without a response.)
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from harness.evidence import Exchange

TOOL_TIMEOUT_S = 120.0
OOXML = {"odt": "docx", "ods": "xlsx", "odp": "pptx"}


class ToolError(RuntimeError):
    """The tool did not produce the document it was asked for (the message says why)."""


class ToolLog:
    """Collects the tool invocations of one check; has ``exchanges`` like a DavClient, for ``register_client``."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def record(self, method: str, call: str, status: int | None, output: str, elapsed: float,
               error: str | None = None, request: bytes = b"") -> None:
        """Add one invocation. ``status`` is the exit status (0 for a call that returned), None when it
        never finished; it goes into the text, not into ``Exchange.status``, so that the report's
        reproducers see a tool step (no response) and do not try to replay it as an HTTP request."""
        outcome = "" if method == "XPATH" else ("did not finish" if status is None else f"exit status {status}")
        text = "; ".join(part for part in (outcome, error, output.strip()[-2000:]) if part)
        self.exchanges.append(Exchange(method=method, url=call, request_headers={}, request_body=request,
                                       request_body_size=len(request), elapsed_s=elapsed, error=text))


def _run(log: ToolLog, argv: list[str], cwd: Path, produced: Path) -> bytes:
    started = time.monotonic()
    call = shlex.join(argv)
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        log.record("TOOL", call, None, "", time.monotonic() - started, error=f"timed out after {exc.timeout} s")
        raise ToolError(f"`{call}` did not finish within {TOOL_TIMEOUT_S:g} s") from exc
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


def _convert_cli(tool: str, data: bytes, src_ext: str, dst_ext: str, log: ToolLog, workdir: Path, step: str) -> bytes:
    src = workdir / f"{step}-in.{src_ext}"
    dst = workdir / f"{step}-out.{dst_ext}"
    src.write_bytes(data)
    return _run(log, _command(tool, src, dst), workdir, dst)


def _convert_odfdo(data: bytes, ext: str, log: ToolLog, workdir: Path) -> bytes:
    from odfdo import Document

    src, dst = workdir / f"in.{ext}", workdir / f"out.{ext}"
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


def _proxy(url: str) -> xmlrpc.client.ServerProxy:
    from harness.catalog.libreoffice import xmlrpc_proxy

    return xmlrpc_proxy(url, timeout=TOOL_TIMEOUT_S)


def convert_unoserver(url: str, data: bytes, convert_to: str, log: ToolLog | None = None) -> bytes:
    """One conversion through a unoserver XML-RPC endpoint; the document travels in the call.

    ``update_index`` is False: regenerating indexes needs a layout, which is not what a round trip is
    about (and the bare models of ``_unoserver_start`` have none).
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


def roundtrip(endpoint: str, data: bytes, ext: str, log: ToolLog, via: str | None = None) -> bytes:
    """Open the ODF document ``data`` (extension ``ext``) in the tool and save it as ODF again.

    With ``via`` (``"docx"``, ``"xlsx"``, ``"pptx"``) the tool saves it in that format first and the
    result is opened and saved as ODF again: the OOXML path. Returns the final ODF bytes.

    Raises:
        ToolError: the tool failed or wrote nothing.
    """
    if endpoint.startswith(("http://", "https://")):
        if via:
            return convert_unoserver(endpoint, convert_unoserver(endpoint, data, via, log), ext, log)
        return convert_unoserver(endpoint, data, ext, log)
    if not endpoint.startswith("tool:"):
        raise ToolError(f"unknown odf-roundtrip endpoint {endpoint!r}")
    tool = endpoint[len("tool:"):]
    with tempfile.TemporaryDirectory(prefix="overstap-odf-") as tmp:
        workdir = Path(tmp)
        if tool == "odfdo":
            if via:
                raise ToolError("odfdo writes no OOXML")
            return _convert_odfdo(data, ext, log, workdir)
        if via:
            middle = _convert_cli(tool, data, ext, via, log, workdir, "1")
            return _convert_cli(tool, middle, via, ext, log, workdir, "2")
        return _convert_cli(tool, data, ext, ext, log, workdir, "1")
