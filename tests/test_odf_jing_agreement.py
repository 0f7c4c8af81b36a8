"""conformance.odf against jing over the real-world ODF corpus (../shared/corpus/odf, never copied here).

For every file: ``check_odf`` must return a verdict without crashing. For every part it validated,
its strict verdict must equal jing's (``java -Xss64m -jar jing.jar -i SCHEMA jar:file:...!/PART``,
read straight from the zip, one JVM per schema), and its extended verdict must equal jing's on the
same part with the foreign markup removed -- apart from the exceptions in ``KNOWN_EXCEPTIONS``,
each explained in docs/odf.md ("Agreement with jing").

Skipped when jing, the schemas or the corpus are missing, unless OVERSTAP_REQUIRE_ALL is set.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance.odf import check_odf
from conformance.odf.schema import find_jing

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ["OVERSTAP_CORPUS"]) / "odf" if os.environ.get("OVERSTAP_CORPUS") else \
    REPO.parent / "shared" / "corpus" / "odf"
SCHEMAS = Path(os.environ.get("OVERSTAP_ODF_SCHEMAS") or REPO.parent / "shared" / "odf-schemas")
FILES = sorted(p for p in CORPUS.glob("*") if p.is_file() and p.suffix != ".tsv") if CORPUS.is_dir() else []

#: (file, part, level) -> reason. Keep in step with docs/odf.md. Empty: full agreement on the corpus.
KNOWN_EXCEPTIONS: dict[tuple[str, str, str], str] = {}


def _require() -> list[str]:
    jing = find_jing()
    missing = [what for what, ok in (("the ODF corpus at " + str(CORPUS), FILES),
                                     ("ODF schemas at " + str(SCHEMAS), (SCHEMAS / "1.2").is_dir()),
                                     ("jing (apt-get install jing default-jre-headless)", jing)) if not ok]
    if missing:
        message = "missing: " + "; ".join(missing)
        if os.environ.get("OVERSTAP_REQUIRE_ALL"):
            pytest.fail(message)
        pytest.skip(message)
    return jing


def _jing_errors(jing: list[str], schema: Path, ids: list[str]) -> set[str]:
    """Which of ``ids`` (jar: URIs or file paths) jing rejects: one JVM for all of them."""
    proc = subprocess.run([*jing, "-i", str(schema), *ids], capture_output=True, timeout=1800, check=False)
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    assert "StackOverflowError" not in out, "jing needs -Xss64m (find_jing passes it)"
    rejected = set()
    by_length = sorted(ids, key=len, reverse=True)
    for line in out.splitlines():
        for ident in by_length:
            if line.startswith(ident + ":"):
                rejected.add(ident)
                break
    return rejected


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    jing = _require()
    tmp = tmp_path_factory.mktemp("stripped")
    reports, strict, extended = {}, defaultdict(dict), defaultdict(dict)
    for n, path in enumerate(FILES):
        report = check_odf(path, SCHEMAS)
        reports[path.name] = report
        for part in report.parts:
            uri = "jar:" + path.as_uri() + "!/" + quote(part.part)
            strict[part.schema][uri] = (path.name, part.part, part.strict.valid)
            if part.extended is not None and part.stripped is not None and part.strict.valid is False:
                copy = tmp / f"{n}-{part.part.replace('/', '_')}"
                copy.write_bytes(part.stripped)
                extended[part.schema][str(copy)] = (path.name, part.part, part.extended.valid)
    disagreements = []
    for level, table in (("strict", strict), ("extended", extended)):
        for schema, items in table.items():
            rejected = _jing_errors(jing, schema, list(items))
            for ident, (name, part, ours) in items.items():
                theirs = ident not in rejected
                if ours is not theirs:
                    disagreements.append((name, part, level, ours, theirs))
    return reports, disagreements


def test_every_file_gets_a_verdict(corpus_run):
    reports, _ = corpus_run
    assert len(reports) == len(FILES)
    for name, report in reports.items():
        v = report.verdict
        assert v.kind == "odf"
        assert not any(f.clause == "overstap" for f in v.findings), name
        assert v.conformance_class in ("strict", "extended", "invalid", None)
        if v.conformance_class == "invalid":
            assert v.errors and all(f.clause for f in v.errors), name


def test_verdicts_agree_with_jing(corpus_run):
    _, disagreements = corpus_run
    unexpected = [d for d in disagreements if d[:3] not in KNOWN_EXCEPTIONS]
    assert not unexpected, "ours vs jing (file, part, level, ours, jing): " + repr(unexpected)
    stale = set(KNOWN_EXCEPTIONS) - {d[:3] for d in disagreements}
    assert not stale, f"exceptions that no longer happen (remove them here and in docs/odf.md): {stale}"


def test_corpus_summary(corpus_run, capsys):
    reports, _ = corpus_run
    classes = Counter(str(r.verdict.conformance_class) for r in reports.values())
    engines = Counter(p.strict.engine for r in reports.values() for p in r.parts)
    with capsys.disabled():
        print(f"\nODF corpus: {len(reports)} files; classes {dict(classes)}; part engines {dict(engines)}")
    assert sum(classes.values()) == len(FILES)
