"""Portability moves against real local servers (docs/moves.md): no mocks.

- radicale -> xandikos and back with the built-in calendar and contact fixtures: the report shape,
  a known real loss with its evidence (Radicale cuts a vCard 4.0 ``PHOTO:data:`` URI at the comma),
  and nothing left in either home afterwards.
- wsgidav -> apache with the built-in files: every byte arrives.
- ``overstap run --corpus ../shared/corpus``: every corpus file gets a verdict (moved, with intact or
  not, or rejected as invalid to begin with); rejected files are never counted as losses.
"""

from __future__ import annotations

import os

import json
from urllib.parse import unquote

import jsonschema
import pytest

from harness import catalog
from harness.http import DavClient
from harness.moves import dav, load, run_pairs
from harness.moves.payload import Payload
from harness.providers.local import LocalTarget
from harness.report.model import schema
from conftest import REPO, overstap, require_now

CORPUS = REPO.parent / "shared" / "corpus"


def _move_schema() -> dict:
    s = schema()
    return {"$defs": s["$defs"], **s["properties"]["moves"]}


def _leftovers(target, kind: str, prefix: str) -> list[str]:
    """Names under the target's home (or WebDAV root) that start with ``prefix``."""
    parent = target.endpoints["webdav"] if kind == "files" else dav.discover_home(target, kind, prefix + "x/", (5, 30))
    client = DavClient(target, base=parent, write_scope=parent + prefix + "never/")
    try:
        response = client.propfind(parent, depth="1")
        assert response.status_code == 207, response.status_code
        names = [unquote(item.path.rstrip("/").rsplit("/", 1)[-1]) for item in dav._ms(response)]
    finally:
        client.close()
    return [n for n in names if n.startswith(prefix)]


@pytest.fixture
def started(request):
    """``start(*products) -> {id: Target}``; every target stopped at the end."""
    providers = []

    def start(*names):
        out = {}
        for name in names:
            require_now(name)
            provider = LocalTarget(catalog.get(name))
            providers.append(provider)
            out[name] = provider.start()
        return out

    yield start
    for provider in providers:
        provider.stop()


def _only(payload: Payload, *kinds: str) -> Payload:
    out = Payload(origin=payload.origin, rejected=payload.rejected)
    for kind in kinds:
        out.items[kind] = payload.items[kind]
    return out


def test_calendar_and_contacts_radicale_xandikos_and_back(started):
    targets = started("radicale", "xandikos")
    payload = _only(load(), "calendar", "contacts")
    run_id = "t-moves-dav"
    pairs = [(k, a, b) for k in ("calendar", "contacts") for a, b in (("radicale", "xandikos"), ("xandikos", "radicale"))]
    moves = run_pairs(targets, pairs, payload, run_id)
    jsonschema.validate(moves, _move_schema())
    assert [(m["kind"], m["source"], m["destination"]) for m in moves] == sorted(pairs)
    for m in moves:
        assert "error" not in m, m["error"]
        assert m["items"] == len(payload.items[m["kind"]]) > 0
        assert 0 <= m["items_intact"] <= m["items"]
        assert 0 <= m["properties_lost"] <= m["properties_total"]
        assert len(m["item_verdicts"]) == m["items"]
        for loss in m["losses"]:
            assert loss["hop"] in ("A", "B") and loss["kind"] in ("lost", "changed", "added")
    # the known real loss: Radicale (vobject) writes a vCard 4.0 data: URI PHOTO back cut at the comma
    by = {(m["kind"], m["source"], m["destination"]): m for m in moves}
    for (src, dst), hop in ((("radicale", "xandikos"), "A"), (("xandikos", "radicale"), "B")):
        photo = [l for l in by[("contacts", src, dst)]["losses"] if l["property"] == "PHOTO"]
        assert photo, f"expected the PHOTO loss in contacts {src} -> {dst}"
        assert photo[0]["hop"] == hop and photo[0]["item"].startswith("contacts/v4-photo.vcf")
        assert "base64," in photo[0]["original"] and "base64," not in (photo[0]["received"] or "")
        assert photo[0]["received"].startswith("PHOTO:")  # the line as the server sent it, as evidence
    for kind in ("calendar", "contacts"):
        for target in targets.values():
            assert _leftovers(target, kind, f"overstap-{run_id}-") == []


