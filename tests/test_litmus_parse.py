"""The litmus output parser (suites/webdav/litmus.py) on real litmus 0.13 output.

tests/data/litmus-<target>.txt were captured from litmus 0.13 piped (``run_litmus``) against our own
local targets; litmus-apache-lines.txt is the same against Apache as logged from a terminal, where
each test's line is printed twice on two lines.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from suites.webdav.litmus import SETUP_ONLY, canonical_ids, parse_litmus_output

DATA = Path(__file__).parent / "data"


def verdicts(name: str) -> dict[str, str]:
    return parse_litmus_output((DATA / f"litmus-{name}.txt").read_text(encoding="utf-8"))


def not_passing(v: dict[str, str]) -> dict[str, str]:
    return {i: v[i] for i in canonical_ids(v) if v[i] != "pass"}


@pytest.mark.parametrize("name", ["apache", "apache-lines", "wsgidav", "lighttpd", "rclone"])
def test_all_104_tests_of_a_full_run(name):
    v = verdicts(name)
    ids = canonical_ids(v)
    assert len(ids) == 104
    per_group = Counter(i.split("/")[0] for i in ids)
    assert per_group == {"basic": 16, "copymove": 13, "props": 30, "locks": 41, "http": 4}


def test_both_output_forms_agree():
    lines, piped = verdicts("apache-lines"), verdicts("apache")
    assert set(lines) == set(piped)
    assert not_passing(lines) == {"locks/cond_put_corrupt_token": "warn", "locks/unmapped_lock": "warn"}
    assert not_passing(piped) == not_passing(lines)


def test_keys_plain_and_numbered():
    v = verdicts("apache")
    assert v["basic/put_get"] == v["basic/put_get#3"] == "pass"
    assert "props/propget" not in v  # repeated name: only the numbered form
    assert [k for k in v if k.startswith("props/propget#")] == [f"props/propget#{n}" for n in
                                                                 (7, 10, 12, 14, 16, 18, 20, 22, 27)]
    assert "locks/notowner_modify#9" in v and "locks/notowner_modify" not in v
    assert v["http/expect100"] == "pass"


def test_warnings_fails_and_runon_messages():
    v = verdicts("rclone")
    # "FAIL (PROPPATCH ...: 403 Forbidden\n)": the message runs on to the next line
    assert v["props/propset"] == "fail"
    assert v["props/propget#7"] == "skip"
    assert v["props/propextended"] == "pass"
    assert v["locks/owner_modify#11"] == "fail" and v["locks/owner_modify#26"] == "skip"
    assert v["locks/cond_put_corrupt_token"] == "warn"
    assert v["basic/mkcol_again"] == "fail"
    assert Counter(not_passing(v).values()) == {"skip": 23, "fail": 9, "warn": 1}


def test_warning_followed_by_fail():
    v = verdicts("nginx")
    # "9. move.... WARNING: ...\n    ...... FAIL (...)": the verdict after the warning counts
    assert v["copymove/move"] == "fail"
    assert v["copymove/copy_simple"] == "warn"
    assert v["copymove/copy_cleanup"] == "pass"  # printed after a run of dots on the same line
    assert v["basic/delete_fragment"] == "warn" and v["basic/mkcol"] == "pass"


def test_skiprest_leaves_later_tests_out():
    v = verdicts("nginx")
    assert v["locks/precond"] == "skip"  # "SKIPPED (locking tests skipped,\nserver does not claim ...)"
    assert "locks/lock_excl" not in v
    assert v["http/expect100"] == "pass"
    assert len(canonical_ids(v)) == 67


def test_lighttpd_failures():
    v = verdicts("lighttpd")
    assert not_passing(v) == {
        **{f"locks/{n}": "skip" for n in ("cond_put", "fail_cond_put", "complex_cond_put", "fail_complex_cond_put")},
        **{f"props/{n}": "fail" for n in ("propfind_invalid", "propfind_invalid2", "propnullns", "prophighunicode",
                                          "propremoveset", "propsetremove", "propvalnspace")},
        **{f"props/propget#{n}": "fail" for n in (16, 18, 20)},
    }


def test_truncated_output_drops_the_unfinished_test():
    text = (DATA / "litmus-wsgidav.txt").read_text(encoding="utf-8")
    cut = text.index(" 5. put_no_parent") + len(" 5. put_no_parent.........")
    v = parse_litmus_output(text[:cut])
    assert v["basic/put_get_utf8_segment"] == "pass"
    assert "basic/put_no_parent" not in v


def test_nothing_but_noise():
    assert parse_litmus_output("") == {}
    assert parse_litmus_output(" 3. put_get....... pass\n") == {}  # no group header: not litmus output


def test_setup_only_names_real_tests():
    ids = set(canonical_ids(verdicts("apache")))
    assert set(SETUP_ONLY) <= ids
    assert all(reason for reason in SETUP_ONLY.values())
