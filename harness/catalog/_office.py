"""Shared base of the office tools tested by the ``odf`` suite (not a product itself).

Capabilities of an office tool (DESIGN.md "capability"):

- ``odf-roundtrip``: it opens an ODF document and saves it again as ODF;
- ``ooxml-roundtrip``: it can also go ODF -> DOCX/XLSX/PPTX -> ODF;
- ``odf-text``, ``odf-spreadsheet``, ``odf-presentation``: the document kinds it handles; the suite
  gives SKIP (not applicable) for a fixture of a kind the tool does not claim.
"""

from __future__ import annotations

from harness.catalog.base import Product

KINDS = ("text", "spreadsheet", "presentation")


class OfficeTool(Product):
    """A converter that is no server: the local provider starts nothing (``server = False``)."""

    suites = ("odf",)
    services = ("odf-roundtrip",)
    server = False
    tool = ""  # the locator after ``tool:`` that harness/office.py knows how to run

    def tool_endpoints(self) -> dict[str, str]:
        return {"odf-roundtrip": f"tool:{self.tool}"}


def kinds(*names: str) -> frozenset[str]:
    """The capability names for the document kinds a tool handles."""
    assert all(n in KINDS for n in names)
    return frozenset(f"odf-{n}" for n in names)
