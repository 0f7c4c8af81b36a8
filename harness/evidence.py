"""Evidence: the HTTP exchanges behind a verdict, recorded as they happen and redacted before they leave.

An :class:`Exchange` is one request and its response. :func:`redact` removes credentials:
the Authorization, Proxy-Authorization, Cookie and Set-Cookie headers, and every secret string
the target was given (and its Basic-auth, XML-escaped and percent-encoded forms) wherever it appears,
in URLs, headers or bodies -- including the start of a secret that a body cut at :data:`BODY_LIMIT` ends with.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

REDACTED = "[redacted]"
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-auth-token"}
BODY_LIMIT = 16 * 1024  # bytes of each body kept in evidence


@dataclass
class Exchange:
    """One HTTP request and its response (or the error that replaced the response).

    Bodies are kept up to :data:`BODY_LIMIT` bytes; ``*_body_size`` is the full size in bytes.
    ``elapsed_s`` is the wall time from sending to the end of the headers, in seconds.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes = b""
    request_body_size: int = 0
    status: int | None = None
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    response_body_size: int = 0
    elapsed_s: float = 0.0
    error: str | None = None

    def to_report(self, secrets: list[str]) -> dict:
        """The exchange as a JSON-ready dict, with every secret redacted."""
        return {
            "request": {
                "method": self.method,
                "url": redact_text(self.url, secrets),
                "headers": redact_headers(self.request_headers, secrets),
                "body": _body_text(self.request_body, self.request_body_size, secrets),
            },
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "reason": self.reason,
                "headers": redact_headers(self.response_headers, secrets),
                "body": _body_text(self.response_body, self.response_body_size, secrets),
            },
            "error": redact_text(self.error, secrets) if self.error else None,
            "elapsed_s": round(self.elapsed_s, 4),
        }


def secret_variants(secrets: list[str], username: str | None = None) -> list[str]:
    """Every form in which a secret may show up: itself, XML-escaped (a server echoing it in a multistatus),
    percent-encoded (in a URL or form body, RFC 3986 §2.1, with and without ``+`` for spaces) and, with a
    user name, its Basic-auth token (RFC 7617 §2), longest first."""
    from urllib.parse import quote, quote_plus
    from xml.sax.saxutils import escape

    out = []
    for s in filter(None, secrets):
        out += [s, escape(s, {'"': "&quot;", "'": "&apos;"}), escape(s), quote(s, safe=""), quote_plus(s, safe="")]
    if username:
        for s in filter(None, secrets):
            for encoding in ("utf-8", "latin-1"):  # requests encodes Basic credentials as Latin-1
                try:
                    out.append(base64.b64encode(f"{username}:{s}".encode(encoding)).decode())
                except UnicodeEncodeError:
                    pass
    return sorted(set(out), key=len, reverse=True)


def redact_text(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def redact_headers(headers: dict[str, str], secrets: list[str]) -> dict[str, str]:
    """Headers with credential-bearing ones replaced and secrets removed from the rest."""
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else redact_text(str(value), secrets)
        for name, value in headers.items()
    }


def _body_text(body: bytes, size: int, secrets: list[str]) -> str:
    if not size:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{size} bytes of binary data, sha256 of the first {len(body)}: {hashlib.sha256(body).hexdigest()}>"
    text = redact_text(text, secrets)
    if size > len(body):
        text = _redact_cut(text, secrets)
        text += f"\n<... {size - len(body)} more bytes not kept>"
    return text


def _redact_cut(text: str, secrets: list[str]) -> str:
    """``text`` (a body cut at BODY_LIMIT) without a trailing start of a secret that the cut split."""
    longest = 0
    for secret in secrets:
        for k in range(min(len(secret) - 1, len(text)), 1, -1):
            if k > longest and text.endswith(secret[:k]):
                longest = k
                break
    return text[:-longest] + REDACTED if longest else text


def redact_tree(value, secrets: list[str]):
    """A copy of a JSON-like value (dicts, lists, strings) with every secret redacted in every string."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {k: redact_tree(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, secrets) for v in value]
    return value
