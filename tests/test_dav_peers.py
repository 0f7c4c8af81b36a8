"""Real CalDAV/CardDAV clients and a peer checker against real local targets (radicale, xandikos).

- python-caldav (PyPI ``caldav``): discovery (principal, calendars), search by time range, and
  ``objects_by_sync_token`` work, judged on events the test writes into its own ``overstap-test-*``
  calendar.
- vdirsyncer (PyPI ``vdirsyncer``): syncs a calendar and an address book between radicale and xandikos;
  the items are then fetched with raw HTTP GET from each server and compared with conformance.compare,
  so the client's own rewriting cannot pass for a server's loss (nor hide one).
- caldav-server-tester (PyPI ``caldav-server-tester``): its feature verdicts are compared with ours
  (``overstap run --suite caldav --suite carddav``, checks with ``peer={"caldav-server-tester": ...}``);
  every disagreement must be listed, with its reason, in docs/peers-caldav.md.

Each test starts its own targets with harness.providers.local.LocalTarget. A missing package skips the
test, unless OVERSTAP_REQUIRE_ALL is set (CI), where it fails and names the install command.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conformance.compare import compare_icalendar, compare_vcard
from conformance.multistatus import parse_multistatus
from harness import catalog
from harness.http import DavClient
from harness.providers.local import LocalTarget
from conftest import REPO, REQUIRE_ALL, overstap, require_now

PRODUCTS = ("radicale", "xandikos")
PEER_TABLE = REPO / "docs" / "peers-caldav.md"
PACKAGES = {"caldav": "caldav", "vdirsyncer": "vdirsyncer", "caldav_server_tester": "caldav-server-tester"}


def need_module(module: str) -> None:
    """Skip (or fail under OVERSTAP_REQUIRE_ALL) when the Python package of ``module`` is missing."""
    if importlib.util.find_spec(module) is not None:
        return
    why = f"the Python package {PACKAGES[module]} is missing; install with: pip install -e . (or pip install {PACKAGES[module]})"
    if os.environ.get(REQUIRE_ALL):
        pytest.fail(f"{PACKAGES[module]} is required ({REQUIRE_ALL} is set): {why}", pytrace=False)
    pytest.skip(why)


def venv_script(name: str) -> str:
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else name


@pytest.fixture(scope="module")
def servers():
    """Both products started once for the module: {product: Target}."""
    started, targets = [], {}
    try:
        for name in PRODUCTS:
            require_now(name)
            local = LocalTarget(catalog.get(name))
            targets[name] = local.start()
            started.append(local)
        yield targets
    finally:
        for local in reversed(started):
            local.stop()


# --- small raw-HTTP helpers (every request through DavClient, writes scoped to one collection) ----------

CALDAV_HOME = "{urn:ietf:params:xml:ns:caldav}calendar-home-set"
CARDDAV_HOME = "{urn:ietf:params:xml:ns:carddav}addressbook-home-set"


def _href_prop(client: DavClient, url: str, prop: str) -> str:
    ns, local = prop[1:].split("}")
    body = (f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:X="{ns}">'
            f"<D:prop><X:{local}/></D:prop></D:propfind>")
    response = client.propfind(url, depth="0", body=body)
    assert response.status_code == 207, f"PROPFIND {url} for {prop}: {response.status_code}"
    for item in parse_multistatus(response.content):
        element = item.prop(prop)
        if element is not None and element.find("{DAV:}href") is not None:
            return urljoin(url, element.find("{DAV:}href").text.strip())
    raise AssertionError(f"{url} has no {prop}")


def home_of(target, service: str) -> str:
    """The calendar-home-set (caldav) or addressbook-home-set (carddav) of the target's user."""
    endpoint = target.endpoints[service]
    reader = DavClient(target, base=endpoint, write_scope=endpoint + "\0none")
    principal = _href_prop(reader, endpoint, "{DAV:}current-user-principal")
    home = _href_prop(reader, principal, CALDAV_HOME if service == "caldav" else CARDDAV_HOME)
    return home if home.endswith("/") else home + "/"


