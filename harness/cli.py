"""The ``overstap`` command line.

    overstap targets                      list every product: available here? version? how to install
    overstap run [--suite S]... [--target T]... [--targets-file F] [--out DIR] [-k EXPR]
                 [--moves/--no-moves] [--corpus DIR]
    overstap images build [PRODUCT...] | images list      reference images for --target container:NAME
    overstap compose up|down|config PROFILE               docker-compose.yml profiles

Exit codes of ``run``: 0 when every result was expected, 1 when any was not, 2 on a harness error
(bad arguments, an unusable targets file, a test process that broke, an interrupted run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import __version__, catalog
from harness.catalog import ProductUnavailable
from harness.runner import EXIT_HARNESS, RunError, RunOptions, available_suites, parse_shard, run


def _cmd_targets(args: argparse.Namespace) -> int:
    rows = [("product", "available", "version", "capabilities", "install / note")]
    for product in catalog.all_products():
        why = product.missing()
        version = "-"
        if why is None:
            try:
                version = product.local_version()
            except ProductUnavailable as exc:
                why = str(exc)
        available = "yes" if why is None else ("remote" if not product.local else "no")
        claims = ",".join(sorted(product.capabilities)) or "-"
        rows.append((product.name, available, version, claims, why or product.title))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    options = RunOptions(suites=args.suite or [], targets=args.target or [], targets_file=args.targets_file,
                         out=Path(args.out), keyword=args.keyword, jobs=args.jobs,
                         request_timeout=args.request_timeout, check_timeout=args.check_timeout,
                         expectations_dir=Path(args.expectations) if args.expectations else None,
                         moves=args.moves, corpus=Path(args.corpus) if args.corpus else None)
    try:
        if args.shard:
            options.shard = parse_shard(args.shard)
        return run(options)
    except RunError as exc:
        print(f"overstap run: {exc}", file=sys.stderr)
        return EXIT_HARNESS


def _cmd_expectations_update(args: argparse.Namespace) -> int:
    from harness import expectations
    from harness.report.model import ReportError, load_report

    try:
        reports = [load_report(Path(run)) for run in args.run]
        directory = Path(args.expectations) if args.expectations else expectations.default_dir()
        counts = expectations.update_from_reports(reports, directory, pin_versions=args.pin_versions)
    except (ReportError, expectations.ExpectationsError) as exc:
        print(f"overstap expectations update: {exc}", file=sys.stderr)
        return EXIT_HARNESS
    for product, n in counts.items():
        print(f"{directory / (product + '.toml')}: {n} expectations")
    if not counts:
        print("nothing to change: every result of the run was already expected")
    return 0


ODF_SUFFIXES = (".odt", ".ods", ".odp", ".odg", ".odf", ".odc", ".odi", ".odm", ".ott", ".ots", ".otp", ".otg",
                ".fodt", ".fods", ".fodp", ".fodg")


def _cmd_check(args: argparse.Namespace) -> int:
    import json

    import conformance.odf
    from conformance.files import check_file
    from harness.schemas import SchemaDirNotFound, find_schema_dir

    try:
        conformance.odf.DEFAULT_SCHEMA_DIR = find_schema_dir(args.schemas)
    except SchemaDirNotFound as exc:
        if args.schemas or any(name.lower().endswith(ODF_SUFFIXES) for name in args.files):
            print(f"overstap check: {exc}", file=sys.stderr)
            return EXIT_HARNESS
    invalid = 0
    out = []
    for name in args.files:
        verdict = check_file(name)
        bad = not verdict.valid or (args.strict and verdict.kind == "odf" and verdict.conformance_class != "strict")
        invalid += bad
        if args.format == "json":
            out.append({"file": name, **verdict.to_dict()})
            continue
        errors, warnings = len(verdict.errors), len(verdict.warnings)
        klass = f", conformance class {verdict.conformance_class or 'not judged'}" if verdict.kind == "odf" else ""
        print(f"{name}: {'valid' if verdict.valid else 'INVALID'} {verdict.kind}{klass} "
              f"({errors} errors, {warnings} warnings)")
        for f in verdict.findings:
            where = f"line {f.line}: " if f.line else ""
            scope = "/".join(p for p in (f.component, f.property) if p)
            print(f"  {f.severity:<7} {f.clause}: {where}{scope + ': ' if scope else ''}{f.message}")
    if args.format == "json":
        print(json.dumps(out, indent=1, ensure_ascii=False))
    elif len(args.files) > 1:
        print(f"{len(args.files) - invalid} passed, {invalid} failed{' (--strict)' if args.strict else ''}")
    return 1 if invalid else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overstap",
        description="Overstap tests whether office systems keep to the open standards (WebDAV, CalDAV, CardDAV, "
                    "iCalendar, vCard, ODF) and whether your data survives a move between them.",
        epilog="Run `overstap COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"overstap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    targets = sub.add_parser("targets", help="list the products Overstap can test and whether they are available here",
                             description="List every product in the catalog: whether it can be started here, its "
                                         "version (read from the product) and, when missing, how to install it.")
    targets.set_defaults(func=_cmd_targets)

    run_p = sub.add_parser(
        "run", help="start targets, run the suites, write report.json, junit.xml and index.html",
        description="Start the targets (local processes, or the deployments of a targets file), run the suites "
                    "against each concurrently and write DIR/report.json, DIR/junit.xml and DIR/index.html.",
        epilog="Exit status: 0 every result expected; 1 some result unexpected (see the report); "
               "2 harness error (bad arguments, broken test process, interrupted run).",
    )
    run_p.add_argument("--suite", action="append", metavar="S",
                       help=f"run this suite (repeatable; default: all of {', '.join(available_suites())})")
    run_p.add_argument("--target", action="append", metavar="T",
                       help="test this target: a product name from `overstap targets` (started locally), "
                            "container:PRODUCT (its reference image, see `overstap images`), or an id "
                            "from --targets-file (repeatable; default: every product available here, or every "
                            "target of the targets file)")
    run_p.add_argument("--targets-file", metavar="F", help="TOML file naming existing deployments (docs/targets.md)")
    run_p.add_argument("--out", metavar="DIR", default="results", help="where the report goes (default: %(default)s)")
    run_p.add_argument("-k", dest="keyword", metavar="EXPR", help="only checks matching this pytest -k expression")
    run_p.add_argument("--jobs", type=int, default=0, metavar="N",
                       help="targets tested at the same time (default: all); also the moves' worker "
                            "threads (default: 8)")
    run_p.add_argument("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="read timeout of each HTTP request (default: %(default)s)")
    run_p.add_argument("--check-timeout", type=float, default=120.0, metavar="SECONDS",
                       help="wall-time limit of one check, past which it is TIMEOUT (default: %(default)s)")
    run_p.add_argument("--shard", metavar="I/N",
                       help="run only the deterministic share I of N of the targets × suites (CI matrix jobs); "
                            "join the shards with `overstap merge`")
    run_p.add_argument("--expectations", metavar="DIR",
                       help="folder of <product>.toml expectation files (default: the suites' own)")
    run_p.add_argument("--moves", action=argparse.BooleanOptionalAction, default=None,
                       help="after the suites, move data between every pair of targets that share a capability "
                            "and report what was lost (docs/moves.md). Default: on for a whole run or with "
                            "--corpus; off when -k picks checks, and with --shard unless --moves is given")
    run_p.add_argument("--corpus", metavar="DIR",
                       help="move your own files instead of fixtures/moves: .ics -> calendars, .vcf -> contacts, "
                            ".odt/.ods/.odp -> documents through office tools (and WebDAV), anything else -> WebDAV; "
                            "invalid inputs are listed as rejected, not as losses")
    run_p.set_defaults(func=_cmd_run)

    exp = sub.add_parser("expectations", help="manage the known results per product (suites/expectations/)")
    exp_sub = exp.add_subparsers(dest="action", metavar="ACTION", required=True)
    update = exp_sub.add_parser("update", help="write the expectations from a run so that all its results are expected",
                                description="Rewrite <product>.toml expectation files from RUN... (report.json "
                                            "files or their folders): every unexpected result becomes an "
                                            "expectation for that product version, a result that flipped between "
                                            "the runs an intermittent one; edit the reasons afterwards.")
    update.add_argument("run", metavar="RUN", nargs="+",
                        help="report.json, or the folder that holds it; with several runs, a result that "
                             "differs between them is recorded as intermittent")
    update.add_argument("--expectations", metavar="DIR", help="folder to write (default: the suites' own)")
    update.add_argument("--pin-versions", action="store_true",
                        help="limit new expectations to the exact product version of the run (an upgrade then makes "
                             "them unexpected until triaged); default: every version")
    update.set_defaults(func=_cmd_expectations_update)

    check_p = sub.add_parser(
        "check", help="validate .ics, .vcf and ODF files offline and print the findings",
        description="Validate files offline: iCalendar (RFC 5545), vCard 4.0/3.0 (RFC 6350/RFC 2426) and ODF "
                    "packages (.odt, .ods, .odp...: package rules and the OASIS schema of the document's "
                    "office:version, agreeing with jing). Each finding names its clause; an ODF document gets its "
                    "conformance class: strict, extended (conforms once foreign markup is set aside) or invalid.",
        epilog="Exit status: 0 when every file passes, 1 when any is invalid (with --strict also when an ODF "
               "document is only extended-conformant or could not be judged), 2 when the ODF schemas are not found.")
    check_p.add_argument("files", nargs="+", metavar="FILE")
    check_p.add_argument("--strict", action="store_true",
                         help="ODF documents must reach strict conformance (exit 1 for extended)")
    check_p.add_argument("--schemas", metavar="DIR",
                         help="folder holding the OASIS ODF schemas (default: $OVERSTAP_ODF_SCHEMAS, the user cache, "
                              "or ../shared/odf-schemas beside the checkout; `overstap schemas download` fills the cache)")
    check_p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    check_p.set_defaults(func=_cmd_check)

    from harness.publish import add_commands as add_publish_commands
    from harness.schemas import add_commands as add_schema_commands

    add_schema_commands(sub)

    from harness.compose import add_commands as add_compose_commands
    from harness.images import add_commands as add_image_commands

    add_image_commands(sub)
    add_compose_commands(sub)

    add_publish_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``overstap`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_HARNESS
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_HARNESS


if __name__ == "__main__":
    sys.exit(main())
