"""The judges of the documents moves, on real files: XPath survival assertions with evidence
(conformance/odf/survival.py) and the structural comparison of real-world documents
(conformance/odf/structure.py). Received documents come from real tools (pandoc, odfdo); bad input is
real bad bytes, never a mock."""

from __future__ import annotations

import io
import zipfile

import pytest

from conftest import REPO
from conformance.odf.structure import compare_documents, compare_properties, document_properties
from conformance.odf.survival import OdfParts, failed_assertions, judge_survival, snippet
from harness.office import ToolLog, load_fixtures, roundtrip

FIXTURES = {f.feature: f for f in load_fixtures()}
CORPUS = REPO.parent / "shared" / "corpus" / "odf"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_every_fixture_survives_itself_and_has_no_structural_difference():
    for f in FIXTURES.values():
        data = f.path.read_bytes()
        assert judge_survival(data, data, f.assertions) == [], f.feature
        props, diffs = compare_documents(data, data)
        assert props and diffs == [], f.feature


def test_pandoc_loses_the_named_section_and_the_evidence_shows_it(require):
    """pandoc's ODT reader has no sections: the named section is gone after its round trip."""
    require("pandoc")
    f = FIXTURES["sections"]
    original = f.path.read_bytes()
    received = roundtrip("tool:pandoc", original, f.ext, ToolLog())
    losses = {loss.assertion["what"]: loss for loss in judge_survival(original, received, f.assertions)}
    assert "the named section" in losses, sorted(losses)
    section = losses["the named section"]
    assert section.original.startswith("<text:section ") and 'text:name="Overstap Section"' in section.original
    assert "xmlns" not in section.original  # no namespace declarations in the evidence
    assert section.received is None and "no <text:section> element is left in content.xml" in section.note
    assert "//text:section[@text:name='Overstap Section']" in section.note
    # failed_assertions agrees with judge_survival on which assertions fail
    assert {a["what"] for a in failed_assertions(received, f.assertions)} == set(losses)


def test_nearest_received_element_is_shown_when_an_attribute_changed(require):
    """odfdo keeps everything of the heading fixture; a heading whose level we change in its output is
    found as the nearest <text:h> with the same text."""
    require("odfdo")
    f = FIXTURES["heading-outline-levels"]
    received = roundtrip("tool:odfdo", f.path.read_bytes(), f.ext, ToolLog())
    assert judge_survival(f.path.read_bytes(), received, f.assertions) == []
    with zipfile.ZipFile(io.BytesIO(received)) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist() if i.filename != "mimetype"}
    from lxml import etree

    content = etree.fromstring(entries["content.xml"])
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    [h2] = [h for h in content.iter(f"{{{text_ns}}}h") if "".join(h.itertext()).strip() == "Section"]
    h2.set(f"{{{text_ns}}}outline-level", "4")
    entries["content.xml"] = etree.tostring(content)
    [loss] = judge_survival(f.path.read_bytes(), _zip(entries), f.assertions)
    assert loss.assertion["what"] == "level-2 heading"
    assert loss.received is not None and 'text:outline-level="4"' in loss.received and "Section" in loss.received
    assert "nearest <text:h>" in loss.note


@pytest.mark.parametrize("bad, why", [
    (b"", "not a readable ODF package"),
    (b"PK\x03\x04 this is no zip", "not a readable ODF package"),
    (_zip({"styles.xml": b"<x/>"}), "content.xml is not in the package"),
    (_zip({"content.xml": b"<office:document-content xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0'>"}),
     "content.xml is not well-formed XML"),
])
def test_bad_received_documents_give_losses_with_reasons_never_exceptions(bad, why):
    f = FIXTURES["footnote"]
    [loss] = judge_survival(f.path.read_bytes(), bad, f.assertions)
    assert why in loss.note and loss.received is None
    props, diffs = compare_documents(f.path.read_bytes(), bad)
    assert diffs and all(d.kind == "lost" for d in diffs) and len(diffs) == len(props)
    assert OdfParts(bad).get("content.xml") is None and why in OdfParts(bad).problem("content.xml")


def test_snippet_renders_values_and_cuts_long_elements():
    parts = OdfParts(FIXTURES["metadata-standard"].path.read_bytes())
    meta = parts.get("meta.xml")
    title = meta.xpath("//dc:title", namespaces={"dc": "http://purl.org/dc/elements/1.1/"})[0]
    assert snippet(title) == "<dc:title>Overstap metadata</dc:title>"
    assert snippet(True) == "true" and snippet(3.0) == "3" and snippet("x") == "x"
    whole = snippet(meta, limit=60)
    assert len(whole) == 60 and whole.endswith("…")


