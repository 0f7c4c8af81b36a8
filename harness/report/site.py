"""The static site built from one or several runs (``overstap report RUN... -o DIR``).

Layout of ``DIR`` (every link is relative; no external resource; no JavaScript needed to read it)::

    index.html                       overview of the latest run: suites × targets, passes / total per cell
    suites/<suite>.html              check × target grid; every cell links to its result page
    results/<target>/<s>.<g>.<n>.html  one page per result: clause links, evidence, reproducers
    results/<target>/<s>.<g>.<n>.sh  curl reproducer (only for results with evidence)
    results/<target>/<s>.<g>.<n>.py  Python ``requests`` reproducer (idem)
    moves.html                       pair matrices per kind of move (only when the report has ``moves[]``)
    history.html                     what changed between consecutive runs (only with several runs)
    junit/<target>.xml               JUnit XML per target (classname ``suite.group``)
    report.json                      the latest run; runs/run-<i>.json every run (with several)
    style.css, filter.js             the look, and optional row filters

With several runs, the runs are ordered by ``run_info.started``; the pages show the latest one and
``history.html`` shows what changed from each run to the next (see :mod:`harness.report.diff`). Shards
of one run are joined with ``overstap merge`` first.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import defaultdict
from datetime import datetime
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from harness.report.diff import KINDS, diff_reports
from harness.report.html import STATUS_MARK, overview
from harness.report.junit import render_junit

# The single-page report's marks, except TIMEOUT: "⌛" has no glyph in the fonts Debian's Chromium uses.
MARKS = {**STATUS_MARK, "TIMEOUT": "◷"}
KIND_MARK = {"regressed": "▼", "improved": "▲", "changed": "↔", "new": "+", "gone": "−"}
ODF_DOCS = {
    "1.2": ("https://docs.oasis-open.org/office/v1.2/os/",
            {"1": "OpenDocument-v1.2-os-part1.html", "2": "OpenDocument-v1.2-os-part2.html",
             "3": "OpenDocument-v1.2-os-part3.html"}),
    "1.3": ("https://docs.oasis-open.org/office/OpenDocument/v1.3/os/",
            {"1": "part1-introduction/OpenDocument-v1.3-os-part1-introduction.html",
             "2": "part2-packages/OpenDocument-v1.3-os-part2-packages.html",
             "3": "part3-schema/OpenDocument-v1.3-os-part3-schema.html",
             "4": "part4-formula/OpenDocument-v1.3-os-part4-formula.html"}),
    "1.4": ("https://docs.oasis-open.org/office/OpenDocument/v1.4/os/",
            {"1": "part1-introduction/OpenDocument-v1.4-os-part1-introduction.html",
             "2": "part2-packages/OpenDocument-v1.4-os-part2-packages.html",
             "3": "part3-schema/OpenDocument-v1.4-os-part3-schema.html",
             "4": "part4-formula/OpenDocument-v1.4-os-part4-formula.html"}),
}
# HTTP request headers a reproducer leaves to the client (curl and requests set their own).
_CLIENT_HEADERS = {"authorization", "content-length", "connection", "accept-encoding", "user-agent", "host"}
_CLAUSE_TOKEN = re.compile(r"RFC\s*(?P<rfc>\d+)|ODF\s*(?P<odf>\d\.\d)(?:\s*Part\s*(?P<part>\d))?|"
                           r"§\s*(?P<sec>[A-Z](?:\.\d+)*|\d+(?:\.\d+)*)")


# -- names -------------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """A file-name- and id-safe form of a target id: ``[A-Za-z0-9_.-]`` kept, anything else as ``~XX``
    (UTF-8 bytes in hex), so two different ids never share a slug."""
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in "_.-") and not (ch == "." and not out):
            out.append(ch)
        else:
            out.extend(f"~{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out) or "~"


def result_stem(result: dict) -> str:
    """``results/<target slug>/<suite>.<group>.<name>`` (no extension), relative to the site root."""
    return f"results/{slug(result['target'])}/{result['check'].replace('/', '.')}"


# -- clauses -----------------------------------------------------------------------------------------
def clause_links(clause: str) -> list[tuple[str, str | None]]:
    """Split a clause text into pieces, each ``(text, url or None)``.

    ``RFC NNNN §X.Y`` links to ``https://www.rfc-editor.org/rfc/rfcNNNN#section-X.Y`` (a letter
    section, ``§A.1``, to ``#appendix-A.1``); a bare ``§X.Y`` refers to the RFC named before it in the
    same text; ``ODF 1.3 Part 3 §...`` links to that part of the OASIS specification (no section anchor:
    the OASIS pages have none that are stable). Example::

        clause_links("RFC 4918 §9.9, RFC 3986 §3.4")
        -> [("RFC 4918 §9.9", "https://www.rfc-editor.org/rfc/rfc4918#section-9.9"), (", ", None),
            ("RFC 3986 §3.4", "https://www.rfc-editor.org/rfc/rfc3986#section-3.4")]
    """
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    rfc: str | None = None
    odf: tuple[str, str | None] | None = None
    pending: tuple[int, int, str | None] | None = None  # a document name not yet followed by a section

    def emit(start: int, end: int, url: str | None) -> None:
        nonlocal pos
        if start > pos:
            pieces.append((clause[pos:start], None))
        pieces.append((clause[start:end], url))
        pos = end

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            emit(*pending)
            pending = None

    for m in _CLAUSE_TOKEN.finditer(clause):
        if m.group("rfc"):
            flush()
            rfc, odf = m.group("rfc"), None
            pending = (m.start(), m.end(), f"https://www.rfc-editor.org/rfc/rfc{rfc}")
        elif m.group("odf"):
            flush()
            rfc, odf = None, (m.group("odf"), m.group("part"))
            pending = (m.start(), m.end(), _odf_url(*odf))
        else:
            sec = m.group("sec")
            if rfc:
                url = f"https://www.rfc-editor.org/rfc/rfc{rfc}#{'appendix' if sec[0].isalpha() else 'section'}-{sec}"
            else:
                url = _odf_url(*odf) if odf else None
            start = m.start()
            if pending is not None and not clause[pending[1]:m.start()].strip():
                start = pending[0]
                pending = None
            flush()
            emit(start, m.end(), url)
    flush()
    if pos < len(clause):
        pieces.append((clause[pos:], None))
    return pieces


def _odf_url(version: str, part: str | None) -> str | None:
    if version not in ODF_DOCS:
        return None
    base, parts = ODF_DOCS[version]
    return base + parts[part] if part in parts else base


# -- reproducers -------------------------------------------------------------------------------------
def _dq(text: str) -> str:
    """``text`` safe inside double quotes in sh."""
    return re.sub(r'([\\"$`])', r"\\\1", text)


def _base_for(url: str, target: dict) -> str | None:
    bases = [u for u in (target.get("endpoints") or {}).values() if url.startswith(u)]
    return max(bases, key=len) if bases else None


def _body_kept(body: str) -> bool:
    return not (body.startswith("<") and " bytes of binary data" in body.split("\n", 1)[0]) and \
        not re.search(r"\n<\.\.\. \d+ more bytes not kept>$", body)


def _run_collection(exchanges: list[dict], base: str | None) -> str | None:
    """The ``overstap-<run id>/`` collection under ``base`` that the exchanges work in, if any."""
    if not base:
        return None
    for ex in exchanges:
        rest = ex["request"]["url"][len(base):] if ex["request"]["url"].startswith(base) else ""
        first = rest.split("/", 1)[0]
        if first.startswith("overstap-") and "/" in rest:
            return first + "/"
    return None


def _replayable(ex: dict) -> bool:
    """False for a step a client tool reported (no headers and no response): there is no request to replay."""
    return ex.get("response") is not None or bool(ex["request"].get("headers"))


def _heredoc_tag(body: str) -> str:
    tag = "OVERSTAP_BODY"
    lines = set(body.split("\n"))
    while tag in lines:
        tag += "_"
    return tag


def curl_reproducer(result: dict, target: dict) -> str | None:
    """A POSIX sh script of curl commands replaying the result's HTTP exchanges, or ``None`` without any.

    Credentials come from ``$USER`` and ``$PASSWORD`` (``-u "$USER:$PASSWORD"`` wherever the run sent an
    Authorization header; the report holds no secret and neither does the script). URLs under the
    target's endpoint start with ``$BASE`` (default: the endpoint of the run), so a vendor can point the
    script at another server. When the exchanges work inside the run's ``overstap-<run id>/``
    collection (deleted at the end of the run), the script first creates it and deletes it at the end.
    Bodies are sent byte for byte from a quoted heredoc (``--data-binary @-``); a body the report did
    not keep in full (binary, or over 16 KiB) is named in a comment and left out.
    """
    exchanges = (result.get("evidence") or {}).get("exchanges") or []
    if not any(_replayable(ex) for ex in exchanges):
        return None
    base = _base_for(exchanges[0]["request"]["url"], target)
    collection = _run_collection(exchanges, base)
    uses_auth = any("authorization" in {k.lower() for k in ex["request"].get("headers", {})} for ex in exchanges)
    auth = ' -u "$USER:$PASSWORD"' if uses_auth else ""

    def url_arg(url: str) -> str:
        b = _base_for(url, target) if base else None
        if b == base and base:
            return '"$BASE"' + (shlex.quote(url[len(base):]) if url[len(base):] else "")
        return shlex.quote(url)

    def header_value(value: str) -> str:
        return '"$BASE"' + shlex.quote(value[len(base):]) if base and value.startswith(base) else shlex.quote(value)

    lines = ["#!/bin/sh",
             f"# Overstap reproducer for {result['check']} on {target['id']} "
             f"({target.get('product', '?')} {target.get('version', '?')}): {result['status']}",
             f"# {result['level']} {result['clause']}"]
    if result.get("message"):
        lines += [f"# {line}" for line in result["message"].splitlines()[:6]]
    lines.append("# Replays the check's last HTTP requests in order; compare the answers with the evidence.")
    if uses_auth:
        lines.append("# Set USER and PASSWORD to an account on the server (nothing secret is stored here).")
    if base:
        lines += ["# Set BASE to the server's endpoint (default: the one the run used).",
                  f'BASE="${{BASE:-{_dq(base)}}}"']
    lines.append("")
    first_url = exchanges[0]["request"]["url"]
    if collection and not (exchanges[0]["request"]["method"] == "MKCOL" and first_url == base + collection):
        lines += ["# setup: the run's own collection, which the run deleted at its end",
                  f"curl -sS -o /dev/null -w 'MKCOL %{{http_code}}\\n' -X MKCOL{auth} {url_arg(base + collection)}", ""]
    for n, ex in enumerate(exchanges, 1):
        req, resp = ex["request"], ex.get("response")
        if not _replayable(ex):
            lines += [f"# {n}. not an HTTP request the harness sent (a client tool's step), not replayed:",
                      *[f"#    {line}" for line in f"{req['method']} {req['url']}: {ex.get('error')}".splitlines()[:5]],
                      ""]
            continue
        answer = f"{resp['status']} {resp.get('reason', '')}".strip() if resp else f"no response ({ex.get('error')})"
        lines.append(f"# {n}. {req['method']} — during the run the server answered: {answer}")
        method = req["method"].upper()
        args = ["curl -sS -i --globoff --path-as-is"]
        args.append("--head" if method == "HEAD" else f"-X {shlex.quote(req['method'])}")
        has_auth = any(k.lower() == "authorization" for k in req["headers"])
        if has_auth:
            args.append('-u "$USER:$PASSWORD"')
        for name, value in req["headers"].items():
            low = name.lower()
            if low in _CLIENT_HEADERS or (low == "accept" and value == "*/*"):
                continue
            if "[redacted]" in value:
                lines.append(f"# header {name} left out: the report redacted it")
                continue
            args.append(f"-H {shlex.quote(name + ': ')}{header_value(value)}" if base and value.startswith(base)
                        else f"-H {shlex.quote(f'{name}: {value}')}")
        body = req.get("body") or ""
        heredoc = None
        if body and _body_kept(body):
            args.append("--data-binary @-")
            heredoc = body
        elif body:
            lines.append(f"# request body not kept in full by the report: {body.splitlines()[-1][:200]}")
        elif method in ("PUT", "POST", "PATCH") and any(k.lower() == "content-length" for k in req["headers"]):
            args.append("--data-binary ''")
        if args[-1].startswith("--data-binary") and not any(k.lower() == "content-type" for k in req["headers"]):
            args.append("-H 'Content-Type:'")  # curl would add application/x-www-form-urlencoded
        args.append(url_arg(req["url"]))
        command = " ".join(args)
        if heredoc is None:
            lines.append(command)
        else:
            tag = _heredoc_tag(heredoc)
            if heredoc.endswith("\n"):
                lines.append(f"{command} <<'{tag}'")
                lines.append(heredoc[:-1])
            else:  # a heredoc always ends with a newline: cut it off
                lines.append(f"head -c {len(heredoc.encode('utf-8'))} <<'{tag}' | {command}")
                lines.append(heredoc)
            lines.append(tag)
        lines.append("echo")
        lines.append("")
    if collection:
        lines += ["# clean up",
                  f"curl -sS -o /dev/null -w 'DELETE %{{http_code}}\\n' -X DELETE{auth} {url_arg(base + collection)}"]
    return "\n".join(lines).rstrip() + "\n"


def python_reproducer(result: dict, target: dict) -> str | None:
    """A short Python script (``requests``) replaying the result's HTTP exchanges, or ``None`` without any.

    Same conventions as :func:`curl_reproducer`: ``USER``/``PASSWORD``/``BASE`` from the environment,
    the run's collection created first and deleted last, redirects not followed.
    """
    exchanges = (result.get("evidence") or {}).get("exchanges") or []
    if not any(_replayable(ex) for ex in exchanges):
        return None
    base = _base_for(exchanges[0]["request"]["url"], target)
    collection = _run_collection(exchanges, base)
    uses_auth = any("authorization" in {k.lower() for k in ex["request"].get("headers", {})} for ex in exchanges)

    def url_expr(url: str) -> str:
        if base and url.startswith(base):
            return f"BASE + {url[len(base):]!r}" if url[len(base):] else "BASE"
        return repr(url)

    lines = [f'"""Overstap reproducer for {result["check"]} on {target["id"]} '
             f'({target.get("product", "?")} {target.get("version", "?")}): {result["status"]}.',
             "", f"{result['level']} {result['clause']}", ""]
    lines += [line.replace('"""', "'''").replace("\\", "\\\\") for line in (result.get("message") or "").splitlines()[:6]]
    lines += ["", "Run: USER=... PASSWORD=... [BASE=http://server/dav/] python3 THIS_FILE", '"""', "",
              "import os", "", "import requests", ""]
    if base:
        lines.append(f"BASE = os.environ.get(\"BASE\", {base!r})")
    lines.append('AUTH = (os.environ["USER"], os.environ["PASSWORD"])' if uses_auth else "AUTH = None")
    lines += ["s = requests.Session()", "", "",
              "def send(method, url, headers=None, body=None):",
              "    r = s.request(method, url, headers=headers or {}, data=body, auth=AUTH, allow_redirects=False)",
              "    print(method, url, '->', r.status_code, r.reason)",
              "    for name, value in r.headers.items():",
              "        print(f'  {name}: {value}')",
              "    if r.text:",
              "        print(r.text)",
              "    return r", "", ""]
    first = exchanges[0]["request"]
    if collection and not (first["method"] == "MKCOL" and first["url"] == base + collection):
        lines += ["# setup: the run's own collection, which the run deleted at its end",
                  f"send('MKCOL', {url_expr(base + collection)})"]
    for n, ex in enumerate(exchanges, 1):
        req, resp = ex["request"], ex.get("response")
        if not _replayable(ex):
            lines += [f"# {n}. not an HTTP request the harness sent (a client tool's step), not replayed:",
                      *[f"#    {line}" for line in f"{req['method']} {req['url']}: {ex.get('error')}".splitlines()[:5]]]
            continue
        answer = f"{resp['status']} {resp.get('reason', '')}".strip() if resp else f"no response ({ex.get('error')})"
        headers = {}
        for name, value in req["headers"].items():
            low = name.lower()
            if low in _CLIENT_HEADERS or (low == "accept" and value == "*/*") or "[redacted]" in value:
                continue
            headers[name] = value
        header_items = ", ".join(
            f"{k!r}: {url_expr(v) if base and v.startswith(base) else repr(v)}" for k, v in headers.items())
        body = req.get("body") or ""
        body_expr = f"{body!r}.encode('utf-8')" if body and _body_kept(body) else \
            ("b''" if any(k.lower() == "content-length" for k in req["headers"]) else "None")
        lines.append(f"# {n}. during the run the server answered: {answer}")
        if body and not _body_kept(body):
            lines.append("# (request body not kept in full by the report)")
        lines.append(f"send({req['method']!r}, {url_expr(req['url'])}, {{{header_items}}}, {body_expr})")
    if collection:
        lines += ["# clean up", f"send('DELETE', {url_expr(base + collection)})"]
    return "\n".join(lines) + "\n"


