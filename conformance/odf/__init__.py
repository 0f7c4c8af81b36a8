"""OpenDocument (ODF) conformance: package checks plus RELAX NG validation, strict and extended.

Public API::

    validate_odf(source: bytes | str | os.PathLike, schema_dir=None, *, engine="auto") -> Verdict
    check_odf(source, schema_dir=None, *, engine="auto") -> OdfReport          the same, with details
    DEFAULT_SCHEMA_DIR: Path | None     used when schema_dir is None (the CLI sets it)
    ODF_EXTENSIONS, ODF_MEDIA_TYPES     what :func:`conformance.files.check_file` dispatches here
    looks_like_odf(name, data) -> bool
    CONFORMANCE_CLASSES = ("strict", "extended", "invalid")

The verdict has ``kind="odf"`` and ``conformance_class``:

- ``"strict"``: a conforming OpenDocument document (ODF 1.3 Part 3 §2.2.1; ODF 1.2 Part 1 §2.2.1):
  the package checks pass and every checked part is valid against the OASIS schema of its
  ``office:version``;
- ``"extended"``: an OpenDocument extended document (§2.2.2): valid once foreign elements and
  attributes are set aside (§3.17); the strict schema errors are reported as warnings;
- ``"invalid"``: anything else: a package rule broken (ODF 1.3 Part 2 §3), a part not well-formed,
  or a part invalid even without its foreign markup (errors);
- ``None``: no error, but the schemas could not judge everything: an ODF 1.0/1.1 document (OASIS
  publishes RELAX NG for 1.2 and later only), no schema folder, or jing failing; warnings say why.

``Verdict.valid`` is ``conformance_class != "invalid"`` (no error finding). Encrypted parts
(``manifest:encryption-data``) are never schema-validated and are reported as warnings.

Parts checked: ``content.xml``, ``styles.xml``, ``meta.xml``, ``settings.xml`` of the root document
and ``META-INF/manifest.xml`` (against the manifest schema); sub-documents (``Object 1/``) are
package-checked but not schema-validated. Flat XML documents (``.fodt``, ``.fods``, ``.fodp``,
``.fodg``) are validated as one part.

Findings: ``component`` is the part (``"content.xml"``), ``line`` its line; the column, when known,
starts the message (``"strict schema (jing): column 2912: ..."``); ``clause`` names the ODF part and
section. Nothing raises for bad input; a schema file missing from the folder becomes a warning with clause
``"overstap:schemas"`` (and ``conformance_class`` None).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from conformance.findings import ERROR, WARNING, Finding, Verdict
from conformance.odf import schema as _schema
from conformance.odf.package import MANIFEST, ODF_MEDIA_TYPES, Package, package_clause, read_package
from conformance.odf.schema import SUPPORTED_VERSIONS, PartResult, SchemaMissing
from conformance.xml import XMLProblem, parse_xml

__all__ = [
    "CONFORMANCE_CLASSES",
    "DEFAULT_SCHEMA_DIR",
    "FLAT_EXTENSIONS",
    "ODF_EXTENSIONS",
    "ODF_MEDIA_TYPES",
    "OdfReport",
    "SchemaMissing",
    "check_odf",
    "looks_like_odf",
    "validate_odf",
]

#: Folder of ``<version>/<OASIS schema>`` used when no ``schema_dir`` is passed. The CLI sets it from
#: ``harness.schemas.find_schema_dir()``; conformance itself never looks for it.
DEFAULT_SCHEMA_DIR: Path | None = None

CONFORMANCE_CLASSES = ("strict", "extended", "invalid")
FLAT_EXTENSIONS = {".fodt", ".fods", ".fodp", ".fodg"}
ODF_EXTENSIONS = set(ODF_MEDIA_TYPES.values()) - {".odb"} | FLAT_EXTENSIONS
MAX_BYTES = 512 * 1024 * 1024

OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ROOTS = {
    "content.xml": "document-content",
    "styles.xml": "document-styles",
    "meta.xml": "document-meta",
    "settings.xml": "document-settings",
}


def looks_like_odf(name: str, data: bytes) -> bool:
    """True for ODF extensions, a zip whose first entry is an ODF ``mimetype``, or flat ODF XML."""
    if Path(name).suffix.lower() in ODF_EXTENSIONS:
        return True
    if data[:4] == b"PK\x03\x04" and data[30:38] == b"mimetype" and b"opendocument" in data[38:120]:
        return True
    head = data[:2048]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and OFFICE_NS.encode() in head and b"document" in head


@dataclass
class OdfReport:
    """Everything :func:`check_odf` found: the verdict plus the package and per-part details."""

    verdict: Verdict
    version: str | None
    package: Package | None
    parts: list[PartResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # part -> why it was not schema-validated


def validate_odf(source: bytes | str | os.PathLike, schema_dir: str | os.PathLike | None = None, *,
                 engine: str = "auto") -> Verdict:
    """Judge one ODF document (package or flat XML); see the module docstring for the classes.

    Args:
        source: the file's bytes, or a path to read.
        schema_dir: folder with ``1.2/``, ``1.3/``, ``1.4/`` OASIS schemas; default
            :data:`DEFAULT_SCHEMA_DIR`; when both are ``None`` only the package is checked.
        engine: ``"auto"`` (lxml where it agrees with jing, else jing), ``"lxml"`` or ``"jing"``.

    Returns:
        ``Verdict(kind="odf", conformance_class=...)``.

    Raises:
        OSError: ``source`` is a path that cannot be read.
    """
    return check_odf(source, schema_dir, engine=engine).verdict


def _office_version(root) -> str | None:
    return root.get(f"{{{OFFICE_NS}}}version")


def check_odf(source: bytes | str | os.PathLike, schema_dir: str | os.PathLike | None = None, *,
              engine: str = "auto") -> OdfReport:
    """Like :func:`validate_odf`, returning an :class:`OdfReport` with per-part results."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = Path(source).read_bytes()
    schema_dir = schema_dir if schema_dir is not None else DEFAULT_SCHEMA_DIR
    if len(data) > MAX_BYTES:
        return _finish(OdfReport(Verdict.from_findings("odf", [
            Finding(ERROR, "overstap:zip-safety", f"file is {len(data)} bytes, larger than {MAX_BYTES}: not checked")]),
            None, None), [])
    if data[:2] == b"PK":
        return _check_package(data, schema_dir, engine)
    return _check_flat(data, schema_dir, engine)