def test_files_wsgidav_to_apache_bytes_intact(started):
    targets = started("wsgidav", "apache")
    payload = _only(load(), "files")
    run_id = "t-moves-files"
    [m] = run_pairs(targets, [("files", "wsgidav", "apache")], payload, run_id)
    jsonschema.validate([m], _move_schema())
    assert "error" not in m, m["error"]
    assert m["items"] == len(payload.items["files"]) >= 12
    assert m["items_intact"] == m["items"], [l for l in m["losses"] if l["property"] != "getlastmodified"]
    assert not [l for l in m["losses"] if l["property"] in ("", "content")]
    for target in targets.values():
        assert _leftovers(target, "files", f"overstap-{run_id}-") == []


def test_corpus_every_file_gets_a_verdict(tmp_path, require):
    if not CORPUS.is_dir():
        if os.environ.get("OVERSTAP_REQUIRE_ALL"):
            pytest.fail(f"the shared corpus is not at {CORPUS} (OVERSTAP_REQUIRE_ALL is set)")
        pytest.skip(f"{CORPUS} is not here")
    for name in ("radicale", "xandikos", "wsgidav", "apache"):
        require(name)
    out = tmp_path / "run"
    # -k matches no check: only the moves phase does work
    proc = overstap("run", "--target", "radicale", "--target", "xandikos", "--target", "wsgidav",
                    "--target", "apache", "--suite", "caldav", "--suite", "webdav", "-k", "no_such_check_xyz",
                    "--corpus", str(CORPUS), "--out", str(out), timeout=600)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    jsonschema.validate(report, schema())
    rejected = {r["path"] for r in report["rejected_inputs"]}
    assert rejected and all(r["reasons"] for r in report["rejected_inputs"])
    moved: dict[str, set[bool]] = {}
    for m in report["moves"]:
        assert "error" not in m, m["error"]
        for v in m["item_verdicts"]:
            moved.setdefault(v["source"], set()).add(v["intact"])
        for loss in m["losses"]:  # a rejected input is never a loss
            assert not any(loss["item"] == r or loss["item"].startswith(r + " ") for r in rejected)
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*")
             if p.is_file() and p.name not in ("README.md", "SOURCE.tsv")}
    assert files == rejected | set(moved), sorted(files - rejected - set(moved))[:10]
    assert not rejected & set(moved)
    kinds = {m["kind"] for m in report["moves"]}
    assert {"calendar", "files"} <= kinds
    html = (out / "index.html").read_text("utf-8")
    assert 'id="moves"' in html and 'data-source="radicale" data-destination="xandikos"' in html


def test_payload_split_rounds_and_readme():
    """No server: an .ics with several UIDs splits per UID (VTIMEZONE copied), repeated UIDs go in rounds,
    and every fixture file has its line in fixtures/moves/README.md."""
    from harness.moves.engine import rounds
    from harness.moves.payload import FIXTURES, Item, split_icalendar

    two = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\n"
           b"DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
           b"BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;TZID=X:20240101T100000\r\nEND:VEVENT\r\n"
           b"BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\n"
           b"END:VCALENDAR\r\n")
    parts = dict(split_icalendar(two))
    assert set(parts) == {"a", "b"}
    assert all(b"TZID:X" in body and body.count(b"BEGIN:VEVENT") == 1 for body in parts.values())
    items = [Item("calendar", n, n, b"", "f", uid=u) for n, u in (("1", "a"), ("2", "a"), ("3", "b"), ("4", "a"))]
    assert [[i.name for i in r] for r in rounds(items)] == [["1", "3"], ["2"], ["4"]]
    readme = (FIXTURES / "README.md").read_text("utf-8")
    payload = load()
    assert not payload.rejected
    for kind in ("calendar", "contacts", "files"):
        for item in payload.items[kind]:
            assert item.source.rsplit("/", 1)[-1] in readme or item.name in readme, item.source


# -- documents through office tools --------------------------------------------------------------------


