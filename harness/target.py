"""The target model: one running instance of a product under test.

A :class:`Target` is what a check sees. It never says which provider started it (DESIGN.md:
"a check never knows which provider started its target").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Credentials:
    """A user name and password for HTTP Basic authentication.

    The password is a secret: it is never written into a report, evidence or log
    (see :mod:`harness.evidence`).
    """

    username: str
    password: str

    def __repr__(self) -> str:  # never print the secret by accident
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass
class Target:
    """One running instance of a product.

    Attributes:
        id: the target id used in reports, e.g. ``"wsgidav"`` or ``"staging-nextcloud"``.
        product: the catalog name of the product, e.g. ``"apache"``.
        version: the version read from the product itself, or ``"unknown"``.
        provider: ``"local"``, ``"container"`` or ``"remote"`` (for the report only).
        capabilities: what the target claims, e.g. ``{"webdav", "webdav-locking"}``.
        endpoints: base URL per service, e.g. ``{"webdav": "http://127.0.0.1:8080/dav/"}``;
            every URL ends with ``/``.
        credentials: HTTP Basic credentials, or ``None`` for anonymous access.
        log_path: the server's log file where the provider knows it (local targets), for evidence.
        secrets: every secret string the target was given (passwords, tokens), redacted from all output.
    """

    id: str
    product: str
    version: str
    provider: str
    capabilities: frozenset[str]
    endpoints: dict[str, str]
    credentials: Credentials | None = None
    log_path: str | None = None
    secrets: list[str] = field(default_factory=list, repr=False)

    def claims(self, capability: str) -> bool:
        """True when the target claims ``capability`` (e.g. ``"webdav-locking"``)."""
        return capability in self.capabilities

    def to_report(self) -> dict:
        """The ``targets[]`` entry of report.json (see docs/report.md)."""
        return {
            "id": self.id,
            "product": self.product,
            "version": self.version,
            "provider": self.provider,
            "capabilities": sorted(self.capabilities),
            "endpoints": dict(self.endpoints),
        }
