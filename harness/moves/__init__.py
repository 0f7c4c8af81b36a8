"""Portability moves: data written into target A, read out, written into target B, compared (docs/moves.md).

Public API::

    load(root=None, validate=True) -> Payload     the fixtures (fixtures/moves, fixtures/odf) or a corpus folder
    run_move(MoveSpec) -> dict                     one move; its report.json ``moves[]`` entry
    run_pairs(started, pairs, payload, run_id)     many moves on running targets, concurrently
    run_phase(planned, payload, run_id)            start the targets, run every pair, stop them
    plan_pairs([(id, capabilities)]) -> [(kind, source, destination)]

Kinds: calendar, contacts, files (DAV, :mod:`harness.moves.engine`) and documents (ODF through office
tools, :mod:`harness.moves.documents`).
"""

from harness.moves.engine import MoveSpec, run_move
from harness.moves.payload import Item, Payload, load
from harness.moves.phase import plan_pairs, run_pairs, run_phase

__all__ = ["Item", "MoveSpec", "Payload", "load", "plan_pairs", "run_move", "run_pairs", "run_phase"]
