"""AbiWord: text documents, ODT -> ODT and ODT -> DOCX -> ODT through ``abiword --to``, one process per document."""

from __future__ import annotations

from harness.catalog._office import OfficeTool, kinds
from harness.catalog.base import run_version_command


class AbiWord(OfficeTool):
    name = "abiword"
    title = "AbiWord"
    capabilities = frozenset({"odf-roundtrip", "ooxml-roundtrip"}) | kinds("text")
    install_hint = "apt-get install abiword"
    binaries = ("abiword",)
    tool = "abiword"

    def local_version(self) -> str:
        return run_version_command(["abiword", "--version"], r"([0-9]+\.[0-9][0-9.]*)")


PRODUCT = AbiWord()
