"""Semantic comparison: did this calendar / address book survive the move?

Public API::

    compare_icalendar(original: bytes, received: bytes) -> list[Difference]
    compare_vcard(original: bytes, received: bytes) -> list[Difference]
    Difference(item, component, property, kind, original, received, note); .to_dict()

``Difference.kind`` is ``"lost"`` (in the original, not received), ``"changed"`` or ``"added"``.
``item`` names the thing: the UID of an iCalendar component (with `` RECURRENCE-ID=...`` for an
overridden occurrence, ``"(calendar)"`` for VCALENDAR properties) or the FN of a vCard.
``property`` is ``""`` when a whole component or card is lost or added. ``note`` is for humans:
``"DTSTART shifted by 1 h"``, ``"EXDATE 2024-01-10T09:00:00Z lost"``, ``"X-CUSTOM dropped"``.
An empty list means nothing that matters changed.

What may legitimately change and is ignored:

- iCalendar: PRODID, VERSION, DTSTAMP, LAST-MODIFIED, CREATED, METHOD (CalDAV stores objects
  without it, RFC 4791 §4.1), VTIMEZONE components themselves (times are compared as instants),
  property order, folding, parameter-name case, the case of enumerated parameter values
  (RFC 5545 §3.2), VALUE parameters, and defaults: SEQUENCE:0, TRANSP:OPAQUE, CLASS:PUBLIC,
  PRIORITY:0, CALSCALE:GREGORIAN, and parameter defaults (ROLE=REQ-PARTICIPANT, PARTSTAT=NEEDS-ACTION,
  RSVP=FALSE, CUTYPE=INDIVIDUAL, RELATED=START...). DTEND and DURATION are equivalent when they
  give the same end.
- Times: UTC and TZID times are compared as instants (a TZID is resolved through the file's own
  VTIMEZONE, else the IANA database via :mod:`zoneinfo`); floating times stay floating, so
  floating vs UTC is a change; DATE vs DATE-TIME is a change.
- vCard: VERSION, PRODID, REV, groups (``item1.``), parameter case, TYPE order, 3.0 ``TYPE=pref`` vs
  4.0 ``PREF=1``, ``tel:`` URIs vs plain numbers, ISO 8601 basic vs extended dates, Apple's
  year-less 3.0 birthdays (``X-APPLE-OMIT-YEAR``), 4.0 ``data:`` URIs vs 3.0 ``ENCODING=b`` (the
  decoded bytes are compared), and the usual 3.0 spellings of 4.0 properties
  (``X-ANNIVERSARY``, ``X-ADDRESSBOOKSERVER-KIND``/``-MEMBER``, ``X-GENDER``).

Raises:
    ValueError: the *original* cannot be parsed at all (a received payload that cannot be parsed
    is reported as a lost item instead).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.prop import vBroken, vDDDLists, vRecur

from conformance.icalendar import parse_icalendar
from conformance.vcard import VCard, VCardProperty, decode_media, parse_vcards, split_escaped, unescape_text

__all__ = ["Difference", "compare_icalendar", "compare_vcard"]


@dataclass(frozen=True)
class Difference:
    item: str
    component: str
    property: str
    kind: str  # "lost" | "changed" | "added"
    original: str | None
    received: str | None
    note: str

    def to_dict(self) -> dict:
        return asdict(self)


# === iCalendar ======================================================================================

_ICAL_IGNORED = {"PRODID", "VERSION", "DTSTAMP", "LAST-MODIFIED", "CREATED", "METHOD"}
_ICAL_DEFAULTS = {
    "SEQUENCE": "0",
    "TRANSP": "OPAQUE",
    "CLASS": "PUBLIC",
    "PRIORITY": "0",
    "CALSCALE": "GREGORIAN",
}
_PARAM_DEFAULTS = {
    "ROLE": "REQ-PARTICIPANT",
    "PARTSTAT": "NEEDS-ACTION",
    "RSVP": "FALSE",
    "CUTYPE": "INDIVIDUAL",
    "RELATED": "START",
    "RELTYPE": "PARENT",
    "ENCODING": "8BIT",
    "FBTYPE": "BUSY",
}
_ENUM_PARAMS = set(_PARAM_DEFAULTS) | {"VALUE", "RANGE", "FMTTYPE"}
_TIME_PROPS = {"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "COMPLETED", "EXDATE", "RDATE"}
_LIST_PROPS = {"EXDATE", "RDATE", "CATEGORIES", "RESOURCES"}
_CAL_ADDRESS = {"ATTENDEE", "ORGANIZER"}


class _Zones:
    """Resolves TZIDs through one file's VTIMEZONEs, else zoneinfo."""

    def __init__(self, calendar) -> None:
        self.defined = {}
        for sub in calendar.subcomponents if calendar is not None else []:
            if (sub.name or "").upper() == "VTIMEZONE" and "TZID" in sub:
                self.defined[str(sub["TZID"])] = sub
        self.cache: dict[str, object] = {}

    def get(self, tzid: str):
        if tzid not in self.cache:
            tz = None
            if tzid in self.defined:
                try:
                    tz = self.defined[tzid].to_tz(lookup_tzid=False)
                except Exception:  # noqa: BLE001 - a broken VTIMEZONE: fall back to the name
                    tz = None
            if tz is None:
                try:
                    tz = ZoneInfo(tzid.strip().strip("/"))
                except (ZoneInfoNotFoundError, ValueError, OSError):
                    tz = None
            self.cache[tzid] = tz
        return self.cache[tzid]


