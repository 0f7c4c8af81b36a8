"""ODF package checks: the zip container, ``mimetype`` and ``META-INF/manifest.xml``.

Public API::

    read_package(data: bytes, *, limits: Limits = Limits()) -> Package      never raises for bad input
    Package.findings        list[Finding]   package-level problems, each with its clause
    Package.parts           dict[str, bytes] the readable, unencrypted files (read in memory only)
    Package.manifest        Manifest | None
    Package.encrypted       set[str]         entries with manifest:encryption-data
    Package.media_type      str | None       the document's media type (manifest "/" entry, else mimetype)
    Package.ok              bool             the zip could be read at all
    Limits(max_entries, max_total_bytes, max_entry_bytes, max_ratio)
    package_clause(version, section) -> "ODF 1.3 Part 2 §3.3"

Clauses (ODF 1.3 Part 2 "Packages"; ODF 1.2 Part 3 has the same section numbers; 1.4 keeps them):

- §3.1 the package is a zip file; entries stored or deflated; no zip encryption; relative names.
- §3.2 ``META-INF/manifest.xml`` exists and lists every file (except ``mimetype``, the manifest
  itself and ``META-INF/*signatures*``), each with a media type; the root entry ``/`` names the
  document's media type; ``manifest:version`` is present from ODF 1.2 on.
- §3.3 ``mimetype`` is the first entry, stored uncompressed, without an extra field, and holds the
  media type of the root entry.
- §3.4 encrypted entries are described by ``manifest:encryption-data``; they cannot be schema
  validated (reported as a warning, never as a failure).

Safety (clause ``"overstap:zip-safety"``): nothing is ever extracted to disk; names with ``..``
segments, absolute paths, drive letters, backslashes or NUL are refused; the declared total
uncompressed size, the size of each entry, the number of entries and the compression ratio of each
large entry are bounded (:class:`Limits`), and reads stop at the declared size, so a zip bomb is
refused with a finding before it is inflated.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from conformance.findings import ERROR, WARNING, Finding
from conformance.xml import XMLProblem, parse_xml

__all__ = [
    "MANIFEST",
    "MANIFEST_NS",
    "ODF_MEDIA_TYPES",
    "Limits",
    "Manifest",
    "ManifestEntry",
    "Package",
    "package_clause",
    "read_package",
]

MANIFEST = "META-INF/manifest.xml"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
SAFETY = "overstap:zip-safety"

#: media type -> usual extension, for the documents ODF defines (ODF 1.3 Part 3 appendix C).
ODF_MEDIA_TYPES = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.text-template": ".ott",
    "application/vnd.oasis.opendocument.text-master": ".odm",
    "application/vnd.oasis.opendocument.text-master-template": ".otm",
    "application/vnd.oasis.opendocument.text-web": ".oth",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": ".ots",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.oasis.opendocument.presentation-template": ".otp",
    "application/vnd.oasis.opendocument.graphics": ".odg",
    "application/vnd.oasis.opendocument.graphics-template": ".otg",
    "application/vnd.oasis.opendocument.chart": ".odc",
    "application/vnd.oasis.opendocument.chart-template": ".otc",
    "application/vnd.oasis.opendocument.formula": ".odf",
    "application/vnd.oasis.opendocument.formula-template": ".otf",
    "application/vnd.oasis.opendocument.image": ".odi",
    "application/vnd.oasis.opendocument.image-template": ".oti",
    "application/vnd.oasis.opendocument.database": ".odb",
}


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile zip from exhausting memory or time (all in bytes but the counts)."""

    max_entries: int = 10_000
    max_total_bytes: int = 512 * 1024 * 1024  # declared uncompressed total
    max_entry_bytes: int = 256 * 1024 * 1024  # one entry, uncompressed
    max_ratio: float = 200.0  # uncompressed / compressed, checked for entries above ratio_floor bytes
    ratio_floor: int = 4 * 1024 * 1024


