"""Where the OASIS ODF schemas live, and ``overstap schemas download`` to fetch them.

Public API::

    find_schema_dir(explicit: str | os.PathLike | None = None) -> Path     raises SchemaDirNotFound
    download_schemas(dest: Path, *, base_url: str | None = None, versions=SUPPORTED_VERSIONS,
                     timeout=60.0, progress=print_to_stderr) -> list[Path]  raises DownloadError
    add_commands(sub)          registers ``schemas download [--dest DIR] [--base-url URL] [--version V]``
    ENV_VAR = "OVERSTAP_ODF_SCHEMAS"
    user_cache_dir() -> Path   ~/.cache/overstap/odf-schemas (honours $XDG_CACHE_HOME)
    OFFICIAL_URLS              {version: base URL at docs.oasis-open.org}

A schema folder holds ``<version>/<OASIS file name>`` (``1.3/OpenDocument-v1.3-schema.rng``...), the
layout of ``../shared/odf-schemas``; the file names are
:data:`conformance.odf.schema.SCHEMA_FILES`. The schemas are OASIS documents that may be copied but not
modified: Overstap never ships or edits them, it only finds or downloads them.

Exit status of ``schemas download``: 0 all files fetched and verified, 2 any file failed (nothing in
the destination was replaced then: every file is verified before any is moved into place).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from conformance.odf.schema import SCHEMA_FILES, SUPPORTED_VERSIONS

__all__ = [
    "ENV_VAR",
    "OFFICIAL_URLS",
    "DownloadError",
    "SchemaDirNotFound",
    "add_commands",
    "download_schemas",
    "find_schema_dir",
    "user_cache_dir",
]

ENV_VAR = "OVERSTAP_ODF_SCHEMAS"
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "odf-schemas"

#: Where OASIS publishes each version's schemas (see ../shared/odf-schemas/NOTICE.md).
OFFICIAL_URLS = {
    "1.2": "https://docs.oasis-open.org/office/v1.2/os/",
    "1.3": "https://docs.oasis-open.org/office/OpenDocument/v1.3/os/schemas/",
    "1.4": "https://docs.oasis-open.org/office/OpenDocument/v1.4/os/schemas/",
}
MAX_SCHEMA_BYTES = 16 * 1024 * 1024
RNG_NS = "http://relaxng.org/ns/structure/1.0"


class SchemaDirNotFound(FileNotFoundError):
    """No usable schema folder; the message says what was tried and what to set."""


class DownloadError(RuntimeError):
    """One or more schema files could not be fetched or are not RELAX NG grammars."""


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/overstap/odf-schemas``, by default ``~/.cache/overstap/odf-schemas``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "overstap" / "odf-schemas"


def _usable(folder: Path) -> bool:
    """A folder with at least one version's document schema in the expected layout."""
    return any((folder / v / SCHEMA_FILES[v]["document"]).is_file() for v in SUPPORTED_VERSIONS)


