"""Our WebDAV checks agree with litmus 0.13, check by check, on every local WebDAV target.

For each target (wsgidav, apache, nginx, lighttpd, rclone) litmus runs once
(:func:`suites.webdav.litmus.run_litmus`, on a target started here) and our suite runs once
(``overstap run --suite webdav --target T`` as a subprocess, on its own instance), side by side.
Then every result of ours whose check names a litmus test in ``peer.litmus`` is compared with
litmus's verdict for that test on the same product.

The agreement relation (ours ~ litmus):

- ``PASS ~ pass``, ``FAIL ~ fail``, ``WARN ~ warn`` (litmus's "pass (with N warnings)"): the same
  verdict. Nothing else is close enough: our check reproduces one litmus test, warnings included,
  so our PASS where litmus warns means we miss a SHOULD that litmus enforces, and our WARN or FAIL
  where litmus passes means we are stricter -- both need a reason.
- ``PRECONDITION_FAILED ~ skip`` and ``SKIP ~ skip``: both decline to judge.
- when several of our checks name one litmus test (the test split into its assertions), their
  combined verdict is compared: the worst of FAIL > WARN > PASS among them, or PRECONDITION_FAILED
  (SKIP) when none of them judged.
- a litmus skip that is a *cascade* -- litmus skipped the test because an earlier test of the same
  litmus group failed or skipped the rest (its tests share state; ours do not) -- is no verdict:
  any PASS, FAIL, WARN, PRECONDITION_FAILED or SKIP of ours agrees with it. Tests that litmus did
  not print at all after such a skip-the-rest count as cascade skips.
- ``ERROR`` and ``TIMEOUT`` of ours agree with nothing (harness trouble is never agreement), and a
  test that litmus did not reach for another reason is a failure of this test.

Any other pair is a disagreement, allowed only when suites/webdav/litmus-disagreements.toml lists
it for the product (or for "*") with the same two verdicts and a reason; an entry that matches no
real disagreement of a product we ran fails too.

A further test asserts that every result line of litmus 0.13 (all 104, taken from
tests/data/litmus-apache.txt), apart from the init/begin/finish set-up lines, is named by at least
one check's ``peer.litmus`` or listed in :data:`suites.webdav.litmus.SETUP_ONLY` with a reason.

litmus and the products are system packages: without them these tests skip, unless
OVERSTAP_REQUIRE_ALL is set (CI), when they fail and name the install command.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import threading
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, overstap, require_now
from suites.webdav import litmus

TARGETS = ("wsgidav", "apache", "nginx", "lighttpd", "rclone")
DISAGREEMENTS = REPO / "suites" / "webdav" / "litmus-disagreements.toml"
REFERENCE = Path(__file__).parent / "data" / "litmus-apache.txt"  # a full run: every litmus 0.13 test
OURS = {"PASS", "FAIL", "WARN", "PRECONDITION_FAILED", "SKIP", "ERROR", "TIMEOUT"}
SAME = {"PASS": "pass", "FAIL": "fail", "WARN": "warn", "PRECONDITION_FAILED": "skip", "SKIP": "skip"}
SETUP_LINES = {"init", "begin", "finish"}


# -- litmus's tests, and how our checks name them ----------------------------------------------------
def reference_verdicts() -> dict[str, str]:
    return litmus.parse_litmus_output(REFERENCE.read_text(encoding="utf-8"))


def all_litmus_tests() -> list[str]:
    """Canonical ids of the 104 result lines of litmus 0.13, in litmus's order."""
    return litmus.canonical_ids(reference_verdicts())


def canonical(peer: str, reference: dict[str, str]) -> str | None:
    """``peer`` in canonical form ("group/name" when unique, else "group/name#N"), None if unknown."""
    if peer not in reference:
        return None
    if "#" in peer:
        plain = peer.split("#", 1)[0]
        return plain if plain in reference else peer
    return peer


def suite_checks() -> list[dict]:
    """Every check of the WebDAV suite, read from the marks of suites/webdav/test_*.py (no target needed)."""
    checks = []
    for path in sorted((REPO / "suites" / "webdav").glob("test_*.py")):
        module = importlib.import_module(f"suites.webdav.{path.stem}")
        for name, obj in vars(module).items():
            for mark in getattr(obj, "pytestmark", []):
                if mark.name == "check":
                    checks.append({"id": mark.kwargs["id"], "peer": mark.kwargs.get("peer") or {},
                                   "module": path.name, "function": name})
    return checks


def load_disagreements() -> dict[str, dict[str, dict]]:
    with open(DISAGREEMENTS, "rb") as fh:
        return tomllib.load(fh)


