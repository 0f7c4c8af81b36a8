"""RELAX NG validation of ODF XML parts against the OASIS schemas, strict and extended.

Public API::

    SCHEMA_FILES                     {"1.2": {"document": name, "manifest": name, "dsig": name}, ...}
    SUPPORTED_VERSIONS               ("1.2", "1.3", "1.4")
    schema_path(schema_dir, version, which="document") -> Path          raises SchemaMissing
    odf_namespaces(schema_dir, version) -> frozenset[str]               namespaces the schema defines
    strip_foreign(root, odf_ns) -> (stripped_root, ForeignCount)        foreign markup removed (copy)
    validate_part(data | root, *, part, schema_dir, version, which="document",
                  engine="auto", jing=find_jing(), timeout=JING_TIMEOUT) -> PartResult
    run_jing(schema, data, *, jing, timeout) -> JingRun                 one jing run over bytes (stdin)
    find_jing() -> list[str] | None                                     the command that runs jing
    lxml_trusted(root) -> str | None                                    why lxml cannot be trusted, or None
    SchemaMissing(FileNotFoundError)

Two levels (ODF 1.2 Part 1 / ODF 1.3 Part 3 §2.2 document conformance, §3.17 foreign elements and
attributes):

- *strict*: the part as it is must be valid against the schema of its ``office:version``.
- *extended*: the part must be valid once every foreign element and attribute (a namespace that
  the schema does not define) is set aside: foreign attributes are dropped; a foreign element is
  replaced by its content when ``office:process-content="true"``, or when that attribute is absent
  and the element sits directly in a ``text:p`` / ``text:h`` (its text is then processed, §3.17);
  otherwise it is dropped with its content.

Engines. ``jing -i`` is the reference. libxml2/lxml RELAX NG is used as a fast path only where it
gives jing's verdicts; per the schemas' NOTICE.md lxml falsely rejects documents that put
``text:bookmark-ref``, ``text:reference-ref`` or the statistics fields inside ``text:span``, and is
roughly cubic in the rows of large spreadsheets. :func:`lxml_trusted` spots both cases (and any
part larger than :data:`LXML_MAX_BYTES`), and ``engine="auto"`` then runs jing instead
(``java -Xss64m -jar jing.jar -i``: long ``draw:points`` values need the large stack). When jing is
missing there, lxml's verdict is reported with a warning that says it is unconfirmed.

Nothing here touches the network. jing is a local subprocess, fed the part on stdin, with a timeout;
nothing of the package is written to disk.
"""

from __future__ import annotations

import copy as _copy
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from conformance.findings import ERROR, WARNING, Finding
from conformance.xml import XMLProblem, parse_xml

__all__ = [
    "JING_TIMEOUT",
    "LXML_MAX_BYTES",
    "LXML_MAX_ROWS",
    "SCHEMA_FILES",
    "SUPPORTED_VERSIONS",
    "ForeignCount",
    "JingRun",
    "PartResult",
    "SchemaMissing",
    "find_jing",
    "lxml_trusted",
    "odf_namespaces",
    "run_jing",
    "schema_path",
    "strip_foreign",
    "validate_part",
]

#: The OASIS file names per version (the layout of ``../shared/odf-schemas`` and of the user cache:
#: ``<dir>/<version>/<name>``).
SCHEMA_FILES: dict[str, dict[str, str]] = {
    "1.2": {
        "document": "OpenDocument-v1.2-os-schema.rng",
        "manifest": "OpenDocument-v1.2-os-manifest-schema.rng",
        "dsig": "OpenDocument-v1.2-os-dsig-schema.rng",
    },
    "1.3": {
        "document": "OpenDocument-v1.3-schema.rng",
        "manifest": "OpenDocument-v1.3-manifest-schema.rng",
        "dsig": "OpenDocument-v1.3-dsig-schema.rng",
    },
    "1.4": {
        "document": "OpenDocument-v1.4-schema.rng",
        "manifest": "OpenDocument-v1.4-manifest-schema.rng",
        "dsig": "OpenDocument-v1.4-dsig-schema.rng",
    },
}
SUPPORTED_VERSIONS = tuple(SCHEMA_FILES)

