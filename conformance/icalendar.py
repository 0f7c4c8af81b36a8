"""iCalendar (RFC 5545) validation: ``validate_icalendar(data: bytes) -> Verdict``.

Public API::

    validate_icalendar(data: bytes) -> Verdict          kind "icalendar"
    parse_icalendar(data: bytes) -> ParsedCalendar      tolerant parse shared with conformance.compare
    CLAUSE_LINES, LINE_RULES                            the byte-level clauses used here

Parsing is done by the ``icalendar`` library (a tolerant subclass of its calendar parser that
records every broken property instead of raising). The raw content lines are scanned only for the
byte-level rules of RFC 5545 §3.1 (CRLF, folding, 75 octets, control characters, UTF-8), for line
numbers, and for TEXT escaping (§3.3.11), which the library undoes before we could see it.

Rules (MUST -> ``"error"``, SHOULD -> ``"warning"``), each finding naming its clause:

- §3.1, §3.1.4   CRLF line ends, folding, 75-octet lines (warning), control characters, UTF-8.
- §3.4, §3.6     BEGIN/END balance, top-level VCALENDAR, at least one component,
                 properties outside a component, content lines that do not parse.
- §3.7.3, §3.7.4 PRODID and VERSION:2.0 exactly once; §3.6 CALSCALE/METHOD at most once.
- §3.6.1-§3.6.6  required and at-most-once properties of VEVENT, VTODO, VJOURNAL, VFREEBUSY,
                 VTIMEZONE (and STANDARD/DAYLIGHT), VALARM; VALARM only inside VEVENT/VTODO.
- §3.6.1         DTEND and DURATION mutually exclusive; DTSTART required without METHOD;
                 DURATION in days/weeks when DTSTART is a DATE.
- §3.8.2.2       DTEND of the DTSTART value type, and later than DTSTART (equal: warning).
- §3.6.2, §3.8.2.3  DUE and DURATION mutually exclusive, DURATION needs DTSTART, DUE of the
                 DTSTART value type and not before it.
- §3.2.20, §3.3.4, §3.3.5  values that do not parse as their type; a DATE without VALUE=DATE
                 (or VALUE=DATE on a DATE-TIME).
- §3.2.19, §3.6.5  a TZID parameter without a VTIMEZONE of that TZID; TZID on a UTC time;
                 duplicate VTIMEZONE TZIDs.
- §3.8.7.1-3, §3.8.2.1  DTSTAMP, CREATED, LAST-MODIFIED, COMPLETED in UTC.
- §3.3.11        TEXT escaping: only ``\\\\ \\; \\, \\n \\N``; unescaped ``;`` and ``,``
                 (``,`` allowed as separator in CATEGORIES/RESOURCES).
- §3.8.4.4, §3.8.5.1, §3.8.5.2  RECURRENCE-ID, EXDATE, RDATE of the DTSTART value type.
- §3.3.10, §3.8.5.3  RRULE parses, has FREQ, not both COUNT and UNTIL, UNTIL matches DTSTART;
                 more than one RRULE is a warning.
- §3.8.4.7       UID + RECURRENCE-ID unique within the object.
- §3.6.6, §3.8.6.3  VALARM: ACTION and TRIGGER; DISPLAY needs DESCRIPTION; EMAIL needs
                 DESCRIPTION, SUMMARY, ATTENDEE; DURATION and REPEAT together; absolute TRIGGER in UTC.

Never raises for bad input: bad dates, unbalanced components, binary garbage become findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from icalendar import Calendar
from icalendar.parser.content_line import Contentline
from icalendar.parser.ical import CalendarIcalParser
from icalendar.prop import vBroken, vDDDLists

from conformance.files import LineRules, LogicalLine, scan_content_lines
from conformance.findings import ERROR, WARNING, Finding, Verdict

__all__ = ["LINE_RULES", "ParsedCalendar", "parse_icalendar", "validate_icalendar"]


def _c(section: str) -> str:
    return f"RFC 5545 §{section}"


LINE_RULES = LineRules(
    kind="icalendar", crlf=_c("3.1"), length=_c("3.1"), charset=_c("3.1.4"), control=_c("3.1")
)
CLAUSE_LINES = LINE_RULES

# --- tolerant parsing -----------------------------------------------------------------------------


class _TolerantParser(CalendarIcalParser):
    """The library's calendar parser, but every component keeps going on errors.

    Broken property values become ``vBroken`` (with the parse error) in every component, not only
    in VEVENT; lines that do not parse, properties outside any component and stray END lines are
    skipped (the raw scan reports them with line numbers); unclosed components are closed at the
    end so that their content is still judged.
    """

    def handle_line_parse_error(self, exception: Exception) -> None:
        pass  # reported with its line number by the raw scan

    def handle_end_component(self, vals: str) -> None:
        if not self._stack:
            return
        try:
            super().handle_end_component(vals)
        except Exception:  # noqa: BLE001
            # The library caches each VTIMEZONE as it closes and fails on a broken one (no or a
            # bad DTSTART); the component is already attached, and its rules are judged later.
            pass

    def handle_property(self, name, params, vals, line) -> None:
        if self.component is None:
            return  # reported by the raw scan
        super().handle_property(name, params, vals, line)

    def handle_property_parse_error(self, exception, name, params, val, line) -> None:
        factory = self.get_factory_for_property(name, params)
        broken = vBroken.from_parse_error(
            raw_value=val,
            params=params,
            property_name=name,
            expected_type=getattr(factory, "__name__", "unknown"),
            error=exception,
        )
        self.component.errors.append((name, str(exception)))
        self.component.add(name, broken, encode=0)

    def _close_open(self) -> None:
        while self._stack:
            self.handle_end_component(self._stack[-1].name or "")

    def parse(self):
        self.initialize_parsing()
        self.parse_content_lines()
        self._close_open()
        self.prepare_components()  # may re-parse (forward VTIMEZONE references)
        self._close_open()
        return self._components


@dataclass
class _RawProp:
    name: str
    line: int
    text: str  # the unfolded content line


@dataclass
class _RawNode:
    name: str
    line: int
    props: list[_RawProp] = field(default_factory=list)
    children: list[_RawNode] = field(default_factory=list)


@dataclass
class ParsedCalendar:
    """The outcome of :func:`parse_icalendar`.

    ``components``: the top-level components (normally VCALENDARs) as ``icalendar`` objects, or
    empty when the library could not parse at all (then ``error`` holds its message);
    ``findings``: byte-level and structural findings (with line numbers); ``locate``: maps
    ``(id(component), PROPERTY, occurrence)`` to a line number where known.
    """

    components: list = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    raw: list[_RawNode] = field(default_factory=list)
    _nodes: dict[int, _RawNode] = field(default_factory=dict)

    def line_of(self, component, prop: str | None = None, occurrence: int = 0) -> int | None:
        node = self._nodes.get(id(component))
        if node is None:
            return None
        if prop is None:
            return node.line
        hits = [p.line for p in node.props if p.name == prop]
        if not hits:
            return node.line
        return hits[min(occurrence, len(hits) - 1)]


def _raw_tree(lines: list[LogicalLine], findings: list[Finding]) -> list[_RawNode]:
    """Nest the logical lines by BEGIN/END the way the tolerant parser does (for line numbers)."""
    roots: list[_RawNode] = []
    stack: list[_RawNode] = []
    for ll in lines:
        try:
            name, _params, value = Contentline(ll.text).parts()
        except Exception as exc:  # noqa: BLE001 - the library raises ValueError and others
            findings.append(
                Finding(ERROR, _c("3.1"), f"content line does not parse: {_short(str(exc))}", line=ll.line)
            )
            continue
        uname = name.upper()
        if uname == "BEGIN":
            stack.append(_RawNode(value.upper(), ll.line))
        elif uname == "END":
            if not stack:
                findings.append(
                    Finding(ERROR, _c("3.6"), f"END:{value} without a matching BEGIN", line=ll.line)
                )
                continue
            node = stack.pop()
            if node.name != value.upper():
                findings.append(
                    Finding(
                        ERROR,
                        _c("3.6"),
                        f"END:{value} closes BEGIN:{node.name} of line {node.line}",
                        line=ll.line,
                        component=node.name,
                    )
                )
            (stack[-1].children if stack else roots).append(node)
        elif not stack:
            findings.append(
                Finding(ERROR, _c("3.4"), "property outside any component", line=ll.line, property=uname)
            )
        else:
            stack[-1].props.append(_RawProp(uname, ll.line, ll.text))
    while stack:
        node = stack.pop()
        findings.append(
            Finding(
                ERROR,
                _c("3.6"),
                f"BEGIN:{node.name} is never closed by END:{node.name}",
                line=node.line,
                component=node.name,
            )
        )
        (stack[-1].children if stack else roots).append(node)
    return roots


def _pair(components, nodes, out: dict[int, _RawNode]) -> None:
    for comp, node in zip(components, nodes):
        if (comp.name or "").upper() != node.name:
            return  # trees diverge: stop attributing lines rather than attribute wrongly
        out[id(comp)] = node
        _pair(comp.subcomponents, node.children, out)


def parse_icalendar(data: bytes) -> ParsedCalendar:
    """Scan the bytes (RFC 5545 §3.1) and parse them with the ``icalendar`` library, tolerantly.

    Never raises: a library failure is kept in ``ParsedCalendar.error``.
    """
    result = ParsedCalendar()
    scan = scan_content_lines(data, LINE_RULES)
    result.findings.extend(scan.findings)
    result.raw = _raw_tree(scan.lines, result.findings)
    text = "\r\n".join(ll.text for ll in scan.lines) + "\r\n"
    try:
        parser = _TolerantParser(text, Calendar._get_component_factory(), Calendar.types_factory)
        result.components = parser.parse()
    except Exception as exc:  # noqa: BLE001 - any library failure is a finding, not a crash
        result.error = f"{type(exc).__name__}: {_short(str(exc))}"
        result.components = []
    _pair(result.components, result.raw, result._nodes)
    return result


# --- helpers -------------------------------------------------------------------------------------


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _values(comp, name: str) -> list:
    value = comp.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _dt(prop):
    """The parsed date/datetime of a vDDDTypes property, or None when broken / not a date."""
    if prop is None or isinstance(prop, vBroken):
        return None
    try:
        value = prop.dt
    except Exception:  # noqa: BLE001
        return None
    return value if isinstance(value, date) else None


def _dts(prop) -> list:
    """The dates/datetimes of an EXDATE/RDATE (vDDDLists), skipping periods."""
    if prop is None or isinstance(prop, vBroken) or not isinstance(prop, vDDDLists):
        return []
    out = []
    for item in prop.dts:
        value = _dt(item)
        if value is not None:
            out.append(value)
    return out


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _kind(value) -> str:
    return "DATE" if _is_date(value) else "DATE-TIME"


def _is_utc(value, params) -> bool:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return False
    if params is not None and "TZID" in params:
        return False
    return value.utcoffset() == timedelta(0)


_TYPE_CLAUSE = {
    "vRecur": "3.3.10",
    "vDuration": "3.3.6",
    "vInt": "3.3.8",
    "vFloat": "3.3.7",
    "vGeo": "3.8.1.6",
    "vPeriod": "3.3.9",
    "vUTCOffset": "3.3.14",
    "vCalAddress": "3.3.3",
    "vUri": "3.3.13",
    "vBoolean": "3.3.2",
    "vBinary": "3.3.1",
    "vTime": "3.3.12",
    "vCategory": "3.8.1.2",
}

_DATE_PROPS = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID")
_DATE_LIST_PROPS = ("EXDATE", "RDATE")
_UTC_PROPS = {
    "DTSTAMP": "3.8.7.2",
    "CREATED": "3.8.7.1",
    "LAST-MODIFIED": "3.8.7.3",
    "COMPLETED": "3.8.2.1",
}

# properties that MUST NOT occur more than once, per component (RFC 5545 §3.6.x grammar)
_ONCE = {
    "VEVENT": ("3.6.1", "DTSTAMP UID DTSTART CLASS CREATED DESCRIPTION GEO LAST-MODIFIED LOCATION "
               "ORGANIZER PRIORITY SEQUENCE STATUS SUMMARY TRANSP URL RECURRENCE-ID DTEND DURATION"),
    "VTODO": ("3.6.2", "DTSTAMP UID CLASS COMPLETED CREATED DESCRIPTION DTSTART GEO LAST-MODIFIED "
              "LOCATION ORGANIZER PERCENT-COMPLETE PRIORITY RECURRENCE-ID SEQUENCE STATUS SUMMARY "
              "URL DUE DURATION"),
    "VJOURNAL": ("3.6.3", "DTSTAMP UID CLASS CREATED DTSTART LAST-MODIFIED ORGANIZER RECURRENCE-ID "
                 "SEQUENCE STATUS SUMMARY URL"),
    "VFREEBUSY": ("3.6.4", "DTSTAMP UID CONTACT DTSTART DTEND ORGANIZER URL"),
    "VTIMEZONE": ("3.6.5", "TZID LAST-MODIFIED TZURL"),
    "STANDARD": ("3.6.5", "DTSTART TZOFFSETTO TZOFFSETFROM"),
    "DAYLIGHT": ("3.6.5", "DTSTART TZOFFSETTO TZOFFSETFROM"),
    "VALARM": ("3.6.6", "ACTION TRIGGER DURATION REPEAT"),
}

# TEXT-valued properties whose raw value we check for escaping (§3.3.11)
_TEXT_PROPS = {"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CONTACT", "TZNAME"}
_TEXT_LIST_PROPS = {"CATEGORIES", "RESOURCES"}


# --- the validator -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, parsed: ParsedCalendar) -> None:
        self.parsed = parsed
        self.tzids: set[str] | None = None
        self.findings: list[Finding] = list(parsed.findings)

    def add(self, severity, section, message, comp=None, prop=None, occurrence=0, line=None) -> None:
        if line is None and comp is not None:
            line = self.parsed.line_of(comp, prop, occurrence)
        name = (comp.name or None) if comp is not None else None
        self.findings.append(Finding(severity, _c(section), message, line, name, prop))

    # -- top level

    def run(self) -> list[Finding]:
        parsed = self.parsed
        if parsed.error is not None:
            self.add(ERROR, "3.4", f"the iCalendar parser gave up: {parsed.error}")
            return self.findings
        if not parsed.components:
            self.add(ERROR, "3.4", "no iCalendar object (BEGIN:VCALENDAR ... END:VCALENDAR) found")
        for top in parsed.components:
            if (top.name or "").upper() != "VCALENDAR":
                self.add(ERROR, "3.4", f"top-level component is {top.name}, not VCALENDAR", top)
                self.tzids = None  # a bare component: its TZIDs cannot be resolved, do not report them
                if (top.name or "").upper() == "VALARM":
                    self.alarm(top)
                else:
                    self.component(top, has_method=True)
                for comp in top.walk():
                    self.generic(comp)
                continue
            self.calendar(top)
        for node in parsed.raw:
            self.escaping(node)
        return self.findings

    def calendar(self, cal) -> None:
        versions = _values(cal, "VERSION")
        if not versions:
            self.add(ERROR, "3.7.4", "VERSION is required in VCALENDAR", cal)
        elif str(versions[0]) != "2.0":
            self.add(ERROR, "3.7.4", f"VERSION is {str(versions[0])!r}, not '2.0'", cal, "VERSION")
        if not _values(cal, "PRODID"):
            self.add(ERROR, "3.7.3", "PRODID is required in VCALENDAR", cal)
        for name in ("VERSION", "PRODID", "CALSCALE", "METHOD"):
            if len(_values(cal, name)) > 1:
                self.add(ERROR, "3.6", f"{name} occurs more than once in VCALENDAR", cal, name, 1)
        if not cal.subcomponents:
            self.add(ERROR, "3.6", "VCALENDAR contains no calendar component", cal)

        tzids = Counter()
        for sub in cal.subcomponents:
            if sub.name == "VTIMEZONE":
                for tzid in _values(sub, "TZID")[:1]:
                    tzids[str(tzid)] += 1
        for tzid, count in tzids.items():
            if count > 1:
                self.add(ERROR, "3.6.5", f"{count} VTIMEZONE components with TZID {tzid!r}", cal)
        self.tzids = set(tzids)
        has_method = bool(_values(cal, "METHOD"))

        seen: dict[tuple, object] = {}
        for sub in cal.subcomponents:
            name = (sub.name or "").upper()
            self.component(sub, has_method)
            if name in ("VEVENT", "VTODO", "VJOURNAL"):
                uid = _values(sub, "UID")
                if uid:
                    rid = _dt(_values(sub, "RECURRENCE-ID")[0]) if _values(sub, "RECURRENCE-ID") else None
                    key = (str(uid[0]), rid.isoformat() if rid is not None else None)
                    if key in seen:
                        self.add(
                            ERROR,
                            "3.8.4.7",
                            f"UID {key[0]!r} used by more than one component"
                            + (f" with RECURRENCE-ID {key[1]}" if key[1] else " without RECURRENCE-ID"),
                            sub,
                            "UID",
                        )
                    seen[key] = sub
        for comp in cal.walk():
            self.generic(comp)

    def component(self, sub, has_method: bool) -> None:
        """The rules of one calendar component (a direct child of VCALENDAR)."""
        name = (sub.name or "").upper()
        if name == "VEVENT":
            self.event(sub, has_method)
        elif name == "VTODO":
            self.todo(sub)
        elif name == "VJOURNAL":
            self.required(sub, "3.6.3", ("UID", "DTSTAMP"))
            self.recurrence(sub)
        elif name == "VFREEBUSY":
            self.required(sub, "3.6.4", ("UID", "DTSTAMP"))
        elif name == "VTIMEZONE":
            self.timezone(sub)
        elif name == "VALARM":
            self.add(ERROR, "3.6.6", "VALARM directly inside VCALENDAR", sub)

    # -- rules for every component

    def required(self, comp, section, names) -> None:
        for name in names:
            if not _values(comp, name):
                self.add(ERROR, section, f"{name} is required in {comp.name}", comp)

    def generic(self, comp) -> None:
        name = (comp.name or "").upper()
        if name in _ONCE:
            section, props = _ONCE[name]
            for prop in props.split():
                if len(_values(comp, prop)) > 1:
                    self.add(ERROR, section, f"{prop} MUST NOT occur more than once in {name}", comp, prop, 1)
        occurrences: Counter = Counter()
        for prop_name, value in comp.property_items(recursive=False, sorted=False):
            prop_name = prop_name.upper()
            if prop_name in ("BEGIN", "END"):
                continue
            occ = occurrences[prop_name]
            occurrences[prop_name] += 1
            params = getattr(value, "params", None) or {}
            if isinstance(value, vBroken):
                expected = value.expected_type or "unknown"
                if expected in ("vDDDTypes", "vDDDLists", "vDatetime", "vDate"):
                    declared = str(params.get("VALUE", "")).upper()
                    if declared == "DATE":
                        section = "3.3.4"
                    elif declared == "PERIOD":
                        section = "3.3.9"
                    elif prop_name == "DURATION" or (prop_name == "TRIGGER" and declared != "DATE-TIME"):
                        section = "3.3.6"
                    else:
                        section = "3.3.5"
                else:
                    section = _TYPE_CLAUSE.get(expected, "3.3")
                self.add(
                    ERROR,
                    section,
                    f"{prop_name} value {_short(str(value), 60)!r} does not parse "
                    f"({expected}): {_short(str(value.parse_error))}",
                    comp,
                    prop_name,
                    occ,
                )
                continue
            tzid = params.get("TZID")
            if tzid is not None and self.tzids is not None and str(tzid) not in self.tzids:
                self.add(
                    ERROR,
                    "3.2.19",
                    f"TZID={tzid} has no VTIMEZONE with that TZID in this VCALENDAR",
                    comp,
                    prop_name,
                    occ,
                )
            if prop_name in _DATE_PROPS or prop_name in _DATE_LIST_PROPS:
                self.value_type(comp, prop_name, value, params, occ)
            if prop_name in _UTC_PROPS:
                dt = _dt(value)
                if dt is not None and not _is_utc(dt, params):
                    self.add(
                        ERROR,
                        _UTC_PROPS[prop_name],
                        f"{prop_name} MUST be a DATE-TIME in UTC, got {_show(dt, params)}",
                        comp,
                        prop_name,
                        occ,
                    )

    def value_type(self, comp, prop_name, value, params, occ) -> None:
        declared = str(params.get("VALUE", "DATE-TIME")).upper()
        if declared == "PERIOD":
            return
        values = _dts(value) if prop_name in _DATE_LIST_PROPS else [_dt(value)]
        for dt in values:
            if dt is None:
                continue
            if _is_date(dt) and declared != "DATE":
                self.add(
                    ERROR,
                    "3.2.20",
                    f"{prop_name} value {dt.isoformat()} is a DATE but VALUE=DATE is missing "
                    "(the default value type is DATE-TIME)",
                    comp,
                    prop_name,
                    occ,
                )
                return
            if not _is_date(dt) and declared == "DATE":
                self.add(
                    ERROR,
                    "3.3.4",
                    f"{prop_name} has VALUE=DATE but the value {dt.isoformat()} is a DATE-TIME",
                    comp,
                    prop_name,
                    occ,
                )
                return

    # -- VEVENT, VTODO

    def event(self, ev, has_method: bool) -> None:
        self.required(ev, "3.6.1", ("UID", "DTSTAMP"))
        start_p = _values(ev, "DTSTART")
        if not start_p and not has_method:
            self.add(ERROR, "3.6.1", "DTSTART is required in VEVENT when VCALENDAR has no METHOD", ev)
        if _values(ev, "DTEND") and _values(ev, "DURATION"):
            self.add(ERROR, "3.6.1", "DTEND and DURATION MUST NOT both occur in VEVENT", ev, "DURATION")
        start = _dt(start_p[0]) if start_p else None
        end_p = _values(ev, "DTEND")
        if start is not None and end_p:
            end = _dt(end_p[0])
            if end is not None:
                self.order(ev, "3.8.2.2", "DTEND", start, end, allow_equal=False)
        dur_p = _values(ev, "DURATION")
        if start is not None and _is_date(start) and dur_p and not isinstance(dur_p[0], vBroken):
            dur = getattr(dur_p[0], "dt", None)
            if isinstance(dur, timedelta) and dur.seconds:
                self.add(
                    ERROR,
                    "3.6.1",
                    f"DTSTART is a DATE, so DURATION MUST be in days or weeks, got {dur_p[0].to_ical().decode()}",
                    ev,
                    "DURATION",
                )
        self.recurrence(ev)
        self.alarms(ev)

    def todo(self, todo) -> None:
        self.required(todo, "3.6.2", ("UID", "DTSTAMP"))
        if _values(todo, "DUE") and _values(todo, "DURATION"):
            self.add(ERROR, "3.6.2", "DUE and DURATION MUST NOT both occur in VTODO", todo, "DURATION")
        start_p = _values(todo, "DTSTART")
        if _values(todo, "DURATION") and not start_p:
            self.add(ERROR, "3.6.2", "DURATION in VTODO requires DTSTART", todo, "DURATION")
        due_p = _values(todo, "DUE")
        if start_p and due_p:
            start, due = _dt(start_p[0]), _dt(due_p[0])
            if start is not None and due is not None:
                self.order(todo, "3.8.2.3", "DUE", start, due, allow_equal=True)
        self.recurrence(todo)
        self.alarms(todo)

    def order(self, comp, section, prop, start, end, allow_equal: bool) -> None:
        """``end`` (DTEND / DUE) has DTSTART's value type and is not before it."""
        if _kind(start) != _kind(end):
            self.add(
                ERROR,
                section,
                f"{prop} is a {_kind(end)} but DTSTART is a {_kind(start)}: value types MUST match",
                comp,
                prop,
            )
            return
        if isinstance(start, datetime) and (start.tzinfo is None) != (end.tzinfo is None):
            return  # floating vs zoned (or unresolvable TZID): not comparable
        try:
            if end < start:
                self.add(ERROR, section, f"{prop} {end.isoformat()} is before DTSTART {start.isoformat()}", comp, prop)
            elif end == start and not allow_equal:
                self.add(
                    WARNING,
                    section,
                    f"{prop} equals DTSTART ({start.isoformat()}); the RFC asks for a later {prop} "
                    "(zero-length events are common, so this is only a warning)",
                    comp,
                    prop,
                )
        except TypeError:
            pass

    def recurrence(self, comp) -> None:
        start_p = _values(comp, "DTSTART")
        start = _dt(start_p[0]) if start_p else None
        start_params = getattr(start_p[0], "params", {}) if start_p else {}
        if start is not None:
            for rid_p in _values(comp, "RECURRENCE-ID")[:1]:
                rid = _dt(rid_p)
                if rid is not None and _kind(rid) != _kind(start):
                    self.add(
                        ERROR,
                        "3.8.4.4",
                        f"RECURRENCE-ID is a {_kind(rid)} but DTSTART is a {_kind(start)}",
                        comp,
                        "RECURRENCE-ID",
                    )
            for name, section in (("EXDATE", "3.8.5.1"), ("RDATE", "3.8.5.2")):
                for occ, prop in enumerate(_values(comp, name)):
                    bad = [dt for dt in _dts(prop) if _kind(dt) != _kind(start)]
                    if bad:
                        self.add(
                            ERROR,
                            section,
                            f"{name} value {bad[0].isoformat()} is a {_kind(bad[0])} but DTSTART is a "
                            f"{_kind(start)}; the value types MUST match",
                            comp,
                            name,
                            occ,
                        )
        rrules = _values(comp, "RRULE")
        if len(rrules) > 1:
            self.add(WARNING, "3.8.5.3", "RRULE SHOULD NOT occur more than once", comp, "RRULE", 1)
        for occ, rule in enumerate(rrules):
            if isinstance(rule, vBroken):
                continue  # reported as a value that does not parse
            if "FREQ" not in rule:
                self.add(ERROR, "3.3.10", "RRULE has no FREQ rule part", comp, "RRULE", occ)
            if "COUNT" in rule and "UNTIL" in rule:
                self.add(ERROR, "3.3.10", "RRULE has both COUNT and UNTIL", comp, "RRULE", occ)
            if start is not None and "UNTIL" in rule:
                until = rule["UNTIL"][0] if rule["UNTIL"] else None
                if isinstance(until, date):
                    if _kind(until) != _kind(start):
                        self.add(
                            ERROR,
                            "3.3.10",
                            f"RRULE UNTIL is a {_kind(until)} but DTSTART is a {_kind(start)}",
                            comp,
                            "RRULE",
                            occ,
                        )
                    elif isinstance(start, datetime):
                        start_local = start.tzinfo is None and "TZID" not in start_params
                        until_utc = until.tzinfo is not None
                        if not start_local and not until_utc:
                            self.add(
                                ERROR,
                                "3.3.10",
                                "DTSTART is UTC or has a TZID, so RRULE UNTIL MUST be in UTC",
                                comp,
                                "RRULE",
                                occ,
                            )
                        elif start_local and until_utc:
                            self.add(
                                ERROR,
                                "3.3.10",
                                "DTSTART is a floating (local) time, so RRULE UNTIL MUST be local too",
                                comp,
                                "RRULE",
                                occ,
                            )

    def alarms(self, comp) -> None:
        for alarm in comp.subcomponents:
            if (alarm.name or "").upper() == "VALARM":
                self.alarm(alarm)
        # VALARM below anything but VEVENT/VTODO
        for sub in comp.subcomponents:
            for deeper in sub.subcomponents:
                if (deeper.name or "").upper() == "VALARM":
                    self.add(ERROR, "3.6.6", f"VALARM inside {sub.name}", deeper)

    def alarm(self, alarm) -> None:
        self.required(alarm, "3.6.6", ("ACTION", "TRIGGER"))
        actions = _values(alarm, "ACTION")
        action = str(actions[0]).upper() if actions else ""
        if action == "DISPLAY":
            self.required(alarm, "3.6.6", ("DESCRIPTION",))
        elif action == "EMAIL":
            self.required(alarm, "3.6.6", ("DESCRIPTION", "SUMMARY", "ATTENDEE"))
        if bool(_values(alarm, "DURATION")) != bool(_values(alarm, "REPEAT")):
            self.add(ERROR, "3.6.6", "DURATION and REPEAT MUST both occur or neither", alarm)
        for trigger in _values(alarm, "TRIGGER")[:1]:
            params = getattr(trigger, "params", {}) or {}
            if str(params.get("VALUE", "")).upper() == "DATE-TIME":
                dt = _dt(trigger)
                if dt is not None and not _is_utc(dt, params):
                    self.add(ERROR, "3.8.6.3", "an absolute TRIGGER MUST be in UTC", alarm, "TRIGGER")

    def timezone(self, tz) -> None:
        self.required(tz, "3.6.5", ("TZID",))
        rules = [s for s in tz.subcomponents if (s.name or "").upper() in ("STANDARD", "DAYLIGHT")]
        if not rules:
            self.add(ERROR, "3.6.5", "VTIMEZONE needs at least one STANDARD or DAYLIGHT", tz)
        for rule in rules:
            self.required(rule, "3.6.5", ("DTSTART", "TZOFFSETTO", "TZOFFSETFROM"))
            for start_p in _values(rule, "DTSTART")[:1]:
                dt = _dt(start_p)
                params = getattr(start_p, "params", {}) or {}
                if isinstance(dt, datetime) and (dt.tzinfo is not None or "TZID" in params):
                    self.add(
                        ERROR,
                        "3.8.2.4",
                        f"DTSTART in {rule.name} MUST be a local time (no UTC, no TZID)",
                        rule,
                        "DTSTART",
                    )

    # -- TEXT escaping (raw values)

    def escaping(self, node: _RawNode) -> None:
        for prop in node.props:
            is_list = prop.name in _TEXT_LIST_PROPS
            if prop.name not in _TEXT_PROPS and not is_list:
                continue
            try:
                _name, params, raw = Contentline(prop.text).raw_parts()
            except Exception:  # noqa: BLE001 - reported by the raw scan
                continue
            if str(params.get("VALUE", "TEXT")).upper() != "TEXT":
                continue
            problem = text_escaping_problem(raw, allow_comma=is_list)
            if problem:
                self.findings.append(Finding(ERROR, _c("3.3.11"), problem, prop.line, node.name, prop.name))
        for prop in node.props:
            if prop.name in _DATE_PROPS + _DATE_LIST_PROPS:
                try:
                    _name, params, raw = Contentline(prop.text).raw_parts()
                except Exception:  # noqa: BLE001
                    continue
                if not raw.strip():
                    self.findings.append(
                        Finding(ERROR, _c("3.3.5"), f"{prop.name} has an empty value", prop.line, node.name, prop.name)
                    )
                if "TZID" in params and any(tok.strip().upper().endswith("Z") for tok in raw.split(",")):
                    self.findings.append(
                        Finding(
                            ERROR,
                            _c("3.2.19"),
                            f"TZID={params['TZID']} on a UTC time ({_short(raw, 40)}): TZID MUST NOT be "
                            "applied to UTC values",
                            prop.line,
                            node.name,
                            prop.name,
                        )
                    )
        for child in node.children:
            self.escaping(child)