def test_document_pairs_need_a_document_kind_in_common():
    from harness.moves import plan_pairs

    caps = [(name, frozenset(catalog.get(name).capabilities)) for name in ("gnumeric", "pandoc", "odfdo", "libreoffice")]
    pairs = plan_pairs(caps, ("documents",))
    assert ("documents", "gnumeric", "odfdo") in pairs and ("documents", "pandoc", "libreoffice") in pairs
    # Gnumeric handles spreadsheets only, pandoc text only: nothing to move between them
    assert not {p for p in pairs if {p[1], p[2]} == {"gnumeric", "pandoc"}}
    assert len(pairs) == 12 - 2


def test_documents_odfdo_pandoc_abiword(started):
    """Every ordered pair of three real office tools over the ODF feature fixtures: each fixture goes
    through each tool once and each output through each other tool once; known real losses land on the
    hop that lost them, and a tool that writes broken XML gives a whole-item loss, not a traceback."""
    targets = started("odfdo", "pandoc", "abiword")
    payload = _only(load(), "documents")
    text = [i for i in payload.items["documents"] if i.doc_kind == "text"]
    pairs = [("documents", a, b) for a in targets for b in targets if a != b]
    stats: dict = {}
    moves = run_pairs(targets, pairs, payload, "t-moves-docs", doc_stats=stats)
    jsonschema.validate(moves, _move_schema())
    assert [(m["source"], m["destination"]) for m in moves] == sorted((a, b) for _, a, b in pairs)
    # conversions: n tools -> n per document through a source, n(n-1) through a destination
    assert stats["conversions_a"] == 3 * len(text) and stats["conversions_b"] == 6 * len(text)
    by = {(m["source"], m["destination"]): m for m in moves}
    for m in moves:
        assert "error" not in m
        assert m["items"] == len(text) and len(m["item_verdicts"]) == m["items"]  # odfdo's other kinds: no pair
        assert m["properties_total"] == sum(len(i.assertions) for i in text)
        assert m["items_intact"] == sum(v["intact"] for v in m["item_verdicts"])
        assert 0 <= m["properties_lost"] <= m["properties_total"]
        broken = {l["item"] for l in m["losses"]}
        assert all(v["intact"] == (v["item"] not in broken) for v in m["item_verdicts"])
    # pandoc has no sections: lost at B going into pandoc, at A coming out of it, with the XML as evidence
    for pair, hop in ((("odfdo", "pandoc"), "B"), (("pandoc", "odfdo"), "A")):
        [section] = [l for l in by[pair]["losses"] if l["item"] == "sections.odt" and l["property"] == "the named section"]
        assert section["hop"] == hop and section["kind"] == "lost"
        assert 'text:name="Overstap Section"' in section["original"] and section["received"] is None
        assert section["xpath"] == "//text:section[@text:name='Overstap Section']" and section["part"] == "content.xml"
    # AbiWord leaves the comment's office:annotation unclosed: its content.xml is not well-formed
    [whole] = [l for l in by[("abiword", "odfdo")]["losses"] if l["item"] == "comment.odt"]
    assert whole["property"] == "" and whole["hop"] == "A"
    assert "abiword wrote it out as invalid ODF (content.xml: not well-formed XML" in whole["note"]
    assert "odfdo could not convert what abiword wrote" in whole["note"]
    into_abiword = [l for l in by[("odfdo", "abiword")]["losses"] if l["item"] == "comment.odt"]
    assert into_abiword and all(l["hop"] == "B" and "content.xml is not well-formed XML" in l["note"]
                                for l in into_abiword)
    # odfdo -> pandoc and odfdo -> abiword share odfdo's conversion of every fixture
    assert all(m["conversions"] == len(text) for m in moves if m["source"] == "odfdo")


