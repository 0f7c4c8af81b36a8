"""Stand-ins for what a hostile office tool could hand Overstap's future ODF reader.

- :func:`zip_bomb`: an ODF-looking package whose content.xml decompresses to ~1 GiB (about 1 MB on disk);
- :func:`traversal_zip`: entries named ``../../x``, ``/abs``, ``..\\win``;
- :func:`non_utf8_xml_samples`: content.xml bodies in Latin-1 without a declaration, mislabelled, UTF-16 without BOM;
- :func:`deeply_nested_xml`: an element nested ``depth`` levels deep.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

MIMETYPE = b"application/vnd.oasis.opendocument.text"


def zip_bomb(path: Path, decoded_bytes: int = 1024 * 1024 * 1024) -> Path:
    """A package whose ``content.xml`` is ``decoded_bytes`` of spaces inside an element (streamed, not held)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE)  # stored, first, as ODF wants
        info = zipfile.ZipInfo("content.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(b"<office:document-content xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0'>")
            chunk = b" " * (1 << 20)
            for _ in range(decoded_bytes // len(chunk)):
                fh.write(chunk)
            fh.write(b"</office:document-content>")
    return path


def traversal_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", MIMETYPE)
        for name in ("../../x", "/etc/overstap-abs", "..\\..\\win.txt", "Pictures/../../../x"):
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # ZipInfo would normalise some of these; set the raw name
            zf.writestr(info, b"pwned")
    return path


def non_utf8_xml_samples() -> list[bytes]:
    latin1 = "<text>caf\u00e9 na\u00efve \u00bd</text>".encode("latin-1")
    return [
        latin1,                                                          # no declaration: must be UTF-8
        b'<?xml version="1.0" encoding="UTF-8"?>' + latin1,              # says UTF-8, is not
        b'<?xml version="1.0" encoding="x-no-such-charset"?><a/>',       # unknown encoding
        "<a>\u00e9</a>".encode("utf-16-le"),                             # UTF-16 without BOM
        b"\xef\xbb\xbf\xff\xfe<a/>",                                     # BOM then garbage
        b'<?xml version="1.0" encoding="ISO-8859-1"?>' + latin1,         # declared correctly: fine
    ]


def deeply_nested_xml(depth: int = 100_000) -> bytes:
    return b"<a>" * depth + b"</a>" * depth
