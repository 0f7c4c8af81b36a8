"""Publishing commands: building the static site, diffing runs and merging shards.

``add_commands(sub)`` registers this module's subcommands on the ``overstap`` parser.
"""

from __future__ import annotations

import argparse


def add_commands(sub: "argparse._SubParsersAction") -> None:
    """Register the publishing subcommands (``report``, ``diff``, ``merge``) on ``sub``."""
