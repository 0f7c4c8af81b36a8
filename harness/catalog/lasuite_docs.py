"""La Suite Docs (suitenumerique/docs, "Docs" of La Suite numérique): documented, no suite applies yet.

What Docs exposes, read in its source (suitenumerique/docs):

- Exports to ODT, DOCX and PDF are made **in the browser**: the front end converts the editor's blocks
  with BlockNote's exporters (``@blocknote/xl-docx-exporter``, ``@blocknote/xl-odt-exporter``; ODT export
  added in suitenumerique/docs#1524). The back-end export (``generate-document`` with pandoc,
  suitenumerique/docs#161) was removed when export moved to the front end (suitenumerique/docs#537).
  No server endpoint returns an ODF document, so there is nothing for the ``odf`` suite to drive.
- ``GET /api/v1.0/documents/<id>/formatted-content/?content_format=json|markdown|html`` (called
  ``content/`` before release 5.0.0) returns ``{"id", "title", "content", "created_at", "updated_at"}``
  with the content converted by the y-provider service (``DocumentViewSet.formatted_content`` in
  src/backend/core/api/viewsets.py). It needs a browser session (OIDC login). The same viewset is served
  under ``/external_api/v1.0/documents/`` to OIDC bearer tokens when the operator sets
  ``OIDC_RESOURCE_SERVER_ENABLED`` and allows the action in ``EXTERNAL_API`` (src/backend/core/urls.py,
  src/backend/core/external_api/viewsets.py).

Suites that apply: none. Markdown and HTML are no standard Overstap judges (it has no Markdown or HTML
suite), and Overstap's remote provider authenticates with HTTP Basic only, not with OIDC bearer tokens.
A target of this product is accepted in a targets file and listed in the report's run log as skipped
("no requested suite applies"), so a matrix that names it shows it as untested instead of leaving it out.

What would have to exist before a suite can apply: a server-side ODF export (then the ``odf`` suite
can drive it like the Collabora conversion API), or an OIDC client-credentials token in Overstap plus a
Markdown/HTML round-trip check.

What a user must set up to reach the read API (for their own scripts, not for Overstap yet): an OIDC
client allowed by the Docs resource server, ``OIDC_RESOURCE_SERVER_ENABLED = True`` and the
``formatted_content`` action in ``EXTERNAL_API["documents"]["actions"]``.

Known deviations: none recorded yet.

Example targets-file block (accepted, skipped)::

    [[targets]]
    id = "lasuite-docs"
    product = "lasuite_docs"
    endpoints = { docs-api = "https://docs.example.org/external_api/v1.0/" }
"""

from __future__ import annotations

from harness.catalog.base import Product


class LaSuiteDocs(Product):
    """La Suite Docs: catalogued so that a matrix can name it; no suite drives it yet."""

    name = "lasuite_docs"
    title = "La Suite Docs (no server-side ODF export; browser-only)"
    capabilities = frozenset()
    suites = ()
    services = ("docs-api",)
    local = False
    remote_setup = ("nothing testable yet: ODT/DOCX export happens in the browser; the server's "
                    "formatted-content API gives only JSON, Markdown or HTML (see docs/opendesk.md)")


PRODUCT = LaSuiteDocs()