def find_schema_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The ODF schema folder: ``explicit``, else ``$OVERSTAP_ODF_SCHEMAS``, else the user cache, else
    ``../shared/odf-schemas`` next to the checkout.

    An explicit folder or the environment variable must be usable (no silent fallback past a folder
    the user named); the cache and the shared folder are used when they hold at least one version.

    Raises:
        SchemaDirNotFound: the named folder is not usable, or none was found; the message says to
            set OVERSTAP_ODF_SCHEMAS or run ``overstap schemas download``.
    """
    layout = "<version>/<OASIS file name>, e.g. 1.3/OpenDocument-v1.3-schema.rng"
    for label, value in (("--schemas", explicit), (ENV_VAR, os.environ.get(ENV_VAR))):
        if value:
            folder = Path(value).expanduser()
            if _usable(folder):
                return folder
            raise SchemaDirNotFound(f"{label} names {folder}, which holds no ODF schema laid out as {layout}")
    tried = []
    for folder in (user_cache_dir(), SHARED):
        tried.append(str(folder))
        if _usable(folder):
            return folder
    raise SchemaDirNotFound(
        f"no ODF schema folder found (tried {', '.join(tried)}): set {ENV_VAR} to a folder laid out as "
        f"{layout}, or run `overstap schemas download` on a machine with internet access"
    )


def _verify(name: str, data: bytes) -> None:
    """Raise DownloadError unless ``data`` is a RELAX NG grammar that lxml compiles (parsed safely)."""
    from lxml import etree

    from conformance.xml import XMLProblem, parse_xml

    if not data:
        raise DownloadError(f"{name}: empty file")
    try:
        root = parse_xml(data, max_bytes=MAX_SCHEMA_BYTES)
    except XMLProblem as exc:
        raise DownloadError(f"{name}: not a RELAX NG grammar: {exc}") from exc
    if root.tag != f"{{{RNG_NS}}}grammar":
        raise DownloadError(f"{name}: not a RELAX NG grammar (root element {root.tag})")
    try:
        etree.RelaxNG(root.getroottree())
    except etree.RelaxNGParseError as exc:
        raise DownloadError(f"{name}: RELAX NG grammar does not compile: {exc}") from exc


def _fetch(url: str, timeout: float) -> bytes:
    import requests

    try:
        with requests.get(url, timeout=timeout, stream=True) as resp:
            if resp.status_code != 200:
                raise DownloadError(f"{url}: HTTP {resp.status_code} {resp.reason}")
            chunks, size = [], 0
            for chunk in resp.iter_content(65536):
                size += len(chunk)
                if size > MAX_SCHEMA_BYTES:
                    raise DownloadError(f"{url}: larger than {MAX_SCHEMA_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as exc:
        raise DownloadError(f"{url}: {exc}") from exc


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def download_schemas(
    dest: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    versions: Iterable[str] = SUPPORTED_VERSIONS,
    timeout: float = 60.0,
    progress: Callable[[str], None] = _stderr,
) -> list[Path]:
    """Fetch the fixed list of OASIS schema files into ``dest/<version>/<name>``.

    Args:
        dest: target folder (default :func:`user_cache_dir`).
        base_url: a mirror laid out as ``BASE/<version>/<name>``; default: the official OASIS
            locations (:data:`OFFICIAL_URLS`).
        versions: which versions to fetch.
        progress: called with one line per file.

    Returns:
        The written paths.

    Raises:
        DownloadError: any file failed (HTTP error, too large, not a RELAX NG grammar); the message
            lists every failure, and no file in ``dest`` was replaced.
        ValueError: an unknown version.
    """
    dest = Path(dest) if dest is not None else user_cache_dir()
    versions = list(versions)
    for v in versions:
        if v not in SCHEMA_FILES:
            raise ValueError(f"unknown ODF version {v!r} (known: {', '.join(SUPPORTED_VERSIONS)})")
    fetched: list[tuple[Path, bytes]] = []
    failures: list[str] = []
    for v in versions:
        base = f"{base_url.rstrip('/')}/{v}/" if base_url else OFFICIAL_URLS[v]
        for name in SCHEMA_FILES[v].values():
            url = base + name
            try:
                data = _fetch(url, timeout)
                _verify(f"{v}/{name}", data)
            except DownloadError as exc:
                failures.append(str(exc))
                progress(f"FAILED {url}: {exc}")
                continue
            progress(f"ok     {url} ({len(data)} bytes)")
            fetched.append((dest / v / name, data))
    if failures:
        raise DownloadError(f"{len(failures)} schema file(s) failed; nothing was replaced in {dest}:\n  "
                            + "\n  ".join(failures))
    written = []
    for path, data in fetched:  # atomic per file: a temp file in the same folder, then os.replace
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    progress(f"{len(written)} schema files in {dest}")
    return written


def _cmd_download(args: argparse.Namespace) -> int:
    try:
        download_schemas(args.dest, base_url=args.base_url, versions=args.version or SUPPORTED_VERSIONS,
                         timeout=args.timeout)
    except (DownloadError, ValueError, OSError) as exc:
        print(f"overstap schemas download: {exc}", file=sys.stderr)
        return 2
    return 0


def add_commands(sub: "argparse._SubParsersAction") -> None:
    """Register ``schemas download`` on the ``overstap`` sub-parsers."""
    schemas = sub.add_parser("schemas", help="manage the OASIS ODF schemas used by `overstap check`",
                             description="The ODF checks validate against the OASIS RELAX NG schemas, found in "
                                         f"--schemas, ${ENV_VAR}, {user_cache_dir()} or ../shared/odf-schemas.")
    schemas_sub = schemas.add_subparsers(dest="action", metavar="ACTION", required=True)
    dl = schemas_sub.add_parser(
        "download", help="fetch the official ODF 1.2/1.3/1.4 schemas from OASIS into the user cache",
        description="Download the OASIS ODF schemas (document, manifest and signature schema of each version), "
                    "check that each is a RELAX NG grammar, and write them atomically into DIR/<version>/.",
        epilog="Exit status: 0 all files written; 2 any file failed (nothing replaced).")
    dl.add_argument("--dest", metavar="DIR", default=None,
                    help=f"target folder (default: {user_cache_dir()})")
    dl.add_argument("--base-url", metavar="URL", default=None,
                    help="a mirror laid out as URL/<version>/<file> (default: docs.oasis-open.org)")
    dl.add_argument("--version", action="append", choices=SUPPORTED_VERSIONS,
                    help="fetch only this version (repeatable; default: all)")
    dl.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                    help="per request (default: %(default)s)")
    dl.set_defaults(func=_cmd_download)