# -- one litmus run and one run of ours per target -----------------------------------------------------
def _litmus_on(product: str) -> tuple[dict[str, str], str]:
    from harness.catalog import get
    from harness.providers.local import LocalTarget

    local = LocalTarget(get(product))
    target = local.start()
    try:
        creds = target.credentials
        return litmus.run_litmus(target.endpoints["webdav"], creds.username if creds else None,
                                 creds.password if creds else None, timeout=300)
    finally:
        local.stop()


@pytest.fixture(scope="module", params=TARGETS)
def pair(request, tmp_path_factory):
    """(product, litmus verdicts, litmus text, our results for the product), both run once per target."""
    product = request.param
    require_now("litmus")
    require_now(product)
    out = tmp_path_factory.mktemp(f"ours-{product}")
    box: dict = {}

    def run_peer():
        try:
            box["litmus"] = _litmus_on(product)
        except Exception as exc:  # reported below, in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run_peer)
    thread.start()
    proc = overstap("run", "--suite", "webdav", "--target", product, "--out", str(out), timeout=600)
    thread.join()
    if "error" in box:
        raise box["error"]
    report_path = out / "report.json"
    assert report_path.exists(), f"overstap run wrote no report (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    verdicts, text = box["litmus"]
    return product, verdicts, text, [r for r in report["results"] if r["target"] == product]


def cascade_skips(verdicts: dict[str, str], tests: list[str]) -> set[str]:
    """Tests that litmus skipped (or never printed) because an earlier test of its group failed or
    skipped the rest: no verdict of litmus's own."""
    numbered = {}
    for key in verdicts:
        if "#" in key:
            group_name, num = key.rsplit("#", 1)
            numbered[group_name.split("/", 1)[0], int(num)] = (group_name, verdicts[key])
    by_canonical = {}  # canonical id -> (group, num)
    for key in (k for k in reference_verdicts() if "#" in k):
        group_name, num = key.rsplit("#", 1)
        group = group_name.split("/", 1)[0]
        plain = group_name
        by_canonical[plain if plain in tests else key] = (group, int(num))
    cascade = set()
    for test_id in tests:
        group, num = by_canonical[test_id]
        earlier = [numbered[group, n][1] for n in range(num) if (group, n) in numbered]
        mine = numbered.get((group, num))
        if mine is None:
            if earlier and earlier[-1] == "skip":  # skip-the-rest: litmus stopped printing the group
                cascade.add(test_id)
        elif mine[1] == "skip" and "fail" in earlier:
            cascade.add(test_id)
    return cascade


WORST = {"FAIL": 3, "WARN": 2, "PASS": 1}


def combined(statuses: list[str]) -> str:
    """One verdict for the checks that name the same litmus test: the worst of FAIL > WARN > PASS;
    PRECONDITION_FAILED and SKIP count only when no check judged (then PRECONDITION_FAILED, or SKIP)."""
    judged = [s for s in statuses if s in WORST]
    if judged:
        return max(judged, key=WORST.get)
    return "PRECONDITION_FAILED" if "PRECONDITION_FAILED" in statuses else "SKIP"


def compare(product: str, verdicts: dict[str, str], results: list[dict]) -> tuple[list[dict], list[str]]:
    """(disagreements, problems) between our results and litmus's verdicts for one product.

    When several checks name one litmus test (a litmus test split into its assertions), their
    combined verdict (:func:`combined`) is compared.
    """
    reference = reference_verdicts()
    tests = all_litmus_tests()
    cascade = cascade_skips(verdicts, tests)
    disagreements, problems = [], []
    by_test: dict[str, list[dict]] = {}
    for result in results:
        peer = (result.get("peer") or {}).get("litmus")
        if not peer:
            continue
        test_id = canonical(peer, reference)
        if test_id is None:  # test_every_litmus_test_is_mapped reports it
            continue
        if result["status"] in ("ERROR", "TIMEOUT"):
            problems.append(f"{result['check']}: our check ended in {result['status']}: {result['message'][:300]}")
            continue
        by_test.setdefault(test_id, []).append(result)
    for test_id, group in by_test.items():
        theirs = verdicts.get(test_id)
        if theirs is None and test_id not in cascade:
            problems.append(f"{', '.join(r['check'] for r in group)}: litmus gave no verdict for {test_id} on {product}")
            continue
        ours = combined([r["status"] for r in group])
        if test_id in cascade or SAME.get(ours) == theirs:
            continue
        deciding = [r for r in group if r["status"] == ours] or group
        disagreements.append({"litmus_test": test_id, "check": deciding[0]["check"], "ours": ours, "litmus": theirs,
                              "message": "; ".join(f"{r['check']} {r['status']}: {r['message'][:160]}"
                                                   for r in group)})
    return disagreements, problems


