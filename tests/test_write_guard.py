"""The write guard of harness.http.DavClient, attacked (README "Safety").

Part 1: DavClient must refuse every write outside its ``write_scope`` -- whatever the spelling of the
URL or of the Destination header -- and the refused request must never reach the server (a
recording server on loopback, :mod:`tests.hostile.server`, sees every request that arrives).

Part 2: a real WsgiDAV pre-filled with a tree of files and dead properties outside any run
collection; the whole WebDAV suite runs against it as a remote target (once to the end, once
interrupted with SIGINT mid-run); afterwards the server must hold exactly what it held before
(file tree with hashes on disk, PROPFIND Depth infinity with every property, dead ones included).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests
from hypothesis import given, settings, strategies as st

from harness.http import WRITE_METHODS, DavClient, WriteOutsideRunCollection, within
from harness.target import Credentials, Target
from conftest import overstap_bin, require_now
from hostile.server import HostileServer

RUN = "overstap-RUN"
GUARDED = ["PUT", "DELETE", "MOVE", "COPY", "PROPPATCH", "MKCOL", "LOCK", "UNLOCK", "MKCALENDAR", "ACL", "POST", "PATCH"]


@pytest.fixture(scope="module")
def recorder():
    with HostileServer(fault="none") as server:  # "none" is no fault: a tiny, forgetful WebDAV server
        yield server


def _client(server: HostileServer, scope_suffix: str = f"dav/{RUN}/") -> DavClient:
    target = Target("rec", "wsgidav", "0", "remote", frozenset({"webdav"}), {"webdav": f"{server.origin}/dav/"},
                    Credentials("u", "p"))
    scope = f"{server.origin}/{scope_suffix}"
    return DavClient(target, base=scope, write_scope=scope, timeout=(2, 2))


def _sent_paths(server: HostileServer) -> list[str]:
    return [f"{r.method} {r.path} {r.headers.get('Destination', '')}" for r in server.requests]


def test_every_listed_method_is_guarded():
    for method in ("PUT", "DELETE", "MOVE", "COPY", "PROPPATCH", "MKCOL", "LOCK"):
        assert method in WRITE_METHODS


OUTSIDE_PATHS = [
    "../victim.txt",                      # plain dot-segments
    "../../dav/victim.txt",
    "a/../../victim.txt",
    "%2e%2e/victim.txt",                  # percent-encoded dots
    "%2E%2E/%2E%2E/victim.txt",
    "a/%2e%2e/%2e%2e/victim.txt",
    ".%2e/victim.txt",
    "..%2fvictim.txt",                    # encoded slash
    "%2e%2e%2fvictim.txt",
    "/dav/victim.txt",                    # absolute paths
    "/dav/overstap-RUN-x/victim.txt",     # a sibling sharing the scope's prefix
    "/dav/overstap-RUNx",
    "/dav/overstap-RUN-x/",
    "//dav/victim.txt",
    "/dav/overstap-RUN/../victim.txt",
    "/dav/overstap-RUN/./../victim.txt",
    "/dav/overstap-RUN//../../victim.txt",
    "/dav/overstap-RUN/%2e%2e/victim.txt",
    "/dav/overstap-RUN/x%2fy/%2e%2e/%2e%2e",   # raw: pops 'x%2fy' and 'overstap-RUN' -> /dav/
    "/dav/%2f/%2e%2e/dav/overstap-RUN",        # RFC 3986 keeps the empty segment: -> /dav/dav/overstap-RUN
    "/dav/overstap-RUN/..%2f/overstap-RUN",
    "/",
    "",                                   # (the endpoint itself through a client whose base is outside)
]


@pytest.mark.parametrize("method", GUARDED)
@pytest.mark.parametrize("path", OUTSIDE_PATHS[:-1])
def test_refuses_writes_outside_scope(recorder, method, path):
    client = _client(recorder)
    before = len(recorder.requests)
    with pytest.raises(WriteOutsideRunCollection):
        client.request(method, path, body=b"x")
    assert len(recorder.requests) == before, f"a refused {method} {path} reached the server"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/dav/victim.txt",
    "http://127.0.0.2:{port}/dav/overstap-RUN/x",      # same path, another host
    "http://127.0.0.1:{other}/dav/overstap-RUN/x",      # same host, another port
    "https://127.0.0.1:{port}/dav/overstap-RUN/x",      # another scheme
    "http://localhost:{port}/dav/overstap-RUN/x",       # another name for the same host is another origin
    "http://127.0.0.1:{port}@127.0.0.2:{port}/dav/overstap-RUN/x",  # userinfo trick: the host is 127.0.0.2
    "http://127.0.0.1:{port}/dav/overstap-RUN-x/y",
])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "MKCOL", "PROPPATCH"])
def test_refuses_absolute_urls_elsewhere(recorder, url, method):
    client = _client(recorder)
    before = len(recorder.requests)
    with pytest.raises(WriteOutsideRunCollection):
        client.request(method, url.format(port=recorder.port, other=recorder.port + 1), body=b"x")
    assert len(recorder.requests) == before


@pytest.mark.parametrize("name", ["Destination", "destination", "DESTINATION", "dEsTiNaTiOn"])
@pytest.mark.parametrize("destination", [
    "http://127.0.0.1:{port}/dav/victim.txt",
    "http://127.0.0.1:{port}/dav/overstap-RUN/../victim.txt",
    "http://127.0.0.1:{port}/dav/overstap-RUN/%2e%2e/victim.txt",
    "http://127.0.0.1:{port}/dav/overstap-RUN-x/victim.txt",
    "http://127.0.0.2:{port}/dav/overstap-RUN/victim.txt",
    "/dav/victim.txt",
    "../victim.txt",
])
@pytest.mark.parametrize("method", ["MOVE", "COPY"])
def test_refuses_destination_outside(recorder, method, destination, name):
    client = _client(recorder)
    before = len(recorder.requests)
    with pytest.raises(WriteOutsideRunCollection):
        client.request(method, "inside.txt", headers={name: destination.format(port=recorder.port)})
    assert len(recorder.requests) == before, f"{method} with {name}: {destination} reached the server"


def test_refuses_destination_through_shorthands(recorder):
    client = _client(recorder)
    with pytest.raises(WriteOutsideRunCollection):
        client.move("inside.txt", "../victim.txt")
    with pytest.raises(WriteOutsideRunCollection):
        client.copy("inside.txt", f"{recorder.origin}/dav/overstap-RUN-x/victim.txt")
    assert not [r for r in recorder.requests if r.method in ("MOVE", "COPY")]


_OUTSIDE_TARGETS = ["/dav/victim.txt", "/dav/overstap-RUN/../victim.txt", "/dav/overstap-RUN/%2e%2e/victim.txt",
                    "/dav/overstap-RUN-x/victim.txt"]
_OUTSIDE_DESTINATIONS = [{"Destination": "http://127.0.0.1:{port}/dav/victim.txt"}, {"destination": "/dav/victim.txt"}]


@pytest.mark.parametrize("method,request_target,headers",
                         [(m, t, {}) for m in ("DELETE", "MOVE", "PUT") for t in _OUTSIDE_TARGETS]
                         # a Destination only matters for MOVE (and COPY)
                         + [("MOVE", "/dav/overstap-RUN/x", h) for h in _OUTSIDE_DESTINATIONS])
def test_raw_request_refuses_outside(recorder, method, request_target, headers):
    client = _client(recorder)
    before = len(recorder.requests)
    headers = {k: v.format(port=recorder.port) for k, v in headers.items()}
    with pytest.raises(WriteOutsideRunCollection):
        client.raw_request(method, request_target, headers=headers)
    assert len(recorder.requests) == before


def test_scope_without_trailing_slash_still_excludes_siblings(recorder):
    """A write_scope given without its trailing slash must not admit 'overstap-RUN-x'."""
    assert not within("http://h:1/dav/overstap-RUN-x/y", "http://h:1/dav/overstap-RUN")
    assert within("http://h:1/dav/overstap-RUN/y", "http://h:1/dav/overstap-RUN")
    target = Target("rec", "wsgidav", "0", "remote", frozenset(), {}, None)
    client = DavClient(target, base=f"{recorder.origin}/dav/{RUN}/", write_scope=f"{recorder.origin}/dav/{RUN}",
                       timeout=(2, 2))
    before = len(recorder.requests)
    with pytest.raises(WriteOutsideRunCollection):
        client.put(f"{recorder.origin}/dav/{RUN}-x/victim", b"x")
    assert len(recorder.requests) == before


def test_inside_writes_do_reach_the_server(recorder):
    """The guard is not a wall: writes inside the scope (also spelled oddly) are sent as asked."""
    client = _client(recorder)
    before = len(recorder.requests)
    for method, path in [("PUT", "a.txt"), ("MKCOL", "sub/"), ("DELETE", "a/../b.txt"), ("PUT", "caf%C3%A9.txt"),
                         ("PROPPATCH", "")]:
        client.request(method, path, body=b"<x/>")
    client.move("a.txt", "sub/a.txt")
    client.request("COPY", "a.txt", headers={"destination": "sub/b.txt"})
    sent = recorder.requests[before:]
    assert [r.method for r in sent] == ["PUT", "MKCOL", "DELETE", "PUT", "PROPPATCH", "MOVE", "COPY"]
    assert all(unquote(r.path).startswith(f"/dav/{RUN}") for r in sent), _sent_paths(recorder)


# -- a property: whatever the guard lets through, a server resolving the path lands inside the scope ----

SEGMENTS = st.sampled_from(["..", ".", "", "a", "%2e%2e", "%2E", ".%2e", "%2e.", "%2f", "..%2f", RUN, f"{RUN}-x",
                            "dav", "%252e%252e", ";", "..;", "a%2f..", "~", "%00"])


def _server_views(raw_path: str) -> list[str]:
    """How servers may resolve a request path: decode, then RFC 3986 dot-removal, or collapse '//' first."""
    decoded = unquote(raw_path)
    # RFC 3986 keeps empty segments ('..//x' pops only the empty one); a file-system-backed server then
    # maps '/dav//x' to '/dav/x', so the empty segments are collapsed after the dot-segment removal
    views = [re.sub("/{2,}", "/", _remove_dot_segments(decoded)), posixpath.normpath(decoded),
             re.sub("/{2,}", "/", unquote(_remove_dot_segments(raw_path)))]  # dot-segments removed before decoding
    return [v if v.startswith("/") else "/" + v for v in views]


def _remove_dot_segments(path: str) -> str:  # RFC 3986 §5.2.4
    out: list[str] = []
    inp = path
    while inp:
        if inp.startswith("../"):
            inp = inp[3:]
        elif inp.startswith("./"):
            inp = inp[2:]
        elif inp.startswith("/./"):
            inp = inp[2:]
        elif inp == "/.":
            inp = "/"
        elif inp.startswith("/../"):
            inp = inp[3:]
            if out:
                out.pop()
        elif inp == "/..":
            inp = "/"
            if out:
                out.pop()
        elif inp in (".", ".."):
            inp = ""
        else:
            start = 1 if inp.startswith("/") else 0
            end = inp.find("/", start)
            end = len(inp) if end < 0 else end
            out.append(inp[:end])
            inp = inp[end:]
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENTS, min_size=1, max_size=8), st.booleans())
def test_property_admitted_writes_stay_inside(segments, absolute):
    scope = f"http://127.0.0.1:8080/dav/{RUN}/"
    path = ("/dav/" if absolute else "") + "/".join(segments)
    client_url = DavClient.url(type("B", (), {"base": scope})(), path)  # the URL DavClient would send
    if not within(client_url, scope):
        return  # refused: nothing to prove
    prepared = requests.Request("PUT", client_url).prepare()  # what requests/urllib3 put on the wire
    wire = urlsplit(prepared.url).path
    for view in _server_views(wire):
        assert view == f"/dav/{RUN}" or view.startswith(f"/dav/{RUN}/"), (
            f"the guard admitted {path!r} (sent as {wire!r}) but a server may resolve it to {view!r}")


# -- part 2: a pre-filled real server is left exactly as it was ----------------------------------------

PREFILL = {
    "keep/readme.txt": b"do not touch\n",
    "keep/sub/data.bin": bytes(range(256)) * 40,
    "keep/sub/deeper/note.md": "héllo wörld\n".encode(),
    "top.txt": b"top-level file\n",
    "overstap-old/leftover.txt": b"a collection named like ours but not this run's\n",
    "Photos/2024/a.jpg": b"\xff\xd8\xff" + b"\0" * 1000,
}
DEAD_PROPS = {"keep/readme.txt": "owner-note", "keep/sub/": "classification", "top.txt": "colour"}


def _differences(before: dict, after: dict) -> list[str]:
    out = [f"gone: {k}" for k in before if k not in after] + [f"new: {k}" for k in after if k not in before]
    for key in before.keys() & after.keys():
        if before[key] != after[key]:
            old, new = set(before[key].split(b"\n")), set(after[key].split(b"\n"))
            out.append(f"{key}: was {sorted(old - new)!r}, now {sorted(new - old)!r}")
    return sorted(out)


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


VOLATILE = {"{DAV:}quota-available-bytes", "{DAV:}quota-used-bytes"}  # disk-wide figures, not content
# the endpoint's own collection gains and loses the run collection: its dates (from the folder's
# mtime/ctime) and ETag change by design; everything under it must not
ROOT_VOLATILE = {"{DAV:}getlastmodified", "{DAV:}creationdate", "{DAV:}getetag"}


def _propfind_all(base: str, auth) -> dict[str, bytes]:
    """Every resource with every property (allprop + dead props), Depth infinity, canonicalised per href."""
    from lxml import etree

    from conformance.multistatus import parse_multistatus

    response = requests.request("PROPFIND", base, headers={"Depth": "infinity"}, auth=auth, timeout=30)
    assert response.status_code == 207, f"PROPFIND Depth infinity answered {response.status_code}"
    out = {}
    for r in parse_multistatus(response.content):
        props = []
        path = unquote(urlsplit(r.href).path)
        for ps in r.propstats:
            for name, el in sorted(ps.props.items()):
                if name in VOLATILE or (path == urlsplit(base).path and name in ROOT_VOLATILE):
                    continue
                if name == "{DAV:}lockdiscovery":
                    props.append(etree.tostring(el, method="c14n"))  # a lock left behind would show
                else:
                    props.append(name.encode() + b"=" + etree.tostring(el, method="c14n"))
        out[path] = b"\n".join(props)
    return out


@pytest.fixture
def prefilled(tmp_path):
    require_now("wsgidav")
    from harness import catalog
    from harness.providers.local import LocalTarget

    local = LocalTarget(catalog.get("wsgidav"), "prefilled")
    target = local.start()
    try:
        data = local.workdir / "data"
        for rel, body in PREFILL.items():
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            (data / rel).write_bytes(body)
        auth = (target.credentials.username, target.credentials.password)
        base = target.endpoints["webdav"]
        for rel, prop in DEAD_PROPS.items():
            body = (f'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-prefill:">'
                    f'<D:set><D:prop><Z:{prop}>value of {prop} on {rel}</Z:{prop}></D:prop></D:set>'
                    f'</D:propertyupdate>')
            r = requests.request("PROPPATCH", base + quote(rel), data=body.encode(), auth=auth, timeout=10,
                                 headers={"Content-Type": "application/xml"})
            assert r.status_code == 207, f"setup: PROPPATCH {rel} answered {r.status_code}"
        targets_file = tmp_path / "targets.toml"
        targets_file.write_text(f'[[targets]]\nid = "prefilled"\nproduct = "wsgidav"\n'
                                f'endpoints = {{ webdav = "{base}" }}\nusername_env = "PREFILL_USER"\n'
                                f'password_env = "PREFILL_PASSWORD"\n')
        env = {**os.environ, "PREFILL_USER": target.credentials.username,
               "PREFILL_PASSWORD": target.credentials.password}
        snapshot = lambda: (_tree(data), _propfind_all(base, auth))  # noqa: E731
        before = snapshot()
        assert any(b"urn:x-prefill:" in v for v in before[1].values()), "setup: the dead properties are not listed"
        yield targets_file, env, snapshot, before, tmp_path
    finally:
        local.stop()


def test_prefilled_server_unchanged_after_whole_suite(prefilled):
    targets_file, env, snapshot, before, tmp = prefilled
    started = time.monotonic()
    proc = subprocess.run([overstap_bin(), "run", "--targets-file", str(targets_file), "--target", "prefilled",
                           "--suite", "webdav", "--out", str(tmp / "out"), "--request-timeout", "10",
                           "--check-timeout", "30"], env=env, capture_output=True, text=True, timeout=170,
                          stdin=subprocess.DEVNULL)
    print(f"whole WebDAV suite against the pre-filled server: {time.monotonic() - started:.1f} s, "
          f"exit {proc.returncode}; {proc.stderr.strip().splitlines()[-3:]}")
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    after = snapshot()
    assert after[0] == before[0], f"the file tree changed: {_differences(before[0], after[0])}"
    assert after[1] == before[1], f"the listing or properties changed: {_differences(before[1], after[1])}"


def test_prefilled_server_unchanged_after_sigint(prefilled):
    targets_file, env, snapshot, before, tmp = prefilled
    proc = subprocess.Popen([overstap_bin(), "run", "--targets-file", str(targets_file), "--target", "prefilled",
                             "--suite", "webdav", "--out", str(tmp / "out"), "--request-timeout", "10",
                             "--check-timeout", "30"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)  # its own group, as a terminal's
    try:
        # interrupt when the run collection exists and checks are writing inside it
        deadline = time.monotonic() + 60
        data_root = None
        while time.monotonic() < deadline:
            current = snapshot()[0]
            runs = [k for k in current if k.startswith("overstap-2") and k.count("/") >= 1]
            if runs:
                data_root = runs
                break
            time.sleep(0.2)
        assert data_root, "the run never made its collection"
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print(f"interrupted run ended with {proc.returncode}: {output.decode(errors='replace').strip().splitlines()[-3:]}")
    assert proc.returncode == 2, "an interrupted run must end with the harness-error status 2"
    after = snapshot()
    assert after[0] == before[0], (f"the file tree changed after an interrupted run: "
                                  f"new {sorted(set(after[0]) - set(before[0]))[:10]}")
    assert after[1] == before[1], f"the listing or properties changed: {_differences(before[1], after[1])}"