JING_TIMEOUT = 300.0  # seconds for one jing run (a 4,000-row sheet takes a few seconds)
LXML_MAX_ROWS = 1000  # table rows above which lxml is too slow (cubic); jing instead
LXML_MAX_BYTES = 8 * 1024 * 1024  # parts larger than this go to jing
LXML_MAX_STATISTIC_ATTRIBUTES = 11  # measured: 12 take 0.05 s, 15 take 3.6 s
MAX_FINDINGS_PER_PART = 10  # schema errors reported per part and level, then a summary
_MAX_MESSAGE = 400  # jing lists every allowed attribute; keep messages readable

RNG_NS = "http://relaxng.org/ns/structure/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_NOT_ODF = {RNG_NS, "http://relaxng.org/ns/compatibility/annotations/1.0", "http://www.w3.org/2001/XMLSchema-datatypes"}

# elements that libxml2 rejects inside text:span although the schema allows them (NOTICE.md)
_LXML_FALSE_REJECT_IN_SPAN = frozenset(
    f"{{{TEXT_NS}}}{name}"
    for name in (
        "bookmark-ref", "reference-ref", "note-ref", "sequence-ref",
        "page-count", "paragraph-count", "word-count", "character-count",
        "table-count", "image-count", "object-count",
    )
)
_SPAN = f"{{{TEXT_NS}}}span"
_DOC_STATISTIC = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}document-statistic"
_ROW = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table-row"
_PROCESS_CONTENT = f"{{{OFFICE_NS}}}process-content"
_TEXT_PARAGRAPHS = frozenset({f"{{{TEXT_NS}}}p", f"{{{TEXT_NS}}}h"})


class SchemaMissing(FileNotFoundError):
    """The schema folder lacks the file for a version (message names the file and what to do)."""


def schema_path(schema_dir: str | os.PathLike, version: str, which: str = "document") -> Path:
    """``<schema_dir>/<version>/<OASIS name>`` for ``which`` in ``document``, ``manifest``, ``dsig``.

    Raises:
        SchemaMissing: unsupported version, or the file is not there.
    """
    if version not in SCHEMA_FILES:
        raise SchemaMissing(f"no OASIS schema for ODF {version} (supported: {', '.join(SUPPORTED_VERSIONS)})")
    path = Path(schema_dir) / version / SCHEMA_FILES[version][which]
    if not path.is_file():
        raise SchemaMissing(
            f"ODF {version} {which} schema not found at {path}: point OVERSTAP_ODF_SCHEMAS at a folder holding "
            "<version>/<OASIS file name>, or run `overstap schemas download`"
        )
    return path


# -- schema cache --------------------------------------------------------------------------------------------
_lock = threading.Lock()
_grammars: dict[Path, etree.RelaxNG] = {}
_namespaces: dict[Path, frozenset[str]] = {}


def _schema_tree(path: Path) -> etree._Element:
    return parse_xml(path.read_bytes(), max_bytes=None)


def _grammar(path: Path) -> etree.RelaxNG:
    key = path.resolve()
    with _lock:
        grammar = _grammars.get(key)
        if grammar is None:
            grammar = etree.RelaxNG(_schema_tree(key).getroottree())
            _grammars[key] = grammar
        return grammar


def odf_namespaces(schema_dir: str | os.PathLike, version: str, which: str = "document") -> frozenset[str]:
    """The namespaces the schema of ``version`` defines (its namespace declarations, plus ``xml``).

    Everything else is *foreign* (ODF 1.3 Part 3 §3.17). Raises :class:`SchemaMissing`.
    """
    path = schema_path(schema_dir, version, which).resolve()
    with _lock:
        found = _namespaces.get(path)
    if found is None:
        root = _schema_tree(path)
        names = {ns for ns in root.nsmap.values() if ns} | {XML_NS}
        for el in root.iter(f"{{{RNG_NS}}}*"):  # ns="..." attributes of the grammar, if any
            if el.get("ns"):
                names.add(el.get("ns"))
        found = frozenset(names - _NOT_ODF)
        with _lock:
            _namespaces[path] = found
    return found