def make_collection(target, service: str, name: str) -> DavClient:
    """A client on a new calendar (MKCALENDAR) or address book (extended MKCOL) ``<home><name>/``."""
    url = f"{home_of(target, service)}{name}/"
    client = DavClient(target, base=url, write_scope=url)
    if service == "caldav":
        response = client.request("MKCALENDAR", "")
    else:
        body = ('<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" '
                'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/>'
                "<C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>")
        response = client.request("MKCOL", "", headers={"Content-Type": "application/xml"}, body=body)
    assert response.status_code == 201, f"cannot create {url}: {response.status_code}"
    return client


def raw_items(client: DavClient) -> dict[str, bytes]:
    """Every member of the collection, fetched with a plain GET: {member URL: bytes}."""
    response = client.propfind("", depth="1", body=(
        '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/>'
        "</D:prop></D:propfind>"))
    assert response.status_code == 207
    out = {}
    for item in parse_multistatus(response.content):
        url = urljoin(client.base, item.href)
        if url.rstrip("/") == client.base.rstrip("/") or item.is_collection:
            continue
        got = client.get(url)
        assert got.status_code == 200, f"GET {url}: {got.status_code}"
        out[url] = got.content
    return out


def uid_of(data: bytes) -> str | None:
    match = re.search(rb"^UID:(.+?)\r?$", data, re.M)
    return match.group(1).decode().strip() if match else None


# --- python-caldav --------------------------------------------------------------------------------------

def _caldav_client(target):
    import caldav

    kwargs = {"url": target.endpoints["caldav"], "require_tls": False, "enable_rfc6764": False}
    if target.credentials:
        kwargs.update(username=target.credentials.username, password=target.credentials.password)
    return caldav.DAVClient(**kwargs)


def _event(uid: str, start: datetime, summary: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Overstap//peers//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DURATION:PT1H\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
def caldav_calendar(servers, request):
    """(python-caldav Principal, Calendar) on a new calendar ``overstap-test-<random>``; deleted afterwards."""
    need_module("caldav")
    target = servers[request.param]
    client = _caldav_client(target)
    principal = client.principal()
    name = f"overstap-test-{uuid.uuid4().hex[:8]}"
    calendar = principal.make_calendar(name=name, cal_id=name)
    try:
        yield principal, calendar, name
    finally:
        calendar.delete()
        client.close() if hasattr(client, "close") else None


@pytest.mark.parametrize("caldav_calendar", PRODUCTS, indirect=True)
def test_python_caldav_discovery(caldav_calendar):
    principal, calendar, name = caldav_calendar
    assert principal.url, "python-caldav found no principal"
    names = {str(c.url).rstrip("/").rsplit("/", 1)[-1] for c in principal.calendars()}
    assert name in names, f"principal.calendars() does not list the new calendar {name}: {sorted(names)}"
    assert calendar.get_display_name() in (name, None, ""), "the calendar's display name is not the one given"


@pytest.mark.parametrize("caldav_calendar", PRODUCTS, indirect=True)
def test_python_caldav_time_range_search(caldav_calendar):
    _principal, calendar, _name = caldav_calendar
    for month in (1, 2, 3):
        calendar.save_event(_event(f"overstap-month-{month}", datetime(2030, month, 10, 9, tzinfo=timezone.utc),
                                   f"Month {month}"))
    found = calendar.search(start=datetime(2030, 2, 1, tzinfo=timezone.utc),
                            end=datetime(2030, 3, 1, tzinfo=timezone.utc), event=True)
    uids = sorted(str(e.icalendar_component["UID"]) for e in found)
    assert uids == ["overstap-month-2"], f"a February time-range search found {uids}"


@pytest.mark.parametrize("caldav_calendar", PRODUCTS, indirect=True)
def test_python_caldav_sync(caldav_calendar):
    _principal, calendar, _name = caldav_calendar
    calendar.save_event(_event("overstap-sync-a", datetime(2030, 5, 1, 9, tzinfo=timezone.utc), "A"))
    second = calendar.save_event(_event("overstap-sync-b", datetime(2030, 5, 2, 9, tzinfo=timezone.utc), "B"))
    first = calendar.objects_by_sync_token(load_objects=True)
    uids = sorted(str(o.icalendar_component["UID"]) for o in first)
    assert uids == ["overstap-sync-a", "overstap-sync-b"], f"the initial sync gave {uids}"
    token = first.sync_token
    assert token, "python-caldav got no sync token"
    calendar.save_event(_event("overstap-sync-c", datetime(2030, 5, 3, 9, tzinfo=timezone.utc), "C"))
    second.delete()
    delta = calendar.objects_by_sync_token(sync_token=token, load_objects=True)
    present = sorted(str(o.icalendar_component["UID"]) for o in delta if o.data)
    assert "overstap-sync-c" in present, f"the delta sync misses the new event: {present}"
    assert "overstap-sync-a" not in present, f"the delta sync lists the unchanged event: {present}"
    assert delta.sync_token and delta.sync_token != token, "the sync token did not move"


# --- vdirsyncer -----------------------------------------------------------------------------------------

def _storage(section: str, kind: str, url: str, target) -> str:
    lines = [f"[storage {section}]", f'type = "{kind}"', f'url = "{url}"']
    if target.credentials:
        lines += [f'username = "{target.credentials.username}"', f'password = "{target.credentials.password}"']
    return "\n".join(lines) + "\n"


TODO_ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Overstap//peers//EN\r\nBEGIN:VTODO\r\n"
            b"UID:overstap-peers-todo-1\r\nDTSTAMP:20240101T120000Z\r\nDTSTART:20240501T090000Z\r\n"
            b"DUE:20240503T170000Z\r\nSUMMARY:File the report\\, then rest\r\nPRIORITY:2\r\n"
            b"CATEGORIES:werk,rapport\r\nX-OVERSTAP-NOTE;X-P=1:kept\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")


