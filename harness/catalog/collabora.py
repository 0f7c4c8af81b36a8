"""Collabora Online's conversion API (openDesk's office engine) as an office tool: remote only.

The ``odf`` suite opens each feature document in the tool, saves it again as ODF (and through
DOCX/XLSX/PPTX), and judges what survived. For Collabora Online the tool is its conversion API
(Collabora SDK, "Conversion API": https://sdk.collaboraonline.com/docs/conversion_api.html):
``POST /cool/convert-to/<format>`` with the document as the multipart form field ``data``; the answer
is the converted document. :mod:`harness.office` drives it (endpoint kind ``collabora``).

Endpoint: ``odf-roundtrip = "https://HOST/cool/convert-to/"`` (the path must end in ``/cool/convert-to/``;
that is how the endpoint's kind is recognised). No credentials: coolwsd admits conversion requests by the
caller's address, not by a login.

Suites that apply: ``odf`` (capabilities ``odf-roundtrip``, ``ooxml-roundtrip`` and the text, spreadsheet
and presentation kinds: the SDK lists odt/ods/odp and docx/xlsx/pptx among the output formats).

What a user must set up first: allow the address of the machine that runs Overstap to use the API.
coolwsd accepts ``convert-to`` only from addresses matched by a dot-escaped ``net.post_allow.host`` entry
in coolwsd.xml (SDK page above), or from a host allowed as a WOPI host (wsd/ClientRequestDispatcher.cpp,
``allowConvertTo``). In openDesk, Collabora is usually reached only by Nextcloud inside the cluster, so
the runner needs a route to it as well. At start the target reads ``/hosting/capabilities`` (same
origin), whose ``convert-to.available`` says whether *this* caller is allowed; when it is not, the
target does not start and the error names ``net.post_allow.host``.

Known deviations (from Collabora's source and tracker):

- A conversion that fails (e.g. a format it cannot write) gets **no HTTP response**: the connection is
  closed ("empty reply", CollaboraOnline/online#5924; wsd/ClientSession.cpp: "TODO: Send back error when
  there is no output"). Overstap reports it as an ERROR of the check with that cause.
- A request without the file part (a part without a file name counts as none) or without a format gets
  ``400`` with an empty body; a caller that is not allowed gets ``403`` with an empty body.

Version: ``productVersion`` of ``/hosting/capabilities`` (the targets file's ``version`` key wins).

Example targets-file block::

    [[targets]]
    id = "opendesk-collabora"
    product = "collabora"
    endpoints = { odf-roundtrip = "https://office.example.org/cool/convert-to/" }
"""

from __future__ import annotations

import json

import requests

from harness.catalog._office import OfficeTool, kinds
from harness.catalog.base import DeploymentNotReady
from harness.office import COLLABORA_API, COLLABORA_PATH

CAPABILITIES_TIMEOUT_S = 10.0


def capabilities_url(endpoint: str) -> str:
    """``https://h/hosting/capabilities`` for the endpoint ``https://h/cool/convert-to/`` (same prefix).

    Raises:
        DeploymentNotReady: the endpoint is not a ``.../cool/convert-to/`` URL.
    """
    if not endpoint.endswith(COLLABORA_PATH):
        raise DeploymentNotReady(f"the odf-roundtrip endpoint {endpoint} is not Collabora's conversion API: "
                                 f"it must end in {COLLABORA_PATH} ({COLLABORA_API})")
    return endpoint[: -len(COLLABORA_PATH)] + "/hosting/capabilities"


class Collabora(OfficeTool):
    """Collabora Online (CODE or the enterprise build) through ``/cool/convert-to``."""

    name = "collabora"
    title = "Collabora Online conversion API (openDesk)"
    capabilities = frozenset({"odf-roundtrip", "ooxml-roundtrip"}) | kinds("text", "spreadsheet", "presentation")
    local = False
    server = True
    remote_setup = ("this machine's address in coolwsd's net.post_allow.host list (coolwsd.xml); "
                    "the endpoint https://HOST/cool/convert-to/")

    def remote_check(self, endpoints: dict[str, str], auth, timeout: float) -> str | None:
        """Read ``/hosting/capabilities`` (JSON: ``{"convert-to": {"available": bool, "endpoint":
        "/cool/convert-to"}, "productName": ..., "productVersion": ...}``; getCapabilitiesJson in
        wsd/ClientRequestDispatcher.cpp) and return ``productVersion``; None when the page cannot be read.

        Raises:
            DeploymentNotReady: the endpoint is no ``/cool/convert-to/`` URL, or the capabilities say
                conversion is not available to this caller.
        """
        endpoint = endpoints.get("odf-roundtrip", "")
        url = capabilities_url(endpoint)
        try:
            response = requests.get(url, timeout=min(timeout, CAPABILITIES_TIMEOUT_S), allow_redirects=False)
            found = json.loads(response.content) if response.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return None
        if not isinstance(found, dict):
            return None
        convert_to = found.get("convert-to")
        if isinstance(convert_to, dict) and convert_to.get("available") is False:
            raise DeploymentNotReady(
                f"Collabora Online at {endpoint} refuses conversion requests from this machine "
                f"({url} says convert-to is not available to it): add this machine's address as a dot-escaped "
                f"net.post_allow.host entry in coolwsd.xml ({COLLABORA_API})")
        version = found.get("productVersion")
        return version if isinstance(version, str) and version else None


PRODUCT = Collabora()
