"""Properties: PROPPATCH, dead properties, PROPFIND variants and the live properties around them.

Covers every test of the litmus 0.13 ``props`` group except ``propfind_d0`` / ``propfind_d1``
(test_props.py), plus what litmus 0.14-0.18 added to the group (the right request Content-Type on
every PROPFIND/PROPPATCH, removing a property that is already gone), and beyond litmus:

- RFC 4918 §4.3 (dead property values: mixed content, attributes, namespaces, white space,
  prefixes), §14.26 (xml:lang kept with a property set), §17 (unknown elements ignored, every
  element of a dead property recorded);
- RFC 4918 §8.2 (XML that is not namespace-well-formed is refused with 400; text/xml accepted);
- RFC 4918 §9.1, §9.1.1 (404 propstats for missing properties, empty body = allprop, allprop
  with include, propname, Depth: infinity and the DAV:propfind-finite-depth refusal);
- RFC 4918 §9.2, §9.2.1 (PROPPATCH support, 207 answer, document order, atomicity,
  cannot-modify-protected-property), §14.23 (removing an absent property is no error);
- RFC 4918 §9.6, §9.9.1 (dead properties go with DELETE, move with MOVE);
- RFC 4918 §15.1, §15.4, §15.5 (creationdate as RFC 3339 date-time, getcontentlength,
  getcontenttype);
- RFC 4331 §3, §4 (quota properties), RFC 3744 §4.2, §5.4 (principal-URL,
  current-user-privilege-set), RFC 6578 §3 (sync-collection REPORT).

Every check works in its own fresh collection, so each litmus test that depends on an earlier
one (``propget`` after ``propset``...) repeats the setup it needs in as few requests as it can.
"""

from __future__ import annotations

import re
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from conformance.xml import XMLProblem, parse_xml
from harness.checks import check, precondition_failed
from suites.webdav.helpers import multistatus

WEBDAV = "webdav"
DEAD = "webdav-dead-properties"
SYNC = "webdav-sync"

NS = "http://example.com/overstap/props/"
OTHER_NS = "http://example.com/overstap/other/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
XML_DECL = '<?xml version="1.0" encoding="utf-8"?>'
MANY_NS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
BODY = b"litmus-like resource for property tests\n"


# ---------------------------------------------------------------------------------------------
# Request bodies (literal XML; every property element declares its own namespace)

def _name(clark: str) -> tuple[str, str]:
    """(namespace, local name) of a Clark name; "" is the empty namespace."""
    if clark.startswith("{"):
        ns, local = clark[1:].split("}", 1)
        return ns, local
    return "", clark


def _element(clark: str, inner: str = "", attrs: str = "") -> str:
    """``<local xmlns="ns" attrs>inner</local>``; ``inner`` is XML as it goes on the wire."""
    ns, local = _name(clark)
    return f"<{local} xmlns={quoteattr(ns)}{' ' + attrs if attrs else ''}>{inner}</{local}>"


def _set(props: dict[str, str], *, one_set: bool = True) -> str:
    """A ``DAV:set`` of text values; ``one_set=False`` gives each property its own set/prop."""
    items = [_element(name, escape(value)) for name, value in props.items()]
    if one_set:
        return "<D:set><D:prop>" + "".join(items) + "</D:prop></D:set>"
    return "".join(f"<D:set><D:prop>{item}</D:prop></D:set>" for item in items)


def _remove(*names: str) -> str:
    return "<D:remove><D:prop>" + "".join(_element(n) for n in names) + "</D:prop></D:remove>"


def _update(*instructions: str) -> str:
    return XML_DECL + '<D:propertyupdate xmlns:D="DAV:">' + "".join(instructions) + "</D:propertyupdate>"


def _propfind(*names: str) -> str:
    return XML_DECL + '<D:propfind xmlns:D="DAV:"><D:prop>' + "".join(_element(n) for n in names) + \
        "</D:prop></D:propfind>"


# ---------------------------------------------------------------------------------------------
# Reading answers

def _only(ms, dav, path):
    """The response of a Depth 0 multistatus for ``path``."""
    found = ms.find(dav.url(path))
    if found is None and len(ms.responses) == 1:
        found = ms.responses[0]
    assert found is not None, f"the multistatus has no response for {dav.url(path)}"
    return found


def _get(dav, path: str, *names: str):
    """PROPFIND Depth 0 for ``names`` on ``path``: the parsed ``Response``."""
    return _only(multistatus(dav.propfind(path, depth="0", body=_propfind(*names))), dav, path)


def _patch_ok(dav, path: str, body: str, names, what: str, *, strict: bool = True) -> None:
    """PROPPATCH ``body`` and require a 207 whose every named property succeeded (RFC 4918 §9.2).

    With ``strict=False`` (setup for a check about something else) a bare 2xx is taken as the
    claimed success it is, as litmus does, so that the check goes on to judge the values.
    """
    response = dav.proppatch(path, body)
    if not strict and 200 <= response.status_code < 300 and response.status_code != 207:
        return
    assert response.status_code == 207, (
        f"{what}: PROPPATCH must answer 207 Multi-Status (RFC 4918 §9.2), got {response.status_code}")
    result = _only(multistatus(response), dav, path)
    statuses = {name: result.status_of(name) for name in names}
    bad = {name: code for name, code in statuses.items() if code != 200}
    assert not bad, f"{what}: PROPPATCH did not report 200 for every property: {bad} (None = not reported)"


def _put(dav, path: str = "prop", body: bytes = BODY, content_type: str = "text/plain"):
    response = dav.put(path, body, content_type)
    assert response.status_code in (200, 201, 204), f"setup: PUT {path} answered {response.status_code}"
    return response