def test_vdirsyncer_moves_calendar_and_address_book(servers, tmp_path):
    need_module("vdirsyncer")
    a, b = servers["radicale"], servers["xandikos"]
    tag = uuid.uuid4().hex[:8]
    fixtures = REPO / "fixtures"
    # items start on both sides, so both directions of the sync are exercised
    plan = {
        ("caldav", "radicale"): [fixtures / "icalendar" / "valid-recurring-event.ics"],
        ("caldav", "xandikos"): [tmp_path / "todo.ics"],
        ("carddav", "radicale"): [fixtures / "carddav" / "contact-3.0.vcf", fixtures / "carddav" / "photo-3.0.vcf"],
        ("carddav", "xandikos"): [fixtures / "carddav" / "group-3.0-apple.vcf"],
    }
    (tmp_path / "todo.ics").write_bytes(TODO_ICS)  # one component per object (RFC 4791 §4.1)
    clients = {}
    try:
        for service in ("caldav", "carddav"):
            for product, target in (("radicale", a), ("xandikos", b)):
                client = make_collection(target, service, f"overstap-test-vds-{service}-{tag}")
                clients[(service, product)] = client
                for path in plan[(service, product)]:
                    put = client.put(path.name, path.read_bytes(),
                                     "text/calendar" if service == "caldav" else "text/vcard")
                    assert put.status_code in (201, 204), f"PUT {path.name} into {product}: {put.status_code}"
        config = tmp_path / "config"
        config.write_text(
            f'[general]\nstatus_path = "{tmp_path / "status"}/"\n\n'
            '[pair cal]\na = "cal_a"\nb = "cal_b"\ncollections = null\nconflict_resolution = "a wins"\n\n'
            '[pair book]\na = "book_a"\nb = "book_b"\ncollections = null\nconflict_resolution = "a wins"\n\n'
            + _storage("cal_a", "caldav", clients[("caldav", "radicale")].base, a)
            + _storage("cal_b", "caldav", clients[("caldav", "xandikos")].base, b)
            + _storage("book_a", "carddav", clients[("carddav", "radicale")].base, a)
            + _storage("book_b", "carddav", clients[("carddav", "xandikos")].base, b))
        env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
        for step in ("discover", "sync"):
            proc = subprocess.run([venv_script("vdirsyncer"), "-c", str(config), step], capture_output=True,
                                  text=True, timeout=120, env=env, input="y\n" * 8)
            assert proc.returncode == 0, f"vdirsyncer {step} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        for service, compare in (("caldav", compare_icalendar), ("carddav", compare_vcard)):
            held = {product: {uid_of(d): d for d in raw_items(clients[(service, product)]).values()}
                    for product in ("radicale", "xandikos")}
            for source in ("radicale", "xandikos"):
                dest = "xandikos" if source == "radicale" else "radicale"
                for path in plan[(service, source)]:
                    original = path.read_bytes()
                    uid = uid_of(original)
                    assert uid in held[source], f"{path.name} is gone from {source}, where it was stored"
                    assert uid in held[dest], f"vdirsyncer did not move {path.name} from {source} to {dest}"
                    # the source server's own loss (judged on its raw GET) is its storage defect, not the
                    # move's; what the move must not do is lose more than the source still holds
                    stored_loss = {(d.property, d.kind) for d in compare(original, held[source][uid])}
                    moved_loss = [d for d in compare(original, held[dest][uid])
                                  if (d.property, d.kind) not in stored_loss]
                    assert not moved_loss, (
                        f"{path.name} moved {source} -> {dest} by vdirsyncer lost more than {source} itself "
                        f"dropped: " + "; ".join(f"{d.property} {d.kind}: {d.note}" for d in moved_loss[:6]))
    finally:
        for client in clients.values():
            client.delete("")
            client.close()


