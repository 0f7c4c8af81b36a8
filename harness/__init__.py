"""Overstap's engine: targets, providers, the pytest plugin, evidence, reports and the CLI.

The engine knows no standard: the suites (``suites/``) drive targets and ask ``conformance/``
for verdicts. See DESIGN.md for the words used here (product, target, provider, check...).
"""

from importlib.metadata import PackageNotFoundError, version as _dist_version

try:
    __version__ = _dist_version("overstap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
