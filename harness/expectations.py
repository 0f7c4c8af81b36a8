"""Expectations: known results per product and version range, kept as data beside the suites.

One TOML file per product (``suites/expectations/<product>.toml``), one table per check id::

    ["webdav/basic/options-dav-header"]
    status = "FAIL"                 # the status this product is known to give
    versions = ">=1.18"             # optional PEP 440 specifier; absent means every version
    reason = "nginx's dav_ext module answers OPTIONS without a DAV header"
    link = "https://trac.nginx.org/..."   # optional bug link

A result is *expected* when an expectation for its product, check and version says exactly its
status; without an expectation, PASS, SKIP and PRECONDITION_FAILED are expected and every other
status is not. Unexpected results decide ``overstap run``'s exit code.
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
    check: str
    status: str
    versions: str | None
    reason: str
    link: str | None = None

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
            if status not in STATUSES:
                raise ExpectationsError(f"{path}: {check_id}: status must be one of {sorted(STATUSES)}")
            if not table.get("reason"):
                raise ExpectationsError(f"{path}: {check_id}: give a reason (or a bug link) for the expectation")
            versions = table.get("versions")
            if versions and versions.strip() != "*":
                try:
                    SpecifierSet(versions)
                except InvalidSpecifier as exc:
                    raise ExpectationsError(f"{path}: {check_id}: bad versions {versions!r}: {exc}") from exc
            product[check_id] = Expectation(check_id, status, versions, table["reason"], table.get("link"))
        out[path.stem] = product
    return out


def judge(result: dict, product: str, version: str, known: dict[str, dict[str, Expectation]]) -> tuple[bool, str | None]:
    """(expected?, the expected status if an expectation applied) for one result of report.json."""
    expectation = known.get(product, {}).get(result["check"])
    if expectation is not None and expectation.applies_to(version):
        return result["status"] == expectation.status, expectation.status
    return result["status"] in EXPECTED_BY_DEFAULT, None
