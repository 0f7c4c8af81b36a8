"""Small helpers the WebDAV checks share: turning protocol answers into verdicts."""

from __future__ import annotations

from conformance.multistatus import parse_multistatus


def multistatus(response):
    """The parsed 207 body of ``response``; a malformed one fails the check (RFC 4918 §13, §14.16)."""
    assert response.status_code == 207, f"expected 207 Multi-Status, got {response.status_code}"
    try:
        return parse_multistatus(response.content)
    except ValueError as exc:  # MultistatusProblem or conformance.xml.XMLProblem
        raise AssertionError(f"the 207 body is not a valid multistatus: {exc}") from None