def allowed(entry: dict | None, d: dict) -> bool:
    return bool(entry) and entry.get("ours") == d["ours"] and entry.get("litmus") == d["litmus"] \
        and entry.get("check", d["check"]) in d["message"]


def entry_for(table: dict, product: str, d: dict) -> dict | None:
    for scope in (product, "*"):
        entry = table.get(scope, {}).get(d["litmus_test"])
        if allowed(entry, d):
            return entry
    return None


# -- the tests -------------------------------------------------------------------------------------
def test_agrees_with_litmus(pair):
    product, verdicts, text, results = pair
    assert results, f"our run produced no results for {product}"
    disagreements, problems = compare(product, verdicts, results)
    table = load_disagreements()
    unlisted = [d for d in disagreements if entry_for(table, product, d) is None]
    lines = [f"{d['litmus_test']}: ours {d['ours']} ({d['check']}: {d['message'][:200]!r}) vs litmus {d['litmus']}"
             for d in unlisted]
    assert not problems and not unlisted, (
        f"{product}: {len(unlisted)} disagreements with litmus not listed in {DISAGREEMENTS.name}, "
        f"{len(problems)} problems:\n" + "\n".join(lines + problems))


def test_listed_disagreements_still_happen(pair):
    product, verdicts, _text, results = pair
    disagreements, _ = compare(product, verdicts, results)
    actual = {d["litmus_test"]: d for d in disagreements}
    stale = [f"{product}.{test_id!r}: listed as ours {entry.get('ours')} vs litmus {entry.get('litmus')}, "
             f"now {('ours ' + actual[test_id]['ours'] + ' vs litmus ' + actual[test_id]['litmus']) if test_id in actual else 'they agree'}"
             for test_id, entry in load_disagreements().get(product, {}).items()
             if test_id not in actual or not allowed(entry, actual[test_id])]
    assert not stale, "entries of litmus-disagreements.toml that match no disagreement:\n" + "\n".join(stale)


def test_disagreements_file_is_well_formed():
    tests = set(all_litmus_tests())
    bad = []
    for product, entries in load_disagreements().items():
        if product != "*" and product not in TARGETS:
            bad.append(f"[{product}]: not a WebDAV target we compare ({', '.join(TARGETS)})")
        for test_id, entry in entries.items():
            where = f"{product}.{test_id!r}"
            if test_id not in tests:
                bad.append(f"{where}: not a canonical litmus 0.13 test id")
            if entry.get("ours") not in OURS - {"ERROR", "TIMEOUT"}:
                bad.append(f"{where}: ours = {entry.get('ours')!r}")
            if entry.get("litmus") not in litmus.VERDICTS:
                bad.append(f"{where}: litmus = {entry.get('litmus')!r}")
            if len(str(entry.get("reason", "")).strip()) < 20:
                bad.append(f"{where}: needs a reason")
            if SAME.get(entry.get("ours")) == entry.get("litmus"):
                bad.append(f"{where}: ours and litmus agree; nothing to allow")
    assert not bad, "\n".join(bad)


def test_reference_has_all_104_litmus_tests():
    tests = all_litmus_tests()
    assert len(tests) == 104, f"tests/data/litmus-apache.txt holds {len(tests)} litmus results, not 104"


def test_every_litmus_test_is_mapped():
    """Every litmus 0.13 result line but init/begin/finish is some check's peer, or SETUP_ONLY."""
    reference = reference_verdicts()
    checks = suite_checks()
    mapped: dict[str, list[str]] = {}
    bad_peers = []
    for c in checks:
        peer = c["peer"].get("litmus")
        if peer is None:
            continue
        test_id = canonical(peer, reference)
        if test_id is None:
            bad_peers.append(f"{c['id']} ({c['module']}): peer.litmus {peer!r} is no litmus 0.13 test "
                             f"(a repeated name needs its number, e.g. 'props/propget#7')")
        else:
            mapped.setdefault(test_id, []).append(c["id"])
    setup = {canonical(k, reference) for k in litmus.SETUP_ONLY}
    unmapped = [t for t in all_litmus_tests()
                if t.split("#")[0].split("/", 1)[1] not in SETUP_LINES and t not in mapped and t not in setup]
    assert not bad_peers and not unmapped, (
        f"{len(unmapped)} litmus tests mapped by no check and not in SETUP_ONLY: {', '.join(unmapped)}\n"
        + "".join(f"{line}\n" for line in bad_peers))
