"""The ODF round-trip suite: the fixtures are what their generator makes, they are valid ODF, and real
round trips through odfdo (in-process) and warm LibreOffice (unoserver) give a report of the expected shape."""

from __future__ import annotations

import importlib.util
import json
import zipfile

import pytest

from conftest import REPO, load_json, no_leftovers, overstap  # noqa: F401
from harness import catalog

FIXTURES = REPO / "fixtures" / "odf"


def _generator():
    spec = importlib.util.spec_from_file_location("odf_fixture_generator", FIXTURES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _entries(path):
    """(name, compression, uncompressed bytes) of each zip entry, in order."""
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.compress_type, zf.read(i)) for i in zf.infolist()]


def test_generator_reproduces_the_committed_fixtures(tmp_path):
    written = _generator().generate(tmp_path)
    names = sorted(p.name for p in written)
    committed = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".odt", ".ods", ".odp", ".json"))
    assert names == committed, "fixtures/odf/ differs from what generate.py makes: run it and commit the result"
    for path in written:
        fresh, kept = path.read_bytes(), (FIXTURES / path.name).read_bytes()
        if fresh == kept:  # byte for byte: the usual case
            continue
        # another zlib may deflate differently: then the packages must still hold the same entries
        assert path.suffix != ".json" and _entries(path) == _entries(FIXTURES / path.name), \
            f"{path.name} differs from what generate.py makes: run `python fixtures/odf/generate.py`"


def test_fixtures_cover_the_features_and_are_strict_odf():
    from conformance.odf import validate_odf
    from harness.schemas import find_schema_dir

    sidecars = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))]
    assert len(sidecars) >= 20
    assert {s["kind"] for s in sidecars} == {"text", "spreadsheet", "presentation"}
    schema_dir = find_schema_dir()
    for s in sidecars:
        assert s["assertions"] and s["clause"].startswith("ODF 1.3"), s["feature"]
        verdict = validate_odf(FIXTURES / s["file"], schema_dir)
        assert verdict.conformance_class == "strict", (s["file"], [f.message for f in verdict.findings][:3])


def test_every_assertion_holds_on_its_own_fixture():
    from suites.odf.helpers import failed_assertions, load_fixtures

    for f in load_fixtures():
        assert failed_assertions(f.path.read_bytes(), f.assertions) == [], f.feature


def test_office_tools_are_no_servers_and_claim_odf():
    for name in ("gnumeric", "abiword", "pandoc", "odfdo"):
        product = catalog.get(name)
        assert product.server is False and product.suites == ("odf",)
        assert "odf-roundtrip" in product.capabilities and product.install_hint
        assert product.tool_endpoints()["odf-roundtrip"].startswith("tool:")
    lo = catalog.get("libreoffice")
    assert lo.server is True and {"odf-roundtrip", "ooxml-roundtrip", "odf-text", "odf-spreadsheet",
                                  "odf-presentation"} <= lo.capabilities


def test_real_round_trips_through_odfdo_and_warm_libreoffice(tmp_path, require, no_leftovers):  # noqa: F811
    require("odfdo")
    require("libreoffice")
    out = tmp_path / "run"
    proc = overstap("run", "--suite", "odf", "--target", "odfdo", "--target", "libreoffice",
                    "-k", "footnote or sections or formulas", "--out", str(out), timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    report = load_json(out / "report.json")
    targets = {t["id"]: t for t in report["targets"]}
    assert set(targets) == {"odfdo", "libreoffice"}
    assert targets["libreoffice"]["version"][0].isdigit() and targets["odfdo"]["version"][0].isdigit()
    assert targets["odfdo"]["endpoints"] == {"odf-roundtrip": "tool:odfdo"}
    results = {(r["target"], r["check"]): r for r in report["results"]}
    for target in ("odfdo", "libreoffice"):
        for feature in ("footnote", "sections", "formulas"):
            valid = results[(target, f"odf/roundtrip-valid/{feature}")]
            survives = results[(target, f"odf/roundtrip/{feature}")]
            assert valid["level"] == "MUST" and survives["level"] == "SHOULD"
            assert valid["status"] == "PASS", valid
            assert survives["status"] == "PASS", survives
            assert survives["clause"].startswith("ODF 1.3 Part 3 §")
    # odfdo writes no OOXML: the OOXML path is an optional capability it does not claim
    assert results[("odfdo", "odf/ooxml/footnote")]["status"] == "PRECONDITION_FAILED"
    assert results[("libreoffice", "odf/ooxml/footnote")]["status"] == "PASS"
    # a real loss: Word has no named sections, so the ODF section does not come back from DOCX
    lost = results[("libreoffice", "odf/ooxml/sections")]
    assert lost["status"] == "WARN", lost
    assert "//text:section[@text:name='Overstap Section']" in lost["message"]
    steps = [(e["request"]["method"], e["request"]["url"]) for e in lost["evidence"]["exchanges"]]
    assert [m for m, _ in steps] == ["XML-RPC", "XML-RPC", "XPATH"], steps
    assert "convert_to='docx'" in steps[0][1] and "convert_to='odt'" in steps[1][1]


def test_local_provider_starts_no_process_for_a_tool(require, no_leftovers):  # noqa: F811
    from harness.providers.local import LocalTarget

    require("pandoc")
    provider = LocalTarget(catalog.get("pandoc"))
    target = provider.start()
    try:
        assert target.endpoints == {"odf-roundtrip": "tool:pandoc"} and target.provider == "local"
        assert target.version[0].isdigit() and provider.guard is None and provider.workdir is None
    finally:
        provider.stop()
        provider.stop()  # safe twice, as for servers