def package_clause(version: str | None, section: str) -> str:
    """``"ODF 1.3 Part 2 §3.3"`` (ODF 1.2 Part 3 for 1.2 and older documents)."""
    if version in ("1.3", "1.4"):
        return f"ODF {version} Part 2 §{section}"
    return f"ODF 1.2 Part 3 §{section}"


@dataclass
class ManifestEntry:
    path: str
    media_type: str | None
    version: str | None
    encrypted: bool
    line: int | None


@dataclass
class Manifest:
    version: str | None
    entries: dict[str, ManifestEntry]
    root: object  # the parsed lxml root element
    data: bytes


@dataclass
class Package:
    ok: bool = False
    findings: list[Finding] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # zip entry names, in order
    parts: dict[str, bytes] = field(default_factory=dict)
    manifest: Manifest | None = None
    mimetype: str | None = None
    encrypted: set[str] = field(default_factory=set)
    unreadable: set[str] = field(default_factory=set)

    @property
    def media_type(self) -> str | None:
        if self.manifest and "/" in self.manifest.entries and self.manifest.entries["/"].media_type:
            return self.manifest.entries["/"].media_type
        return self.mimetype


def _unsafe_name(name: str) -> str | None:
    if "\x00" in name:
        return "contains a NUL character"
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) > 1 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    if any(seg == ".." for seg in name.split("/")):
        return "has a '..' segment (path traversal)"
    return None


