"""odfdo (PyPI): a Python ODF library; the round trip is ``Document(path).save(out)`` in-process."""

from __future__ import annotations

from harness.catalog._office import OfficeTool, kinds
from harness.catalog.base import ProductUnavailable


class Odfdo(OfficeTool):
    name = "odfdo"
    title = "odfdo (Python library)"
    capabilities = frozenset({"odf-roundtrip"}) | kinds("text", "spreadsheet", "presentation")
    install_hint = "pip install odfdo"
    tool = "odfdo"

    def missing(self) -> str | None:
        try:
            import odfdo  # noqa: F401
        except ImportError:
            return f"the odfdo module is missing; install with: {self.install_hint}"
        return None

    def local_version(self) -> str:
        try:
            import odfdo
        except ImportError as exc:
            raise ProductUnavailable(str(exc)) from exc
        return getattr(odfdo, "__version__", "unknown")


PRODUCT = Odfdo()
