"""Gnumeric's ``ssconvert``: spreadsheets only, ODS -> ODS and ODS -> XLSX -> ODS, one process per document."""

from __future__ import annotations

from harness.catalog._office import OfficeTool, kinds
from harness.catalog.base import run_version_command


class Gnumeric(OfficeTool):
    name = "gnumeric"
    title = "Gnumeric (ssconvert)"
    capabilities = frozenset({"odf-roundtrip", "ooxml-roundtrip"}) | kinds("spreadsheet")
    install_hint = "apt-get install gnumeric"
    binaries = ("ssconvert",)
    tool = "ssconvert"

    def local_version(self) -> str:
        return run_version_command(["ssconvert", "--version"], r"version '?([0-9][0-9.]*)")


PRODUCT = Gnumeric()
