"""The ODF fixtures (fixtures/odf/, made by fixtures/odf/generate.py) and how their assertions are judged.

Both live outside the suite so that the ``documents`` moves (harness/moves) share them: the fixtures
are loaded by :mod:`harness.office`, the assertions judged by :mod:`conformance.odf.survival`.
"""

from __future__ import annotations

from conformance.odf.survival import NAMESPACES, failed_assertions, holds, read_part
from harness.office import FIXTURES, Fixture, load_fixtures

__all__ = ["FIXTURES", "NAMESPACES", "Fixture", "failed_assertions", "holds", "load_fixtures", "read_part"]