def _seed(dav, props: dict[str, str], path: str = "prop") -> None:
    """PUT ``path`` and set ``props`` on it, one DAV:set per property (the form neon/litmus send)."""
    _put(dav, path)
    _patch_ok(dav, path, _update(_set(props, one_set=False)), props, "setup", strict=False)


def _values_match(result, expected: dict[str, str | None]) -> None:
    """Each name with a value must come back with it; each ``None`` must not be defined (404)."""
    for name, value in expected.items():
        got = result.prop(name)
        if value is None:
            assert got is None, f"the removed property {name} is still defined: {_text(got)!r}"
            status = result.status_of(name)
            assert status == 404, (f"a property that does not exist must be reported with 404 "
                                   f"(RFC 4918 §9.1); {name} got {status} (None = left out)")
        else:
            assert got is not None, (f"property {name} is not defined (status {result.status_of(name)}), "
                                     f"expected {value!r}")
            assert _text(got) == value, f"property {name} has value {_text(got)!r}, expected {value!r}"


def _text(element) -> str | None:
    return None if element is None else "".join(element.itertext())


def _same_tree(sent: etree._Element, got: etree._Element, where: str = "value") -> None:
    """Names, attributes, character data and child order must all survive (RFC 4918 §4.3)."""
    assert got.tag == sent.tag, f"{where}: element {sent.tag} came back as {got.tag}"
    assert dict(got.attrib) == dict(sent.attrib), \
        f"{where}: attributes of {sent.tag} were {dict(sent.attrib)}, came back {dict(got.attrib)}"
    assert (got.text or "") == (sent.text or ""), \
        f"{where}: character data in {sent.tag} was {sent.text!r}, came back {got.text!r}"
    sent_children = [c for c in sent if isinstance(c.tag, str)]
    got_children = [c for c in got if isinstance(c.tag, str)]
    assert [c.tag for c in got_children] == [c.tag for c in sent_children], \
        f"{where}: children of {sent.tag} were {[c.tag for c in sent_children]}, came back " \
        f"{[c.tag for c in got_children]}"
    for s, g in zip(sent_children, got_children):
        _same_tree(s, g, where)
        assert (g.tail or "") == (s.tail or ""), \
            f"{where}: character data after {s.tag} was {s.tail!r}, came back {g.tail!r}"


def _lang_in_scope(element) -> str | None:
    """The xml:lang in scope at ``element`` (on it or an ancestor)."""
    while element is not None:
        if XML_LANG in element.attrib:
            return element.attrib[XML_LANG]
        element = element.getparent()
    return None


def _ten(prefix: str = "value") -> dict[str, str]:
    return {f"{{{NS}}}prop{n}": f"{prefix}{n}" for n in range(10)}


def _has_error(propstats_or_elements, condition: str) -> bool:
    for error in propstats_or_elements:
        if error is not None and error.find(condition) is not None:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# PROPFIND request bodies (litmus propfind_invalid, propfind_invalid2, propextended)

@check("webdav/props/propfind-malformed-body", clause="RFC 4918 §8.2", level="MUST", requires=WEBDAV,
       peer={"litmus": "props/propfind_invalid"})
def test_propfind_malformed_body(dav):
    response = dav.propfind("", depth="0", body="<foo>")
    assert response.status_code == 400, (f"a PROPFIND body that is not well-formed XML must be refused with "
                                         f"400 Bad Request, got {response.status_code}")


@check("webdav/props/propfind-bad-namespace-declaration", clause="RFC 4918 §8.2", level="MUST", requires=WEBDAV,
       peer={"litmus": "props/propfind_invalid2"})
def test_propfind_bad_namespace_declaration(dav):
    # Namespaces in XML 1.0 forbids an empty value for a prefixed declaration: not namespace-well-formed.
    body = '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>'
    response = dav.propfind("", depth="0", body=body)
    assert response.status_code == 400, (
        f"XML must use namespaces correctly; a PROPFIND declaring xmlns:bar=\"\" must be refused with 400 "
        f"Bad Request, got {response.status_code}")


@check("webdav/props/propfind-unknown-element-ignored", clause="RFC 4918 §17", level="MUST", requires=WEBDAV,
       peer={"litmus": "props/propextended"})
def test_propfind_unknown_element_ignored(dav):
    _put(dav)
    body = XML_DECL + '<propfind xmlns="DAV:"><foobar/><allprop/></propfind>'
    result = _only(multistatus(dav.propfind("prop", depth="0", body=body)), dav, "prop")
    assert result.prop("{DAV:}resourcetype") is not None, (
        "an unknown element beside DAV:allprop must be ignored: the answer should be allprop's, but "
        "DAV:resourcetype is not in it")


@check("webdav/props/propfind-text-xml", clause="RFC 4918 §8.2", level="MUST", requires=WEBDAV)
def test_propfind_text_xml(dav):
    _put(dav)
    response = dav.propfind("prop", depth="0", body=_propfind("{DAV:}getcontentlength"),
                            headers={"Content-Type": 'text/xml; charset="utf-8"'})
    result = _only(multistatus(response), dav, "prop")
    assert result.prop_text("{DAV:}getcontentlength") == str(len(BODY)), \
        "a PROPFIND sent as text/xml must be accepted like application/xml"


# ---------------------------------------------------------------------------------------------
# litmus propinit / propset / propget#7

@check("webdav/props/propfind-missing-property-404", clause="RFC 4918 §9.1", level="MUST", requires=WEBDAV,
       peer={"litmus": "props/propinit#5"})