def _doc_clause(version: str | None, section: str) -> str:
    if version in ("1.3", "1.4"):
        return f"ODF {version} Part 3 §{section}"
    return f"ODF 1.2 Part 1 §{section}"


def _check_flat(data: bytes, schema_dir, engine: str) -> OdfReport:
    findings: list[Finding] = []
    report = OdfReport(Verdict.from_findings("odf", []), None, None)
    try:
        root = parse_xml(data, max_bytes=None)
    except XMLProblem as exc:
        findings.append(Finding(ERROR, _doc_clause(None, "2.2.1"), f"not a package and not well-formed XML: {exc}",
                                line=exc.line))
        return _finish(report, findings)
    if root.tag != f"{{{OFFICE_NS}}}document":
        findings.append(Finding(ERROR, _doc_clause(None, "2.2.1"),
                                f"a flat ODF file has the root office:document, not {root.tag}", line=root.sourceline))
        return _finish(report, findings)
    report.version = _office_version(root)
    _validate(report, findings, "(flat file)", root, data, report.version, schema_dir, engine, "document")
    return _finish(report, findings)


def _check_package(data: bytes, schema_dir, engine: str) -> OdfReport:
    pkg = read_package(data)
    findings = list(pkg.findings)
    report = OdfReport(Verdict.from_findings("odf", []), None, pkg)
    if not pkg.ok:
        return _finish(report, findings)

    roots = {}
    for part, local in ROOTS.items():
        if part not in pkg.parts or part in pkg.encrypted:
            continue
        try:
            root = parse_xml(pkg.parts[part], max_bytes=None)
        except XMLProblem as exc:
            findings.append(Finding(ERROR, _doc_clause(None, "2.2.1"), f"not well-formed XML: {exc}",
                                    line=exc.line, component=part))
            continue
        if root.tag != f"{{{OFFICE_NS}}}{local}":
            findings.append(Finding(ERROR, _doc_clause(None, "2.2.1"),
                                    f"root element must be office:{local}, not {root.tag}",
                                    line=root.sourceline, component=part))
            continue
        roots[part] = root
    if "content.xml" not in pkg.parts and "styles.xml" not in pkg.parts:
        findings.append(Finding(ERROR, _doc_clause(None, "2.2.1"),
                                "the package holds neither content.xml nor styles.xml"))

    # the document's version: the first part that declares one, else the manifest's
    declared = {p: _office_version(r) for p, r in roots.items()}
    manifest_version = pkg.manifest.version if pkg.manifest else None
    version = next((v for v in declared.values() if v), None) or manifest_version
    report.version = version
    for part, value in declared.items():
        if value != version and version in SUPPORTED_VERSIONS:
            findings.append(Finding(WARNING, _doc_clause(version, "19.386"),
                                    f"office:version is {value!r} here but {version!r} in the document",
                                    component=part))
    if version in SUPPORTED_VERSIONS and pkg.manifest is not None and manifest_version != version:
        findings.append(Finding(ERROR if manifest_version is None else WARNING, package_clause(version, "3.2"),
                                f"manifest:version is {manifest_version!r}, the document is ODF {version}",
                                component=MANIFEST))
    for part in sorted(pkg.encrypted & set(ROOTS)):
        report.skipped[part] = "encrypted"

    for part, root in roots.items():
        _validate(report, findings, part, root, pkg.parts[part], version, schema_dir, engine, "document")
    if pkg.manifest is not None:
        mversion = manifest_version if manifest_version in SUPPORTED_VERSIONS else version
        _validate(report, findings, MANIFEST, pkg.manifest.root, pkg.manifest.data, mversion, schema_dir, engine,
                  "manifest")
    return _finish(report, findings)


