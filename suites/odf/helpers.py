"""The ODF fixtures (fixtures/odf/, made by fixtures/odf/generate.py) and how their assertions are judged."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from conformance.xml import parse_xml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "odf"
NAMESPACES = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}


@dataclass(frozen=True)
class Fixture:
    feature: str
    kind: str  # text | spreadsheet | presentation
    path: Path
    what: str
    clause: str
    assertions: tuple[dict, ...]

    @property
    def ext(self) -> str:
        return self.path.suffix[1:]


def load_fixtures() -> list[Fixture]:
    """Every fixture with its sidecar, in name order (the sidecars are the source of the checks)."""
    out = []
    for side in sorted(FIXTURES.glob("*.json")):
        meta = json.loads(side.read_text(encoding="utf-8"))
        out.append(Fixture(meta["feature"], meta["kind"], FIXTURES / meta["file"], meta["what"], meta["clause"],
                           tuple(meta["assertions"])))
    return out


def read_part(package: bytes, part: str) -> etree._Element | None:
    """The parsed ``part`` of an ODF package (safe parser: no entities, no DTD), or None when absent."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            data = zf.read(part)
    except (KeyError, zipfile.BadZipFile):
        return None
    return parse_xml(data)


def holds(root: etree._Element | None, xpath: str) -> bool:
    """True when ``xpath`` gives a non-empty node set, true, or a non-zero number on ``root``."""
    if root is None:
        return False
    value = root.xpath(xpath, namespaces=NAMESPACES)
    if isinstance(value, list):
        return bool(value)
    return bool(value)


def failed_assertions(package: bytes, assertions) -> list[dict]:
    """The assertions (``{"part", "xpath", "what"}``) that do not hold on ``package``."""
    parts: dict[str, etree._Element | None] = {}
    lost = []
    for a in assertions:
        names = a["part"].split("|")  # "content.xml|styles.xml": the assertion holds on either part
        for name in names:
            if name not in parts:
                try:
                    parts[name] = read_part(package, name)
                except Exception:  # not well-formed: every assertion on it fails (validity is judged apart)
                    parts[name] = None
        if not any(holds(parts[name], a["xpath"]) for name in names):
            lost.append(a)
    return lost
