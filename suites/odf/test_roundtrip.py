"""ODF round trips: open each fixture in the tool, save it as ODF (and via OOXML), judge what came back.

Checks, one per fixture feature (ids are tool-independent):

- ``odf/roundtrip-valid/<feature>`` (MUST): the saved document is a conforming OpenDocument document,
  strict or extended (ODF 1.3 Part 3 §2.2.1/§2.2.2, package rules ODF 1.3 Part 2 §3). A producer
  writing invalid ODF breaks a "shall".
- ``odf/roundtrip/<feature>`` (SHOULD): the feature survives, judged by the fixture's XPath assertions
  (fixtures/odf/<feature>.json). ODF does not oblige a consumer to keep what it cannot interpret
  (ODF 1.3 Part 3 §2.3: a consumer "need not interpret the semantics of all elements"), so a loss is
  a portability defect, not a conformance breach: WARN, with every lost assertion in the message.
- ``odf/ooxml-valid/<feature>``, ``odf/ooxml/<feature>``: the same after ODF -> DOCX/XLSX/PPTX -> ODF,
  for tools that claim ``ooxml-roundtrip`` (others: PRECONDITION_FAILED).

A fixture of a document kind the tool does not handle (``odf-text``/``odf-spreadsheet``/
``odf-presentation``) gives SKIP. Evidence: the tool invocations (command line or call) and the lost
XPath expressions.
"""

from __future__ import annotations

import pytest

from conformance.odf import validate_odf
from harness.checks import check
from harness.office import OOXML
from harness.schemas import find_schema_dir
from suites.odf.helpers import failed_assertions, load_fixtures

REQUIRES = "odf-roundtrip"
VALID_CLAUSE = "ODF 1.3 Part 3 §2.2.1, §2.2.2; ODF 1.3 Part 2 §3"
FIXTURES = load_fixtures()


def _params(group: str, level: str, optional: str | None = None, clause=None):
    return [pytest.param(f, id=f.feature,
                         marks=check(f"odf/{group}/{f.feature}", clause=clause or f.clause, level=level,
                                     requires=REQUIRES, optional=optional))
            for f in FIXTURES]


@pytest.fixture(scope="session")
def schema_dir():
    return find_schema_dir()


def _judge_valid(data: bytes, schema_dir, how: str) -> None:
    verdict = validate_odf(data, schema_dir)
    errors = [f for f in verdict.findings if f.severity == "error"]
    detail = "; ".join(f"{f.component or 'package'}{':' + str(f.line) if f.line else ''}: {f.message[:300]} "
                       f"({f.clause})" for f in errors[:3])
    assert verdict.conformance_class != "invalid", \
        f"the document saved {how} is not valid ODF ({len(errors)} errors): {detail}"


def _judge_survival(data: bytes, fixture, evidence, how: str) -> None:
    lost = failed_assertions(data, fixture.assertions)
    for a in lost:
        evidence.record("XPATH", f"{a['part']}: {a['xpath']}", None, "", 0.0,
                        error=f"no match after the round trip {how} ({a['what']})")
    assert not lost, (f"{fixture.what}: {len(lost)} of {len(fixture.assertions)} assertions lost {how}: "
                      + "; ".join(f"{a['what']} [{a['part']}: {a['xpath']}]" for a in lost))


@pytest.mark.parametrize("fixture", _params("roundtrip-valid", "MUST", clause=VALID_CLAUSE))
def test_roundtrip_valid(fixture, convert, schema_dir):
    _judge_valid(convert(fixture), schema_dir, "as ODF")


@pytest.mark.parametrize("fixture", _params("roundtrip", "SHOULD"))
def test_roundtrip_survives(fixture, convert, evidence):
    _judge_survival(convert(fixture), fixture, evidence, "ODF -> ODF")


@pytest.mark.parametrize("fixture", _params("ooxml-valid", "MUST", optional="ooxml-roundtrip", clause=VALID_CLAUSE))
def test_ooxml_valid(fixture, convert, schema_dir):
    _judge_valid(convert(fixture, via=OOXML[fixture.ext]), schema_dir, f"as ODF after {OOXML[fixture.ext].upper()}")


@pytest.mark.parametrize("fixture", _params("ooxml", "SHOULD", optional="ooxml-roundtrip"))
def test_ooxml_survives(fixture, convert, evidence):
    via = OOXML[fixture.ext]
    _judge_survival(convert(fixture, via=via), fixture, evidence, f"ODF -> {via.upper()} -> ODF")
