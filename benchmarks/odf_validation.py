"""Benchmark: ODF validation time per MB of XML, Overstap (conformance.odf) against jing.

    python benchmarks/odf_validation.py [--corpus DIR] [--schemas DIR] [--limit N] [--engine auto|lxml|jing]

For every ODF file of the corpus (default ../shared/corpus/odf) it times

- ours: ``conformance.odf.check_odf`` (package checks, strict and extended levels; lxml fast path,
  jing where lxml is unreliable or slow), schemas already compiled (first file excluded from nothing:
  the one-off schema compilation is reported separately);
- jing per file: one ``java -Xss64m -jar jing.jar -i`` run over the same parts (``jar:`` URLs into the
  zip), as a command-line user would call it, one JVM per schema and file;
- jing batch: one JVM per schema over the parts of all files (jing's best case).

MB is the uncompressed size of the XML parts that were validated. Prints a table and totals.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from conformance.odf import check_odf  # noqa: E402
from conformance.odf.schema import _grammar, find_jing, schema_path  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Needs jing and a JRE for the jing columns (apt-get install jing "
                                            "default-jre-headless); without them only ours is timed.")
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus" / "odf"), help="folder of ODF files")
    parser.add_argument("--schemas", default=str(REPO.parent / "shared" / "odf-schemas"), help="ODF schema folder")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (default: all)")
    parser.add_argument("--engine", choices=("auto", "lxml", "jing"), default="auto", help="our engine")
    parser.add_argument("--top", type=int, default=10, help="show the N slowest files (default: %(default)s)")
    args = parser.parse_args(argv)

    files = sorted(p for p in Path(args.corpus).glob("*") if p.is_file() and p.suffix != ".tsv")
    if args.limit:
        files = files[: args.limit]
    if not files:
        print(f"no files in {args.corpus}", file=sys.stderr)
        return 2
    jing = find_jing()

    t = time.perf_counter()
    for version in ("1.2", "1.3", "1.4"):
        for which in ("document", "manifest"):
            _grammar(schema_path(args.schemas, version, which))
    compile_s = time.perf_counter() - t

    rows = []
    batch: dict[Path, list[str]] = defaultdict(list)
    total_ours = total_jing = total_mb = 0.0
    for path in files:
        t = time.perf_counter()
        report = check_odf(path, args.schemas, engine=args.engine)
        ours = time.perf_counter() - t
        size = sum(len(report.package.parts.get(p.part, b"")) if report.package else path.stat().st_size
                   for p in report.parts)
        mb = size / 1e6
        per_schema: dict[Path, list[str]] = defaultdict(list)
        for part in report.parts:
            uri = "jar:" + path.as_uri() + "!/" + quote(part.part) if report.package else str(path)
            per_schema[part.schema].append(uri)
            batch[part.schema].append(uri)
        jing_s = None
        if jing and per_schema:
            t = time.perf_counter()
            for schema, uris in per_schema.items():
                subprocess.run([*jing, "-i", str(schema), *uris], capture_output=True, timeout=1800, check=False)
            jing_s = time.perf_counter() - t
            total_jing += jing_s
        total_ours += ours
        total_mb += mb
        rows.append((path.name, mb, ours, jing_s, report.verdict.conformance_class))

    batch_s = None
    if jing and batch:
        t = time.perf_counter()
        for schema, uris in batch.items():
            subprocess.run([*jing, "-i", str(schema), *uris], capture_output=True, timeout=3600, check=False)
        batch_s = time.perf_counter() - t

    print(f"{len(files)} files, {total_mb:.2f} MB of validated XML; schema compilation (lxml, once): {compile_s:.2f} s")
    print(f"{'file':<50} {'MB':>7} {'ours s':>8} {'jing s':>8}  class")
    for name, mb, ours, jing_s, cls in sorted(rows, key=lambda r: -r[2])[: args.top]:
        print(f"{name[:50]:<50} {mb:7.3f} {ours:8.2f} {jing_s if jing_s is not None else float('nan'):8.2f}  {cls}")
    print(f"ours ({args.engine}):        {total_ours:7.1f} s total, {total_ours / max(total_mb, 1e-9):6.2f} s/MB")
    if jing:
        print(f"jing, one run per file: {total_jing:7.1f} s total, {total_jing / max(total_mb, 1e-9):6.2f} s/MB")
        print(f"jing, one batch:        {batch_s:7.1f} s total, {batch_s / max(total_mb, 1e-9):6.2f} s/MB")
    else:
        print("jing not found: jing columns skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
