"""pandoc: text documents through its own document model, ODT -> ODT and ODT -> DOCX -> ODT."""

from __future__ import annotations

from harness.catalog._office import OfficeTool, kinds
from harness.catalog.base import run_version_command


class Pandoc(OfficeTool):
    name = "pandoc"
    title = "pandoc"
    capabilities = frozenset({"odf-roundtrip", "ooxml-roundtrip"}) | kinds("text")
    install_hint = "apt-get install pandoc"
    binaries = ("pandoc",)
    tool = "pandoc"

    def local_version(self) -> str:
        return run_version_command(["pandoc", "--version"], r"pandoc(?:\.\S*)? ([0-9][0-9.]*)")


PRODUCT = Pandoc()