def test_structure_of_a_spreadsheet_and_what_gnumeric_keeps(require):
    require("gnumeric")
    f = FIXTURES["number-formats"]
    original = f.path.read_bytes()
    props = document_properties(original)
    assert {"sheets", "cell values", "cell types"} <= set(props)
    received = roundtrip("tool:ssconvert", original, f.ext, ToolLog())
    diffs = {d.property: d for d in compare_properties(props, received)}
    # Gnumeric keeps the numbers but not their value types (currency, percentage become float)
    assert "cell values" not in diffs, diffs.get("cell values")
    types = diffs["cell types"]
    assert types.kind == "changed" and "= currency" in types.original and "= float" in types.received


def test_structure_of_real_world_text_documents_through_pandoc(require):
    """A real document of the corpus through pandoc: the losses name the property and show the first
    differing entry on both sides."""
    require("pandoc")
    path = CORPUS / "test1.odt"
    if not path.exists():
        path = next(CORPUS.rglob("test1.odt"), None) if CORPUS.is_dir() else None
    if path is None:
        pytest.skip("the shared corpus is not here")
    original = path.read_bytes()
    props = document_properties(original)
    assert {"paragraphs", "headings", "tables", "links", "named styles", "metadata"} <= set(props)
    received = roundtrip("tool:pandoc", original, "odt", ToolLog())
    diffs = {d.property: d for d in compare_properties(props, received)}
    assert diffs["metadata"].kind == "lost"  # pandoc writes none of dc:language, meta:initial-creator...
    assert diffs["tables"].kind == "changed" and diffs["tables"].original.startswith("table 1 (")
    assert "in the original" in diffs["paragraphs"].note


def test_a_document_bigger_than_parse_xml_default_limit_is_judged():
    """content.xml above 32 MiB (parse_xml's default) is read as validate_odf reads it: the original has
    properties, and the same document received loses none of them."""
    from conformance.xml import DEFAULT_MAX_BYTES

    para = "<text:p>" + "x" * 1000 + " {}</text:p>"
    count = DEFAULT_MAX_BYTES // 1000 + 1000
    content = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               + "".join(para.format(i) for i in range(count)) + "</office:text></office:body></office:document-content>")
    assert len(content) > DEFAULT_MAX_BYTES
    big = _zip({"content.xml": content.encode()})
    props = document_properties(big)
    assert len(props["paragraphs"].entries) == count
    assert compare_properties(props, big) == []
    cut = _zip({"content.xml": content.replace(para.format(7), "").encode()})
    [diff] = compare_properties(props, cut)
    assert diff.property == "paragraphs" and "1 missing" in diff.note


_OFFICE_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
              'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
              'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/"')


def _sheet(cells: str) -> bytes:
    return _zip({"content.xml": (f'<office:document-content {_OFFICE_NS}><office:body><office:spreadsheet>'
                                 f'<table:table table:name="S"><table:table-row>{cells}</table:table-row></table:table>'
                                 '</office:spreadsheet></office:body></office:document-content>').encode()})


def test_a_lost_comment_is_a_comments_loss_only_not_a_cell_or_table_loss():
    comment = "<office:annotation><dc:creator>me</dc:creator><text:p>a remark</text:p></office:annotation>"
    cell = '<table:table-cell office:value-type="string">{}<text:p>value</text:p></table:table-cell>'
    with_comment, without = _sheet(cell.format(comment)), _sheet(cell.format(""))
    props = document_properties(with_comment)
    assert props["cell values"].entries[0][1] == "S.A1 = 'value'"
    assert [d.property for d in compare_properties(props, without)] == ["comments"]
    # a text document's table: the comment is not table text either
    table = (f'<office:document-content {_OFFICE_NS}><office:body><office:text><table:table><table:table-row>'
             '<table:table-cell><text:p>value{}</text:p></table:table-cell></table:table-row></table:table>'
             '</office:text></office:body></office:document-content>')
    text_with, text_without = (_zip({"content.xml": table.format(c).encode()}) for c in (comment, ""))
    props = document_properties(text_with)
    assert props["tables"].entries[0][0] == (("value",),)
    assert [d.property for d in compare_properties(props, text_without)] == ["comments"]


def test_time_and_date_values_are_compared_as_values():
    def cells(time, date):
        return _sheet(f'<table:table-cell office:value-type="time" office:time-value="{time}"/>'
                      f'<table:table-cell office:value-type="date" office:date-value="{date}"/>')

    props = document_properties(cells("PT1H30M0S", "2024-03-01T10:00:00"))
    assert compare_properties(props, cells("PT01H30M00S", "2024-03-01T10:00:00.000")) == []
    assert compare_properties(document_properties(cells("PT0H0M0S", "2024-03-01")),
                              cells("PT00H00M00.000S", "2024-03-01T00:00:00")) == []
    [diff] = [d for d in compare_properties(props, cells("PT1H31M0S", "2024-03-01T10:00:01")) if d.property == "cell values"]
    assert "2 changed" in diff.note and diff.original == "S.A1 = PT1H30M0S" and diff.received == "S.A1 = PT1H31M0S"