def _local_extra_length(data: bytes, info: zipfile.ZipInfo) -> int | None:
    """Length of the extra field in the entry's *local* header (the central one may differ)."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        return None
    return struct.unpack("<H", header[28:30])[0]


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with zf.open(info) as fh:  # zipfile stops at the declared size and checks the CRC
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"more than {limit} bytes once inflated")
    return data


def read_package(data: bytes, *, limits: Limits = Limits(), version_hint: str | None = None) -> Package:
    """Read an ODF package from bytes and check it against ODF 1.3 Part 2 §3 (never raises).

    Args:
        data: the whole file.
        limits: zip-bomb bounds.
        version_hint: unused unless the manifest is unreadable; picks the clause edition.

    Returns:
        A :class:`Package`; ``ok`` is False when the bytes are not a readable zip (findings say why).
    """
    pkg = Package()
    find = pkg.findings
    clause = lambda section: package_clause(version_hint, section)  # noqa: E731 - refined below

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as exc:
        find.append(Finding(ERROR, clause("3.1"), f"not a readable zip file: {exc}"))
        return pkg
    pkg.names = [i.filename for i in infos]

    # -- safety first: nothing is inflated before the whole central directory is judged ----------------
    if len(infos) > limits.max_entries:
        find.append(Finding(ERROR, SAFETY, f"refused: {len(infos)} zip entries (limit {limits.max_entries})"))
        return pkg
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        find.append(Finding(ERROR, SAFETY, f"refused as a possible zip bomb: the entries declare {total} bytes "
                                           f"uncompressed in total (limit {limits.max_total_bytes})"))
        return pkg
    bomb = False
    safe: list[zipfile.ZipInfo] = []
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        why = _unsafe_name(name)
        if why:
            find.append(Finding(ERROR, SAFETY, f"refused entry {name!r}: the name {why}; package entries are "
                                               f"relative paths inside the package ({clause('3.1')})"))
            continue
        if name in seen:
            find.append(Finding(ERROR, clause("3.1"), f"the zip holds two entries named {name!r}"))
            continue
        seen.add(name)
        if info.file_size > limits.max_entry_bytes:
            find.append(Finding(ERROR, SAFETY, f"refused entry {name!r}: declares {info.file_size} bytes "
                                               f"uncompressed (limit {limits.max_entry_bytes})"))
            bomb = True
            continue
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            find.append(Finding(ERROR, SAFETY, f"refused entry {name!r} as a possible zip bomb: compression ratio "
                                               f"{ratio:.0f}:1 (limit {limits.max_ratio:.0f}:1)"))
            bomb = True
            continue
        safe.append(info)
    if bomb:
        find.append(Finding(ERROR, SAFETY, "the package was not inflated: it looks like a zip bomb"))

    # -- read what is safe, in memory ------------------------------------------------------------------------
    for info in safe:
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            find.append(Finding(ERROR, clause("3.1"), f"{info.filename}: zip-level encryption is not allowed "
                                                      "(ODF encrypts entries as described in the manifest)"))
            pkg.unreadable.add(info.filename)
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            find.append(Finding(ERROR, clause("3.1"), f"{info.filename}: compression method {info.compress_type}; "
                                                      "entries are stored or deflated"))
            pkg.unreadable.add(info.filename)
            continue
        if bomb:
            continue
        try:
            pkg.parts[info.filename] = _read_entry(zf, info, limits.max_entry_bytes)
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError,
                zlib.error) as exc:
            find.append(Finding(ERROR, clause("3.1"), f"{info.filename}: cannot be read: {exc}"))
            pkg.unreadable.add(info.filename)
    pkg.ok = not bomb

    # -- manifest (§3.2) -------------------------------------------------------------------------------------
    manifest_bytes = pkg.parts.get(MANIFEST)
    if manifest_bytes is None:
        find.append(Finding(ERROR, clause("3.2"), f"{MANIFEST} is missing", component=MANIFEST))
    else:
        pkg.manifest = _read_manifest(manifest_bytes, find, clause)
    version = pkg.manifest.version if pkg.manifest else None
    if version in ("1.2", "1.3", "1.4"):
        clause = lambda section: package_clause(version, section)  # noqa: E731

    # -- mimetype (§3.3) -------------------------------------------------------------------------------------
    _check_mimetype(data, infos, pkg, clause)

    # -- manifest against the zip (§3.2, §3.4) ---------------------------------------------------------------
    if pkg.manifest is not None and pkg.ok:
        _check_manifest_coverage(pkg, clause)
    return pkg


def _read_manifest(data: bytes, find: list[Finding], clause) -> Manifest | None:
    try:
        root = parse_xml(data, max_bytes=None, allow_external_dtd=True)
    except XMLProblem as exc:
        find.append(Finding(ERROR, clause("3.2"), f"not well-formed XML: {exc}", line=exc.line, component=MANIFEST))
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.system_url or docinfo.public_id:
        find.append(Finding(WARNING, clause("3.2"), f"the manifest names an external DTD "
                            f"({docinfo.system_url or docinfo.public_id!r}); ODF defines the manifest by its RELAX NG "
                            f"schema only, so the DTD was not loaded and the manifest was judged without it",
                            component=MANIFEST))
    if root.tag != f"{{{MANIFEST_NS}}}manifest":
        find.append(Finding(ERROR, clause("3.2"), f"root element is {root.tag}, not manifest:manifest",
                            line=root.sourceline, component=MANIFEST))
        return None
    version = root.get(f"{{{MANIFEST_NS}}}version")
    entries: dict[str, ManifestEntry] = {}
    for el in root.iter(f"{{{MANIFEST_NS}}}file-entry"):
        path = el.get(f"{{{MANIFEST_NS}}}full-path")
        if path is None:
            continue  # the manifest schema reports it
        if path in entries:
            find.append(Finding(ERROR, clause("3.2"), f"manifest lists {path!r} twice", line=el.sourceline,
                                component=MANIFEST))
        entries[path] = ManifestEntry(
            path=path,
            media_type=el.get(f"{{{MANIFEST_NS}}}media-type"),
            version=el.get(f"{{{MANIFEST_NS}}}version"),
            encrypted=el.find(f"{{{MANIFEST_NS}}}encryption-data") is not None,
            line=el.sourceline,
        )
    return Manifest(version, entries, root, data)


def _check_mimetype(data: bytes, infos: list[zipfile.ZipInfo], pkg: Package, clause) -> None:
    find = pkg.findings
    info = next((i for i in infos if i.filename == "mimetype"), None)
    if info is None:
        find.append(Finding(ERROR, clause("3.3"), "the package has no 'mimetype' file"))
        return
    if infos[0] is not info:
        find.append(Finding(ERROR, clause("3.3"), f"'mimetype' is not the first zip entry (first: {infos[0].filename!r})"))
    if info.compress_type != zipfile.ZIP_STORED:
        find.append(Finding(ERROR, clause("3.3"), "'mimetype' is compressed; it must be stored uncompressed"))
    local_extra = _local_extra_length(data, info)
    if info.extra or local_extra:
        find.append(Finding(ERROR, clause("3.3"), "'mimetype' has a zip 'extra field' in its header "
                                                  f"({local_extra or len(info.extra)} bytes)"))
    raw = pkg.parts.get("mimetype")
    if raw is None:
        return
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        find.append(Finding(ERROR, clause("3.3"), "'mimetype' is not ASCII text"))
        return
    pkg.mimetype = text
    if text != text.strip() or not text:
        find.append(Finding(ERROR, clause("3.3"), f"'mimetype' holds {text!r}: a bare media type, no whitespace"))
    root = pkg.manifest.entries.get("/") if pkg.manifest else None
    if root is not None and root.media_type is not None and root.media_type != text:
        find.append(Finding(ERROR, clause("3.3"), f"'mimetype' says {text!r} but the manifest root entry says "
                                                  f"{root.media_type!r}"))


def _is_signature_file(name: str) -> bool:
    return name.startswith("META-INF/") and "signatures" in name[len("META-INF/"):]


def _check_manifest_coverage(pkg: Package, clause) -> None:
    find = pkg.findings
    manifest = pkg.manifest
    assert manifest is not None
    entries = manifest.entries
    root = entries.get("/")
    if root is None:
        find.append(Finding(ERROR, clause("3.2"), "the manifest has no entry for the package root '/' "
                                                  "(it names the document's media type)", component=MANIFEST))
    elif not root.media_type:
        find.append(Finding(ERROR, clause("3.2"), "the root entry '/' has no manifest:media-type",
                            component=MANIFEST, line=root.line))
    files = [n for n in pkg.names if not n.endswith("/") and _unsafe_name(n) is None]
    file_set = set(files)
    undeclared = [n for n in files if n not in entries and n not in ("mimetype", MANIFEST) and not _is_signature_file(n)]
    for name in undeclared[:20]:
        find.append(Finding(ERROR, clause("3.2"), f"{name!r} is in the package but not in the manifest",
                            component=MANIFEST))
    if len(undeclared) > 20:
        find.append(Finding(ERROR, clause("3.2"), f"... and {len(undeclared) - 20} more undeclared file(s)",
                            component=MANIFEST))
    missing = [e for e in entries.values() if e.path != "/" and not e.path.endswith("/") and e.path not in file_set]
    for entry in missing[:20]:
        find.append(Finding(ERROR, clause("3.2"), f"the manifest lists {entry.path!r}, which is not in the package",
                            component=MANIFEST, line=entry.line))
    if len(missing) > 20:
        find.append(Finding(ERROR, clause("3.2"), f"... and {len(missing) - 20} more missing file(s)",
                            component=MANIFEST))
    for entry in entries.values():
        if entry.path in ("mimetype", MANIFEST):
            find.append(Finding(WARNING, clause("3.2"), f"the manifest lists {entry.path!r}, which it should not",
                                component=MANIFEST, line=entry.line))
        if entry.encrypted:
            pkg.encrypted.add(entry.path)
    if pkg.encrypted:
        shown = ", ".join(sorted(pkg.encrypted)[:5])
        find.append(Finding(WARNING, clause("3.4"),
                            f"{len(pkg.encrypted)} encrypted entr{'y' if len(pkg.encrypted) == 1 else 'ies'} "
                            f"(manifest:encryption-data): {shown}; encrypted parts are not schema-validated",
                            component=MANIFEST))
