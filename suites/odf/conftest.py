"""Fixtures of the ODF round-trip suite: each fixture document goes through the target's tool once per
path (ODF -> ODF, and ODF -> OOXML -> ODF), and every check on it reuses that result and its evidence."""

from __future__ import annotations

import pytest

from harness.office import ToolError, ToolLog, roundtrip


class _Converted:
    def __init__(self, data: bytes | None, exchanges: list, error: ToolError | None):
        self.data, self.exchanges, self.error = data, exchanges, error


@pytest.fixture(scope="session")
def odf_conversions():
    """(target id, feature, via) -> the converted document, the tool invocations and any tool error."""
    return {}


@pytest.fixture
def convert(target, odf_conversions, register_client):
    """``convert(fixture, via=None) -> bytes``: the fixture after the round trip through the target's tool.

    The tool invocations become the check's evidence. A document kind the tool does not handle gives
    SKIP; a tool that fails raises ToolError (status ERROR: the target broke).
    """
    log = register_client(ToolLog())  # registered first, so the tool steps come first in the evidence

    def run(fixture, via: str | None = None) -> bytes:
        if not target.claims(f"odf-{fixture.kind}"):
            pytest.skip(f"not applicable: {target.id} does not handle {fixture.kind} documents")
        key = (target.id, fixture.feature, via)
        if key not in odf_conversions:
            steps = ToolLog()
            try:
                data, error = roundtrip(target.endpoints["odf-roundtrip"], fixture.path.read_bytes(), fixture.ext,
                                        steps, via), None
            except ToolError as exc:
                data, error = None, exc
            odf_conversions[key] = _Converted(data, steps.exchanges, error)
        done = odf_conversions[key]
        log.exchanges.extend(done.exchanges)
        if done.error is not None:
            raise done.error
        return done.data
    return run


@pytest.fixture
def evidence(convert, register_client) -> ToolLog:
    """A log for extra evidence records of the current check (e.g. the XPath that no longer holds);
    its records come after the tool invocations."""
    return register_client(ToolLog())
