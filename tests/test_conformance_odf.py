"""conformance.odf: package checks (ODF 1.3 Part 2 §3), strict / extended schema validation, dispatch.

Packages are built in memory with zipfile; schemas come from ../shared/odf-schemas (or
$OVERSTAP_ODF_SCHEMAS). Missing schemas or jing: skipped, unless OVERSTAP_REQUIRE_ALL is set.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

import conformance.odf as odf
from conformance.files import check_file, detect_kind
from conformance.odf import check_odf, validate_odf
from conformance.odf.package import Limits, read_package
from conformance.odf.schema import find_jing, strip_foreign, odf_namespaces
from conformance.xml import parse_xml

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = Path(os.environ.get("OVERSTAP_ODF_SCHEMAS") or REPO.parent / "shared" / "odf-schemas")
ODT = "application/vnd.oasis.opendocument.text"
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}


def _need(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("OVERSTAP_REQUIRE_ALL"):
        pytest.fail(f"{what} missing (OVERSTAP_REQUIRE_ALL is set)")
    pytest.skip(f"{what} missing")


@pytest.fixture
def schemas() -> Path:
    _need((SCHEMAS / "1.3" / "OpenDocument-v1.3-schema.rng").is_file(), f"ODF schemas at {SCHEMAS}")
    return SCHEMAS


def content(body: str = "<text:p>Hello</text:p>", version: str = "1.3", extra_ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document-content xmlns:office="{NS["office"]}" xmlns:text="{NS["text"]}" {extra_ns} '
        f'office:version="{version}"><office:body><office:text>{body}</office:text></office:body>'
        f"</office:document-content>"
    ).encode()


def manifest(entries: dict[str, str], version: str | None = "1.3", encrypted: tuple[str, ...] = ()) -> bytes:
    v = f' manifest:version="{version}"' if version else ""
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="{NS["manifest"]}"{v}>']
    for path, media in entries.items():
        if path in encrypted:
            lines.append(
                f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{media}" manifest:size="10">'
                '<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" '
                'manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" '
                'manifest:initialisation-vector="AAAA"/><manifest:key-derivation manifest:key-derivation-name="PBKDF2" '
                'manifest:key-size="32" manifest:iteration-count="1024" manifest:salt="AAAA"/></manifest:encryption-data>'
                "</manifest:file-entry>")
        else:
            lines.append(f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{media}"/>')
    lines.append("</manifest:manifest>")
    return "\n".join(lines).encode()


def package(files: dict[str, bytes] | None = None, *, mimetype: bytes | None = ODT.encode(), first: str = "mimetype",
            mimetype_compressed: bool = False, mimetype_extra: bytes = b"", manifest_entries: dict | None = None,
            manifest_version: str | None = "1.3", encrypted: tuple[str, ...] = ()) -> bytes:
    files = dict(files if files is not None else {"content.xml": content()})
    entries = manifest_entries if manifest_entries is not None else {"/": ODT, **{n: "text/xml" for n in files}}
    files["META-INF/manifest.xml"] = manifest(entries, manifest_version, encrypted)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        def put_mimetype():
            info = zipfile.ZipInfo("mimetype")
            info.compress_type = zipfile.ZIP_DEFLATED if mimetype_compressed else zipfile.ZIP_STORED
            info.extra = mimetype_extra
            zf.writestr(info, mimetype)
        if mimetype is not None and first == "mimetype":
            put_mimetype()
        for name, data in files.items():
            zf.writestr(name, data)
        if mimetype is not None and first != "mimetype":
            put_mimetype()
    return buf.getvalue()


def messages(verdict) -> str:
    return "\n".join(str(f) for f in verdict.findings)


# -- strict / extended / invalid -----------------------------------------------------------------------------
def test_minimal_package_is_strict(schemas):
    v = validate_odf(package(), schemas)
    assert v.kind == "odf" and v.valid and v.conformance_class == "strict", messages(v)
    assert not v.findings


def test_foreign_attribute_makes_an_extended_document(schemas):
    body = '<text:p xmlns:x="urn:example:ext" x:rsid="1">Hi</text:p>'
    v = validate_odf(package({"content.xml": content(body)}), schemas)
    assert v.valid and v.conformance_class == "extended", messages(v)
    assert any(f.clause == "ODF 1.3 Part 3 §3.17" and "x:rsid" in f.message for f in v.warnings)
    assert not v.errors


def test_foreign_element_in_paragraph_is_unwrapped(schemas):
    body = '<text:p xmlns:x="urn:example:ext">a <x:mark>b <text:s/></x:mark> c</text:p>'
    v = validate_odf(package({"content.xml": content(body)}), schemas)
    assert v.conformance_class == "extended", messages(v)


def test_foreign_element_elsewhere_is_dropped_with_its_content(schemas):
    body = '<x:block xmlns:x="urn:example:ext"><text:bogus/></x:block><text:p>ok</text:p>'
    v = validate_odf(package({"content.xml": content(body)}), schemas)
    assert v.conformance_class == "extended", messages(v)


def test_odf_markup_broken_is_invalid_with_position(schemas):
    body = '<text:p text:no-such-attribute="1">x</text:p>'
    v = validate_odf(package({"content.xml": content(body)}), schemas)
    assert not v.valid and v.conformance_class == "invalid"
    err = [f for f in v.errors if f.component == "content.xml"]
    assert err and err[0].clause == "ODF 1.3 Part 3 §2.2.1" and err[0].line == 2


def test_strip_foreign_keeps_text_and_lines():
    root = parse_xml(b'<text:p xmlns:text="%s" xmlns:x="urn:x">a<x:i x:k="1">b<x:j>c</x:j>d</x:i>e</text:p>'
                     % NS["text"].encode())
    stripped, count = strip_foreign(root, frozenset({NS["text"]}))
    assert count.elements == 2 and count.attributes == 1
    assert "".join(stripped.itertext()) == "abcde"
    assert len(stripped) == 0


def test_version_selects_the_schema(schemas):
    # office:version 1.2 in content, manifest says 1.2: validated against ODF 1.2
    pkg = package({"content.xml": content(version="1.2")}, manifest_version="1.2")
    report = check_odf(pkg, schemas)
    assert report.version == "1.2" and report.verdict.conformance_class == "strict", messages(report.verdict)
    assert {p.schema.parent.name for p in report.parts} == {"1.2"}


def test_odf_11_document_is_not_judged_by_a_schema(schemas):
    pkg = package({"content.xml": content().replace(b' office:version="1.3"', b' office:version="1.1"')},
                  manifest_version=None)
    v = validate_odf(pkg, schemas)
    assert v.valid and v.conformance_class is None
    assert any("not schema-validated" in f.message for f in v.warnings)


def test_without_schema_folder_only_the_package_is_checked(monkeypatch):
    monkeypatch.setattr(odf, "DEFAULT_SCHEMA_DIR", None)
    v = validate_odf(package())
    assert v.valid and v.conformance_class is None
    assert any(f.clause == "overstap:schemas" for f in v.warnings)


def test_flat_document(schemas):
    flat = (f'<office:document xmlns:office="{NS["office"]}" xmlns:text="{NS["text"]}" office:version="1.3" '
            f'office:mimetype="{ODT}"><office:body><office:text><text:p/></office:text></office:body>'
            "</office:document>").encode()
    v = validate_odf(flat, schemas)
    assert v.conformance_class == "strict", messages(v)


# -- package rules ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "needle", "section"),
    [
        ({"first": "last"}, "not the first zip entry", "§3.3"),
        ({"mimetype_compressed": True}, "is compressed", "§3.3"),
        ({"mimetype_extra": b"\xfe\xca\x00\x00"}, "extra field", "§3.3"),
        ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}, "but the manifest root entry says", "§3.3"),
        ({"mimetype": None}, "no 'mimetype' file", "§3.3"),
        ({"manifest_entries": {"content.xml": "text/xml"}}, "no entry for the package root", "§3.2"),
        ({"manifest_entries": {"/": ODT}}, "'content.xml' is in the package but not in the manifest", "§3.2"),
        ({"manifest_entries": {"/": ODT, "content.xml": "text/xml", "Pictures/a.png": "image/png"}},
         "lists 'Pictures/a.png', which is not in the package", "§3.2"),
        ({"manifest_version": None}, "manifest:version is None", "§3.2"),
    ],
)
def test_package_rules(schemas, kwargs, needle, section):
    v = validate_odf(package(**kwargs), schemas)
    hits = [f for f in v.errors if needle in f.message]
    assert hits, messages(v)
    assert hits[0].clause == f"ODF 1.3 Part 2 {section}"
    assert v.conformance_class == "invalid"


def test_missing_manifest(schemas):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", ODT)
        zf.writestr("content.xml", content())
    v = validate_odf(buf.getvalue(), schemas)
    assert any("META-INF/manifest.xml is missing" in f.message for f in v.errors)


def test_encrypted_entries_are_reported_not_validated(schemas):
    pkg = package({"content.xml": os.urandom(64), "styles.xml": content().replace(b"document-content", b"document-styles")
                   .replace(b"<office:body><office:text><text:p>Hello</text:p></office:text></office:body>", b"")},
                  encrypted=("content.xml",))
    report = check_odf(pkg, schemas)
    assert report.skipped == {"content.xml": "encrypted"}
    assert any(f.clause == "ODF 1.3 Part 2 §3.4" and "content.xml" in f.message for f in report.verdict.warnings)
    assert "content.xml" not in {p.part for p in report.parts}


def test_path_traversal_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", ODT)
        zf.writestr("../../etc/evil", b"x")
        zf.writestr("/abs", b"x")
    pkg = read_package(buf.getvalue())
    refused = [f for f in pkg.findings if f.clause == "overstap:zip-safety"]
    assert len(refused) == 2 and "path traversal" in refused[0].message
    assert "../../etc/evil" not in pkg.parts


def test_zip_bomb_is_refused_before_inflating():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", b"\0" * (20 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 100_000
    v = validate_odf(data)
    assert any("zip bomb" in f.message and f.clause == "overstap:zip-safety" for f in v.errors)
    pkg = read_package(data, limits=Limits(max_total_bytes=1024))
    assert not pkg.ok and "declare" in pkg.findings[0].message


def test_garbage_is_a_finding_not_a_crash(schemas):
    for data in (b"PK\x03\x04garbage", b"", b"\x00\x01binary", b"<not odf/>"):
        v = validate_odf(data, schemas)
        assert not v.valid and v.conformance_class == "invalid" and v.errors


# -- engines ----------------------------------------------------------------------------------------------------
def test_lxml_false_rejection_is_sent_to_jing(schemas):
    _need(find_jing() is not None, "jing (apt-get install jing default-jre-headless)")
    body = ('<text:p><text:bookmark text:name="b"/><text:span>see <text:bookmark-ref text:reference-format="page" '
            'text:ref-name="b">1</text:bookmark-ref></text:span></text:p>')
    pkg = package({"content.xml": content(body)})
    assert check_odf(pkg, schemas, engine="lxml").verdict.conformance_class == "invalid"  # lxml's false rejection
    report = check_odf(pkg, schemas)  # auto: jing decides
    assert report.verdict.conformance_class == "strict", messages(report.verdict)
    assert [p.strict.engine for p in report.parts if p.part == "content.xml"] == ["jing"]


def test_jing_engine_gives_columns(schemas):
    _need(find_jing() is not None, "jing")
    v = validate_odf(package({"content.xml": content('<text:p text:nope="1"/>')}), schemas, engine="jing")
    err = [f for f in v.errors if f.component == "content.xml"]
    assert err and err[0].line == 2 and "column" in err[0].message


def test_odf_namespaces_come_from_the_schema(schemas):
    ns = odf_namespaces(schemas, "1.3")
    assert NS["text"] in ns and "http://purl.org/dc/elements/1.1/" in ns
    assert "http://openoffice.org/2009/office" not in ns


# -- dispatch ---------------------------------------------------------------------------------------------------
def test_check_file_dispatches_odf(tmp_path, schemas, monkeypatch):
    monkeypatch.setattr(odf, "DEFAULT_SCHEMA_DIR", schemas)
    path = tmp_path / "doc.odt"
    path.write_bytes(package())
    v = check_file(path)
    assert v.kind == "odf" and v.conformance_class == "strict", messages(v)
    sniffed = tmp_path / "document.bin"
    sniffed.write_bytes(package())
    assert detect_kind(sniffed.name, sniffed.read_bytes()) == "odf"
    assert check_file(sniffed).conformance_class == "strict"
    for ext in (".ods", ".odp", ".odg", ".fodt", ".ott"):
        assert detect_kind("x" + ext, b"") == "odf"
