"""Publishing commands: building the static site, diffing runs and merging shards.

``add_commands(sub)`` registers this module's subcommands on the ``overstap`` parser::

    overstap report RUN... -o DIR [--no-junit]        static site (harness.report.site)
    overstap diff OLD NEW [--format text|markdown|json] [--max-rows N] [-o FILE]
    overstap merge RUN... -o FILE                      join shard reports (harness.report.merge)

RUN, OLD and NEW are report.json files or the folders that hold them. Exit status: ``report`` and
``merge`` 0 on success, 2 when an input cannot be read, breaks the schema or (merge) conflicts;
``diff`` 1 when any result or move regressed, 0 otherwise, 2 when an input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_REGRESSED, EXIT_BAD_INPUT = 0, 1, 2


def _load_all(runs: list[str], command: str) -> list[dict] | None:
    from harness.report.model import ReportError, load_report

    reports = []
    for run in runs:
        try:
            reports.append(load_report(Path(run)))
        except ReportError as exc:
            print(f"overstap {command}: {exc}", file=sys.stderr)
            return None
    return reports


def _cmd_report(args: argparse.Namespace) -> int:
    from harness.report.site import build_site

    reports = _load_all(args.run, "report")
    if reports is None:
        return EXIT_BAD_INPUT
    out = Path(args.out)
    try:
        written = build_site(reports, out, write_junit=not args.no_junit)
    except OSError as exc:
        print(f"overstap report: cannot write {out}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{out / 'index.html'}: {len(written['pages'])} pages, {len(written['reproducers'])} reproducers, "
          f"{len(written['junit'])} JUnit files (from {len(reports)} run{'s' if len(reports) > 1 else ''})")
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    from harness.report.diff import diff_reports, render_markdown, render_text

    reports = _load_all([args.old, args.new], "diff")
    if reports is None:
        return EXIT_BAD_INPUT
    d = diff_reports(*reports)
    if args.format == "json":
        text = json.dumps(d.to_json(), indent=1, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = render_markdown(d, max_rows=args.max_rows)
    else:
        text = render_text(d)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"overstap diff: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        sys.stdout.write(text)
    return EXIT_REGRESSED if d.regressed else EXIT_OK


def _cmd_merge(args: argparse.Namespace) -> int:
    from harness.report.merge import MergeError, merge_reports

    reports = _load_all(args.run, "merge")
    if reports is None:
        return EXIT_BAD_INPUT
    try:
        merged = merge_reports(reports, names=args.run)
    except MergeError as exc:
        print(f"overstap merge: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"overstap merge: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    s = merged["summary"]
    print(f"{out}: {len(reports)} reports, {len(merged['targets'])} targets, {s['total']} results, "
          f"{s['unexpected']} unexpected")
    return EXIT_OK


def add_commands(sub: "argparse._SubParsersAction") -> None:
    """Register the publishing subcommands (``report``, ``diff``, ``merge``) on ``sub``."""
    rep = sub.add_parser(
        "report", help="build a static HTML site from one or several runs",
        description="Build a static site from RUN... (report.json files or their folders): an overview of "
                    "suites × targets, a check × target grid per suite, a page per result with its evidence "
                    "and curl/Python reproducers, move matrices (when the report has moves) and, with "
                    "several runs, what changed between consecutive runs. Relative links only; works offline "
                    "and from any file server. Also writes DIR/junit/<target>.xml, one JUnit file per target.",
        epilog="Exit status: 0 written; 2 a run cannot be read or breaks the schema, or DIR cannot be written.")
    rep.add_argument("run", metavar="RUN", nargs="+", help="report.json, or the folder that holds it (a run's --out)")
    rep.add_argument("-o", "--out", metavar="DIR", required=True, help="folder to write the site into")
    rep.add_argument("--no-junit", action="store_true", help="do not write DIR/junit/<target>.xml")
    rep.set_defaults(func=_cmd_report)

    dif = sub.add_parser(
        "diff", help="compare two runs: improved, regressed, changed, new and gone results",
        description="Compare the results of two runs per target and check. Order of statuses, best first: "
                    "PASS, WARN, FAIL, ERROR = TIMEOUT. 'improved'/'regressed' follow that order; 'changed' is a "
                    "change to or from SKIP or PRECONDITION_FAILED (not applicable), or between ERROR and "
                    "TIMEOUT; 'new' and 'gone' are results present in only one run. When both runs have moves, "
                    "each source × destination × kind is compared too: fewer items intact (or as many and more "
                    "properties lost) is a regression.",
        epilog="Exit status: 1 when any result or move regressed; 0 otherwise; 2 when a run cannot be read.")
    dif.add_argument("old", metavar="OLD", help="the earlier report.json (or its folder)")
    dif.add_argument("new", metavar="NEW", help="the later report.json (or its folder)")
    dif.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                     help="text (default), markdown (a merge-request comment: summary line and tables) or json")
    dif.add_argument("--max-rows", type=int, default=50, metavar="N",
                     help="markdown: at most N rows per table (default: %(default)s); the json format lists all")
    dif.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    dif.set_defaults(func=_cmd_diff)

    mer = sub.add_parser(
        "merge", help="join shard reports (overstap run --shard i/n) into one report.json",
        description="Join RUN... (report.json files of `overstap run --shard i/n`, or their folders) into one "
                    "report: targets and results joined, run_info from the earliest start to the latest end, "
                    "summary recomputed. The same target id must name the same product and version in "
                    "every shard, and no check × target may appear twice. Moves are joined too: a move "
                    "(kind × source × destination) made by several shards is kept once (one without error, "
                    "else the latest run's), with a note when the results differ.",
        epilog="Exit status: 0 written; 2 a run cannot be read, the runs conflict, or FILE cannot be written.")
    mer.add_argument("run", metavar="RUN", nargs="+", help="report.json, or the folder that holds it")
    mer.add_argument("-o", "--out", metavar="FILE", required=True, help="where to write the merged report.json")
    mer.set_defaults(func=_cmd_merge)
