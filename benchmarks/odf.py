"""Documents per second through each office tool, and warm LibreOffice next to cold ``soffice --convert-to``.

    .venv/bin/python benchmarks/odf.py [--tool T]... [--rounds N] [--cold-docs N]

Every tool converts each fixture of ``fixtures/odf/`` it handles (ODF -> ODF, the suite's round trip
through :func:`harness.office.roundtrip`) ``--rounds`` times; per document = wall time / documents.
The tools (default: every one available here) are libreoffice (warm: one unoserver-kept instance,
started once and not timed; its start time is shown apart), gnumeric (ssconvert), abiword, pandoc
(one process per document) and odfdo (in-process).

Then warm LibreOffice against cold LibreOffice on the same documents: cold is one
``soffice --headless --convert-to <ext> --outdir OUT DOC`` process per document with a private,
already initialised profile (the first, profile-creating run is not timed), over the first
``--cold-docs`` fixtures. The speed-up is cold per-document time / warm per-document time (goal: 10x).
Output is Markdown.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import catalog  # noqa: E402
from harness.providers.local import LocalTarget  # noqa: E402
from suites.odf.helpers import load_fixtures  # noqa: E402
from harness.office import ToolLog, roundtrip  # noqa: E402

TOOLS = ("libreoffice", "gnumeric", "abiword", "pandoc", "odfdo")


def timed_roundtrips(endpoint: str, docs: list, rounds: int) -> tuple[int, float, int]:
    """(documents converted, seconds, failures) for ``rounds`` passes over ``docs``."""
    done = failures = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for f in docs:
            try:
                roundtrip(endpoint, f.path.read_bytes(), f.ext, ToolLog())
                done += 1
            except Exception:
                failures += 1
    return done, time.perf_counter() - started, failures


def cold_soffice(docs: list, workdir: Path) -> tuple[int, float]:
    """(documents, seconds): one ``soffice --convert-to`` process per document, warm profile."""
    profile = f"-env:UserInstallation={(workdir / 'profile').as_uri()}"
    out = workdir / "out"

    def convert(f) -> None:
        subprocess.run(["soffice", profile, "--headless", "--norestore", "--convert-to", f.ext, "--outdir",
                        str(out), str(f.path)], check=True, capture_output=True, timeout=120)

    convert(docs[0])  # creates the profile: not timed
    started = time.perf_counter()
    for f in docs:
        convert(f)
    return len(docs), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tool", action="append", choices=TOOLS, help="tool to measure (repeatable; default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the fixtures per tool (default: 3)")
    parser.add_argument("--cold-docs", type=int, default=12,
                        help="fixtures converted by cold soffice, one process each (default: 12)")
    args = parser.parse_args(argv)
    fixtures = load_fixtures()
    rows, warm_lo = [], None
    for name in args.tool or TOOLS:
        product = catalog.get(name)
        why = product.missing()
        if why:
            rows.append(f"| {name} | not available: {why} | | | |")
            continue
        docs = [f for f in fixtures if f"odf-{f.kind}" in product.capabilities]
        provider = LocalTarget(product)
        t0 = time.perf_counter()
        target = provider.start()
        start_s = time.perf_counter() - t0
        try:
            done, seconds, failures = timed_roundtrips(target.endpoints["odf-roundtrip"], docs, args.rounds)
        finally:
            provider.stop()
        per_doc = seconds / max(done + failures, 1)
        rows.append(f"| {name} {target.version} | {done + failures} ({failures} failed) | {per_doc * 1000:.0f} ms | "
                    f"{1 / per_doc:.1f} | {start_s:.1f} s |")
        if name == "libreoffice":
            warm_lo = (docs, per_doc)
    print("## ODF round trips per tool (ODF -> ODF)\n")
    print("| tool | documents | per document | documents/s | start (not timed) |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    if warm_lo and shutil.which("soffice"):
        docs, warm_per_doc = warm_lo
        cold_set = docs[: args.cold_docs]
        with tempfile.TemporaryDirectory(prefix="overstap-bench-odf-") as tmp:
            n, seconds = cold_soffice(cold_set, Path(tmp))
        cold_per_doc = seconds / n
        print("\n## Warm LibreOffice (unoserver) against cold `soffice --convert-to`\n")
        print("| | documents | per document | documents/s |")
        print("|---|---|---|---|")
        print(f"| warm (one instance, XML-RPC) | {len(docs) * args.rounds} | {warm_per_doc * 1000:.0f} ms | "
              f"{1 / warm_per_doc:.1f} |")
        print(f"| cold (one soffice per document) | {n} | {cold_per_doc * 1000:.0f} ms | {1 / cold_per_doc:.2f} |")
        print(f"\nSpeed-up: {cold_per_doc / warm_per_doc:.1f}x per document (goal: 10x).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