# -- foreign markup ----------------------------------------------------------------------------------------
@dataclass
class ForeignCount:
    """Foreign markup set aside by :func:`strip_foreign`: counts and the first few names with lines."""

    elements: int = 0
    attributes: int = 0
    examples: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.elements or self.attributes)

    def note(self, what: str, line: int | None) -> None:
        if len(self.examples) < 3:
            self.examples.append(f"{what} (line {line})" if line else what)


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _qname(el: etree._Element, tag: str) -> str:
    ns, local = _ns(tag), tag.rsplit("}", 1)[-1]
    for prefix, uri in (el.nsmap or {}).items():
        if uri == ns and prefix:
            return f"{prefix}:{local}"
    return f"{{{ns}}}{local}" if ns else local


def strip_foreign(root: etree._Element, odf_ns: frozenset[str]) -> tuple[etree._Element, ForeignCount]:
    """A copy of ``root`` without foreign elements and attributes (ODF 1.3 Part 3 §3.17).

    Foreign attributes are removed. A foreign element is replaced by its (recursively cleaned)
    content when ``office:process-content="true"``, or when the attribute is absent and its parent
    is ``text:p`` or ``text:h``; otherwise it is removed with its content; elements are judged in document order, so the children of an
    unwrapped element are judged by their new parent. Comments and processing
    instructions stay (RELAX NG ignores them). Source line numbers of kept elements are preserved.
    """
    copy = _copy.deepcopy(root)  # a deep copy keeps source line numbers (tostring would not)
    count = ForeignCount()

    def foreign(tag) -> bool:
        return isinstance(tag, str) and _ns(tag) not in odf_ns

    # attributes first (on every element, foreign or not)
    for el in copy.iter():
        if not isinstance(el.tag, str):
            continue
        for name in [a for a in el.attrib if _ns(a) and _ns(a) not in odf_ns]:
            count.attributes += 1
            count.note(f"attribute {_qname(el, name)}", el.sourceline)
            del el.attrib[name]

    # elements in document order: an unwrapped element's children move up and are judged by their new parent
    for el in [e for e in copy.iter() if isinstance(e.tag, str) and foreign(e.tag)]:
        if el is not copy and el.getroottree().getroot() is not copy:
            continue  # inside a foreign element already dropped with its content
        count.elements += 1
        count.note(f"element {_qname(el, el.tag)}", el.sourceline)
        parent = el.getparent()
        if parent is None:  # a foreign root: nothing left to validate against ODF
            continue
        process = el.get(_PROCESS_CONTENT)
        unwrap = process == "true" or (process is None and parent.tag in _TEXT_PARAGRAPHS)
        _remove(el, keep_content=unwrap)
    return copy, count


def _append_text(parent: etree._Element, prev: etree._Element | None, text: str | None) -> None:
    if not text:
        return
    if prev is None:
        parent.text = (parent.text or "") + text
    else:
        prev.tail = (prev.tail or "") + text


def _remove(el: etree._Element, *, keep_content: bool) -> None:
    parent = el.getparent()
    prev = el.getprevious()
    index = parent.index(el)
    tail = el.tail
    if keep_content:
        _append_text(parent, prev, el.text)
        children = list(el)
        for offset, child in enumerate(children):
            parent.insert(index + offset, child)  # moves the child (with its tail)
        prev = children[-1] if children else prev
    parent.remove(el)
    _append_text(parent, prev, tail)