def test_propfind_missing_property_404(dav):
    _put(dav)
    result = _get(dav, "prop", "{DAV:}getcontentlength", f"{{{NS}}}never-set")
    assert result.status_of("{DAV:}getcontentlength") == 200, \
        "an existing property must come back in a 200 propstat beside the missing one"
    status = result.status_of(f"{{{NS}}}never-set")
    assert status == 404, (f"a property that does not exist must be reported in a propstat with 404; "
                           f"got {status} (None = left out of the answer)")


@check("webdav/props/proppatch-set", clause="RFC 4918 §9.2, §9.2.1", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propset"})
def test_proppatch_set(dav):
    _put(dav)
    props = _ten()
    # All ten in one DAV:set/DAV:prop, as in the example of RFC 4918 §9.2.2.
    _patch_ok(dav, "prop", _update(_set(props)), props, "set of 10 dead properties")
    _values_match(_get(dav, "prop", *props), props)


@check("webdav/props/propget-after-set", clause="RFC 4918 §9.1, §9.2", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#7"})
def test_propget_after_set(dav):
    props = _ten()
    _seed(dav, props)
    _values_match(_get(dav, "prop", *props), props)


# ---------------------------------------------------------------------------------------------
# MOVE and DELETE of resources with properties (litmus propmove, propget#10, propinit#25, propcleanup)

@check("webdav/props/move-resource-with-properties", clause="RFC 4918 §9.9, §9.9.4", level="MUST",
       requires=WEBDAV, optional=DEAD, peer={"litmus": "props/propmove"})
def test_move_resource_with_properties(dav):
    _seed(dav, _ten())
    moved = dav.move("prop", "prop2")
    assert moved.status_code in (201, 204), f"MOVE of a resource with dead properties answered {moved.status_code}"
    assert dav.get("prop").status_code == 404, "the MOVE source is still mapped after a successful MOVE"


@check("webdav/props/move-keeps-dead-properties", clause="RFC 4918 §9.9.1", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#10"})
def test_move_keeps_dead_properties(dav):
    props = _ten()
    _seed(dav, props)
    moved = dav.move("prop", "prop2")
    assert moved.status_code in (201, 204), f"setup: MOVE answered {moved.status_code}"
    _values_match(_get(dav, "prop2", *props), props)


@check("webdav/props/delete-resource-with-properties", clause="RFC 4918 §9.6", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propcleanup"})
def test_delete_resource_with_properties(dav):
    _seed(dav, {f"{{{NS}}}doomed": "x"})
    deleted = dav.delete("prop")
    assert deleted.status_code in (200, 204), f"DELETE of a resource with dead properties answered " \
                                              f"{deleted.status_code}"
    after = dav.propfind("prop", depth="0", body=_propfind(f"{{{NS}}}doomed"))
    assert after.status_code == 404, f"PROPFIND after a successful DELETE must answer 404, got {after.status_code}"


@check("webdav/props/delete-drops-dead-properties", clause="RFC 4918 §9.6", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propinit#25"})
def test_delete_drops_dead_properties(dav):
    name = f"{{{NS}}}stale"
    _seed(dav, {name: "old resource"})
    assert dav.delete("prop").status_code in (200, 204), "setup: DELETE failed"
    _put(dav)
    result = _get(dav, "prop", name)
    assert result.prop(name) is None, (
        f"a new resource PUT where a deleted one was still carries the deleted resource's dead property "
        f"{name} = {_text(result.prop(name))!r}")


# ---------------------------------------------------------------------------------------------
# Remove, replace (litmus propdeletes, propget#12, propreplace, propget#14) and 0.16's double remove

@check("webdav/props/proppatch-remove", clause="RFC 4918 §9.2, §14.23", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propdeletes"})
def test_proppatch_remove(dav):
    props = _ten()
    _seed(dav, props)
    gone = list(props)[:5]
    _patch_ok(dav, "prop", _update(_remove(*gone)), gone, "remove of 5 properties")


@check("webdav/props/propget-after-remove", clause="RFC 4918 §9.1, §14.23", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#12"})
def test_propget_after_remove(dav):
    props = _ten()
    _seed(dav, props)
    gone = list(props)[:5]
    _patch_ok(dav, "prop", _update(_remove(*gone)), gone, "setup", strict=False)
    expected = {name: (None if name in gone else value) for name, value in props.items()}
    _values_match(_get(dav, "prop", *props), expected)


@check("webdav/props/proppatch-replace", clause="RFC 4918 §9.2, §14.26", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propreplace"})
def test_proppatch_replace(dav):
    _seed(dav, _ten())
    new = dict(list(_ten("newvalue").items())[5:])
    _patch_ok(dav, "prop", _update(_set(new, one_set=False)), new, "replace of 5 property values")


@check("webdav/props/propget-after-replace", clause="RFC 4918 §9.1, §14.26", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#14"})
def test_propget_after_replace(dav):
    props = _ten()
    _seed(dav, props)
    new = dict(list(_ten("newvalue").items())[5:])
    _patch_ok(dav, "prop", _update(_set(new, one_set=False)), new, "setup", strict=False)
    _values_match(_get(dav, "prop", *props), {**props, **new})


@check("webdav/props/proppatch-remove-absent", clause="RFC 4918 §14.23", level="MUST", requires=WEBDAV,
       optional=DEAD)
def test_proppatch_remove_absent(dav):
    # litmus 0.16: deleting a property twice succeeds ("removal of a property that does not exist is not
    # an error").
    name = f"{{{NS}}}twice"
    _seed(dav, {name: "x"})
    _patch_ok(dav, "prop", _update(_remove(name)), [name], "setup: first remove", strict=False)
    _patch_ok(dav, "prop", _update(_remove(name)), [name], "second remove of the now absent property")


# ---------------------------------------------------------------------------------------------
# Names and values (litmus propnullns, propget#16, prophighunicode, propget#18, propvalnspace, propwformed)

NULLNS = "nonamespace"


@check("webdav/props/proppatch-empty-namespace", clause="RFC 4918 §9.2, §4.4", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propnullns"})
def test_proppatch_empty_namespace(dav):
    _put(dav)
    _patch_ok(dav, "prop", _update(_set({NULLNS: "randomvalue"})), [NULLNS],
              "set of a property in the empty namespace")


@check("webdav/props/propget-empty-namespace", clause="RFC 4918 §4.3, §9.1", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#16"})
def test_propget_empty_namespace(dav):
    _seed(dav, {NULLNS: "randomvalue"})
    _values_match(_get(dav, "prop", NULLNS), {NULLNS: "randomvalue"})


HIGH = f"{{{NS}}}high-unicode"


@check("webdav/props/proppatch-high-unicode", clause="RFC 4918 §9.2, §19", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/prophighunicode"})
def test_proppatch_high_unicode(dav):
    _put(dav)
    body = _update(f"<D:set><D:prop>{_element(HIGH, '&#65536;')}</D:prop></D:set>")
    _patch_ok(dav, "prop", body, [HIGH], "set of a value above U+FFFF")


@check("webdav/props/propget-high-unicode", clause="RFC 4918 §4.3", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#18"})
def test_propget_high_unicode(dav):
    _put(dav)
    body = _update(f"<D:set><D:prop>{_element(HIGH, '&#65536;')}</D:prop></D:set>")
    _patch_ok(dav, "prop", body, [HIGH], "setup", strict=False)
    _values_match(_get(dav, "prop", HIGH), {HIGH: "\U00010000"})


VALNS = f"{{{NS}}}valnspace"
VALNS_VALUE = '<foo xmlns="http://example.com/overstap/bar/"/>'
VALNS_CHILD = "{http://example.com/overstap/bar/}foo"


@check("webdav/props/proppatch-value-namespace", clause="RFC 4918 §4.3, §9.2", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propvalnspace"})
def test_proppatch_value_namespace(dav):
    _put(dav)
    _patch_ok(dav, "prop", _update(f"<D:set><D:prop>{_element(VALNS, VALNS_VALUE)}</D:prop></D:set>"),
              [VALNS], "set of a value declaring its own namespace")


@check("webdav/props/propfind-value-namespace-wellformed", clause="RFC 4918 §4.3, §8.2", level="MUST",
       requires=WEBDAV, peer={"litmus": "props/propwformed"})
def test_propfind_value_namespace_wellformed(dav):
    _put(dav)
    # Whether or not the target keeps dead properties, the answer must be a well-formed multistatus;
    # where it kept the value, the element inside must keep its namespace.
    dav.proppatch("prop", _update(f"<D:set><D:prop>{_element(VALNS, VALNS_VALUE)}</D:prop></D:set>"))
    result = _get(dav, "prop", VALNS)
    value = result.prop(VALNS)
    if value is not None:
        children = [c.tag for c in value if isinstance(c.tag, str)]
        assert children == [VALNS_CHILD], f"the value's element {VALNS_CHILD} came back as {children}"


# ---------------------------------------------------------------------------------------------
# Document order (litmus propremoveset, propget#20, propsetremove, propget#22)

ORDER = f"{{{NS}}}removeset"


def _remove_then_set():
    return _update(_remove(ORDER), _set({ORDER: "x"}), _set({ORDER: "y"}))


def _set_then_remove():
    return _update(_set({ORDER: "x"}), _remove(ORDER))


@check("webdav/props/proppatch-remove-then-set", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propremoveset"})
def test_proppatch_remove_then_set(dav):
    _put(dav)
    _patch_ok(dav, "prop", _remove_then_set(), [ORDER], "remove, set x, set y of one property")


@check("webdav/props/propget-remove-then-set", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#20"})
def test_propget_remove_then_set(dav):
    _put(dav)
    _patch_ok(dav, "prop", _remove_then_set(), [ORDER], "setup", strict=False)
    _values_match(_get(dav, "prop", ORDER), {ORDER: "y"})


@check("webdav/props/proppatch-set-then-remove", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propsetremove"})
def test_proppatch_set_then_remove(dav):
    _put(dav)
    _patch_ok(dav, "prop", _set_then_remove(), [ORDER], "set x, then remove, of one property")


@check("webdav/props/propget-set-then-remove", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#22"})
def test_propget_set_then_remove(dav):
    _put(dav)
    _patch_ok(dav, "prop", _set_then_remove(), [ORDER], "setup", strict=False)
    _values_match(_get(dav, "prop", ORDER), {ORDER: None})


# ---------------------------------------------------------------------------------------------
# Many namespaces (litmus propmanyns, propget#27)

def _many():
    return {f"{{http://example.com/{ns}}}somename": "manynsvalue" for ns in MANY_NS}


@check("webdav/props/proppatch-many-namespaces", clause="RFC 4918 §9.2, §4.4", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propmanyns"})
def test_proppatch_many_namespaces(dav):
    _put(dav)
    props = _many()
    _patch_ok(dav, "prop", _update(_set(props, one_set=False)), props, "set of one name in 10 namespaces")


@check("webdav/props/propget-many-namespaces", clause="RFC 4918 §4.4, §9.1", level="MUST", requires=WEBDAV,
       optional=DEAD, peer={"litmus": "props/propget#27"})
def test_propget_many_namespaces(dav):
    props = _many()
    _seed(dav, props)
    _values_match(_get(dav, "prop", *props), props)


# ---------------------------------------------------------------------------------------------
# PROPPATCH on every target: support, honest answers, atomicity, protected properties

@check("webdav/props/proppatch-supported", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV)
def test_proppatch_supported(dav):
    _put(dav)
    response = dav.proppatch("prop", _update(_set({f"{{{NS}}}probe": "p"})))
    assert response.status_code not in (405, 501), (
        f"all DAV-compliant resources must support PROPPATCH (a 207 may refuse each property), got "
        f"{response.status_code}")
    assert response.status_code == 207, (f"a PROPPATCH whose body the server processed must be answered with "
                                         f"207 Multi-Status, got {response.status_code}")
    multistatus(response)


@check("webdav/props/proppatch-honest-result", clause="RFC 4918 §9.2, §9.2.1", level="MUST", requires=WEBDAV)
def test_proppatch_honest_result(dav):
    _put(dav)
    props = {f"{{{NS}}}first": "one", f"{{{NS}}}second": "two"}
    response = dav.proppatch("prop", _update(_set(props)))
    if response.status_code == 207:
        result = _only(multistatus(response), dav, "prop")
        claimed = [name for name in props if result.status_of(name) == 200]
    elif 200 <= response.status_code < 300:
        claimed = list(props)  # a bare success claims every instruction was carried out
    else:
        claimed = []
    if not claimed:
        return  # an honest refusal: nothing more to hold the target to here
    after = _get(dav, "prop", *props)
    lost = {name: _text(after.prop(name)) for name in claimed if _text(after.prop(name)) != props[name]}
    assert not lost, (f"PROPPATCH answered {response.status_code} claiming success for {claimed}, but "
                      f"PROPFIND then gives {lost} (None = not defined)")


@check("webdav/props/proppatch-atomic", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV)
def test_proppatch_atomic(dav):
    _put(dav)
    dead = f"{{{NS}}}atomic"
    body = _update(_set({dead: "must not stay"}), '<D:set><D:prop><D:getetag>"forged"</D:getetag></D:prop></D:set>')
    response = dav.proppatch("prop", body)
    if response.status_code == 207:
        result = _only(multistatus(response), dav, "prop")
        assert result.status_of("{DAV:}getetag") != 200, "the server claims to have set the protected DAV:getetag"
        assert result.status_of(dead) != 200, (
            "instructions must all be executed or none: the dead property is reported 200 although setting "
            "DAV:getetag failed (expected 424 Failed Dependency)")
    else:
        assert not 200 <= response.status_code < 300, (
            f"PROPPATCH setting the protected DAV:getetag answered {response.status_code} as if it succeeded")
    after = _get(dav, "prop", dead, "{DAV:}getetag")
    assert after.prop(dead) is None, (
        f"PROPPATCH must be atomic: setting DAV:getetag failed, yet the other property of the same request "
        f"was stored ({_text(after.prop(dead))!r})")
    assert _text(after.prop("{DAV:}getetag")) != '"forged"', "the protected DAV:getetag was overwritten"


@check("webdav/props/proppatch-protected-precondition", clause="RFC 4918 §9.2.1, §15.6", level="SHOULD",
       requires=WEBDAV)
def test_proppatch_protected_precondition(dav):
    _put(dav)
    response = dav.proppatch("prop", _update('<D:set><D:prop><D:getetag>"forged"</D:getetag></D:prop></D:set>'))
    condition = "{DAV:}cannot-modify-protected-property"
    if response.status_code == 207:
        result = _only(multistatus(response), dav, "prop")
        status = result.status_of("{DAV:}getetag")
        assert status == 403, f"setting the protected DAV:getetag should give 403 in the propstat, got {status}"
        errors = [p.error for p in result.propstats] + [result.error]
        assert _has_error(errors, condition), \
            "the 403 for DAV:getetag should carry the DAV:cannot-modify-protected-property precondition"
    else:
        assert response.status_code == 403, (f"setting the protected DAV:getetag should be refused with 403 and "
                                             f"DAV:cannot-modify-protected-property, got {response.status_code}")
        try:
            root = parse_xml(response.content)
        except XMLProblem as exc:
            raise AssertionError(f"the 403 body is not XML: {exc}") from None
        assert root.tag == "{DAV:}error" and root.find(condition) is not None, \
            "the 403 body should be DAV:error with DAV:cannot-modify-protected-property"


@check("webdav/props/proppatch-without-propertyupdate", clause="RFC 4918 §9.2", level="MUST", requires=WEBDAV)
def test_proppatch_without_propertyupdate(dav):
    _put(dav)
    name = f"{{{NS}}}smuggled"
    body = XML_DECL + f'<D:propfind xmlns:D="DAV:">{_set({name: "x"})}</D:propfind>'
    response = dav.proppatch("prop", body)
    if response.status_code == 207:
        result = _only(multistatus(response), dav, "prop")
        assert result.status_of(name) != 200, "a PROPPATCH body without DAV:propertyupdate was carried out"
    else:
        assert response.status_code >= 400, (f"a PROPPATCH body whose root is not DAV:propertyupdate must be "
                                             f"refused, got {response.status_code}")
    assert _get(dav, "prop", name).prop(name) is None, \
        "a PROPPATCH body without DAV:propertyupdate stored a property"


# ---------------------------------------------------------------------------------------------
# Dead property values (RFC 4918 §4.3, §14.26)

MIXED = f"{{{NS}}}mixed"
MIXED_VALUE = ('Name: <x:first xmlns:x="http://example.com/overstap/x/" rank="1">Jane</x:first> '
               '<x:last xmlns:x="http://example.com/overstap/x/" x:kind="family">Doe</x:last>'
               '<empty xmlns=""/> tail')


@check("webdav/props/dead-property-mixed-content", clause="RFC 4918 §4.3, §17", level="MUST", requires=WEBDAV,
       optional=DEAD)
def test_dead_property_mixed_content(dav):
    _put(dav)
    _patch_ok(dav, "prop", _update(f"<D:set><D:prop>{_element(MIXED, MIXED_VALUE)}</D:prop></D:set>"), [MIXED],
              "setup", strict=False)
    got = _get(dav, "prop", MIXED).prop(MIXED)
    assert got is not None, "the mixed-content dead property is not defined after a successful PROPPATCH"
    sent = etree.fromstring(_element(MIXED, MIXED_VALUE))
    _same_tree(sent, got, "mixed-content value")


@check("webdav/props/dead-property-xml-lang", clause="RFC 4918 §14.26, §4.3", level="MUST", requires=WEBDAV,
       optional=DEAD)
def test_dead_property_xml_lang(dav):
    _put(dav)
    on_prop, in_scope = f"{{{NS}}}greeting", f"{{{NS}}}salutation"
    tagged = _element(on_prop, "bonjour", 'xml:lang="fr-CA"')
    body = _update(f"<D:set><D:prop>{tagged}</D:prop></D:set>",
                   f'<D:set><D:prop xml:lang="de">{_element(in_scope, "Hallo")}</D:prop></D:set>')
    _patch_ok(dav, "prop", body, [on_prop, in_scope], "setup", strict=False)
    result = _get(dav, "prop", on_prop, in_scope)
    for name, lang in ((on_prop, "fr-CA"), (in_scope, "de")):
        element = result.prop(name)
        assert element is not None, f"{name} is not defined after a successful PROPPATCH"
        assert _lang_in_scope(element) == lang, (
            f"xml:lang in scope of a property set must be stored and returned: {name} was set with "
            f"xml:lang={lang!r}, PROPFIND gives {_lang_in_scope(element)!r}")


@check("webdav/props/dead-property-whitespace", clause="RFC 4918 §4.3", level="MUST", requires=WEBDAV,
       optional=DEAD)
def test_dead_property_whitespace(dav):
    _put(dav)
    name, value = f"{{{NS}}}spaced", "  two  spaces,\n\ta tab and a newline  "
    spaced = _element(name, escape(value), 'xml:space="default"')
    body = _update(f"<D:set><D:prop>{spaced}</D:prop></D:set>")
    _patch_ok(dav, "prop", body, [name], "setup", strict=False)
    got = _get(dav, "prop", name).prop(name)
    assert got is not None, f"{name} is not defined after a successful PROPPATCH"
    assert _text(got) == value, (f"white space in a property value is significant (and xml:space must not "
                                 f"change that): sent {value!r}, got {_text(got)!r}")


@check("webdav/props/dead-property-prefix", clause="RFC 4918 §4.3", level="SHOULD", requires=WEBDAV,
       optional=DEAD)
def test_dead_property_prefix(dav):
    _put(dav)
    name = f"{{{NS}}}prefixed"
    inner = '<q:item xmlns:q="http://example.com/overstap/q/">v</q:item>'
    _patch_ok(dav, "prop", _update(f"<D:set><D:prop>{_element(name, inner)}</D:prop></D:set>"), [name], "setup",
              strict=False)
    got = _get(dav, "prop", name).prop(name)
    assert got is not None, f"{name} is not defined after a successful PROPPATCH"
    children = [c for c in got if isinstance(c.tag, str)]
    assert children and children[0].prefix == "q", (
        f"servers should preserve the prefix of elements in a dead property value: sent q:item, got "
        f"{children[0].prefix + ':' if children and children[0].prefix else ''}"
        f"{etree.QName(children[0]).localname if children else '(nothing)'}")


# ---------------------------------------------------------------------------------------------
# propname, allprop, include, empty body (RFC 4918 §9.1, §14.2, §14.8, §14.21)

RFC4918_LIVE = ("{DAV:}resourcetype", "{DAV:}getcontentlength", "{DAV:}getlastmodified")


@check("webdav/props/propname", clause="RFC 4918 §9.1, §14.21", level="MUST", requires=WEBDAV)
def test_propname(dav):
    _put(dav)
    body = XML_DECL + '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'
    result = _only(multistatus(dav.propfind("prop", depth="0", body=body)), dav, "prop")
    names = result.props_with_status(200)
    missing = [n for n in RFC4918_LIVE if n not in names]
    assert not missing, (f"propname must list the names of the properties defined on the resource; missing "
                         f"{missing} (listed: {sorted(names)})")
    valued = [n for n, element in names.items() if len(element) or (element.text or "").strip()]
    assert not valued, f"propname must return names only, but these came with values: {valued}"


@check("webdav/props/allprop-include", clause="RFC 4918 §9.1, §14.2, §14.8", level="MUST", requires=WEBDAV)
def test_allprop_include(dav):
    _put(dav)
    etag = dav.get("prop").headers.get("ETag")
    body = (XML_DECL + '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:getetag/>'
            '<D:supported-report-set/></D:include></D:propfind>')
    result = _only(multistatus(dav.propfind("prop", depth="0", body=body)), dav, "prop")
    missing = [n for n in RFC4918_LIVE if result.prop(n) is None]
    assert not missing, f"allprop must return the RFC 4918 live properties of the resource; missing {missing}"
    if etag:
        assert result.prop("{DAV:}getetag") is not None, (
            f"DAV:getetag was named in DAV:include and GET returns ETag {etag}, but the answer does not define it")


@check("webdav/props/allprop-dead-properties", clause="RFC 4918 §14.2", level="MUST", requires=WEBDAV,
       optional=DEAD)
def test_allprop_dead_properties(dav):
    props = {f"{{{NS}}}listed": "in allprop", f"{{{OTHER_NS}}}too": "and this"}
    _seed(dav, props)
    body = XML_DECL + '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
    result = _only(multistatus(dav.propfind("prop", depth="0", body=body)), dav, "prop")
    _values_match(result, props)


@check("webdav/props/propfind-empty-body", clause="RFC 4918 §9.1", level="MUST", requires=WEBDAV)
def test_propfind_empty_body(dav):
    _put(dav)
    empty = _only(multistatus(dav.propfind("prop", depth="0")), dav, "prop")
    body = XML_DECL + '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
    allprop = _only(multistatus(dav.propfind("prop", depth="0", body=body)), dav, "prop")
    got, expected = set(empty.props_with_status(200)), set(allprop.props_with_status(200))
    assert got == expected, (f"a PROPFIND without a body must be treated as allprop; names only in allprop: "
                             f"{sorted(expected - got)}, only in the bodiless answer: {sorted(got - expected)}")


# ---------------------------------------------------------------------------------------------
# Depth: infinity (RFC 4918 §9.1, §9.1.1)

def _tree(dav):
    for path in ("sub/", "sub/deep/"):
        assert dav.mkcol(path).status_code == 201, f"setup: MKCOL {path} failed"
    _put(dav, "sub/deep/leaf.txt")
    body = _propfind("{DAV:}resourcetype")
    return dav.propfind("", depth="infinity", body=body)


@check("webdav/props/depth-infinity", clause="RFC 4918 §9.1, §9.1.1", level="SHOULD", requires=WEBDAV)
def test_depth_infinity(dav):
    response = _tree(dav)
    if response.status_code == 207:
        multistatus(response)
        return
    assert response.status_code == 403, (f"a server may refuse PROPFIND Depth: infinity only with 403 Forbidden "
                                         f"(RFC 4918 §9.1.1), got {response.status_code}")
    try:
        root = parse_xml(response.content)
    except XMLProblem as exc:
        raise AssertionError(f"the 403 refusing Depth: infinity should carry a DAV:error body with "
                             f"DAV:propfind-finite-depth; the body is not (namespace-)well-formed XML: {exc}") from None
    assert root.tag == "{DAV:}error" and root.find("{DAV:}propfind-finite-depth") is not None, (
        f"the 403 refusing Depth: infinity should carry DAV:error/DAV:propfind-finite-depth, got a "
        f"{root.tag} root")


@check("webdav/props/depth-infinity-members", clause="RFC 4918 §9.1", level="MUST", requires=WEBDAV)
def test_depth_infinity_members(dav):
    response = _tree(dav)
    if response.status_code != 207:
        precondition_failed(f"PROPFIND Depth: infinity answered {response.status_code}: the target does not "
                            f"serve infinite depth (judged by webdav/props/depth-infinity)")
    ms = multistatus(response)
    missing = [p for p in ("", "sub/", "sub/deep/", "sub/deep/leaf.txt") if ms.find(dav.url(p)) is None]
    assert not missing, f"a Depth: infinity multistatus must describe every member at any depth; missing {missing}"


# ---------------------------------------------------------------------------------------------
# Live property values (RFC 4918 §15)

@check("webdav/props/getcontenttype", clause="RFC 4918 §15.5", level="MUST", requires=WEBDAV)
def test_getcontenttype(dav):
    _put(dav, "typed.txt", b"plain text\n", "text/plain")
    header = dav.get("typed.txt").headers.get("Content-Type")
    result = _get(dav, "typed.txt", "{DAV:}getcontenttype")
    value = result.prop_text("{DAV:}getcontenttype")
    if header is None:
        return
    assert value is not None, (f"GET returns Content-Type {header!r}, so DAV:getcontenttype must be defined; "
                               f"it came back with status {result.status_of('{DAV:}getcontenttype')}")
    assert value == header.strip(), f"DAV:getcontenttype is {value!r}, GET's Content-Type is {header!r}"


@check("webdav/props/getcontentlength-empty", clause="RFC 4918 §15.4", level="MUST", requires=WEBDAV)
def test_getcontentlength_empty(dav):
    _put(dav, "empty.bin", b"", "application/octet-stream")
    header = dav.get("empty.bin").headers.get("Content-Length")
    value = _get(dav, "empty.bin", "{DAV:}getcontentlength").prop_text("{DAV:}getcontentlength")
    if header is None:
        return
    assert value is not None, "GET returns Content-Length, so DAV:getcontentlength must be defined"
    assert value.isascii() and value.isdigit() and int(value) == int(header), \
        f"DAV:getcontentlength of an empty resource is {value!r}, GET's Content-Length is {header!r}"


# RFC 3339 §5.6 date-time; "T" and "Z" may be lower case.
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
                        re.ASCII)


@check("webdav/props/creationdate-format", clause="RFC 4918 §15.1, RFC 3339 §5.6", level="MUST",
       requires=WEBDAV)
def test_creationdate_format(dav):
    _put(dav)
    value = _get(dav, "prop", "{DAV:}creationdate").prop_text("{DAV:}creationdate")
    if value is None:
        precondition_failed("the target leaves DAV:creationdate undefined, as RFC 4918 §15.1 allows")
    match = _DATE_TIME.fullmatch(value)
    assert match, f"DAV:creationdate {value!r} is not an RFC 3339 date-time"
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise AssertionError(f"DAV:creationdate {value!r} is not a valid date and time") from None


# ---------------------------------------------------------------------------------------------
# RFC 4331 quotas, RFC 3744 access control properties

@check("webdav/props/quota-values", clause="RFC 4331 §3, §4", level="MUST", requires=WEBDAV)
def test_quota_values(dav):
    names = ("{DAV:}quota-available-bytes", "{DAV:}quota-used-bytes")
    result = _get(dav, "", *names)
    values = {n: result.prop_text(n) for n in names if result.prop(n) is not None}
    if not values:
        precondition_failed("the target defines neither DAV:quota-available-bytes nor DAV:quota-used-bytes")
    bad = {n: v for n, v in values.items() if not (v and v.isascii() and v.isdigit())}
    assert not bad, f"quota properties must be non-negative integer byte counts, got {bad}"


@check("webdav/props/current-user-privilege-set", clause="RFC 3744 §5.4", level="MUST", requires=WEBDAV)
def test_current_user_privilege_set(dav):
    name = "{DAV:}current-user-privilege-set"
    element = _get(dav, "", name).prop(name)
    if element is None:
        precondition_failed("the target does not define DAV:current-user-privilege-set (RFC 3744)")
    children = [c for c in element if isinstance(c.tag, str)]
    wrong = [c.tag for c in children if c.tag != "{DAV:}privilege"]
    assert not wrong, f"DAV:current-user-privilege-set may contain only DAV:privilege elements, got {wrong}"
    empty = [i for i, c in enumerate(children) if not [g for g in c if isinstance(g.tag, str)]]
    assert not empty, f"each DAV:privilege must name a privilege element; privileges {empty} are empty"


@check("webdav/props/principal-url", clause="RFC 3744 §4.2, RFC 5397 §3", level="MUST", requires=WEBDAV)
def test_principal_url(dav):
    me = _get(dav, "", "{DAV:}current-user-principal").prop("{DAV:}current-user-principal")
    href = me.find("{DAV:}href") if me is not None else None
    if href is None or not (href.text or "").strip():
        precondition_failed("the target names no DAV:current-user-principal, so there is no principal to ask")
    principal = dav.url(href.text.strip())
    element = _get(dav, principal, "{DAV:}principal-URL").prop("{DAV:}principal-URL")
    assert element is not None, f"the principal {principal} must define DAV:principal-URL"
    hrefs = element.findall("{DAV:}href")
    assert len(hrefs) == 1 and (hrefs[0].text or "").strip(), \
        f"DAV:principal-URL must contain exactly one non-empty DAV:href, got {len(hrefs)}"


# ---------------------------------------------------------------------------------------------
# RFC 6578 sync-collection

def _sync(dav, token: str | None):
    token_xml = f"<D:sync-token>{escape(token)}</D:sync-token>" if token else "<D:sync-token/>"
    body = (XML_DECL + '<D:sync-collection xmlns:D="DAV:">' + token_xml +
            "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>")
    return dav.request("REPORT", "", headers={"Depth": "0", "Content-Type": 'application/xml; charset="utf-8"'},
                       body=body)


def _initial_sync(dav):
    _put(dav, "a.txt", b"a\n")
    _put(dav, "b.txt", b"b\n")
    ms = multistatus(_sync(dav, None))
    assert ms.sync_token, "the sync-collection answer must end with a DAV:sync-token"
    return ms


@check("webdav/props/sync-collection-initial", clause="RFC 6578 §3.2, §3.4", level="MUST", requires=WEBDAV,
       optional=SYNC)
def test_sync_collection_initial(dav):
    ms = _initial_sync(dav)
    for member in ("a.txt", "b.txt"):
        found = ms.find(dav.url(member))
        assert found is not None, f"the initial sync must report every member; {member} is missing"
        assert found.prop("{DAV:}getetag") is not None, f"the initial sync gives no DAV:getetag for {member}"


@check("webdav/props/sync-collection-change", clause="RFC 6578 §3.5.1", level="MUST", requires=WEBDAV,
       optional=SYNC)
def test_sync_collection_change(dav):
    first = _initial_sync(dav)
    _put(dav, "a.txt", b"a, changed\n")
    ms = multistatus(_sync(dav, first.sync_token))
    changed = ms.find(dav.url("a.txt"))
    assert changed is not None and changed.propstats, \
        "a member changed since the token must be reported with its properties"
    assert ms.sync_token and ms.sync_token != first.sync_token, "a change must give a new DAV:sync-token"


@check("webdav/props/sync-collection-delete", clause="RFC 6578 §3.5.2", level="MUST", requires=WEBDAV,
       optional=SYNC)
def test_sync_collection_delete(dav):
    first = _initial_sync(dav)
    assert dav.delete("b.txt").status_code in (200, 204), "setup: DELETE b.txt failed"
    ms = multistatus(_sync(dav, first.sync_token))
    removed = ms.find(dav.url("b.txt"))
    assert removed is not None, "a member removed since the token must be reported"
    assert removed.status == 404, f"a removed member must be reported with status 404, got {removed.status}"


@check("webdav/props/sync-collection-invalid-token", clause="RFC 6578 §3.2", level="MUST", requires=WEBDAV,
       optional=SYNC)
def test_sync_collection_invalid_token(dav):
    response = _sync(dav, "http://example.invalid/overstap/no-such-sync-token")
    assert response.status_code in (403, 409), \
        f"an unknown sync token must be refused (403 or 409), got {response.status_code}"
    try:
        root = parse_xml(response.content)
    except XMLProblem as exc:
        raise AssertionError(f"the refusal must carry DAV:error/DAV:valid-sync-token; body is not XML: {exc}") \
            from None
    assert root.tag == "{DAV:}error" and root.find("{DAV:}valid-sync-token") is not None, \
        "the refusal of an unknown sync token must carry the DAV:valid-sync-token precondition"
