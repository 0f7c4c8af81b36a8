"""How a suite declares a check, and the verdicts a check can reach.

A check is a pytest test function marked with :func:`check`::

    @check("webdav/basic/put-get", clause="RFC 4918 §9.7", level="MUST", requires="webdav")
    def test_put_get(dav): ...

- ``id`` is stable: published matrices key on it, so it is never renamed.
- ``level`` decides what a failed assertion means: FAIL for MUST, WARN for SHOULD and MAY.
- ``requires`` is the capability the suite is about; a target that does not claim it gets SKIP.
- ``optional`` is an optional capability (``webdav-locking``); a target that does not claim it gets
  PRECONDITION_FAILED, as in web-platform-tests.
- ``peer`` maps a peer tool to its test name, e.g. ``{"litmus": "basic/put_get"}``.
"""

from __future__ import annotations

from enum import Enum

import pytest

LEVELS = ("MUST", "SHOULD", "MAY")


class Status(str, Enum):
    """Result statuses (DESIGN.md "Statuses")."""

    PASS = "PASS"
    FAIL = "FAIL"  # a MUST violated
    WARN = "WARN"  # a SHOULD (or MAY-but-broken) violated
    PRECONDITION_FAILED = "PRECONDITION_FAILED"  # the target does not claim the optional capability
    SKIP = "SKIP"  # not applicable
    ERROR = "ERROR"  # the harness or the target broke
    TIMEOUT = "TIMEOUT"

    def __str__(self) -> str:
        return self.value


class PreconditionFailed(Exception):
    """Raised by a check when the target lacks an optional feature the check needs (RFC-permitted absence)."""


def check(id: str, *, clause: str, level: str, requires: str, optional: str | None = None,
          peer: dict[str, str] | None = None):
    """Mark a pytest function as the Overstap check ``id``.

    Args:
        id: stable check id, ``suite/group/name`` (e.g. ``"webdav/basic/put-get"``).
        clause: the clause enforced, e.g. ``"RFC 4918 §9.7"``.
        level: ``"MUST"``, ``"SHOULD"`` or ``"MAY"``.
        requires: the capability the whole suite needs (absent: SKIP).
        optional: an optional capability the check needs (absent: PRECONDITION_FAILED).
        peer: the corresponding test in peer tools, e.g. ``{"litmus": "basic/put_get"}``.

    Raises:
        ValueError: for a malformed id or an unknown level (at import time).
    """
    if level not in LEVELS:
        raise ValueError(f"check {id}: level must be one of {LEVELS}, not {level!r}")
    if id.count("/") < 2:
        raise ValueError(f"check id {id!r} must read suite/group/name")
    return pytest.mark.check(id=id, clause=clause, level=level, requires=requires, optional=optional,
                             peer=dict(peer or {}))


def precondition_failed(reason: str) -> None:
    """End the current check with PRECONDITION_FAILED: the target lacks an optional feature."""
    raise PreconditionFailed(reason)