def test_corpus_documents_through_gnumeric_and_odfdo(tmp_path, require):
    """``--corpus``: every valid .ods of the corpus moves between Gnumeric and odfdo and gets a verdict per
    move; invalid ODF is rejected (with the OASIS schemas), never counted as a loss."""
    if not CORPUS.is_dir():
        if os.environ.get("OVERSTAP_REQUIRE_ALL"):
            pytest.fail(f"the shared corpus is not at {CORPUS} (OVERSTAP_REQUIRE_ALL is set)")
        pytest.skip(f"{CORPUS} is not here")
    for name in ("gnumeric", "odfdo"):
        require(name)
    out = tmp_path / "run"
    proc = overstap("run", "--target", "gnumeric", "--target", "odfdo", "--suite", "odf", "-k", "no_such_check_xyz",
                    "--corpus", str(CORPUS), "--out", str(out), timeout=900)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "moves: documents: " in proc.stderr and " conversions " in proc.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    jsonschema.validate(report, schema())
    rejected = {r["path"] for r in report["rejected_inputs"]}
    sheets = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.ods")}
    assert sheets & rejected and sheets - rejected  # the corpus has both
    moves = [m for m in report["moves"] if m["kind"] == "documents"]
    assert sorted((m["source"], m["destination"]) for m in moves) == [("gnumeric", "odfdo"), ("odfdo", "gnumeric")]
    for m in moves:
        assert {v["source"] for v in m["item_verdicts"]} == sheets - rejected
        assert m["items"] == len(sheets - rejected) and m["properties_total"] > m["items"]
        for loss in m["losses"]:
            assert loss["item"] not in rejected and loss["hop"] in ("A", "B")
            assert loss["property"] == "" or loss["property"] in (
                "sheets", "cell values", "cell types", "formulas", "merged cells", "comments", "images", "metadata")
            assert loss["original"]  # the first entry the original had, as evidence
    html = (out / "index.html").read_text("utf-8")
    assert 'id="moves-documents"' in html and 'href="#move-documents-gnumeric-odfdo"' in html


def test_a_tool_that_cannot_run_gives_whole_item_losses_not_a_traceback(started):
    """A target claiming odf-roundtrip whose tool is not there (a misconfigured targets file): every item
    is a whole-item loss naming the reason, on the hop of the broken tool."""
    from harness.moves.documents import run_documents
    from harness.target import Target

    real = started("odfdo")["odfdo"]
    broken = Target("broken", "odfdo", "0", "remote", frozenset({"odf-roundtrip", "odf-text"}),
                    {"odf-roundtrip": "tool:no-such-converter"})
    items = [i for i in load().items["documents"] if i.doc_kind == "text"][:3]
    moves = run_documents({"odfdo": real, "broken": broken}, [("odfdo", "broken"), ("broken", "odfdo")], items)
    jsonschema.validate(moves, _move_schema())
    by = {(m["source"], m["destination"]): m for m in moves}
    for pair, hop, text in ((("broken", "odfdo"), "A", "broken could not convert it: unknown tool 'no-such-converter'"),
                            (("odfdo", "broken"), "B", "broken could not convert what odfdo wrote: unknown tool")):
        m = by[pair]
        assert m["items"] == 3 and m["items_intact"] == 0 and m["properties_lost"] == m["properties_total"] > 0
        assert [(l["property"], l["hop"]) for l in m["losses"]] == [("", hop)] * 3
        assert all(l["note"].startswith(text) for l in m["losses"]), m["losses"][0]["note"]


# -- documents: who lost it (no real tool loses things on demand: documents.roundtrip is replaced) ------


def _odt(paragraphs: list[str]) -> bytes:
    import io
    import zipfile

    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
               f'<office:body><office:text>{body}</office:text></office:body></office:document-content>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
    return buf.getvalue()


def _tools(monkeypatch, behaviour: dict):
    """Targets ``a`` and ``b`` whose conversions are ``behaviour[id](data) -> bytes`` (raising ToolError fails)."""
    from harness.moves import documents
    from harness.target import Target

    monkeypatch.setattr(documents, "roundtrip", lambda endpoint, data, ext, log: behaviour[endpoint[5:]](data))
    return {tid: Target(tid, "odfdo", "0", "remote", frozenset({"odf-roundtrip", "odf-text"}),
                        {"odf-roundtrip": f"tool:{tid}"}) for tid in behaviour}


