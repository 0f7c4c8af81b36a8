"""Scale: a 10,000-response multistatus and a real collection of 10,000 files stay cheap.

(a) conformance.multistatus.iter_responses over a generated 10,000-response calendar-like stream: the
    tracemalloc peak stays bounded (the stream is read from a file object, never held whole).
(b) a real WsgiDAV collection with 10,000 files (written straight into the server's data folder), listed
    with PROPFIND Depth 1 through DavClient(stream=True) + iter_responses: time and peak memory bounded.
The numbers are printed (run with -s to see them).
"""

from __future__ import annotations

import io
import time
import tracemalloc

import pytest

from conformance.multistatus import iter_responses
from harness.http import DavClient
from conftest import require_now

N = 10_000


class _Generated(io.RawIOBase):
    """A multistatus of N calendar-object responses, generated as it is read (never whole in memory)."""

    def __init__(self, n: int):
        self._parts = self._gen(n)
        self._buffer = b""
        self.size = 0

    @staticmethod
    def _gen(n):
        yield b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        for i in range(n):
            yield (f'<D:response><D:href>/cal/user/calendar/event-{i:05d}.ics</D:href><D:propstat><D:prop>'
                   f'<D:getetag>"etag-{i}"</D:getetag><D:getcontenttype>text/calendar; charset=utf-8</D:getcontenttype>'
                   f'<C:calendar-data>BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:{i}@x&#13;\n'
                   f'SUMMARY:event number {i} {"x" * 200}&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n</C:calendar-data>'
                   f'</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>').encode()
        yield b"<D:sync-token>urn:x:sync:1</D:sync-token></D:multistatus>"

    def readable(self):
        return True

    def readinto(self, b):
        while len(self._buffer) < len(b):
            try:
                self._buffer += next(self._parts)
            except StopIteration:
                break
        n = min(len(b), len(self._buffer))
        b[:n], self._buffer = self._buffer[:n], self._buffer[n:]
        self.size += n
        return n


def test_iter_responses_10000_bounded_memory():
    stream = _Generated(N)
    tracemalloc.start()
    started = time.monotonic()
    ms = iter_responses(io.BufferedReader(stream, 64 * 1024))
    count = sum(1 for r in ms if r.propstats[0].status == 200)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\niter_responses: {count} responses, {stream.size / 2**20:.1f} MB streamed, "
          f"tracemalloc peak {peak / 2**20:.2f} MB, {elapsed:.2f} s")
    assert count == N and ms.sync_token == "urn:x:sync:1"
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB for a {stream.size / 2**20:.0f} MB stream"
    assert peak < stream.size / 4
    assert elapsed < 30


def test_propfind_depth1_over_10000_files_real_server():
    require_now("wsgidav")
    from harness import catalog
    from harness.providers.local import LocalTarget

    local = LocalTarget(catalog.get("wsgidav"), "scale")
    target = local.start()
    try:
        folder = local.workdir / "data" / "big"
        folder.mkdir()
        for i in range(N):
            (folder / f"file-{i:05d}.txt").write_bytes(b"x" * (i % 97))
        client = DavClient(target, base=target.endpoints["webdav"] + "big/", timeout=(5, 120))
        tracemalloc.start()
        started = time.monotonic()
        response = client.request("PROPFIND", "", headers={"Depth": "1"}, stream=True)
        assert response.status_code == 207
        response.raw.decode_content = True
        names = set()
        for r in iter_responses(response.raw):
            names.add(r.path.rsplit("/", 1)[-1])
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        response.close()
        print(f"\nPROPFIND Depth 1 over {N} files (wsgidav): {elapsed:.2f} s, tracemalloc peak {peak / 2**20:.2f} MB")
        assert len({n for n in names if n.startswith("file-")}) == N
        assert peak < 32 * 2**20, f"peak {peak / 2**20:.1f} MB"
        assert elapsed < 90
    finally:
        local.stop()
