"""File-level judging: pick a validator for a file, and the byte-level rules text formats share.

Public API::

    check_file(path: str | os.PathLike) -> Verdict
    detect_kind(name: str, data: bytes) -> "icalendar" | "vcard" | "unknown"
    scan_content_lines(data: bytes, rules: LineRules) -> ScanResult     (used by the validators)

``check_file`` reads one file and hands its bytes to :func:`conformance.icalendar.validate_icalendar`
(``.ics``, ``.ical``, ``.ifb``, ``.icalendar``), :func:`conformance.vcard.validate_vcard`
(``.vcf``, ``.vcard``) or :func:`conformance.odf.validate_odf` (``.odt``, ``.ods``, ``.odp``, ``.odg``,
templates, ``.fodt``/``.fods``/``.fodp``/``.fodg``, or a zip whose ``mimetype`` is an ODF media type;
schemas from ``conformance.odf.DEFAULT_SCHEMA_DIR``); other names are sniffed by content
(``BEGIN:VCALENDAR`` / ``BEGIN:VCARD``). Anything else gets an ``unsupported file type`` error. It never raises for bad
input: unreadable files, empty files, binary garbage, non-UTF-8, huge lines all become findings.
An unexpected exception inside a validator becomes an error finding with clause
``"overstap"`` ("checker crashed: ..."), so a caller still gets a Verdict (and tests can assert
that this never happens on real input).

``scan_content_lines`` is the byte-level pass shared by the iCalendar and vCard validators
(RFC 5545 §3.1, RFC 6350 §3.2, RFC 2425 §5.8.1): CRLF line ends, folding, the 75-octet SHOULD,
control characters, UTF-8. It does not parse values; it unfolds lines so that findings can carry
line numbers and so that raw (still escaped) values can be inspected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from conformance.findings import ERROR, WARNING, Finding, Verdict

__all__ = [
    "LineRules",
    "LogicalLine",
    "ScanResult",
    "check_file",
    "detect_kind",
    "scan_content_lines",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
_REPORT_PER_RULE = 5  # report this many lines per byte-level rule, then one summary finding

# bytes that are not CONTROL (RFC 5545 §3.1 / RFC 6350 §3.3): everything but %x00-08, %x0A-1F, %x7F
# (CR is handled by the line-end rule)
_NOT_CONTROL = bytes(b for b in range(256) if not ((b < 0x20 and b not in (0x09, 0x0D)) or b == 0x7F))


def _is_utf8(part: bytes) -> bool:
    try:
        part.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_ICAL_EXT = {".ics", ".ical", ".icalendar", ".ifb"}
_VCARD_EXT = {".vcf", ".vcard"}


@dataclass(frozen=True)
class LineRules:
    """Clause names for the byte-level rules of one format."""

    kind: str
    crlf: str  # lines end with CRLF (MUST)
    length: str  # lines SHOULD NOT be longer than 75 octets
    charset: str  # UTF-8
    control: str  # no control characters in values


@dataclass(frozen=True)
class LogicalLine:
    """One unfolded content line: where it starts (1-based physical line) and its text."""

    line: int
    text: str


@dataclass
class ScanResult:
    lines: list[LogicalLine] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def scan_content_lines(data: bytes, rules: LineRules) -> ScanResult:
    """Split ``data`` into physical lines, check the byte-level rules, and unfold.

    Checks (each reported for at most a few lines, then summarised):

    - a UTF-8 byte order mark (warning, not part of the grammar),
    - invalid UTF-8 (error, ``rules.charset``),
    - a line ending in bare LF, or a bare CR inside a line (error, ``rules.crlf``),
    - a line longer than 75 octets without its CRLF (warning, ``rules.length``),
    - control characters other than HTAB (error, ``rules.control``),
    - blank lines (warning: not a content line; most parsers skip them),
    - a continuation line (leading space / tab) before any content line (error, ``rules.crlf``).

    Returns:
        The logical lines (folding removed, decoded as UTF-8 with replacement characters) and
        the findings. Never raises.
    """
    result = ScanResult()
    counts: dict[str, int] = {}

    def report(key: str, finding: Finding) -> None:
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= _REPORT_PER_RULE:
            result.findings.append(finding)

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        result.findings.append(
            Finding(WARNING, rules.charset, "file starts with a UTF-8 byte order mark", line=1)
        )

    pieces = data.split(b"\n")
    terminated = len(pieces)  # pieces[:terminated] were followed by LF
    if pieces and pieces[-1] == b"":
        pieces.pop()
        terminated = len(pieces)
    else:
        terminated = len(pieces) - 1
        if pieces and pieces[-1].strip(b"\r \t") != b"":
            report(
                "crlf",
                Finding(ERROR, rules.crlf, "last line does not end with CRLF", line=len(pieces)),
            )

    current: list[bytes] | None = None
    current_start = 0
    bare_lf: list[int] = []

    def flush() -> None:
        if current is None:
            return
        raw = b"".join(current)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", "replace")
            report(
                "utf8",
                Finding(
                    ERROR,
                    rules.charset,
                    f"not UTF-8: byte 0x{raw[exc.start]:02X} at offset {exc.start} of the unfolded line",
                    line=current_start,
                ),
            )
        else:
            if len(current) > 1 and not all(_is_utf8(part) for part in current):
                report(
                    "split",
                    Finding(
                        WARNING,
                        rules.length,
                        "folding splits a multi-octet UTF-8 character",
                        line=current_start,
                    ),
                )
        result.lines.append(LogicalLine(current_start, text))

    for index, piece in enumerate(pieces):
        number = index + 1
        line = piece[:-1] if piece.endswith(b"\r") else piece
        if index < terminated and not piece.endswith(b"\r"):
            bare_lf.append(number)
        if b"\r" in line:
            report("cr", Finding(ERROR, rules.crlf, "bare CR inside a line", line=number))
        if len(line) > 75:
            report(
                "length",
                Finding(
                    WARNING,
                    rules.length,
                    f"line is {len(line)} octets long; lines SHOULD be folded at 75 octets",
                    line=number,
                ),
            )
        bad_control = line.translate(None, _NOT_CONTROL)
        if bad_control:
            report(
                "control",
                Finding(
                    ERROR,
                    rules.control,
                    f"control character 0x{bad_control[0]:02X} in a content line",
                    line=number,
                ),
            )
        if line.strip(b"\r") == b"":
            report("blank", Finding(WARNING, rules.crlf, "blank line is not a content line", line=number))
            continue
        if line[:1] in (b" ", b"\t"):
            if current is None:
                report(
                    "fold",
                    Finding(ERROR, rules.crlf, "continuation line without a preceding content line", line=number),
                )
                current, current_start = [line[1:]], number
            else:
                current.append(line[1:])
            continue
        flush()
        current, current_start = [line], number
    flush()
    if bare_lf:
        many = f"{len(bare_lf)} of {len(pieces)} lines end" if len(bare_lf) > 1 else "line ends"
        result.findings.insert(
            0,
            Finding(ERROR, rules.crlf, f"{many} with a bare LF, not CRLF (first: line {bare_lf[0]})", line=bare_lf[0]),
        )

    summary = {
        "crlf": (ERROR, rules.crlf),
        "cr": (ERROR, rules.crlf),
        "fold": (ERROR, rules.crlf),
        "blank": (WARNING, rules.crlf),
        "length": (WARNING, rules.length),
        "control": (ERROR, rules.control),
        "utf8": (ERROR, rules.charset),
        "split": (WARNING, rules.length),
    }
    for key, count in counts.items():
        if count > _REPORT_PER_RULE:
            severity, clause = summary[key]
            result.findings.append(
                Finding(
                    severity,
                    clause,
                    f"... and {count - _REPORT_PER_RULE} more line(s) with the same problem ({key})",
                )
            )
    return result


def detect_kind(name: str, data: bytes) -> str:
    """``"icalendar"``, ``"vcard"``, ``"odf"`` or ``"unknown"``, by file extension, else by content."""
    ext = Path(name).suffix.lower()
    from conformance.odf import looks_like_odf

    if looks_like_odf(name, data):
        return "odf"
    if ext in _ICAL_EXT:
        return "icalendar"
    if ext in _VCARD_EXT:
        return "vcard"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head.startswith(b"BEGIN:VCALENDAR"):
        return "icalendar"
    if head.startswith(b"BEGIN:VCARD"):
        return "vcard"
    return "unknown"


def check_file(path: str | os.PathLike) -> Verdict:
    """Judge one file: read it, pick the validator, return its :class:`Verdict`.

    Errors (as findings, never raised): the file cannot be read (clause ``"overstap"``), is larger
    than 64 MiB, or is of an unsupported type; a validator crash is reported as
    ``"checker crashed: ..."`` with clause ``"overstap"``.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return Verdict.from_findings(
                detect_kind(p.name, b""),
                [Finding(ERROR, "overstap", f"file is {size} bytes, larger than {MAX_FILE_BYTES}: not checked")],
            )
        data = p.read_bytes()
    except OSError as exc:
        return Verdict.from_findings("unknown", [Finding(ERROR, "overstap", f"cannot read file: {exc}")])

    kind = detect_kind(p.name, data)
    if kind == "icalendar":
        from conformance.icalendar import validate_icalendar as validate
    elif kind == "vcard":
        from conformance.vcard import validate_vcard as validate
    elif kind == "odf":
        from conformance.odf import validate_odf as validate  # schemas: conformance.odf.DEFAULT_SCHEMA_DIR
    else:
        return Verdict.from_findings(
            "unknown",
            [
                Finding(
                    ERROR,
                    "overstap",
                    f"unsupported file type {p.suffix or '(no extension)'!s}: "
                    "expected iCalendar (.ics), vCard (.vcf) or ODF (.odt, .ods, .odp, .odg, .fodt...)",
                )
            ],
        )
    try:
        return validate(data)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; the finding names it
        return Verdict.from_findings(
            kind, [Finding(ERROR, "overstap", f"checker crashed: {type(exc).__name__}: {exc}")]
        )
