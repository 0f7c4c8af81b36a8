"""vCard validation: ``validate_vcard(data: bytes) -> Verdict`` for vCard 4.0 (RFC 6350) and 3.0 (RFC 2426).

Public API::

    validate_vcard(data: bytes) -> Verdict           kind "vcard"; several vCards per stream
    parse_vcards(data: bytes) -> ParsedVCards        shared with conformance.compare
    VCard, VCardProperty                             the small model parse_vcards returns
    unescape_text(raw) -> str; split_escaped(raw, sep) -> list[str]
    parse_date_and_or_time_40(value) / is_date_30(value)   the date grammars, for reuse

Content lines are parsed by vobject (``vobject.base.textLineToContentLine``: name, group,
parameters, quoting). vobject's vCard *behaviours* are 3.0-only and rewrite values (a 4.0
``PHOTO:data:image/jpeg;base64,...`` is cut at the comma), so values are judged here from the raw
text, per version. The byte-level pass (CRLF, folding, 75 octets, UTF-8, control characters) is
:func:`conformance.files.scan_content_lines`.

Rules (MUST -> ``"error"``, SHOULD -> ``"warning"``):

- RFC 6350 §3.2 / RFC 2425 §5.8.1   CRLF, folding, 75-octet lines (warning), UTF-8.
- RFC 6350 §6.1.1, §6.1.2 / RFC 2426 §2.1.1   BEGIN:VCARD ... END:VCARD, no nesting, nothing outside.
- RFC 6350 §6.7.9   VERSION required, exactly once, 3.0 or 4.0; in 4.0 right after BEGIN:VCARD.
- RFC 6350 §6.2.1 / RFC 2426 §3.1.1   FN required.  RFC 2426 §3.1.2: N required in 3.0;
  RFC 6350 §6.2.2: N at most once (also KIND, BDAY, ANNIVERSARY, GENDER, REV, UID, PRODID).
- RFC 6350 §6.2.5, §6.2.6, §4.3.1-§4.3.4   BDAY / ANNIVERSARY: date-and-or-time in basic format,
  including ``--MMDD`` and ``---DD`` without a year; real calendar dates; VALUE=text allowed.
- RFC 2426 §3.1.5   3.0 BDAY: ``YYYY-MM-DD`` / ``YYYYMMDD`` or a date-time; no year-less forms.
- RFC 6350 §6.2.4 (PHOTO), §6.6.3 (LOGO), §6.7.5 (SOUND)   4.0: a URI; ``data:`` URIs well formed
  and their base64 decodes; no ENCODING parameter.
- RFC 2426 §3.1.4, §3.5.3, §3.6.6   3.0: ``ENCODING=b`` with base64 that decodes (TYPE SHOULD be
  given), or ``VALUE=uri``. Image data that ends early (JPEG without EOI, PNG without IEND) is a
  warning ("truncated?").
- RFC 6350 §6.1.4, §6.6.5   KIND values; MEMBER only with KIND:group, and a URI.
- RFC 6350 §3.4 / RFC 2426 §4   escaping in TEXT: only ``\\\\ \\, \\; \\n \\N``; unescaped ``,`` in
  single-valued TEXT (FN, NOTE, TITLE, ROLE).
- RFC 6350 Appendix A   3.0-only properties (LABEL, AGENT, NAME, MAILER, CLASS...) in 4.0: warning.

Never raises for bad input.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from vobject.base import textLineToContentLine

from conformance.files import LineRules, scan_content_lines
from conformance.findings import ERROR, WARNING, Finding, Verdict

__all__ = [
    "ParsedVCards",
    "VCard",
    "VCardProperty",
    "decode_media",
    "is_date_30",
    "parse_date_and_or_time_40",
    "parse_vcards",
    "split_escaped",
    "unescape_text",
    "validate_vcard",
]


def _r(section: str) -> str:
    return f"RFC 6350 §{section}"


def _r3(section: str) -> str:
    return f"RFC 2426 §{section}"


LINE_RULES_40 = LineRules("vcard", crlf=_r("3.2"), length=_r("3.2"), charset=_r("3.1"), control=_r("3.3"))
LINE_RULES_30 = LineRules(
    "vcard", crlf="RFC 2425 §5.8.1", length="RFC 2425 §5.8.1", charset="RFC 2426 §4", control="RFC 2426 §4"
)


@dataclass
class VCardProperty:
    """One content line of a vCard: raw (still escaped) value, upper-case name and parameter names."""

    name: str
    value: str
    params: dict[str, list[str]] = field(default_factory=dict)
    singletons: list[str] = field(default_factory=list)
    group: str | None = None
    line: int | None = None

    def param(self, name: str) -> str | None:
        values = self.params.get(name.upper())
        return values[0] if values else None

    def types(self) -> set[str]:
        """TYPE parameter values, lower-cased (``TYPE=WORK,VOICE`` and bare 3.0 singletons)."""
        out = {t.lower() for v in self.params.get("TYPE", []) for t in v.split(",") if t}
        out |= {s.lower() for s in self.singletons if s.upper() not in ("BASE64", "QUOTED-PRINTABLE")}
        return out


@dataclass
class VCard:
    line: int
    props: list[VCardProperty] = field(default_factory=list)

    def get(self, name: str) -> list[VCardProperty]:
        return [p for p in self.props if p.name == name.upper()]

    @property
    def version(self) -> str | None:
        versions = self.get("VERSION")
        return versions[0].value.strip() if versions else None

    @property
    def label(self) -> str:
        """FN (unescaped), else UID, else ``vCard at line N``."""
        for name in ("FN", "UID"):
            values = self.get(name)
            if values and values[0].value.strip():
                return unescape_text(values[0].value)
        return f"vCard at line {self.line}"


@dataclass
class ParsedVCards:
    cards: list[VCard] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def parse_vcards(data: bytes) -> ParsedVCards:
    """Split a stream into vCards (byte-level rules and structure findings included). Never raises."""
    head = data[:65536]
    rules = LINE_RULES_30 if b"VERSION:3.0" in head and b"VERSION:4.0" not in head else LINE_RULES_40
    result = ParsedVCards()
    scan = scan_content_lines(data, rules)
    result.findings.extend(scan.findings)
    current: VCard | None = None
    for ll in scan.lines:
        try:
            cl = textLineToContentLine(ll.text, ll.line)
        except Exception as exc:  # noqa: BLE001 - vobject raises ParseError and others
            result.findings.append(
                Finding(ERROR, _r("3.3"), f"content line does not parse: {_short(str(exc))}", line=ll.line)
            )
            continue
        name = (cl.name or "").upper()
        value = cl.value if isinstance(cl.value, str) else str(cl.value)
        if name == "BEGIN":
            if value.strip().upper() != "VCARD":
                result.findings.append(
                    Finding(ERROR, _r("6.1.1"), f"BEGIN:{value} is not BEGIN:VCARD", line=ll.line)
                )
                continue
            if current is not None:
                result.findings.append(
                    Finding(
                        ERROR,
                        _r("6.1.1"),
                        f"BEGIN:VCARD inside the vCard of line {current.line} (vCards do not nest; missing END?)",
                        line=ll.line,
                        component="VCARD",
                    )
                )
                result.cards.append(current)
            current = VCard(ll.line)
        elif name == "END":
            if current is None:
                result.findings.append(Finding(ERROR, _r("6.1.2"), f"END:{value} without BEGIN:VCARD", line=ll.line))
                continue
            if value.strip().upper() != "VCARD":
                result.findings.append(
                    Finding(ERROR, _r("6.1.2"), f"END:{value} is not END:VCARD", line=ll.line, component="VCARD")
                )
            result.cards.append(current)
            current = None
        elif current is None:
            result.findings.append(
                Finding(ERROR, _r("3.3"), "property outside any vCard", line=ll.line, property=name)
            )
        else:
            current.props.append(
                VCardProperty(
                    name=name,
                    value=value,
                    params={k.upper(): list(v) for k, v in (cl.params or {}).items()},
                    singletons=list(cl.singletonparams or []),
                    group=cl.group,
                    line=ll.line,
                )
            )
    if current is not None:
        result.findings.append(
            Finding(ERROR, _r("6.1.2"), "BEGIN:VCARD is never closed by END:VCARD", line=current.line, component="VCARD")
        )
        result.cards.append(current)
    return result


# --- value helpers ---------------------------------------------------------------------------------


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def split_escaped(raw: str, sep: str) -> list[str]:
    """Split a raw value on unescaped ``sep`` (``;`` for N/ADR, ``,`` for lists); parts stay escaped."""
    parts, buf, i = [], [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            buf.append(raw[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def unescape_text(raw: str) -> str:
    """Undo TEXT escaping (``\\n`` / ``\\N`` -> newline, ``\\x`` -> ``x``)."""
    out, i = [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _escape_problem(raw: str, comma_is_error: bool) -> str | None:
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            if i + 1 >= len(raw):
                return "value ends with a lone backslash"
            if raw[i + 1] not in "\\,;nN":
                return f"invalid escape sequence '\\{raw[i + 1]}' (only \\\\ \\, \\; \\n \\N)"
            i += 2
            continue
        if ch == "," and comma_is_error:
            return "unescaped ',' in a single-valued TEXT value (MUST be written as '\\,')"
        i += 1
    return None


# RFC 6350 §4.3 (ISO 8601:2004 basic format, with the reduced/truncated forms of the ABNF)
_D = r"\d\d"
_ZONE = r"(?:Z|[+-]\d\d(?:\d\d)?)"
_DATE_40 = rf"(?P<y>\d{{4}})(?:(?P<m>{_D})(?P<d>{_D}))?|(?P<y2>\d{{4}})-(?P<m2>{_D})|--(?P<m3>{_D})(?P<d3>{_D})?|---(?P<d4>{_D})"
_DATE_NOREDUC_40 = rf"(?P<y>\d{{4}})(?P<m>{_D})(?P<d>{_D})|--(?P<m3>{_D})(?P<d3>{_D})|---(?P<d4>{_D})"
_TIME_40 = rf"(?P<H>{_D})(?:(?P<M>{_D})(?P<S>{_D})?)?{_ZONE}?|-(?P<M2>{_D})(?P<S2>{_D})?{_ZONE}?|--(?P<S3>{_D}){_ZONE}?"
_TIME_NOTRUNC_40 = rf"(?P<H>{_D})(?:(?P<M>{_D})(?P<S>{_D})?)?{_ZONE}?"


def _date_ok(groups: dict) -> str | None:
    year = groups.get("y") or groups.get("y2")
    month = groups.get("m") or groups.get("m2") or groups.get("m3")
    day = groups.get("d") or groups.get("d3") or groups.get("d4")
    if month is not None and not 1 <= int(month) <= 12:
        return f"month {month} is not 01-12"
    if day is not None:
        if month is not None:
            limit = calendar.monthrange(int(year) if year else 2000, int(month))[1]  # 2000: Feb 29 allowed
        else:
            limit = 31
        if not 1 <= int(day) <= limit:
            return f"day {day} does not exist" + (f" in month {month}" if month else "")
    return None


def _time_ok(groups: dict) -> str | None:
    hour = groups.get("H")
    minute = groups.get("M") or groups.get("M2")
    second = groups.get("S") or groups.get("S2") or groups.get("S3")
    if hour is not None and int(hour) > 23:
        return f"hour {hour} is not 00-23"
    if minute is not None and int(minute) > 59:
        return f"minute {minute} is not 00-59"
    if second is not None and int(second) > 60:
        return f"second {second} is not 00-60"
    return None


def parse_date_and_or_time_40(value: str, value_type: str = "date-and-or-time") -> str | None:
    """``None`` when ``value`` is a valid RFC 6350 §4.3 value of ``value_type``, else the problem.

    ``value_type``: ``date``, ``time``, ``date-time``, ``date-and-or-time`` (default), ``timestamp``.
    """
    value = value.strip()
    vt = value_type.lower()
    candidates: list[tuple[str, str | None]] = []  # (date pattern, time pattern)
    if vt == "date":
        candidates = [(_DATE_40, None)]
    elif vt == "time":
        candidates = [(None, _TIME_40)]
    elif vt in ("date-time", "timestamp"):
        candidates = [(_DATE_NOREDUC_40, _TIME_NOTRUNC_40)]
    else:
        candidates = [(_DATE_NOREDUC_40, _TIME_NOTRUNC_40), (_DATE_40, None), (None, _TIME_40)]
    for date_p, time_p in candidates:
        if date_p and time_p:
            date_part, sep, time_part = value.partition("T")
            if not sep:
                continue
        elif date_p:
            date_part, time_part = value, None
        else:
            if vt != "time" and not value.startswith("T"):
                continue
            date_part, time_part = None, value[1:] if value.startswith("T") else value
        dm = re.fullmatch(date_p, date_part) if date_p else None
        tm = re.fullmatch(time_p, time_part) if time_p else None
        if (date_p and not dm) or (time_p and not tm):
            continue
        problem = (_date_ok(dm.groupdict()) if dm else None) or (_time_ok(tm.groupdict()) if tm else None)
        return problem
    if "-" in value[1:8] and re.fullmatch(r"\d{4}-\d\d-\d\d(T.*)?", value):
        return f"{value!r} is in ISO 8601 extended format; vCard 4.0 allows only the basic format (e.g. 19850412)"
    return f"{value!r} is not a vCard 4.0 {vt}"


_DATE_30 = r"(?P<y>\d{4})-?(?P<m>\d\d)-?(?P<d>\d\d)"
_TIME_30 = r"(?P<H>\d\d):?(?P<M>\d\d):?(?P<S>\d\d)(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"


def is_date_30(value: str, date_time: bool = False) -> str | None:
    """``None`` when ``value`` is an RFC 2426 §3.1.5 date (or date-time with ``date_time``), else the problem."""
    value = value.strip()
    date_part, sep, time_part = value.partition("T")
    dm = re.fullmatch(_DATE_30, date_part)
    if not dm:
        if value.startswith("--"):
            return f"{value!r}: dates without a year are vCard 4.0 only (RFC 6350 §4.3.1), not 3.0"
        return f"{value!r} is not an ISO 8601 date (YYYY-MM-DD or YYYYMMDD)"
    if sep:
        tm = re.fullmatch(_TIME_30, time_part)
        if not tm:
            return f"{value!r}: time part {time_part!r} is not an ISO 8601 time"
        problem = _time_ok(tm.groupdict())
        if problem:
            return problem
    return _date_ok(dm.groupdict())


def decode_media(prop: VCardProperty, version: str | None) -> tuple[str | None, bytes | None, str | None]:
    """The (media type, bytes, problem) of an inline PHOTO/LOGO/SOUND/KEY, else (None, None, None).

    4.0: a ``data:`` URI (RFC 2397). 3.0: ``ENCODING=b`` (or 2.1-style BASE64) with TYPE.
    ``problem`` says why the data cannot be decoded.
    """
    raw = prop.value.strip()
    encoding = (prop.param("ENCODING") or ("B" if "BASE64" in [s.upper() for s in prop.singletons] else "")).upper()
    if raw[:5].lower() == "data:":
        header, comma, payload = raw[5:].partition(",")
        if not comma:
            return None, None, "data: URI without ',' before the data (RFC 2397)"
        parts = header.split(";")
        media = parts[0].lower() or "text/plain"
        if any(p.lower() == "base64" for p in parts[1:]):
            try:
                return media, base64.b64decode("".join(payload.split()), validate=True), None
            except (binascii.Error, ValueError) as exc:
                return media, None, f"data: URI base64 does not decode: {exc}"
        return media, unquote_to_bytes(payload), None
    if encoding in ("B", "BASE64"):
        types = prop.types()
        media = f"image/{sorted(types)[0]}" if types else None
        try:
            return media, base64.b64decode("".join(raw.split()), validate=True), None
        except (binascii.Error, ValueError) as exc:
            return media, None, f"base64 does not decode: {exc}"
    return None, None, None


def _truncated(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8") and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "JPEG data has no end-of-image marker (truncated?)"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" not in data[-16:]:
        return "PNG data has no IEND chunk (truncated?)"
    return None


_ONCE_40 = ("N", "KIND", "BDAY", "ANNIVERSARY", "GENDER", "REV", "UID", "PRODID", "BIRTHPLACE", "DEATHDATE")
_MEDIA = {"PHOTO": ("6.2.4", "3.1.4"), "LOGO": ("6.6.3", "3.5.3"), "SOUND": ("6.7.5", "3.6.6")}
_TEXT_SINGLE = {"FN", "NOTE", "TITLE", "ROLE"}
_TEXT_ESCAPED = {"N", "ADR", "ORG", "CATEGORIES", "NICKNAME"}
_ONLY_30 = {"LABEL", "AGENT", "NAME", "MAILER", "CLASS", "PROFILE", "SORT-STRING"}


class _Checker:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, severity, clause, message, prop: VCardProperty | None = None, line=None, name=None) -> None:
        self.findings.append(
            Finding(
                severity,
                clause,
                message,
                line if line is not None else (prop.line if prop else None),
                "VCARD",
                name or (prop.name if prop else None),
            )
        )

    def card(self, card: VCard, index: int) -> None:
        versions = card.get("VERSION")
        if not versions:
            self.add(ERROR, _r("6.7.9"), f"vCard #{index} has no VERSION", line=card.line, name="VERSION")
            version = None
        else:
            version = versions[0].value.strip()
            if len(versions) > 1:
                self.add(ERROR, _r("6.7.9"), "VERSION occurs more than once", versions[1])
        if version not in (None, "3.0", "4.0"):
            self.add(
                ERROR,
                _r("6.7.9"),
                f"VERSION {version!r}: only vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) are checked",
                versions[0],
            )
            return
        if version == "4.0" and card.props and card.props[0].name != "VERSION":
            self.add(ERROR, _r("6.7.9"), "VERSION MUST come immediately after BEGIN:VCARD in vCard 4.0", versions[0])
        v4 = version != "3.0"  # judge an unversioned card by the current standard
        if not card.get("FN"):
            self.add(ERROR, _r("6.2.1") if v4 else _r3("3.1.1"), "FN is required", line=card.line, name="FN")
        if not v4 and not card.get("N"):
            self.add(ERROR, _r3("3.1.2"), "N is required in vCard 3.0", line=card.line, name="N")
        if v4:
            for name in _ONCE_40:
                extra = card.get(name)[1:]
                if extra:
                    self.add(ERROR, _r("6.2.2" if name == "N" else "3.3"), f"{name} MUST NOT occur more than once", extra[0])
        kinds = card.get("KIND")
        kind = kinds[0].value.strip().lower() if kinds else "individual"
        for prop in card.props:
            self.prop(prop, v4, kind)

    def prop(self, prop: VCardProperty, v4: bool, kind: str) -> None:
        name = prop.name
        if name in ("BDAY", "ANNIVERSARY", "DEATHDATE"):
            self.date(prop, v4)
        elif name in _MEDIA:
            self.media(prop, v4)
        elif v4 and name == "KIND":
            if not re.fullmatch(r"[A-Za-z0-9-]+", prop.value.strip()):
                self.add(ERROR, _r("6.1.4"), f"KIND value {prop.value!r} is not a token", prop)
        elif v4 and name == "MEMBER":
            if kind != "group":
                self.add(ERROR, _r("6.6.5"), f"MEMBER is only allowed with KIND:group (KIND is {kind})", prop)
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:.+", prop.value.strip()):
                self.add(ERROR, _r("6.6.5"), f"MEMBER value {prop.value!r} is not a URI", prop)
        elif v4 and name in _ONLY_30:
            self.add(WARNING, _r("Appendix A"), f"{name} is a vCard 3.0 property, not defined in vCard 4.0", prop)
        if name in _TEXT_SINGLE or name in _TEXT_ESCAPED:
            if (prop.param("VALUE") or "text").lower() == "text" and (prop.param("ENCODING") or "").upper() not in ("B", "QUOTED-PRINTABLE"):
                problem = _escape_problem(prop.value, comma_is_error=name in _TEXT_SINGLE)
                if problem:
                    self.add(ERROR, _r("3.4") if v4 else _r3("4"), f"{name}: {problem}", prop)

    def date(self, prop: VCardProperty, v4: bool) -> None:
        value_type = (prop.param("VALUE") or ("date-and-or-time" if v4 else "date")).lower()
        if value_type == "text":
            return
        if v4:
            clause = {"BDAY": _r("6.2.5"), "ANNIVERSARY": _r("6.2.6")}.get(prop.name, _r("4.3.4"))
            if value_type not in ("date", "time", "date-time", "date-and-or-time", "timestamp"):
                self.add(ERROR, clause, f"{prop.name} has VALUE={value_type}, not date-and-or-time or text", prop)
                return
            problem = parse_date_and_or_time_40(prop.value, value_type)
        else:
            clause = _r3("3.1.5")
            if value_type not in ("date", "date-time"):
                self.add(ERROR, clause, f"{prop.name} has VALUE={value_type}, not date or date-time", prop)
                return
            problem = is_date_30(prop.value, value_type == "date-time")
        if problem:
            self.add(ERROR, clause, f"{prop.name}: {problem}", prop)

    def media(self, prop: VCardProperty, v4: bool) -> None:
        s40, s30 = _MEDIA[prop.name]
        raw = prop.value.strip()
        if not raw:
            self.add(ERROR, _r(s40) if v4 else _r3(s30), f"{prop.name} is empty", prop)
            return
        if v4:
            clause = _r(s40)
            if prop.param("ENCODING") or any(s.upper() == "BASE64" for s in prop.singletons):
                self.add(
                    ERROR,
                    clause,
                    f"{prop.name} uses ENCODING, which vCard 4.0 dropped: inline data MUST be a data: URI",
                    prop,
                )
                return
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:.*", raw):
                self.add(ERROR, clause, f"{prop.name} value is not a URI", prop)
                return
        else:
            clause = _r3(s30)
            encoding = (prop.param("ENCODING") or "").upper()
            if any(s.upper() == "BASE64" for s in prop.singletons) or encoding == "BASE64":
                self.add(ERROR, clause, f"{prop.name}: vCard 3.0 spells inline base64 as ENCODING=b", prop)
            elif encoding == "B":
                if not prop.types():
                    self.add(WARNING, clause, f"{prop.name} with ENCODING=b SHOULD name its format in TYPE", prop)
            elif (prop.param("VALUE") or "").lower() == "uri":
                if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:.*", raw):
                    self.add(ERROR, clause, f"{prop.name} has VALUE=uri but the value is not a URI", prop)
                return
            else:
                self.add(ERROR, clause, f"{prop.name} needs ENCODING=b (inline) or VALUE=uri", prop)
                return
        _media, data, problem = decode_media(prop, "4.0" if v4 else "3.0")
        if problem:
            self.add(ERROR, clause, f"{prop.name}: {problem}", prop)
        elif data is not None:
            if not data:
                self.add(ERROR, clause, f"{prop.name}: inline data is empty", prop)
            else:
                hint = _truncated(data)
                if hint:
                    self.add(WARNING, clause, f"{prop.name}: {hint}", prop)


def validate_vcard(data: bytes) -> Verdict:
    """Judge a vCard stream (one or more vCards, 3.0 or 4.0) and return a Verdict of kind ``"vcard"``.

    Args:
        data: the raw bytes (a ``.vcf`` file, a CardDAV resource body).

    Returns:
        ``Verdict(valid, findings, "vcard")``; findings carry the clause (``"RFC 6350 §6.2.1"`` or
        ``"RFC 2426 §3.1.2"``), the line, ``component="VCARD"`` and the property name.

    Never raises for bad input.
    """
    if not data or not data.strip():
        return Verdict.from_findings("vcard", [Finding(ERROR, _r("6.1.1"), "empty input: no vCard")])
    parsed = parse_vcards(data)
    checker = _Checker()
    checker.findings.extend(parsed.findings)
    if not parsed.cards:
        checker.add(ERROR, _r("6.1.1"), "no vCard (BEGIN:VCARD ... END:VCARD) found")
    for index, card in enumerate(parsed.cards, 1):
        checker.card(card, index)
    return Verdict.from_findings("vcard", checker.findings)