def exchange_text(ex: dict) -> str:
    """One exchange as readable HTTP text: request line, headers, body, then the response (or the error)."""
    req, resp = ex["request"], ex.get("response")
    out = [f"{req['method']} {req['url']}"] + [f"{k}: {v}" for k, v in req["headers"].items()]
    if req.get("body"):
        out += ["", req["body"]]
    out.append("")
    if resp:
        out.append(f"── {resp['status']} {resp.get('reason', '')}  ({ex.get('elapsed_s', 0)} s)")
        out += [f"{k}: {v}" for k, v in (resp.get("headers") or {}).items()]
        if resp.get("body"):
            out += ["", resp["body"]]
    else:
        out.append(f"── no response: {ex.get('error')}")
    return "\n".join(out)


# -- JUnit -------------------------------------------------------------------------------------------
def junit_per_target(report: dict) -> dict[str, bytes]:
    """``{target id: JUnit XML bytes}``: :func:`harness.report.junit.render_junit` on the report cut to
    each target (one ``<testsuite>`` per file, classname ``suite.group``)."""
    return {t["id"]: render_junit({**report, "targets": [t],
                                   "results": [r for r in report["results"] if r["target"] == t["id"]]})
            for t in report["targets"]}


# -- the site ----------------------------------------------------------------------------------------
def _env() -> Environment:
    env = Environment(loader=PackageLoader("harness.report", "templates/site"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["slug"] = slug
    env.filters["clause_links"] = clause_links
    env.filters["stem"] = result_stem
    env.globals.update(marks=MARKS, kind_marks=KIND_MARK)
    return env


def _started(report: dict) -> datetime:
    return datetime.fromisoformat(report["run_info"]["started"])


def build_site(reports: list[dict], out: Path, write_junit: bool = True) -> dict[str, list[Path]]:
    """Write the static site for ``reports`` (validated report dicts, any order) into ``out``.

    Returns:
        ``{"pages": [html files], "junit": [xml files], "reproducers": [sh and py files]}``.

    Raises:
        ValueError: ``reports`` is empty.
        OSError: ``out`` cannot be written.
    """
    if not reports:
        raise ValueError("build_site needs at least one report")
    runs = sorted(reports, key=_started)
    current = runs[-1]
    out = Path(out)
    env = _env()
    written: dict[str, list[Path]] = {"pages": [], "junit": [], "reproducers": []}

    def page(rel: str, template: str, **context) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        root = "../" * rel.count("/")
        path.write_text(env.get_template(template).render(root=root, run=current, has_history=len(runs) > 1,
                                                          has_moves="moves" in current, **context),
                        encoding="utf-8")
        written["pages"].append(path)

    targets = {t["id"]: t for t in current["targets"]}
    suites = sorted({r["suite"] for r in current["results"]} | set(current["run_info"].get("suites", [])))
    cells = overview(current)
    by_suite: dict[str, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for r in current["results"]:
        by_suite[r["suite"]][r["check"]][r["target"]] = r

    # history: every consecutive pair, and each (target, check)'s statuses across runs
    steps = []
    for i in range(1, len(runs)):
        d = diff_reports(runs[i - 1], runs[i])
        steps.append({"index": i, "old": runs[i - 1]["run_info"], "new": runs[i]["run_info"], "diff": d,
                      "counts": d.counts()})
    timeline: dict[tuple[str, str], list[str | None]] = {}
    if len(runs) > 1:
        for i, run in enumerate(runs):
            for r in run["results"]:
                timeline.setdefault((r["target"], r["check"]), [None] * len(runs))[i] = r["status"]

    page("index.html", "overview.html", suites=suites, cells=cells, targets=current["targets"], runs=runs)
    for suite in suites:
        checks = by_suite.get(suite, {})
        page(f"suites/{suite}.html", "suite.html", suite=suite, targets=current["targets"],
             checks=[(check, checks[check]) for check in sorted(checks)],
             cells={t: cells.get(suite, {}).get(t) for t in targets})
    for r in current["results"]:
        target = targets.get(r["target"], {"id": r["target"], "product": "?", "version": "?"})
        stem = result_stem(r)
        curl, py = curl_reproducer(r, target), python_reproducer(r, target)
        for text, ext in ((curl, "sh"), (py, "py")):
            if text:
                path = out / f"{stem}.{ext}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                if ext == "sh":
                    path.chmod(0o755)
                written["reproducers"].append(path)
        page(f"{stem}.html", "result.html", r=r, target=target, curl=curl, python=py,
             exchanges=[exchange_text(ex) for ex in (r.get("evidence") or {}).get("exchanges") or []],
             history=list(zip(runs, timeline.get((r["target"], r["check"]), []))) if len(runs) > 1 else [],
             file_stem=stem.rsplit("/", 1)[1])
    if "moves" in current:
        page("moves.html", "moves.html", kinds=_move_matrices(current["moves"]))
    if len(runs) > 1:
        current_keys = {(r["target"], r["check"]) for r in current["results"]}
        page("history.html", "history.html", runs=runs, steps=steps, kinds=KINDS, current_keys=current_keys)

    for name in ("style.css", "filter.js"):
        (out / name).write_bytes(resources.files("harness.report").joinpath(f"templates/site/{name}").read_bytes())
    (out / "report.json").write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if len(runs) > 1:
        (out / "runs").mkdir(exist_ok=True)
        for i, run in enumerate(runs, 1):
            (out / "runs" / f"run-{i}.json").write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n",
                                                        encoding="utf-8")
    if write_junit:
        (out / "junit").mkdir(exist_ok=True)
        for target_id, xml in junit_per_target(current).items():
            path = out / "junit" / f"{slug(target_id)}.xml"
            path.write_bytes(xml)
            written["junit"].append(path)
    return written


def _move_matrices(moves: list[dict]) -> list[dict]:
    """``[{"kind", "sources", "destinations", "cells": {(src, dst): move}}]``, kinds sorted."""
    out = []
    for kind in sorted({m["kind"] for m in moves}):
        ms = [m for m in moves if m["kind"] == kind]
        out.append({"kind": kind, "sources": sorted({m["source"] for m in ms}),
                    "destinations": sorted({m["destination"] for m in ms}),
                    "cells": {(m["source"], m["destination"]): m for m in ms}})
    return out