def _time_norm(value, params, zones: _Zones) -> tuple:
    """("date", iso) | ("floating", iso) | ("instant", utc iso) | ("zoned?", wall iso, tzid)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return ("date", value.isoformat())
    if not isinstance(value, datetime):
        return ("other", str(value))
    tzid = params.get("TZID") if params else None
    if tzid is not None:
        wall = value.replace(tzinfo=None)
        tz = zones.get(str(tzid))
        if tz is None:
            return ("zoned?", wall.isoformat(), str(tzid))
        return ("instant", wall.replace(tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z")
    if value.tzinfo is None:
        return ("floating", value.isoformat())
    return ("instant", value.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z")


def _show_time(norm: tuple) -> str:
    if norm[0] == "date":
        return norm[1]
    if norm[0] == "floating":
        return f"{norm[1]} (floating)"
    if norm[0] == "zoned?":
        return f"{norm[1]} TZID={norm[2]} (unknown zone)"
    return norm[1]


def _params_norm(params) -> tuple:
    out = []
    for key, value in (params or {}).items():
        key = key.upper()
        if key in ("VALUE", "TZID"):
            continue
        values = value if isinstance(value, list) else [value]
        text = ",".join(str(v) for v in values)
        if key in _ENUM_PARAMS:
            text = text.upper()
        if _PARAM_DEFAULTS.get(key) == text:
            continue
        out.append((key, text))
    return tuple(sorted(out))


def _recur_norm(rule) -> str:
    parts = []
    for key in sorted(rule):
        values = rule[key]
        key = key.upper()
        shown = []
        for v in values:
            if isinstance(v, datetime):
                shown.append(_show_time(_time_norm(v, {}, _Zones(None))))
            elif isinstance(v, date):
                shown.append(v.isoformat())
            else:
                shown.append(str(v).upper())
        if key == "INTERVAL" and shown == ["1"] or key == "WKST" and shown == ["MO"]:
            continue
        parts.append(f"{key}={','.join(shown)}")
    return ";".join(parts)


def _ical_values(name: str, prop, zones: _Zones) -> list[tuple[tuple, str]]:
    """[(hashable normal form, display)] for one property occurrence (lists flattened)."""
    params = getattr(prop, "params", None) or {}
    pnorm = _params_norm(params)
    if isinstance(prop, vBroken):
        return [(("broken", str(prop), pnorm), str(prop))]
    if name in _TIME_PROPS:
        if isinstance(prop, vDDDLists):
            out = []
            for item in prop.dts:
                dt = getattr(item, "dt", None)
                if isinstance(dt, tuple):  # PERIOD
                    norm = ("period",) + tuple(
                        _show_time(_time_norm(x, params, zones)) if isinstance(x, date) else str(x) for x in dt
                    )
                    out.append(((norm, pnorm), " / ".join(norm[1:])))
                else:
                    norm = _time_norm(dt, params, zones)
                    out.append(((norm, pnorm), _show_time(norm)))
            return out
        dt = getattr(prop, "dt", None)
        norm = _time_norm(dt, params, zones)
        return [((norm, pnorm), _show_time(norm))]
    if isinstance(prop, vRecur):
        text = _recur_norm(prop)
        return [((("recur", text), pnorm), text)]
    dt = getattr(prop, "dt", None) if not isinstance(prop, str) else None
    if isinstance(dt, timedelta):
        return [((("duration", dt.total_seconds()), pnorm), prop.to_ical().decode())]
    if name in ("CATEGORIES", "RESOURCES") and hasattr(prop, "cats"):
        return [(((name, str(c)), pnorm), str(c)) for c in prop.cats]
    if isinstance(prop, str):
        text = str(prop)
    else:
        try:
            raw = prop.to_ical()
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        except Exception:  # noqa: BLE001
            text = str(prop)
    if name in _CAL_ADDRESS and text[:7].lower() == "mailto:":
        text = "mailto:" + text[7:]
    if _ICAL_DEFAULTS.get(name) == text.upper():
        return []
    return [((("text", text), pnorm), text)]


def _shift_note(name: str, a: tuple, b: tuple) -> str:
    (na, pa), (nb, pb) = a, b
    if na[0] == "instant" and nb[0] == "instant":
        delta = datetime.fromisoformat(nb[1][:-1]) - datetime.fromisoformat(na[1][:-1])
        return f"{name} shifted by {_human(delta)}"
    if na[0] == "floating" and nb[0] == "floating":
        delta = datetime.fromisoformat(nb[1]) - datetime.fromisoformat(na[1])
        return f"{name} (floating) moved by {_human(delta)}"
    if na[0] == "date" and nb[0] == "date":
        delta = date.fromisoformat(nb[1]) - date.fromisoformat(na[1])
        return f"{name} moved by {delta.days} day(s)"
    kinds = {"date": "a DATE", "floating": "a floating time", "instant": "a fixed instant (UTC/TZID)",
             "zoned?": "a time in an unknown zone"}
    if na[0] != nb[0]:
        return f"{name} changed from {kinds.get(na[0], na[0])} to {kinds.get(nb[0], nb[0])}"
    if na == nb and pa != pb:
        return f"{name} parameters changed"
    return f"{name} changed"


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return sign + " ".join(parts)


def _props_of(comp, zones: _Zones, ignored: set[str]) -> dict[str, list[tuple[tuple, str]]]:
    out: dict[str, list] = {}
    for name, value in comp.property_items(recursive=False, sorted=False):
        name = name.upper()
        if name in ("BEGIN", "END") or name in ignored:
            continue
        out.setdefault(name, []).extend(_ical_values(name, value, zones))
    return {k: v for k, v in out.items() if v}


def _end_of(comp, zones: _Zones):
    """The effective end instant of a VEVENT/VTODO as a normal form, for DTEND vs DURATION."""
    try:
        start = comp.get("DTSTART")
        if "DTEND" in comp:
            return _time_norm(comp["DTEND"].dt, comp["DTEND"].params, zones)
        if "DUE" in comp:
            return _time_norm(comp["DUE"].dt, comp["DUE"].params, zones)
        if "DURATION" in comp and start is not None:
            norm = _time_norm(start.dt, start.params, zones)
            dur = comp["DURATION"].dt
            if norm[0] == "instant":
                return ("instant", (datetime.fromisoformat(norm[1][:-1]) + dur).isoformat() + "Z")
            if norm[0] == "floating":
                return ("floating", (datetime.fromisoformat(norm[1]) + dur).isoformat())
            if norm[0] == "date":
                return ("date", (date.fromisoformat(norm[1]) + dur).isoformat())
    except Exception:  # noqa: BLE001 - broken values: compare property by property instead
        return None
    return None


def _compare_props(item, component, o: dict, r: dict, out: list[Difference]) -> None:
    for name in sorted(set(o) | set(r)):
        ov, rv = o.get(name, []), r.get(name, [])
        if not rv:
            for _norm, shown in ov:
                verb = "dropped" if name.startswith("X-") else "lost"
                note = f"{name} {shown} {verb}" if name in _LIST_PROPS else f"{name} {verb}"
                out.append(Difference(item, component, name, "lost", shown, None, note))
            continue
        if not ov:
            for _norm, shown in rv:
                out.append(Difference(item, component, name, "added", None, shown, f"{name} added"))
            continue
        if len(ov) == 1 and len(rv) == 1 and name not in _LIST_PROPS:
            if ov[0][0] != rv[0][0]:
                note = _shift_note(name, ov[0][0], rv[0][0]) if name in _TIME_PROPS else f"{name} changed"
                if name not in _TIME_PROPS and ov[0][0][0] == rv[0][0][0]:
                    note = f"{name} parameters changed"
                out.append(Difference(item, component, name, "changed", ov[0][1], rv[0][1], note))
            continue
        oc = Counter(n for n, _ in ov)
        rc = Counter(n for n, _ in rv)
        shown_o = {n: s for n, s in ov}
        shown_r = {n: s for n, s in rv}
        for norm in oc - rc:
            out.append(Difference(item, component, name, "lost", shown_o[norm], None, f"{name} {shown_o[norm]} lost"))
        for norm in rc - oc:
            out.append(Difference(item, component, name, "added", None, shown_r[norm], f"{name} {shown_r[norm]} added"))


def _compare_component(item, oc, rc, ozones, rzones, out, ignored=_ICAL_IGNORED) -> None:
    name = (oc.name or "").upper()
    o = _props_of(oc, ozones, ignored)
    r = _props_of(rc, rzones, ignored)
    # DTEND <-> DURATION (and DUE <-> DURATION) are two spellings of the same end
    if name in ("VEVENT", "VTODO") and (("DURATION" in o) != ("DURATION" in r)):
        end_o, end_r = _end_of(oc, ozones), _end_of(rc, rzones)
        if end_o is not None and end_o == end_r:
            for key in ("DTEND", "DUE", "DURATION"):
                o.pop(key, None)
                r.pop(key, None)
    _compare_props(item, name, o, r, out)
    osubs = [s for s in oc.subcomponents if (s.name or "").upper() != "VTIMEZONE"]
    rsubs = [s for s in rc.subcomponents if (s.name or "").upper() != "VTIMEZONE"]
    by_name_r: dict[str, list] = {}
    for s in rsubs:
        by_name_r.setdefault((s.name or "").upper(), []).append(s)
    by_name_o: dict[str, list] = {}
    for s in osubs:
        by_name_o.setdefault((s.name or "").upper(), []).append(s)
    for sub_name in sorted(set(by_name_o) | set(by_name_r)):
        olist, rlist = by_name_o.get(sub_name, []), by_name_r.get(sub_name, [])
        for a, b in zip(olist, rlist):
            _compare_component(item, a, b, ozones, rzones, out, ignored)
        for a in olist[len(rlist):]:
            out.append(Difference(item, sub_name, "", "lost", _summary(a), None, f"{sub_name} lost"))
        for b in rlist[len(olist):]:
            out.append(Difference(item, sub_name, "", "added", None, _summary(b), f"{sub_name} added"))


def _summary(comp) -> str:
    for key in ("SUMMARY", "TRIGGER", "UID", "TZID"):
        if key in comp:
            value = comp[key]
            value = value[0] if isinstance(value, list) else value
            try:
                raw = value.to_ical()
                return f"{key}:{raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else raw}"
            except Exception:  # noqa: BLE001
                return f"{key}:{value}"
    return comp.name or ""


def _ical_index(data: bytes, which: str):
    parsed = parse_icalendar(data)
    if parsed.error is not None:
        raise ValueError(f"{which} iCalendar does not parse: {parsed.error}")
    items: dict[tuple, tuple] = {}
    order: list[tuple] = []
    for cal in parsed.components:
        zones = _Zones(cal)
        if (cal.name or "").upper() == "VCALENDAR":
            key = ("VCALENDAR", "(calendar)", None)
            if key not in items:
                items[key] = (cal, zones)
                order.append(key)
            subs = cal.subcomponents
        else:
            subs = [cal]
        counters: Counter = Counter()
        for sub in subs:
            name = (sub.name or "").upper()
            if name == "VTIMEZONE":
                continue
            uid = str(sub["UID"]) if "UID" in sub and not isinstance(sub["UID"], list) else None
            if uid is None:
                counters[name] += 1
                uid = f"(no UID, {name} #{counters[name]})"
            rid = None
            if "RECURRENCE-ID" in sub:
                rprop = sub["RECURRENCE-ID"]
                rprop = rprop[0] if isinstance(rprop, list) else rprop
                if isinstance(rprop, vBroken):
                    rid = str(rprop)
                else:
                    rid = _show_time(_time_norm(rprop.dt, rprop.params, zones))
            key = (name, uid, rid)
            if key not in items:
                items[key] = (sub, zones)
                order.append(key)
    return items, order


def compare_icalendar(original: bytes, received: bytes) -> list[Difference]:
    """Differences that matter between an original iCalendar stream and what came back.

    Components are matched by (component name, UID, RECURRENCE-ID as an instant); a lost override
    is reported as ``kind="lost"`` with ``note="override RECURRENCE-ID=... lost"``.

    Raises:
        ValueError: ``original`` does not parse.
    """
    oitems, oorder = _ical_index(original, "original")
    try:
        ritems, rorder = _ical_index(received, "received")
    except ValueError as exc:
        return [Difference("(calendar)", "VCALENDAR", "", "lost", None, None, str(exc))]
    out: list[Difference] = []
    for key in oorder:
        name, uid, rid = key
        item = uid if rid is None else f"{uid} RECURRENCE-ID={rid}"
        comp, zones = oitems[key]
        if key not in ritems:
            note = f"override RECURRENCE-ID={rid} lost" if rid is not None else f"{name} lost"
            out.append(Difference(item, name, "", "lost", _summary(comp), None, note))
            continue
        rcomp, rzones = ritems[key]
        if name == "VCALENDAR":
            ignored = _ICAL_IGNORED
            o = _props_of(comp, zones, ignored)
            r = _props_of(rcomp, rzones, ignored)
            _compare_props(item, name, o, r, out)
        else:
            _compare_component(item, comp, rcomp, zones, rzones, out)
    for key in rorder:
        if key not in oitems:
            name, uid, rid = key
            item = uid if rid is None else f"{uid} RECURRENCE-ID={rid}"
            rcomp, _ = ritems[key]
            note = f"override RECURRENCE-ID={rid} added" if rid is not None else f"{name} added"
            out.append(Difference(item, name, "", "added", None, _summary(rcomp), note))
    return out


# === vCard ==========================================================================================

_VCARD_IGNORED = {"VERSION", "PRODID", "REV"}
# 3.0 spellings of 4.0 properties that converters use
_VCARD_ALIASES = {
    "X-ANNIVERSARY": "ANNIVERSARY",
    "X-ADDRESSBOOKSERVER-KIND": "KIND",
    "X-ADDRESSBOOKSERVER-MEMBER": "MEMBER",
    "X-GENDER": "GENDER",
}
_STRUCTURED = {"N", "ADR", "ORG", "GENDER"}
_VCARD_LISTS = {"CATEGORIES", "NICKNAME"}
_MEDIA = {"PHOTO", "LOGO", "SOUND", "KEY"}
_DATES = {"BDAY", "ANNIVERSARY", "DEATHDATE"}


def _vcard_params(prop: VCardProperty) -> tuple:
    out = []
    types = prop.types()
    pref = "pref" in types or prop.param("PREF") is not None
    types.discard("pref")
    if prop.name in _MEDIA:
        types = set()  # the media type is compared through the decoded data
    if types:
        out.append(("TYPE", ",".join(sorted(types))))
    if pref:
        out.append(("PREF", "1"))
    for key, values in prop.params.items():
        if key in ("TYPE", "PREF", "VALUE", "ENCODING", "CHARSET", "X-APPLE-OMIT-YEAR", "MEDIATYPE"):
            continue
        out.append((key, ",".join(_param_text(v) for v in values)))
    return tuple(sorted(out))


def _param_text(value: str) -> str:
    """A parameter value as text: RFC 6868 §3 caret escapes decoded (``^n`` newline, ``^^`` caret, ``^'`` double
    quote) and the backslash newline that RFC 6350's own LABEL example writes (``\\n``), so that two servers
    writing the same multi-line LABEL differently are not reported as a loss."""
    out, i = [], 0
    while i < len(value):
        pair = value[i:i + 2]
        if pair in ("^n", "^N", "\\n", "\\N"):
            out.append("\n")
            i += 2
        elif pair == "^^":
            out.append("^")
            i += 2
        elif pair == "^'":
            out.append('"')
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _vcard_date(prop: VCardProperty) -> str:
    value = prop.value.strip()
    omit = prop.param("X-APPLE-OMIT-YEAR")
    date_part, sep, time_part = value.partition("T")
    compact = date_part.replace("-", "") if not date_part.startswith("--") else date_part
    if omit and compact[:4] == omit:
        compact = "--" + compact[4:]
    time_part = time_part.replace(":", "")
    return compact + (sep + time_part if sep else "")


def _vcard_value(card_version: str | None, prop: VCardProperty) -> tuple[tuple, str] | None:
    name = prop.name
    raw = prop.value
    if name in _MEDIA:
        media, data, problem = decode_media(prop, card_version)
        if data is not None:
            return ("data", data), f"{len(data)} bytes" + (f" {media}" if media else "")
        if problem:
            return ("broken", raw), f"undecodable ({problem})"
        return ("uri", raw.strip()), raw.strip()
    if name in _DATES:
        return ("date", _vcard_date(prop)), prop.value.strip()
    if name in _STRUCTURED:
        parts = [unescape_text(p) for p in split_escaped(raw, ";")]
        while parts and parts[-1] == "":
            parts.pop()
        return ("structured", tuple(parts)), ";".join(parts)
    if name in _VCARD_LISTS:
        parts = frozenset(unescape_text(p).strip() for p in split_escaped(raw, ","))
        return ("list", parts), ",".join(sorted(parts))
    if name == "TEL":
        text = raw.strip()
        if text[:4].lower() == "tel:":
            text = text[4:]
        return ("text", text), text
    if name == "KIND":
        kind = raw.strip().lower()
        return None if kind == "individual" else (("text", kind), kind)
    if name in ("MEMBER", "UID") and raw.strip()[:9].lower() == "urn:uuid:":
        text = raw.strip()[9:].lower()
        return ("text", text), raw.strip()
    text = unescape_text(raw)
    return ("text", text), text


def _vcard_props(card: VCard) -> dict[str, list[tuple[tuple, str]]]:
    version = card.version
    out: dict[str, list] = {}
    for prop in card.props:
        name = _VCARD_ALIASES.get(prop.name, prop.name)
        if name in _VCARD_IGNORED:
            continue
        prop = VCardProperty(name, prop.value, prop.params, prop.singletons, prop.group, prop.line)
        value = _vcard_value(version, prop)
        if value is None:
            continue
        (norm, shown) = value
        out.setdefault(name, []).append(((norm, _vcard_params(prop)), shown))
    return out


def _media_note(name: str, a: tuple, b: tuple) -> str:
    (na, _), (nb, _) = a, b
    if na[0] == "data" and nb[0] == "data":
        da, db = na[1], nb[1]
        if len(db) < len(da) and da.startswith(db):
            return f"{name} truncated: {len(db)} of {len(da)} bytes survived"
        return f"{name} data changed ({len(da)} -> {len(db)} bytes)"
    if nb[0] == "broken":
        return f"{name} no longer decodes"
    return f"{name} changed"


def compare_vcard(original: bytes, received: bytes) -> list[Difference]:
    """Differences that matter between original vCards and what came back (3.0 and 4.0 mixed).

    Cards are matched by UID when both sides have the same UID, else by FN; ``item`` is the FN.
    A 4.0 -> 3.0 conversion that drops ANNIVERSARY reports ``kind="lost"``,
    ``note="ANNIVERSARY lost"``; a PHOTO whose bytes were cut reports ``"PHOTO truncated: ..."``.

    Raises:
        ValueError: ``original`` contains no vCard.
    """
    ocards = parse_vcards(original).cards
    if not ocards:
        raise ValueError("original contains no vCard")
    rcards = parse_vcards(received).cards
    by_uid = {}
    by_fn: dict[str, list[VCard]] = {}
    for card in rcards:
        uid = _vcard_uid(card)
        if uid:
            by_uid.setdefault(uid, card)
        by_fn.setdefault(card.label, []).append(card)
    used: set[int] = set()
    out: list[Difference] = []
    for card in ocards:
        match = None
        uid = _vcard_uid(card)
        if uid and uid in by_uid and id(by_uid[uid]) not in used:
            match = by_uid[uid]
        else:
            match = next((c for c in by_fn.get(card.label, []) if id(c) not in used), None)
        if match is None:
            out.append(Difference(card.label, "VCARD", "", "lost", card.label, None, "vCard lost"))
            continue
        used.add(id(match))
        o, r = _vcard_props(card), _vcard_props(match)
        before = len(out)
        _compare_props(card.label, "VCARD", o, r, out)
        for i in range(before, len(out)):
            d = out[i]
            if d.kind == "changed" and d.property in _MEDIA:
                out[i] = Difference(d.item, d.component, d.property, d.kind, d.original, d.received,
                                    _media_note(d.property, o[d.property][0][0], r[d.property][0][0]))
    for card in rcards:
        if id(card) not in used:
            out.append(Difference(card.label, "VCARD", "", "added", None, card.label, "vCard added"))
    return out


def _vcard_uid(card: VCard) -> str | None:
    uids = card.get("UID")
    if not uids:
        return None
    uid = uids[0].value.strip()
    return uid[9:].lower() if uid[:9].lower() == "urn:uuid:" else uid