def test_a_property_changed_by_a_and_again_by_b_reports_both_hops(monkeypatch):
    from harness.moves.documents import run_documents
    from harness.moves.payload import Item

    paragraphs = ["one", "two", "three", "four", "five"]
    item = Item("documents", "p.odt", "p.odt", _odt(paragraphs), "p.odt", doc_kind="text")
    targets = _tools(monkeypatch, {"a": lambda d: _odt(["ONE"] + paragraphs[1:]),  # A changes one paragraph
                                   "b": lambda d: _odt(["ONE"])})  # B then drops four of five
    [m] = run_documents(targets, [("a", "b")], [item])
    jsonschema.validate([m], _move_schema())
    losses = [(l["property"], l["hop"]) for l in m["losses"]]
    assert losses == [("paragraphs", "A"), ("paragraphs", "B")], m["losses"]
    a_loss, b_loss = m["losses"]
    assert "1 changed" in a_loss["note"] and "4 missing" in b_loss["note"] and "compared with what a wrote" in b_loss["note"]
    assert m["properties_lost"] == 1 and m["items_intact"] == 0
    # B keeping what A wrote: only A's loss
    targets = _tools(monkeypatch, {"a": lambda d: _odt(["ONE"] + paragraphs[1:]), "b": lambda d: d})
    [m] = run_documents(targets, [("a", "b")], [item])
    assert [(l["property"], l["hop"]) for l in m["losses"]] == [("paragraphs", "A")]


def test_b_failing_on_everything_is_b_s_loss_even_when_a_wrote_invalid_odf(monkeypatch):
    """The hand-made packages have no manifest: A's output is never valid ODF. B's failure is A's fault
    only when B converted the original itself."""
    from harness.office import ToolError
    from harness.moves.documents import run_documents
    from harness.moves.payload import Item

    item = Item("documents", "p.odt", "p.odt", _odt(["one"]), "p.odt", doc_kind="text")
    marked = _odt(["one", "from a"])

    def timeout(data):
        raise ToolError("timed out after 120 s")

    def b_refuses_a(data):
        if data == marked:
            raise ToolError("cannot read it")
        return data

    # only (a, b): B's own conversion of the original was never tried; B times out -> B
    targets = _tools(monkeypatch, {"a": lambda d: marked, "b": timeout})
    [m] = run_documents(targets, [("a", "b")], [item])
    assert [(l["property"], l["hop"]) for l in m["losses"]] == [("", "B")]
    assert m["losses"][0]["note"] == "b could not convert what a wrote: timed out after 120 s"
    # both directions: B fails on the original too -> still B
    by = {(x["source"], x["destination"]): x for x in run_documents(targets, [("a", "b"), ("b", "a")], [item])}
    assert [l["hop"] for l in by[("a", "b")]["losses"]] == ["B"]
    assert [l["hop"] for l in by[("b", "a")]["losses"]] == ["A"]  # b could not convert it at all
    # B converts the original but not A's invalid output -> A
    targets = _tools(monkeypatch, {"a": lambda d: marked, "b": b_refuses_a})
    by = {(x["source"], x["destination"]): x for x in run_documents(targets, [("a", "b"), ("b", "a")], [item])}
    [loss] = by[("a", "b")]["losses"]
    assert loss["hop"] == "A" and loss["note"].startswith("a wrote it out as invalid ODF (")
    assert loss["note"].endswith("b could not convert what a wrote: cannot read it")


def test_a_document_with_nothing_to_judge_is_not_judged_not_intact(monkeypatch):
    """An original with no structural property (an empty body) gets no verdict of intact and no loss,
    but a note saying it was not judged."""
    from harness.moves.documents import run_documents
    from harness.moves.payload import Item

    empty = Item("documents", "e.odt", "e.odt", _odt([]), "e.odt", doc_kind="text")
    full = Item("documents", "p.odt", "p.odt", _odt(["one"]), "p.odt", doc_kind="text")
    targets = _tools(monkeypatch, {"a": lambda d: d, "b": lambda d: d})
    [m] = run_documents(targets, [("a", "b")], [empty, full])
    jsonschema.validate([m], _move_schema())
    assert m["items"] == 2 and m["items_intact"] == 1 and m["losses"] == [] and m["properties_lost"] == 0
    verdicts = {v["item"]: v for v in m["item_verdicts"]}
    assert verdicts["e.odt"]["intact"] is False and verdicts["e.odt"]["note"].startswith("not judged")
    assert verdicts["p.odt"]["intact"] is True
    assert any(n.startswith("e.odt: not judged") for n in m["notes"])
