"""Fixtures of the WebDAV suite: the run collection and a fresh collection per check.

Every write of the suite happens inside ``<webdav endpoint>/overstap-<run id>/``, which the run
creates with MKCOL and deletes at the end; the HTTP layer refuses writes anywhere else.
"""

from __future__ import annotations

import pytest

from harness.http import DavClient


@pytest.fixture(scope="session")
def webdav_run(target, run_id, request_timeout):
    """A :class:`DavClient` on the run collection (created here, deleted after the last check)."""
    url = f"{target.endpoints['webdav']}overstap-{run_id}/"
    client = DavClient(target, base=url, write_scope=url, timeout=request_timeout)
    response = client.mkcol("")
    if response.status_code != 201:
        raise RuntimeError(f"cannot create the run collection {url}: MKCOL answered {response.status_code} "
                           f"{response.reason}; check the URL and that the user may write there")
    yield client
    client.exchanges = []
    client.delete("")
    client.close()


@pytest.fixture
def dav(webdav_run, request, register_client) -> DavClient:
    """A client whose base is a new, empty collection for this check alone; its exchanges are the evidence."""
    marker = request.node.get_closest_marker("check")
    client = webdav_run.child(marker.kwargs["id"].replace("/", "-") + "/")
    client.exchanges = []
    register_client(client)
    response = client.mkcol("")
    if response.status_code != 201:
        raise RuntimeError(f"cannot create the check's collection {client.base}: MKCOL answered "
                           f"{response.status_code}")
    return client

