"""No credential ever leaves Overstap in its output, and none is sent to another host (README "Safety").

One real run: a local WsgiDAV (random password, made by the catalog), a second WsgiDAV named in a
targets file as a remote deployment whose password comes from an environment variable, and a hostile
remote that echoes the credentials it receives and redirects to another host (127.0.0.2). Every file
the run writes (report.json, junit.xml, index.html, logs/*) and its stdout/stderr are searched for each
password, its Basic token (base64 of user:password), the whole Authorization value and user:password.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import overstap_bin, require_now
from hostile.server import HostileServer

REMOTE_PASSWORD = "Remote-pw-0f9a:ümlaut+/=%20~"  # odd characters on purpose
KEYWORD = "test_basic and (options_dav_header or put_get) or propfind_depth or test_locks and lock_shared"


def _forms(user: str, password: str) -> list[str]:
    """password, user:password, and the Basic token and header value in UTF-8 and in Latin-1 (what requests
    sends for a non-ASCII password)."""
    out = [password, f"{user}:{password}"]
    for encoding in ("utf-8", "latin-1"):
        try:
            token = base64.b64encode(f"{user}:{password}".encode(encoding)).decode()
        except UnicodeEncodeError:
            continue
        out += [token, f"Basic {token}"]
    return out


def _written(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_bytes().decode("utf-8", "replace")
            for p in folder.rglob("*") if p.is_file()}


def test_no_credential_in_any_output_and_none_sent_elsewhere(tmp_path):
    require_now("wsgidav")
    from harness import catalog
    from harness.providers.local import LocalTarget

    other = HostileServer(host="127.0.0.2", fault="none").start()
    hostile = HostileServer(other_origin=other.origin).start()
    remote = LocalTarget(catalog.get("wsgidav"), "remote-backing")
    backing = remote.start()
    try:
        # the backing server has its own random password; the targets file names only the env variable
        targets = tmp_path / "targets.toml"
        targets.write_text(
            f'[[targets]]\nid = "staging"\nproduct = "wsgidav"\n'
            f'endpoints = {{ webdav = "{backing.endpoints["webdav"]}" }}\n'
            f'username_env = "STAGING_USER"\npassword_env = "STAGING_PASSWORD"\n\n'
            f'[[targets]]\nid = "echo"\nproduct = "wsgidav"\nversion = "0-hostile"\n'
            f'endpoints = {{ webdav = "{hostile.endpoint("echo")}" }}\n'
            f'username_env = "ECHO_USER"\npassword_env = "ECHO_PASSWORD"\n\n'
            f'[[targets]]\nid = "redirect"\nproduct = "wsgidav"\nversion = "0-hostile"\n'
            f'endpoints = {{ webdav = "{hostile.endpoint("redirect-other")}" }}\n'
            f'username_env = "ECHO_USER"\npassword_env = "ECHO_PASSWORD"\n')
        env = {**os.environ, "STAGING_USER": backing.credentials.username,
               "STAGING_PASSWORD": backing.credentials.password,
               "ECHO_USER": "echo-user", "ECHO_PASSWORD": REMOTE_PASSWORD}
        out = tmp_path / "out"
        started = time.monotonic()
        proc = subprocess.run([overstap_bin(), "run", "--targets-file", str(targets), "--target", "wsgidav",
                               "--target", "staging", "--target", "echo", "--target", "redirect", "--suite", "webdav",
                               "-k", KEYWORD, "--request-timeout", "5", "--check-timeout", "20", "--out", str(out)],
                              capture_output=True, text=True, timeout=110, env=env, stdin=subprocess.DEVNULL)
        print(f"secrets run: {time.monotonic() - started:.1f} s, exit {proc.returncode}")
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        report = json.loads((out / "report.json").read_text())
        assert {r["target"] for r in report["results"]} == {"wsgidav", "staging", "echo", "redirect"}
        # the echo target did send its credentials back: the evidence must have had something to redact
        echo_fail = [r for r in report["results"] if r["target"] == "echo" and r["evidence"].get("exchanges")]
        assert echo_fail and "[redacted]" in json.dumps(echo_fail), "the echoed credentials were not redacted"

        written = _written(out)
        assert {"report.json", "junit.xml", "index.html"} <= set(written), sorted(written)
        assert any(name.startswith("logs/") for name in written)
        secrets = (_forms(backing.credentials.username, backing.credentials.password)
                   + _forms("echo-user", REMOTE_PASSWORD))
        for name, text in {**written, "stdout": proc.stdout, "stderr": proc.stderr}.items():
            for secret in secrets:
                assert secret not in text, f"a credential form ({len(secret)} chars) leaked into {name}"
        # credentials never went to another host after a redirect
        assert not other.requests, [(r.method, r.path, "Authorization" in r.headers) for r in other.requests]
        assert any(r.headers.get("Authorization") for r in hostile.requests)  # ... while the target did get them
    finally:
        remote.stop()
        hostile.stop()
        other.stop()


def test_local_target_password_never_written(tmp_path):
    """A local wsgidav started in-process: its random password, Basic token and Authorization value must not
    appear in a report made from a run that includes failing checks (evidence is kept for those)."""
    require_now("wsgidav")
    from harness import catalog
    from harness.providers.local import LocalTarget

    local = LocalTarget(catalog.get("wsgidav"), "pw-check")
    target = local.start()
    try:
        targets = tmp_path / "targets.toml"
        targets.write_text(f'[[targets]]\nid = "pw-check"\nproduct = "wsgidav"\n'
                           f'endpoints = {{ webdav = "{target.endpoints["webdav"]}" }}\n'
                           f'username_env = "PW_USER"\npassword_env = "PW_PASSWORD"\n')
        env = {**os.environ, "PW_USER": target.credentials.username, "PW_PASSWORD": target.credentials.password}
        out = tmp_path / "out"
        # test_names holds known FAILs on wsgidav: their evidence (with Authorization headers) is written
        proc = subprocess.run([overstap_bin(), "run", "--targets-file", str(targets), "--target", "pw-check",
                               "--suite", "webdav", "-k", "test_props or test_names and utf8", "--out", str(out)],
                              capture_output=True, text=True, timeout=110, env=env, stdin=subprocess.DEVNULL)
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        report = json.loads((out / "report.json").read_text())
        assert any(r["evidence"].get("exchanges") for r in report["results"]), "no evidence was written to search"
        written = _written(out)
        for name, text in {**written, "stdout": proc.stdout, "stderr": proc.stderr}.items():
            for secret in _forms(target.credentials.username, target.credentials.password):
                assert secret not in text, f"a credential form leaked into {name}"
    finally:
        local.stop()


def test_escaped_and_encoded_forms_of_a_secret_are_redacted():
    """A server may echo a secret XML-escaped (in a multistatus) or percent-encoded (in a URL)."""
    from harness.evidence import Exchange, secret_variants

    secret = 'p&ss w<rd/1"'
    secrets = secret_variants([secret], "alice")
    body = (b'<d:href>/a/p%26ss%20w%3Crd%2F1%22</d:href><d:x>p&amp;ss w&lt;rd/1&quot;</d:x>'
            b"<d:y>p&amp;ss w&lt;rd/1\"</d:y>?q=p%26ss+w%3Crd%2F1%22")
    exchange = Exchange(method="PROPFIND", url="http://h/p%26ss%20w%3Crd%2F1%22", request_headers={},
                        response_body=body, response_body_size=len(body), status=207)
    text = json.dumps(exchange.to_report(secrets))
    for leaked in ("p&ss", "p%26ss", "p&amp;ss", "w%3Crd", "w&lt;rd"):
        assert leaked not in text, leaked
    assert text.count("[redacted]") >= 5


def test_a_secret_split_by_the_evidence_cut_is_redacted():
    """Bodies are kept up to BODY_LIMIT bytes; a secret straddling the cut must not leak its first part."""
    from harness.evidence import BODY_LIMIT, Exchange, secret_variants

    secret = "Sekrit-0123456789abcdef"
    full = b"x" * (BODY_LIMIT - 10) + secret.encode() + b"y" * 100
    exchange = Exchange(method="GET", url="http://h/", request_headers={}, response_body=full[:BODY_LIMIT],
                        response_body_size=len(full), status=200)
    text = exchange.to_report(secret_variants([secret]))["response"]["body"]
    assert "Sekrit-012" not in text and text.count("[redacted]") == 1
    assert text.rstrip().endswith("more bytes not kept>")
