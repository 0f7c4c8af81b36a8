"""Run ``conformance.files.check_file`` over the real-world iCalendar corpus (never copied into the repo).

The corpus is ``../shared/corpus/icalendar`` relative to the repository, or ``$OVERSTAP_CORPUS/icalendar``
(see ../shared/corpus/README.md). Some files are deliberately broken: every file must get a Verdict,
every invalid verdict must say why (error findings with a clause), and nothing may raise or crash.
Missing corpus: skipped, unless ``OVERSTAP_REQUIRE_ALL`` is set (then the test fails).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from conformance.files import check_file

REPO = Path(__file__).resolve().parent.parent


def _corpus_dir() -> Path:
    root = Path(os.environ["OVERSTAP_CORPUS"]) if os.environ.get("OVERSTAP_CORPUS") else REPO.parent / "shared" / "corpus"
    return root / "icalendar"


CORPUS = _corpus_dir()
FILES = sorted(p for p in CORPUS.glob("*") if p.is_file() and p.suffix.lower() == ".ics") if CORPUS.is_dir() else []


def _require_corpus() -> None:
    if FILES:
        return
    message = f"iCalendar corpus not found at {CORPUS} (set OVERSTAP_CORPUS to the folder holding icalendar/)"
    if os.environ.get("OVERSTAP_REQUIRE_ALL"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("path", FILES or [None], ids=[p.name for p in FILES] or ["corpus-missing"])
def test_every_corpus_file_gets_a_reasoned_verdict(path):
    _require_corpus()
    verdict = check_file(path)
    assert verdict.kind == "icalendar"
    assert not any(f.clause == "overstap" for f in verdict.findings), [str(f) for f in verdict.findings]
    if not verdict.valid:
        assert verdict.errors, "an invalid verdict needs at least one error finding"
        for finding in verdict.errors:
            assert finding.clause.startswith("RFC 5545 §") and finding.message
    for finding in verdict.findings:
        assert finding.to_dict()["severity"] in ("error", "warning")


def test_corpus_summary(capsys):
    _require_corpus()
    verdicts = {p.name: check_file(p) for p in FILES}
    valid = sum(v.valid for v in verdicts.values())
    clauses = Counter(f"{f.severity} {f.clause}" for v in verdicts.values() for f in v.findings)
    files_per_clause = Counter(
        clause for v in verdicts.values() for clause in {f"{f.severity} {f.clause}" for f in v.findings}
    )
    with capsys.disabled():
        print(f"\niCalendar corpus: {len(verdicts)} files, {valid} valid, {len(verdicts) - valid} invalid")
        for clause, files in files_per_clause.most_common(12):
            print(f"  {clause}: {files} files, {clauses[clause]} findings")
    assert len(verdicts) == len(FILES)
    # the corpus holds deliberately broken files; the checker must find some of both kinds
    assert 0 < valid < len(verdicts)
