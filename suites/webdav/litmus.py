"""litmus 0.13 as a peer of the WebDAV suite: run it, read its verdicts.

litmus (https://github.com/notroj/litmus) is the classic WebDAV server test suite (RFC 4918 §9
methods, §10 headers, §7 locking, §15 properties, RFC 9110 §10.1.1 Expect). Our checks name the
litmus test they reproduce in ``peer={"litmus": "<group>/<name>"}`` (``"<group>/<name>#<N>"`` when
litmus repeats a name within a group); tests/test_litmus_agreement.py compares both verdicts and
benchmarks/webdav.py compares their speed.

- :func:`parse_litmus_output` turns litmus's text into ``{"group/name": verdict}``.
- :func:`run_litmus` runs litmus's group programs against a collection it creates and deletes.
- :data:`SETUP_ONLY` lists the litmus result lines that assert nothing of their own (set-up,
  clean-up and client-side steps), each with the reason, so no check need reproduce them.

Importing this module touches no network and starts no process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

GROUPS = ("basic", "copymove", "props", "locks", "http")
LIBEXEC = "/usr/libexec/litmus"
HTDOCS = "/usr/share/litmus/htdocs"
VERDICTS = ("pass", "fail", "warn", "skip")

# litmus result lines that assert nothing a check should reproduce; "group/name" (or "group/name#N").
SETUP_ONLY: dict[str, str] = {
    **{f"{group}/{name}": reason for group in GROUPS for name, reason in (
        ("init", "client-side: parses the URL and credentials, connects no request of its own"),
        ("begin", "set-up: creates litmus's own litmus/ collection (our run collection fixture does this)"),
        ("finish", "clean-up: deletes litmus's collection; never fails on its own"),
    )},
    "copymove/copy_init": "set-up: PUT of copysrc and MKCOL of copycoll/; asserted by basic/put_get and basic/mkcol",
    "copymove/copy_cleanup": "clean-up: DELETEs whose answers litmus ignores; always passes",
    "copymove/move_cleanup": "clean-up: DELETEs whose answers litmus ignores; always passes",
    "props/propinit#5": "set-up: deletes and PUTs the resource used by the property tests (basic/put_get)",
    "props/propinit#25": "set-up: deletes and PUTs the resource used by the property tests (basic/put_get)",
    "props/propcleanup": "clean-up: DELETE whose answer litmus ignores; always passes",
    "locks/precond": "client-side: no request; skips the rest unless OPTIONS (locks/options) claimed class 2",
    "locks/init_locks": "client-side: registers neon's lock store in the session; sends no request",
    "locks/put": "set-up: PUT of lockme and notlocked; asserted by basic/put_get",
    "locks/prep_collection": "set-up: MKCOL of lockcoll/; asserted by basic/mkcol",
}

# The output is a stream, not lines: when stdout is a pipe litmus prints a test's number and name,
# runs it, then prints number and name again followed by the verdict, on the same line; a warning
# ("WARNING: ...") ends the line and the verdict follows a run of dots on the next. So the parser
# looks for tokens: a group header, a test start, a run of continuation dots; a verdict counts only
# when it stands right after a test start or a run of dots.
_TOKENS = re.compile(
    r"^-> running `(?P<group>[^']+)':"
    r"|(?<![^\s])[ ]*(?P<num>\d{1,3})\. (?P<name>[A-Za-z0-9_]+)\.*(?=[ \n]|$)"
    r"|^[ \t]+(?P<dots>\.{3,})",
    re.MULTILINE,
)
_VERDICT = re.compile(r" ?(?:(?P<warn>pass \(with \d+ warnings?\))|(?P<pass>pass)|(?P<fail>FAIL)|(?P<skip>SKIPPED))"
                      r"(?=[\s(]|$)")


class LitmusError(RuntimeError):
    """litmus could not be run (missing, timed out, or the collection could not be made)."""


def parse_litmus_output(text: str) -> dict[str, str]:
    """Map every litmus test of ``text`` to ``"pass"``, ``"fail"``, ``"warn"`` or ``"skip"``.

    Every test gets the key ``"group/name#N"`` (N = litmus's test number in the group); a name that
    occurs once in its group also gets the plain ``"group/name"`` (the canonical form). ``warn`` is
    a pass with warnings. A test that printed no verdict (litmus was killed) is left out. Text that
    belongs to no token (summaries, warnings, FAIL messages running on over several lines) is ignored.
    Both forms of litmus's output are read: piped (number and name printed twice on one line) and
    from a terminal log (printed twice on two lines).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    results: dict[tuple[str, int], tuple[str, str | None]] = {}  # (group, num) -> (name, verdict)
    group: str | None = None
    current: tuple[str, int] | None = None
    last = -1
    for token in _TOKENS.finditer(text):
        if token["group"]:
            group, current, last = token["group"], None, -1
            continue
        if group is None:
            continue
        if token["num"] is not None:
            num = int(token["num"])
            if num not in (last, last + 1):  # litmus numbers tests 0, 1, 2...: anything else is message text
                continue
            known = results.get((group, num))
            if known and known[0] != token["name"]:
                continue
            current, last = (group, num), num
            results.setdefault(current, (token["name"], None))
        elif current is None:
            continue
        name, verdict = results[current]
        if verdict is not None:
            continue
        found = _VERDICT.match(text, token.end())
        if found:
            results[current] = (name, found.lastgroup)
    verdicts: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for (grp, _num), (name, _v) in results.items():
        counts[grp, name] = counts.get((grp, name), 0) + 1
    for (grp, num), (name, verdict) in sorted(results.items()):
        if verdict is None:
            continue
        verdicts[f"{grp}/{name}#{num}"] = verdict
        if counts[grp, name] == 1:
            verdicts[f"{grp}/{name}"] = verdict
    return verdicts


def canonical_ids(verdicts: dict[str, str]) -> list[str]:
    """The canonical id of each test in ``verdicts``: ``group/name`` when unique, else ``group/name#N``."""
    plain = {key for key in verdicts if "#" not in key}
    ids = []
    for key in verdicts:
        if "#" not in key:
            continue
        base = key.split("#", 1)[0]
        ids.append(base if base in plain else key)
    return ids


def litmus_available() -> str | None:
    """Why litmus cannot run here (with the install command), or None."""
    missing = [g for g in GROUPS if not os.access(os.path.join(LIBEXEC, g), os.X_OK)]
    if missing:
        return f"litmus group programs {missing} not found in {LIBEXEC}; install with: apt-get install litmus"
    return None


def run_litmus(url: str, user: str | None, password: str | None, groups=GROUPS, timeout: float = 300.0
               ) -> tuple[dict[str, str], str]:
    """Run litmus's ``groups`` against a fresh collection under ``url``; return (verdicts, raw text).

    A new collection ``<url>litmus-peer-<hex>/`` is made with MKCOL (litmus makes its own
    ``litmus/`` inside it) and deleted afterwards; litmus runs in a temporary folder so its
    debug.log and child.log land there. ``timeout`` bounds the whole run, in seconds.

    Raises:
        LitmusError: litmus is missing, a group ran past the timeout, or the collection could not be made.
    """
    import requests  # here, so that importing the module stays cheap

    why = litmus_available()
    if why:
        raise LitmusError(why)
    base = url if url.endswith("/") else url + "/"
    coll = f"{base}litmus-peer-{uuid.uuid4().hex[:12]}/"
    session = requests.Session()
    session.trust_env = False
    if user:
        session.auth = (user, password or "")
    made = session.request("MKCOL", coll, timeout=30, allow_redirects=False)
    if made.status_code != 201:
        raise LitmusError(f"MKCOL {coll} answered {made.status_code}; cannot give litmus a collection")
    workdir = tempfile.mkdtemp(prefix="litmus-peer-")
    deadline = time.monotonic() + timeout
    chunks = []
    try:
        for group in groups:
            # "--" ends the options: a password may begin with "-"
            argv = [os.path.join(LIBEXEC, group), "--htdocs", HTDOCS, "--", coll]
            if user:
                argv += [user, password or ""]
            left = deadline - time.monotonic()
            try:
                proc = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                                      timeout=max(left, 1.0))
            except subprocess.TimeoutExpired as exc:
                partial = (exc.stdout or b"").decode("utf-8", "replace")
                raise LitmusError(f"litmus {group} ran past the {timeout:.0f} s timeout; output so far:\n"
                                  f"{''.join(chunks)}{partial}") from None
            chunks.append(proc.stdout.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            session.request("DELETE", coll, timeout=30, allow_redirects=False)
        finally:
            session.close()
    raw = "".join(chunks)
    return parse_litmus_output(raw), raw