def text_escaping_problem(raw: str, allow_comma: bool = False) -> str | None:
    """The first TEXT escaping problem of a raw (still escaped) value, or None (RFC 5545 §3.3.11).

    ``ESCAPED-CHAR = "\\\\" / "\\;" / "\\," / "\\N" / "\\n"``; ``TSAFE-CHAR`` excludes ``;`` and
    ``,``. With ``allow_comma`` (multi-valued TEXT such as CATEGORIES) a bare comma separates values.
    """
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\\":
            if i + 1 >= n:
                return "TEXT value ends with a lone backslash"
            nxt = raw[i + 1]
            if nxt not in "\\;,nN":
                return f"invalid escape sequence '\\{nxt}' in TEXT (only \\\\ \\; \\, \\n \\N are allowed)"
            i += 2
            continue
        if ch == ";":
            return "unescaped ';' in TEXT (MUST be written as '\\;')"
        if ch == "," and not allow_comma:
            return "unescaped ',' in TEXT (MUST be written as '\\,')"
        i += 1
    return None


def _show(dt, params) -> str:
    if _is_date(dt):
        return f"DATE {dt.isoformat()}"
    if "TZID" in (params or {}):
        return f"{dt.replace(tzinfo=None).isoformat()} with TZID={params['TZID']}"
    if dt.tzinfo is None:
        return f"floating {dt.isoformat()}"
    return dt.isoformat()


def validate_icalendar(data: bytes) -> Verdict:
    """Judge one iCalendar stream (RFC 5545) and return a :class:`Verdict` of kind ``"icalendar"``.

    Args:
        data: the raw bytes (a ``.ics`` file, a CalDAV resource body). Several VCALENDAR objects
            in one stream are each judged.

    Returns:
        ``Verdict(valid, findings, "icalendar")``; ``valid`` is False iff a finding is an error.
        Findings carry the clause (``"RFC 5545 §3.6.1"``), the 1-based line where known, the
        component and property names.

    Never raises for bad input (empty, binary, non-UTF-8, broken values, unbalanced components).
    """
    if not data or not data.strip():
        return Verdict.from_findings(
            "icalendar", [Finding(ERROR, _c("3.4"), "empty input: no iCalendar object")]
        )
    parsed = parse_icalendar(data)
    return Verdict.from_findings("icalendar", _Checker(parsed).run())
