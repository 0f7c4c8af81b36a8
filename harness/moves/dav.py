"""The standard protocol side of a move: find where collections go, make one, fill it, read it out, delete it.

CalDAV (RFC 4791) and CardDAV (RFC 6352): the home set is found the way a client finds it
(DAV:current-user-principal, RFC 5397, at the endpoint or behind ``/.well-known``, RFC 6764; then the
home-set property); the move's collection is made with MKCALENDAR / extended MKCOL (RFC 5689) directly
in the home; objects are written with PUT and read out twice, with GET of each object and with one
calendar-multiget / addressbook-multiget REPORT (RFC 4791 §7.9, RFC 6352 §8.7).
WebDAV (RFC 4918): the collection is made with MKCOL inside the ``webdav`` endpoint, folders with MKCOL,
files with PUT, dead properties with PROPPATCH; it is read out by a PROPFIND Depth 1 walk and GETs.

Every write goes through :class:`harness.http.DavClient` whose write scope is the move's own collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, urljoin, urlsplit
from xml.sax.saxutils import escape

from conformance.multistatus import normalise_href, parse_multistatus
from harness.http import DavClient
from harness.target import Target

DAV, CALDAV, CARDDAV = "DAV:", "urn:ietf:params:xml:ns:caldav", "urn:ietf:params:xml:ns:carddav"
XML = 'application/xml; charset="utf-8"'

SERVICE = {"calendar": "caldav", "contacts": "carddav", "files": "webdav"}
HOME_SET = {"calendar": f"{{{CALDAV}}}calendar-home-set", "contacts": f"{{{CARDDAV}}}addressbook-home-set"}
DATA_PROP = {"calendar": f"{{{CALDAV}}}calendar-data", "contacts": f"{{{CARDDAV}}}address-data"}
MEDIA_TYPE = {"calendar": "text/calendar; charset=utf-8", "contacts": "text/vcard; charset=utf-8"}
LASTMOD = f"{{{DAV}}}getlastmodified"


class MoveSetupError(RuntimeError):
    """The move cannot start on a target (no home set, the collection cannot be made)."""


def _propfind(names: list[str]) -> str:
    props = []
    for i, name in enumerate(names):
        ns, local = name[1:].split("}", 1)
        props.append(f'<x{i}:{local} xmlns:x{i}="{escape(ns)}"/>')
    return f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>{"".join(props)}</D:prop></D:propfind>'


def _ms(response):
    return parse_multistatus(response.content, strict=False, base_url=response.url)


def _href_prop(client: DavClient, url: str, name: str) -> str | None:
    response = client.propfind(url, depth="0", body=_propfind([name]))
    if response.status_code != 207:
        return None
    for item in _ms(response):
        element = item.prop(name)
        href = element.find(f"{{{DAV}}}href") if element is not None else None
        if href is not None and (href.text or "").strip():
            return urljoin(response.url, href.text.strip())
    return None


def discover_home(target: Target, kind: str, never: str, timeout) -> str:
    """The calendar / address-book home URL of ``target`` (ends in ``/``), found without writing.

    Raises:
        MoveSetupError: no home set could be found.
    """
    endpoint = target.endpoints[SERVICE[kind]]
    client = DavClient(target, base=endpoint, write_scope=urljoin(endpoint, never), timeout=timeout)
    try:
        principal = _href_prop(client, endpoint, f"{{{DAV}}}current-user-principal")
        if principal is None:
            origin = "{0.scheme}://{0.netloc}/".format(urlsplit(endpoint))
            wk = client.propfind(urljoin(origin, f".well-known/{SERVICE[kind]}"), depth="0",
                                 body=_propfind([f"{{{DAV}}}current-user-principal"]))
            if 300 <= wk.status_code < 400 and wk.headers.get("Location"):
                principal = _href_prop(client, urljoin(wk.url, wk.headers["Location"]),
                                       f"{{{DAV}}}current-user-principal")
        home = _href_prop(client, principal or endpoint, HOME_SET[kind])
    finally:
        client.close()
    if not home:
        raise MoveSetupError(f"{target.id}: no {HOME_SET[kind]} found at {endpoint}")
    return home if home.endswith("/") else home + "/"


def quote_path(rel: str) -> str:
    """A relative path percent-encoded segment by segment (every byte that is not unreserved)."""
    return "/".join(quote(part, safe="") for part in rel.split("/"))


@dataclass
class Collection:
    """One collection a move made on one target, with the client whose write scope is that collection."""

    kind: str
    target: Target
    url: str
    client: DavClient
    created: bool = False

    def delete(self) -> int | None:
        if not self.created:
            return None
        try:
            return self.client.delete(self.url).status_code
        finally:
            self.client.close()


def make_collection(target: Target, kind: str, name: str, timeout) -> Collection:
    """Create the move's collection ``name`` (a single path segment starting with ``overstap-``).

    Raises:
        MoveSetupError: the server refused to create it.
    """
    assert name.startswith("overstap-") and "/" not in name
    if kind == "files":
        parent = target.endpoints["webdav"]
    else:
        parent = discover_home(target, kind, name + "-discovery-never-writes/", timeout)
    url = parent + quote(name, safe="") + "/"
    client = DavClient(target, base=url, write_scope=url, timeout=timeout)
    if kind == "calendar":
        response = client.request("MKCALENDAR", url)
    elif kind == "contacts":
        body = ('<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
                "<D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"
                f"<D:displayname>{escape(name)}</D:displayname></D:prop></D:set></D:mkcol>")
        response = client.request("MKCOL", url, headers={"Content-Type": XML}, body=body)
    else:
        response = client.mkcol(url)
    collection = Collection(kind, target, url, client, created=200 <= response.status_code < 300)
    if not collection.created:
        client.close()
        raise MoveSetupError(f"{target.id}: cannot create {url}: {response.request.method} answered "
                             f"{response.status_code} {response.reason}")
    return collection


def _excerpt(response) -> str:
    text = response.content[:300].decode("utf-8", "replace").strip()
    return f"{response.status_code} {response.reason}" + (f": {text}" if text else "")


# --- calendars and contacts -------------------------------------------------------------------------


def put_object(col: Collection, name: str, data: bytes) -> str | None:
    """PUT one object; None when stored, else the answer as text (the reason it did not arrive)."""
    try:
        response = col.client.put(col.url + quote(name, safe=""), data, content_type=MEDIA_TYPE[col.kind])
    except Exception as exc:  # noqa: BLE001 - a timeout or reset is the reason this item did not arrive
        return f"PUT failed: {type(exc).__name__}: {exc}"
    return None if 200 <= response.status_code < 300 else f"PUT answered {_excerpt(response)}"


@dataclass
class ReadOut:
    """What came out of a collection: per resource name, the GET body and the multiget body."""

    listed: dict[str, str] = field(default_factory=dict)  # name -> href
    get: dict[str, bytes] = field(default_factory=dict)
    multiget: dict[str, bytes] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # name -> why it could not be read
    notes: list[str] = field(default_factory=list)


def read_objects(col: Collection) -> ReadOut:
    """List the collection (PROPFIND Depth 1), GET every object, then one multiget REPORT for all of them."""
    out = ReadOut()
    response = col.client.propfind(col.url, depth="1", body=_propfind([f"{{{DAV}}}getetag", f"{{{DAV}}}resourcetype"]))
    if response.status_code != 207:
        out.notes.append(f"PROPFIND Depth 1 of the collection answered {_excerpt(response)}")
        return out
    base = normalise_href(col.url)
    for item in _ms(response):
        path = normalise_href(item.href, col.url)
        if path.rstrip("/") == base.rstrip("/") or item.is_collection:
            continue
        out.listed[path[len(base):] if path.startswith(base) else path.rsplit("/", 1)[-1]] = urljoin(col.url, item.href)
    for name, href in out.listed.items():
        try:
            got = col.client.get(href)
        except Exception as exc:  # noqa: BLE001
            out.problems[name] = f"GET failed: {type(exc).__name__}: {exc}"
            continue
        if got.status_code == 200:
            out.get[name] = got.content
        else:
            out.problems[name] = f"GET answered {_excerpt(got)}"
    if out.listed:
        report = "calendar-multiget" if col.kind == "calendar" else "addressbook-multiget"
        ns = CALDAV if col.kind == "calendar" else CARDDAV
        data = "calendar-data" if col.kind == "calendar" else "address-data"
        hrefs = "".join(f"<D:href>{escape(urlsplit(h).path)}</D:href>" for h in out.listed.values())
        body = (f'<?xml version="1.0" encoding="utf-8"?><C:{report} xmlns:D="DAV:" xmlns:C="{ns}">'
                f"<D:prop><D:getetag/><C:{data}/></D:prop>{hrefs}</C:{report}>")
        try:
            mg = col.client.request("REPORT", col.url, headers={"Depth": "1", "Content-Type": XML}, body=body)
            if mg.status_code == 207:
                by_path = {normalise_href(h, col.url): n for n, h in out.listed.items()}
                for item in _ms(mg):
                    name = by_path.get(normalise_href(item.href, col.url))
                    text = item.prop_text(DATA_PROP[col.kind])
                    if name is not None and text is not None:
                        out.multiget[name] = text.encode("utf-8")
            else:
                out.notes.append(f"{report} REPORT answered {_excerpt(mg)}")
        except Exception as exc:  # noqa: BLE001
            out.notes.append(f"{report} REPORT failed: {type(exc).__name__}: {exc}")
    return out


# --- files -------------------------------------------------------------------------------------------


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(ts), timezone.utc), usegmt=True)


def parse_http_date(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None


def put_file(col: Collection, rel: str, data: bytes, props: dict[str, str], mtime: float | None,
             made: set[str]) -> tuple[str | None, list[str]]:
    """MKCOL the parents, PUT the bytes (with the widespread ``X-OC-Mtime`` hint), PROPPATCH dead properties.

    Returns (why the file did not arrive or None, [notes about refused properties]).
    """
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        if folder not in made:
            response = col.client.mkcol(col.url + quote_path(folder) + "/")
            if response.status_code not in (201, 405):
                return f"MKCOL {folder}/ answered {_excerpt(response)}", []
            made.add(folder)
    url = col.url + quote_path(rel)
    headers = {"X-OC-Mtime": str(int(mtime))} if mtime is not None else {}
    try:
        response = col.client.put(url, data, headers=headers)
    except Exception as exc:  # noqa: BLE001
        return f"PUT failed: {type(exc).__name__}: {exc}", []
    if not 200 <= response.status_code < 300:
        return f"PUT answered {_excerpt(response)}", []
    notes = []
    if props:
        sets = []
        for i, (name, value) in enumerate(sorted(props.items())):
            ns, local = name[1:].split("}", 1)
            sets.append(f'<x{i}:{local} xmlns:x{i}="{escape(ns)}">{escape(value)}</x{i}:{local}>')
        body = ('<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
                + "".join(sets) + "</D:prop></D:set></D:propertyupdate>")
        response = col.client.proppatch(url, body)
        if response.status_code != 207:
            notes.append(f"PROPPATCH {rel} answered {_excerpt(response)}")
    return None, notes


@dataclass
class FileOut:
    data: bytes | None
    props: dict[str, str]
    lastmod: str | None
    problem: str | None = None


def read_files(col: Collection, prop_names: list[str]) -> tuple[dict[str, FileOut], list[str]]:
    """Walk the collection with PROPFIND Depth 1 (asking for ``prop_names`` and getlastmodified), GET each file."""
    names = [LASTMOD, f"{{{DAV}}}resourcetype", *prop_names]
    base = normalise_href(col.url)
    found: dict[str, FileOut] = {}
    notes: list[str] = []
    queue = [col.url]
    seen = set()
    while queue:
        folder = queue.pop(0)
        if folder in seen or len(seen) > 500:
            continue
        seen.add(folder)
        response = col.client.propfind(folder, depth="1", body=_propfind(names))
        if response.status_code != 207:
            notes.append(f"PROPFIND {folder} answered {_excerpt(response)}")
            continue
        this = normalise_href(folder)
        for item in _ms(response):
            path = normalise_href(item.href, col.url)
            if path.rstrip("/") == this.rstrip("/"):
                continue
            href = urljoin(col.url, item.href)
            if item.is_collection:
                queue.append(href if href.endswith("/") else href + "/")
                continue
            rel = path[len(base):] if path.startswith(base) else path
            props = {}
            for name in prop_names:
                text = item.prop_text(name)
                if text is not None:
                    props[name] = text
            try:
                got = col.client.get(href)
                if got.status_code == 200:
                    found[rel] = FileOut(got.content, props, item.prop_text(LASTMOD))
                else:
                    found[rel] = FileOut(None, props, item.prop_text(LASTMOD), f"GET answered {_excerpt(got)}")
            except Exception as exc:  # noqa: BLE001
                found[rel] = FileOut(None, props, None, f"GET failed: {type(exc).__name__}: {exc}")
    return found, notes