def _validate(report: OdfReport, findings: list[Finding], part: str, root, data: bytes, version: str | None,
              schema_dir, engine: str, which: str) -> None:
    if schema_dir is None:
        report.skipped[part] = "no schema folder"
        return
    if version not in SUPPORTED_VERSIONS:
        report.skipped[part] = f"ODF {version or '1.0/1.1 (no version)'}"
        return
    try:
        result = _schema.validate_part(data, part=part, schema_dir=schema_dir, version=version, which=which,
                                       engine=engine)
    except SchemaMissing as exc:
        report.skipped[part] = "schema file missing"
        findings.append(Finding(WARNING, "overstap:schemas", str(exc), component=part))
        return
    report.parts.append(result)
    findings.extend(result.findings)


def _finish(report: OdfReport, findings: list[Finding]) -> OdfReport:
    skipped = report.skipped
    if skipped:
        reasons = sorted(set(skipped.values()))
        unjudged = [p for p, why in skipped.items() if why != "encrypted"]
        if unjudged:
            if "no schema folder" in reasons:
                text = ("schema validation skipped: no schema folder (set OVERSTAP_ODF_SCHEMAS or run "
                        "`overstap schemas download`)")
                clause = "overstap:schemas"
            else:
                text = (f"not schema-validated ({', '.join(r for r in reasons if r != 'encrypted')}): OASIS "
                        f"publishes RELAX NG schemas for ODF {', '.join(SUPPORTED_VERSIONS)} only")
                clause = _doc_clause(None, "2.2.1")
            findings.append(Finding(WARNING, clause, f"{text}; parts: {', '.join(unjudged)}"))
    verdict = Verdict.from_findings("odf", findings)
    levels = [p.level for p in report.parts]
    unjudged = any(why != "encrypted" for why in skipped.values()) or None in levels
    if not verdict.valid or "invalid" in levels:
        cls = "invalid"
    elif unjudged or not levels:
        cls = None
    elif "extended" in levels:
        cls = "extended"
    else:
        cls = "strict"
    verdict.conformance_class = cls
    report.verdict = verdict
    return report