# --- caldav-server-tester -------------------------------------------------------------------------------

AGREE_PASS = {"full"}
UNKNOWN = {"unknown", None}


def peer_verdicts(target) -> dict:
    """Run caldav-server-tester against ``target``; its FeatureSet (features it did not list are defaults)."""
    from caldav.compatibility_hints import FeatureSet

    args = [venv_script("caldav-server-tester"), "--caldav-url", target.endpoints["caldav"], "--format", "json"]
    if target.credentials:
        args += ["--caldav-username", target.credentials.username, "--caldav-password", target.credentials.password]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"caldav-server-tester failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return FeatureSet(json.loads(proc.stdout)["features"])


def our_verdicts(product: str, out: Path) -> list[dict]:
    """Our results with a caldav-server-tester peer mapping, from a real ``overstap run``."""
    suites = [s for s in ("caldav", "carddav") if list((REPO / "suites" / s).glob("test_*.py"))]
    args = ["run", "--target", product, "--out", str(out)]
    for suite in suites:
        args += ["--suite", suite]
    proc = overstap(*args, timeout=900)
    assert proc.returncode in (0, 1), f"overstap run failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    report = json.loads((out / "report.json").read_text())
    return [r for r in report["results"] if (r.get("peer") or {}).get("caldav-server-tester")]


def listed_disagreements() -> set[tuple[str, str, str]]:
    """(product, check, peer feature) rows of the table in docs/peers-caldav.md."""
    rows = set()
    for line in PEER_TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and "/" in cells[1] and cells[0] in PRODUCTS:
            rows.add((cells[0], cells[1], cells[2]))
    return rows


def disagreements(ours: list[dict], peer) -> list[tuple[str, str, str, str, str]]:
    """(product, check, feature, our status, peer support) where the two verdicts differ."""
    out = []
    for result in ours:
        feature = result["peer"]["caldav-server-tester"]
        support = peer.is_supported(feature, return_type=str)
        status = result["status"]
        if support in UNKNOWN or status in ("ERROR", "TIMEOUT", "SKIP"):
            continue  # nothing to compare: the peer could not tell, or our harness could not
        ours_ok = status == "PASS"
        peer_ok = support in AGREE_PASS
        if ours_ok != peer_ok:
            out.append((result["target"], result["check"], feature, status, support))
    return out


@pytest.mark.parametrize("product", PRODUCTS)
def test_caldav_server_tester_agreement(servers, product, tmp_path):
    need_module("caldav_server_tester")
    peer = peer_verdicts(servers[product])
    ours = our_verdicts(product, tmp_path / "run")
    assert ours, "no result of ours maps to a caldav-server-tester feature"
    listed = listed_disagreements()
    unlisted = [d for d in disagreements(ours, peer) if (d[0], d[1], d[2]) not in listed]
    assert not unlisted, (
        f"disagreements with caldav-server-tester not listed in {PEER_TABLE.relative_to(REPO)} (add a row with "
        "the reason):\n" + "\n".join(f"| {p} | {c} | {f} | {o} | {s} | ? |" for p, c, f, o, s in unlisted))