# -- engines -------------------------------------------------------------------------------------------------
def lxml_trusted(root: etree._Element, size: int = 0) -> str | None:
    """``None`` when lxml gives jing's verdict for this part; else the reason it does not.

    Reasons (NOTICE.md of the schemas, measured on the corpus): a ``text:span`` holding a
    reference or statistics field (lxml falsely rejects), more than :data:`LXML_MAX_ROWS` table rows,
    more than :data:`LXML_MAX_BYTES` bytes, or a ``meta:document-statistic`` with more than
    :data:`LXML_MAX_STATISTIC_ATTRIBUTES` attributes (lxml is too slow: exponential there).
    """
    if size > LXML_MAX_BYTES:
        return f"part is {size} bytes (lxml is slow on large parts)"
    rows = 0
    for el in root.iter(_ROW):
        rows += 1
        if rows > LXML_MAX_ROWS:
            return f"more than {LXML_MAX_ROWS} table rows (lxml is roughly cubic in rows)"
    for el in root.iter(_DOC_STATISTIC):
        if len(el.attrib) > LXML_MAX_STATISTIC_ATTRIBUTES:
            return (f"meta:document-statistic with {len(el.attrib)} attributes (lxml is exponential in the "
                    "attributes of this interleave: 15 take seconds)")
    for tag in _LXML_FALSE_REJECT_IN_SPAN:
        for el in root.iter(tag):
            if any(a.tag == _SPAN for a in el.iterancestors()):
                return f"{_qname(el, tag)} inside text:span (a known lxml false rejection)"
    return None


def find_jing() -> list[str] | None:
    """The command prefix that runs jing, or ``None``.

    ``$OVERSTAP_JING_JAR`` or ``/usr/share/java/jing.jar`` run by ``java -Xss64m -jar`` (the large
    stack long ``draw:points`` values need); else a ``jing`` program on PATH (Debian's wrapper does
    not pass -Xss through).
    """
    java = shutil.which("java")
    for jar in (os.environ.get("OVERSTAP_JING_JAR"), "/usr/share/java/jing.jar"):
        if java and jar and Path(jar).is_file():
            return [java, "-Xss64m", "-jar", jar]
    wrapper = shutil.which("jing")
    return [wrapper] if wrapper else None


@dataclass
class JingRun:
    """One jing run: ``valid`` is ``None`` when jing could not judge (``problem`` says why)."""

    valid: bool | None
    errors: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    problem: str | None = None


_JING_LINE = re.compile(r":(\d+):(\d+): (error|fatal|warning): (.*)$")


def parse_jing_output(text: str) -> list[tuple[int | None, int | None, str]]:
    """``[(line, column, message)]`` from jing's ``SYSTEM-ID:LINE:COL: error: MESSAGE`` lines."""
    errors = []
    for raw in text.splitlines():
        m = _JING_LINE.search(raw)
        if m and m.group(3) != "warning":
            errors.append((int(m.group(1)), int(m.group(2)), m.group(4).strip()))
        elif raw.strip() and not m and ("error" in raw.lower() or "exception" in raw.lower()):
            errors.append((None, None, raw.strip()))
    return errors


def run_jing(schema: Path, data: bytes, *, jing: list[str] | None, timeout: float = JING_TIMEOUT) -> JingRun:
    """Validate ``data`` with ``jing -i SCHEMA /dev/stdin``; never raises.

    ``valid`` is True (exit 0), False (exit 1 with error lines) or None (no jing, timeout, crash such
    as a StackOverflowError; ``problem`` says which).
    """
    if not jing:
        return JingRun(None, problem="jing not found (install Debian's jing and a JRE)")
    cmd = [*jing, "-i", str(schema), "/dev/stdin"]
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return JingRun(None, problem=f"jing timed out after {timeout:.0f} s")
    except OSError as exc:
        return JingRun(None, problem=f"jing could not run: {exc}")
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    if "StackOverflowError" in out or "OutOfMemoryError" in out:
        return JingRun(None, problem="jing ran out of stack or memory")
    if proc.returncode == 0:
        return JingRun(True)
    errors = parse_jing_output(out)
    if proc.returncode == 1 and errors:
        return JingRun(False, errors)
    return JingRun(None, problem=f"jing exited {proc.returncode}: {out.strip()[:300]}")


