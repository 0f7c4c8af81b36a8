"""Findings and verdicts: what a judge in :mod:`conformance` says about one payload.

Public API::

    Finding(severity, clause, message, line=None, component=None, property=None)
    Verdict(valid, findings, kind)
    Finding.to_dict() / Verdict.to_dict() -> dict (JSON-ready)
    Verdict.from_findings(kind, findings) -> Verdict   valid == no finding has severity "error"

Shapes:

- ``severity`` is ``"error"`` (a MUST / MUST NOT of the standard is violated, or the payload cannot
  be read at all) or ``"warning"`` (a SHOULD / SHOULD NOT is violated).
- ``clause`` names the rule, litmus-style: ``"RFC 5545 §3.6.1"``, ``"RFC 6350 §6.2.1"``.
- ``line`` is the 1-based physical line where the offending content line starts, when known.
- ``component`` is the component or object the finding is about (``"VEVENT"``, ``"VALARM"``,
  ``"VCARD"``), ``property`` the property name (``"DTSTART"``), each ``None`` when not applicable.
- ``kind`` of a :class:`Verdict` names the validator that produced it (``"icalendar"``,
  ``"vcard"``, ``"unknown"``; ODF later).

These are shared by every validator (iCalendar, vCard, ODF later); they hold no behaviour beyond
serialisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

__all__ = ["ERROR", "WARNING", "Finding", "Verdict"]

ERROR: Literal["error"] = "error"
WARNING: Literal["warning"] = "warning"

Severity = Literal["error", "warning"]


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}" for ch in text)


@dataclass(frozen=True)
class Finding:
    """One rule broken by a payload.

    Raises:
        ValueError: ``severity`` is neither ``"error"`` nor ``"warning"``.
    """

    severity: Severity
    clause: str
    message: str
    line: int | None = None
    component: str | None = None
    property: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"severity must be 'error' or 'warning', not {self.severity!r}")
        # findings quote hostile input: keep control characters out of reports and terminals
        for name in ("message", "component", "property"):
            value = getattr(self, name)
            if isinstance(value, str) and not value.isprintable():
                object.__setattr__(self, name, _printable(value))

    def to_dict(self) -> dict:
        """``{"severity", "clause", "message", "line", "component", "property"}``."""
        return asdict(self)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.component:
            where.append(self.component)
        if self.property:
            where.append(self.property)
        loc = f" ({', '.join(where)})" if where else ""
        return f"{self.severity.upper()} [{self.clause}]{loc}: {self.message}"


@dataclass
class Verdict:
    """The judgement on one payload: valid when no finding is an error (warnings allowed)."""

    valid: bool
    findings: list[Finding] = field(default_factory=list)
    kind: str = "unknown"
    #: ODF only: "strict", "extended", "invalid", or None (not applicable / could not be judged).
    conformance_class: str | None = None

    @classmethod
    def from_findings(cls, kind: str, findings: Iterable[Finding]) -> Verdict:
        """A verdict whose ``valid`` is derived from the findings (no ``"error"`` among them)."""
        found = list(findings)
        return cls(valid=not any(f.severity == ERROR for f in found), findings=found, kind=kind)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def to_dict(self) -> dict:
        """``{"valid": bool, "kind": str, "findings": [Finding.to_dict(), ...]}`` plus
        ``"conformance_class"`` when the verdict has one (ODF)."""
        out = {
            "valid": self.valid,
            "kind": self.kind,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.conformance_class is not None:
            out["conformance_class"] = self.conformance_class
        return out
