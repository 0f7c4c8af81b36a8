"""harness.schemas: finding the ODF schema folder, and `schemas download` against a LOCAL http.server.

The server serves a tmp copy of ../shared/odf-schemas (never the real OASIS site); a corrupt file and
a 404 must fail the download without replacing anything in the destination.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from conformance.odf.schema import SCHEMA_FILES
from harness import schemas
from harness.schemas import DownloadError, SchemaDirNotFound, download_schemas, find_schema_dir

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "odf-schemas"


@pytest.fixture
def mirror(tmp_path):
    """A copy of the shared schemas served by http.server on 127.0.0.1; yields (folder, base URL)."""
    if not SHARED.is_dir():
        import os

        if os.environ.get("OVERSTAP_REQUIRE_ALL"):
            pytest.fail(f"shared schemas missing at {SHARED}")
        pytest.skip(f"shared schemas missing at {SHARED}")
    root = tmp_path / "mirror"
    for version, names in SCHEMA_FILES.items():
        (root / version).mkdir(parents=True)
        for name in names.values():
            shutil.copyfile(SHARED / version / name, root / version / name)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def test_download_writes_every_file_verified(mirror, tmp_path):
    root, url = mirror
    dest = tmp_path / "cache"
    lines = []
    written = download_schemas(dest, base_url=url, progress=lines.append)
    assert len(written) == sum(len(v) for v in SCHEMA_FILES.values())
    for version, names in SCHEMA_FILES.items():
        for name in names.values():
            assert (dest / version / name).read_bytes() == (root / version / name).read_bytes()
    assert not list(dest.rglob("*.part")), "temporary files left behind"
    assert any(line.startswith("ok ") for line in lines) and "schema files in" in lines[-1]
    assert find_schema_dir(dest) == dest


def test_corrupt_file_fails_and_replaces_nothing(mirror, tmp_path):
    root, url = mirror
    dest = tmp_path / "cache"
    download_schemas(dest, base_url=url, versions=["1.3"], progress=lambda _: None)
    before = (dest / "1.3" / SCHEMA_FILES["1.3"]["manifest"]).read_bytes()
    (root / "1.3" / SCHEMA_FILES["1.3"]["document"]).write_bytes(b"<html>oops, a captive portal</html>")
    (root / "1.3" / SCHEMA_FILES["1.3"]["manifest"]).write_bytes(b"<grammar")  # truncated
    with pytest.raises(DownloadError) as exc:
        download_schemas(dest, base_url=url, versions=["1.3"], progress=lambda _: None)
    text = str(exc.value)
    assert "not a RELAX NG grammar" in text and "nothing was replaced" in text
    assert (dest / "1.3" / SCHEMA_FILES["1.3"]["manifest"]).read_bytes() == before


def test_404_fails_with_the_url(mirror, tmp_path):
    root, url = mirror
    (root / "1.4" / SCHEMA_FILES["1.4"]["dsig"]).unlink()
    dest = tmp_path / "cache"
    with pytest.raises(DownloadError, match=r"HTTP 404"):
        download_schemas(dest, base_url=url, versions=["1.4"], progress=lambda _: None)
    assert not dest.exists() or not any(dest.rglob("*.rng"))


def test_cli_command(mirror, tmp_path, capsys):
    _, url = mirror
    parser = argparse.ArgumentParser(prog="overstap")
    schemas.add_commands(parser.add_subparsers(dest="command"))
    dest = tmp_path / "dl"
    args = parser.parse_args(["schemas", "download", "--dest", str(dest), "--base-url", url, "--version", "1.2"])
    assert args.func(args) == 0
    assert (dest / "1.2" / SCHEMA_FILES["1.2"]["document"]).is_file()
    args = parser.parse_args(["schemas", "download", "--dest", str(dest), "--base-url", url + "/nowhere"])
    assert args.func(args) == 2
    assert "HTTP 404" in capsys.readouterr().err


def test_find_schema_dir_order(tmp_path, monkeypatch):
    good = tmp_path / "good"
    (good / "1.3").mkdir(parents=True)
    (good / "1.3" / SCHEMA_FILES["1.3"]["document"]).write_text("<grammar/>")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(schemas.ENV_VAR, raising=False)
    assert find_schema_dir(good) == good
    with pytest.raises(SchemaDirNotFound, match="--schemas"):
        find_schema_dir(empty)
    monkeypatch.setenv(schemas.ENV_VAR, str(good))
    assert find_schema_dir() == good
    monkeypatch.setenv(schemas.ENV_VAR, str(empty))
    with pytest.raises(SchemaDirNotFound, match=schemas.ENV_VAR):
        find_schema_dir()
    monkeypatch.delenv(schemas.ENV_VAR)
    cache = tmp_path / "xdg" / "overstap" / "odf-schemas"
    shutil.copytree(good, cache)
    assert find_schema_dir() == cache
    shutil.rmtree(cache)
    monkeypatch.setattr(schemas, "SHARED", good)
    assert find_schema_dir() == good
    monkeypatch.setattr(schemas, "SHARED", empty)
    with pytest.raises(SchemaDirNotFound, match="OVERSTAP_ODF_SCHEMAS.*schemas download"):
        find_schema_dir()