# -- one part ---------------------------------------------------------------------------------------------
@dataclass
class LevelResult:
    """The verdict of one level (strict or extended) for one part."""

    valid: bool | None  # None: could not be judged (see problem)
    engine: str  # "lxml" or "jing"
    errors: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    problem: str | None = None
    unconfirmed: str | None = None  # lxml rejected where it is known to be unreliable and jing is missing


@dataclass
class PartResult:
    """Schema verdicts for one XML part of a package (or a flat ODF file).

    ``strict`` is always set; ``extended`` is ``None`` when the part holds no foreign markup (then the
    extended verdict equals the strict one). ``findings`` are ready for a Verdict.
    """

    part: str
    version: str
    schema: Path
    strict: LevelResult
    extended: LevelResult | None
    foreign: ForeignCount
    findings: list[Finding] = field(default_factory=list)
    stripped: bytes | None = None  # the part as validated at the extended level (for comparisons)

    @property
    def level(self) -> str | None:
        """``"strict"``, ``"extended"``, ``"invalid"``, or ``None`` when it could not be judged."""
        if self.strict.valid:
            return "strict"
        final = self.extended if self.extended is not None else self.strict
        if final.valid is None:
            return None
        return "extended" if final.valid else "invalid"


def _lxml_level(grammar: etree.RelaxNG, root: etree._Element) -> LevelResult:
    ok = grammar.validate(root.getroottree())
    errors = []
    if not ok:
        for entry in grammar.error_log:
            where = f" (at {entry.path})" if entry.path else ""
            errors.append((entry.line or None, entry.column or None, entry.message.strip() + where))
    return LevelResult(ok, "lxml", errors)


