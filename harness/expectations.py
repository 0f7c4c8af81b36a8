"""Expectations: known results per product and version range, kept as data beside the suites.

One TOML file per product (``suites/expectations/<product>.toml``), one table per check id::

    ["webdav/basic/options-dav-header"]
    status = "FAIL"                 # the status this product is known to give
    versions = ">=1.18"             # optional PEP 440 specifier; absent means every version
    reason = "nginx's dav_ext module answers OPTIONS without a DAV header"
    link = "https://trac.nginx.org/..."   # optional bug link

    ["webdav/locks/refresh"]
    status = ["PASS", "FAIL"]       # intermittent: it flipped between runs; either is expected
    reason = "..."

A result is *expected* when an expectation for its product, check and version says exactly its
status (or one of its statuses, for an intermittent result); without an expectation, PASS, SKIP and
PRECONDITION_FAILED are expected and every other status is not. Unexpected results decide
``overstap run``'s exit code.
"""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

STATUSES = {"PASS", "FAIL", "WARN", "PRECONDITION_FAILED", "SKIP", "ERROR", "TIMEOUT"}
EXPECTED_BY_DEFAULT = {"PASS", "SKIP", "PRECONDITION_FAILED"}


class ExpectationsError(ValueError):
    """An expectations file is malformed; the message names file, check and problem."""


@dataclass(frozen=True)
class Expectation:
    """The known result of one check for one product: ``statuses`` holds one status, or several
    for an intermittent result (one that flipped between runs)."""

    check: str
    statuses: tuple[str, ...]
    versions: str | None
    reason: str
    link: str | None = None

    @property
    def intermittent(self) -> bool:
        return len(self.statuses) > 1

    def applies_to(self, version: str) -> bool:
        """True when this expectation covers ``version`` (an unparseable version matches only open ranges)."""
        if not self.versions or self.versions.strip() == "*":
            return True
        try:
            return Version(version) in SpecifierSet(self.versions)
        except InvalidVersion:
            return False


def default_dir() -> Path | None:
    """``suites/expectations`` of the installed suites package, found without importing it."""
    spec = importlib.util.find_spec("suites")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "expectations"


def load(directory: Path | None) -> dict[str, dict[str, Expectation]]:
    """Every expectation in ``directory``: ``{product: {check id: Expectation}}``.

    Raises:
        ExpectationsError: bad TOML, unknown status, a bad version specifier, or no reason given.
    """
    out: dict[str, dict[str, Expectation]] = {}
    if directory is None or not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ExpectationsError(f"{path}: not valid TOML: {exc}") from exc
        product = {}
        for check_id, table in data.items():
            if not isinstance(table, dict):
                raise ExpectationsError(f"{path}: [{check_id!r}] must be a table")
            status = table.get("status")
            statuses = tuple(status) if isinstance(status, list) else (status,)
            if not statuses or any(s not in STATUSES for s in statuses):
                raise ExpectationsError(f"{path}: {check_id}: status must be one of {sorted(STATUSES)} "
                                        f"or a list of them (intermittent)")
            if not table.get("reason"):
                raise ExpectationsError(f"{path}: {check_id}: give a reason (or a bug link) for the expectation")
            versions = table.get("versions")
            if versions and versions.strip() != "*":
                try:
                    SpecifierSet(versions)
                except InvalidSpecifier as exc:
                    raise ExpectationsError(f"{path}: {check_id}: bad versions {versions!r}: {exc}") from exc
            product[check_id] = Expectation(check_id, statuses, versions, table["reason"], table.get("link"))
        out[path.stem] = product
    return out


def find(known: dict[str, dict[str, Expectation]], product: str, version: str, check_id: str) -> Expectation | None:
    """The expectation for ``check_id`` on this product version, or ``None``."""
    expectation = known.get(product, {}).get(check_id)
    return expectation if expectation is not None and expectation.applies_to(version) else None


def judge(result: dict, product: str, version: str, known: dict[str, dict[str, Expectation]]) -> tuple[bool, Expectation | None]:
    """(expected?, the expectation that applied or ``None``) for one result of report.json."""
    expectation = find(known, product, version, result["check"])
    if expectation is not None:
        return result["status"] in expectation.statuses, expectation
    return result["status"] in EXPECTED_BY_DEFAULT, None


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dump(product: dict[str, Expectation]) -> str:
    """The TOML text of one product's expectations, sorted by check id."""
    lines = ["# Known results of this product, keyed by check id (see README, \"Expectations\").",
             "# Written by `overstap expectations update`; edit the reasons, keep the keys.", ""]
    for check_id in sorted(product):
        e = product[check_id]
        lines.append(f"[{_toml_string(check_id)}]")
        if e.intermittent:
            lines.append("status = [" + ", ".join(_toml_string(s) for s in e.statuses) + "]")
        else:
            lines.append(f"status = {_toml_string(e.statuses[0])}")
        if e.versions:
            lines.append(f"versions = {_toml_string(e.versions)}")
        lines.append(f"reason = {_toml_string(e.reason)}")
        if e.link:
            lines.append(f"link = {_toml_string(e.link)}")
        lines.append("")
    return "\n".join(lines)


def update_from_reports(reports: list[dict], directory: Path, pin_versions: bool = False) -> dict[str, int]:
    """Rewrite the expectation files in ``directory`` so that every result of ``reports`` is expected.

    For each product, check and version, the statuses the runs gave are gathered: one status that is
    not expected by default becomes an expectation (for every version, or with ``pin_versions`` only for
    ``==<version>`` when the version is PEP 440, so that an upgrade makes every known result unexpected
    until triaged; an existing entry keeps its versions; the message as reason unless a reason was
    already written); several statuses (a result
    that flipped between the runs) become an intermittent expectation listing them all; a result that
    only gave default-expected statuses drops its entry. Entries of checks the runs did not make are kept.

    Returns:
        ``{product: number of entries}`` for every file written.
    """
    known = load(directory)
    seen: dict[tuple[str, str, str], dict] = {}
    for report in reports:
        products = {t["id"]: (t["product"], t.get("version", "unknown")) for t in report["targets"]}
        for result in report["results"]:
            if result["target"] not in products:
                continue
            product, version = products[result["target"]]
            entry = seen.setdefault((product, version, result["check"]), {"statuses": [], "message": ""})
            if result["status"] not in entry["statuses"]:
                entry["statuses"].append(result["status"])
            if result["status"] not in EXPECTED_BY_DEFAULT and not entry["message"]:
                entry["message"] = (result.get("message") or result["status"]).splitlines()[0][:300]
    touched: set[str] = set()
    for (product, version, check_id), entry in sorted(seen.items()):
        entries = known.setdefault(product, {})
        old = find(known, product, version, check_id)
        statuses = tuple(sorted(entry["statuses"]))
        if all(s in EXPECTED_BY_DEFAULT for s in statuses):
            if old is not None:
                del entries[check_id]
                touched.add(product)
            continue
        versions = old.versions if old is not None else None
        if pin_versions:
            try:
                versions = f"=={Version(version)}"
            except InvalidVersion:
                versions = None
        reason = old.reason if old is not None and set(old.statuses) == set(statuses) else entry["message"]
        if len(statuses) > 1 and not reason.startswith("intermittent"):
            reason = f"intermittent: gave {', '.join(statuses)} across runs; " + reason
        entries[check_id] = Expectation(check_id, statuses, versions, reason, old.link if old else None)
        touched.add(product)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for product in sorted(touched):
        (directory / f"{product}.toml").write_text(dump(known[product]), encoding="utf-8")
        counts[product] = len(known[product])
    return counts
