"""Speed of our WebDAV suite next to litmus 0.13, on the same local targets.

    .venv/bin/python benchmarks/webdav.py [--target T]... [--repeat N] [--profile T]

For each target (default: wsgidav, apache, nginx, lighttpd, rclone) both tools run against the
same product, one after the other:

- litmus: a target is started (not timed), then :func:`suites.webdav.litmus.run_litmus` runs its
  five groups; per check = wall time / litmus result lines printed, excluding set-up lines
  (init, begin, finish and :data:`~suites.webdav.litmus.SETUP_ONLY`).
- ours: ``overstap run --suite webdav --target T`` as a subprocess; per check = wall time / our
  checks (this includes Python and pytest start-up and starting the target), and also the sum of
  the checks' ``duration_s`` in report.json / our checks (the time inside checks alone).
- ratio: our per-check time / litmus's.

Then the whole matrix: one ``overstap run`` with every target at once (concurrently, the way CI
runs it) against litmus over the same targets one after another (each target started, tested and
stopped in turn, the start and stop included, as ``overstap run`` includes them).

With ``--repeat N`` every measurement is taken N times and the median is shown. ``--profile T``
also profiles one in-process pytest run of the suite against T (pyinstrument when installed,
else cProfile) and prints where the time goes. Output is Markdown.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness.catalog import get  # noqa: E402
from harness.providers.local import LocalTarget  # noqa: E402
from suites.webdav import litmus  # noqa: E402

TARGETS = ("wsgidav", "apache", "nginx", "lighttpd", "rclone")
SETUP = {"init", "begin", "finish"}


def overstap_bin() -> str:
    candidate = Path(sys.executable).parent / "overstap"
    return str(candidate) if candidate.exists() else "overstap"


def litmus_lines(verdicts: dict[str, str]) -> int:
    """Result lines litmus printed, set-up lines left out."""
    setup = set(litmus.SETUP_ONLY)
    count = 0
    for key in verdicts:
        if "#" not in key:
            continue
        plain = key.split("#", 1)[0]
        if plain.split("/", 1)[1] in SETUP or key in setup or plain in setup:
            continue
        count += 1
    return count


def time_litmus(product: str, with_start: bool = False) -> tuple[float, int]:
    """(wall seconds, result lines) of one litmus run on a fresh target; start/stop timed when asked."""
    local = LocalTarget(get(product))
    started = time.perf_counter()
    target = local.start()
    try:
        t0 = time.perf_counter()
        creds = target.credentials
        verdicts, _ = litmus.run_litmus(target.endpoints["webdav"], creds.username if creds else None,
                                        creds.password if creds else None)
        t1 = time.perf_counter()
    finally:
        local.stop()
    ended = time.perf_counter()
    return (ended - started if with_start else t1 - t0), litmus_lines(verdicts)


def time_ours(products: list[str]) -> tuple[float, dict]:
    """(wall seconds, report) of one ``overstap run --suite webdav`` on ``products`` (concurrently)."""
    with tempfile.TemporaryDirectory(prefix="bench-webdav-") as out:
        argv = [overstap_bin(), "run", "--suite", "webdav", "--out", out]
        for p in products:
            argv += ["--target", p]
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        report_path = Path(out) / "report.json"
        if not report_path.exists():
            raise SystemExit(f"overstap run wrote no report (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        return wall, json.loads(report_path.read_text(encoding="utf-8"))


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench_target(product: str, repeat: int) -> dict:
    litmus_walls, lines, our_walls, sums, checks = [], 0, [], [], 0
    for _ in range(repeat):
        wall, lines = time_litmus(product)
        litmus_walls.append(wall)
        wall, report = time_ours([product])
        results = [r for r in report["results"] if r["target"] == product]
        our_walls.append(wall)
        sums.append(sum(r["duration_s"] for r in results))
        checks = len(results)
    lw, ow, cs = median(litmus_walls), median(our_walls), median(sums)
    per_litmus = lw / lines if lines else float("nan")
    per_ours = ow / checks if checks else float("nan")
    per_ours_checks = cs / checks if checks else float("nan")
    return {"target": product, "litmus_s": lw, "litmus_lines": lines, "litmus_ms": per_litmus * 1000,
            "ours_s": ow, "checks": checks, "ours_ms": per_ours * 1000, "ours_sum_s": cs,
            "ours_check_ms": per_ours_checks * 1000, "ratio_wall": per_ours / per_litmus,
            "ratio_checks": per_ours_checks / per_litmus}


def bench_matrix(products: list[str], repeat: int) -> dict:
    litmus_seq, litmus_only, ours = [], [], []
    for _ in range(repeat):
        total_with, total_only = 0.0, 0.0
        for p in products:
            total_with += time_litmus(p, with_start=True)[0]
        for p in products:
            total_only += time_litmus(p)[0]
        litmus_seq.append(total_with)
        litmus_only.append(total_only)
        wall, report = time_ours(products)
        ours.append(wall)
        checks = len(report["results"])
    return {"litmus_seq_s": median(litmus_seq), "litmus_only_s": median(litmus_only), "ours_s": median(ours),
            "checks": checks}


def profile(product: str, top: int = 25) -> str:
    """Where the time of one in-process pytest run of the suite against ``product`` goes."""
    import pytest

    out = tempfile.mkdtemp(prefix="bench-profile-")
    argv = [str(REPO / "suites" / "webdav"), "--rootdir", str(REPO), "-p", "no:cacheprovider", "-q",
            "--tb=no", "-rN", "--no-header", "--target", product, "--run-id", uuid.uuid4().hex[:8],
            "--overstap-json", os.path.join(out, "events.jsonl")]
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        pytest.main(argv)
        profiler.stop()
        return profiler.output_text(unicode=False, color=False, show_all=False)
    prof = cProfile.Profile()
    prof.enable()
    pytest.main(argv)
    prof.disable()
    stream = io.StringIO()
    pstats.Stats(prof, stream=stream).sort_stats("cumulative").print_stats(top)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Prints Markdown tables; every figure is the median of --repeat runs.")
    parser.add_argument("--target", action="append", metavar="T",
                        help=f"target to measure (repeatable; default: {', '.join(TARGETS)})")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="repeat each measurement N times "
                        "and show the median (default: %(default)s)")
    parser.add_argument("--profile", metavar="T", help="also profile one in-process pytest run against T")
    parser.add_argument("--no-matrix", action="store_true", help="skip the whole-matrix comparison")
    args = parser.parse_args(argv)
    products = args.target or list(TARGETS)
    why = litmus.litmus_available()
    if why:
        print(why, file=sys.stderr)
        return 2

    print(f"## WebDAV: overstap vs litmus 0.13 (median of {args.repeat})\n")
    print("| target | litmus lines | litmus wall s | litmus ms/line | our checks | ours wall s | ours ms/check (wall) "
          "| ours Σ check s | ours ms/check (Σ) | ratio wall | ratio Σ |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in products:
        r = bench_target(p, args.repeat)
        print(f"| {p} | {r['litmus_lines']} | {r['litmus_s']:.2f} | {r['litmus_ms']:.1f} | {r['checks']} "
              f"| {r['ours_s']:.2f} | {r['ours_ms']:.1f} | {r['ours_sum_s']:.2f} | {r['ours_check_ms']:.1f} "
              f"| {r['ratio_wall']:.1f}× | {r['ratio_checks']:.1f}× |", flush=True)

    if not args.no_matrix:
        m = bench_matrix(products, args.repeat)
        print(f"\n## Whole matrix over {len(products)} targets\n")
        print("| what | wall s |")
        print("|---|---:|")
        print(f"| litmus, targets one after another (start + test + stop) | {m['litmus_seq_s']:.2f} |")
        print(f"| litmus, targets one after another (test only) | {m['litmus_only_s']:.2f} |")
        print(f"| overstap run, all targets concurrently ({m['checks']} results) | {m['ours_s']:.2f} |")
        print(f"| ratio overstap / litmus (start + test + stop) | {m['ours_s'] / m['litmus_seq_s']:.2f}× |")

    if args.profile:
        print(f"\n## Profile: one in-process pytest run against {args.profile}\n")
        print("```")
        print(profile(args.profile))
        print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