def _one_level(root, data: bytes | None, *, schema: Path, engine: str, jing, timeout: float, reason: str | None):
    use_jing = engine == "jing" or (engine == "auto" and reason is not None and jing)
    if use_jing:
        if data is None:
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        run = run_jing(schema, data, jing=jing, timeout=timeout)
        return LevelResult(run.valid, "jing", run.errors, run.problem)
    result = _lxml_level(_grammar(schema), root)
    if not result.valid and reason is not None and engine == "auto":
        result.unconfirmed = reason
    return result


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def validate_part(
    source: bytes | etree._Element,
    *,
    part: str,
    schema_dir: str | os.PathLike,
    version: str,
    which: str = "document",
    engine: str = "auto",
    jing: list[str] | None | str = "find",
    timeout: float = JING_TIMEOUT,
    clauses: tuple[str, str, str] | None = None,
) -> PartResult:
    """Validate one part at the strict and (if it holds foreign markup) the extended level.

    Args:
        source: the part's bytes (parsed safely here) or an already parsed root element.
        part: its name in the package, for findings (``"content.xml"``).
        version: ``"1.2"``, ``"1.3"`` or ``"1.4"``: picks the schema.
        which: ``"document"`` (content/styles/meta/settings, flat files) or ``"manifest"``.
        engine: ``"auto"`` (lxml where it agrees with jing, jing elsewhere), ``"lxml"`` or ``"jing"``.
        jing: a command prefix, ``None`` for none, or ``"find"`` (:func:`find_jing`).
        clauses: ``(strict, extended, foreign)`` clause names for findings; defaults per version.

    Returns:
        A :class:`PartResult` whose ``findings`` say: strict schema errors (errors when the part is
        not even extended-conformant, warnings otherwise), the foreign markup set aside (warning,
        §3.17), and engine trouble (warning, clause ``"overstap:jing"``).

    Raises:
        SchemaMissing: the schema file is not in ``schema_dir``.
        XMLProblem: ``source`` is bytes that are not safe, well-formed XML.
    """
    schema = schema_path(schema_dir, version, which)
    if jing == "find":
        jing = find_jing()
    data = source if isinstance(source, (bytes, bytearray)) else None
    root = parse_xml(bytes(data), max_bytes=None) if data is not None else source
    strict_clause, ext_clause, foreign_clause = clauses or default_clauses(version, which)
    reason = lxml_trusted(root, len(data) if data is not None else 0)
    strict = _one_level(root, data, schema=schema, engine=engine, jing=jing, timeout=timeout, reason=reason)

    odf_ns = odf_namespaces(schema_dir, version, which)
    stripped, foreign = strip_foreign(root, odf_ns)
    extended = None
    stripped_bytes = None
    if foreign:
        stripped_bytes = etree.tostring(stripped, xml_declaration=True, encoding="UTF-8")
        if strict.valid:
            extended = LevelResult(True, strict.engine)  # removing markup from a valid part: see docs
        else:
            ext_reason = lxml_trusted(stripped, len(stripped_bytes))
            extended = _one_level(stripped, stripped_bytes, schema=schema, engine=engine, jing=jing,
                                  timeout=timeout, reason=ext_reason)
    result = PartResult(part, version, schema, strict, extended, foreign, stripped=stripped_bytes)

    findings = result.findings
    final = extended if extended is not None else strict
    for level, clause in ((strict, strict_clause), (extended, ext_clause)):
        if level is None:
            continue
        if level.valid is None:
            findings.append(Finding(WARNING, "overstap:jing", f"{level.engine} could not judge this part: {level.problem}",
                                    component=part))
        if level.unconfirmed:
            findings.append(Finding(WARNING, "overstap:jing",
                                    f"lxml rejected this part but is unreliable here ({level.unconfirmed}) and jing "
                                    "is not available to confirm: install jing and a JRE", component=part))
    if foreign and not strict.valid:
        more = f"; first: {', '.join(foreign.examples)}" if foreign.examples else ""
        findings.append(Finding(WARNING, foreign_clause,
                                f"foreign markup (namespaces ODF {version} does not define): {foreign.elements} "
                                f"element(s), {foreign.attributes} attribute(s){more}", component=part))
    if strict.valid is False:
        if final.valid is False and extended is not None:
            # the extended-level errors are the real problems; the strict ones repeat the foreign markup
            _report(findings, extended.errors, ERROR, ext_clause, part, level_name="extended",
                    engine=extended.engine, stripped=True)
        else:
            # errors when the part does not conform at all; warnings when it conforms as an extended
            # document (or could not be judged at the extended level)
            severity = ERROR if final.valid is False else WARNING
            _report(findings, strict.errors, severity, strict_clause, part, level_name="strict", engine=strict.engine)
    return result


def default_clauses(version: str, which: str = "document") -> tuple[str, str, str]:
    """``(strict, extended, foreign)`` clause names for a version's document or manifest schema."""
    if which == "manifest":
        part = "Part 3" if version == "1.2" else "Part 2"
        c = f"ODF {version} {part} §4"  # the manifest file and its schema
        return c, c, f"ODF {version} {part} §4"
    part = "Part 1" if version == "1.2" else "Part 3"
    return (f"ODF {version} {part} §2.2.1", f"ODF {version} {part} §2.2.2", f"ODF {version} {part} §3.17")


def _report(findings, errors, severity, clause, part, *, level_name, engine, stripped=False):
    where = " (position in the part with foreign markup removed)" if stripped and engine == "jing" else ""
    for line, column, message in errors[:MAX_FINDINGS_PER_PART]:
        col = f"column {column}: " if column else ""
        findings.append(Finding(severity, clause, _clip(f"{level_name} schema ({engine}): {col}{message}{where}"),
                                line=None if where else line, component=part))
    if len(errors) > MAX_FINDINGS_PER_PART:
        findings.append(Finding(severity, clause, f"{level_name} schema ({engine}): ... and "
                                f"{len(errors) - MAX_FINDINGS_PER_PART} more error(s)", component=part))
    if not errors:
        findings.append(Finding(severity, clause, f"{level_name} schema ({engine}): not valid", component=part))


__all__ += ["LevelResult", "default_clauses", "parse_jing_output", "XMLProblem"]
