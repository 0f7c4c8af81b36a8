"""JUnit XML derived from report.json: one ``<testsuite>`` per target, classname ``suite.group``.

FAIL becomes ``<failure>``, ERROR and TIMEOUT ``<error>``, SKIP and PRECONDITION_FAILED ``<skipped>``;
WARN passes with its message in ``<system-out>`` (JUnit has no warning outcome).
"""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

# characters XML 1.0 cannot carry (C0 controls but tab, newline, carriage return; surrogates; U+FFFE/U+FFFF)
_NOT_XML = {c: f"\\x{c:02x}" for c in (*range(0, 9), 11, 12, *range(14, 32))}


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold written as an escape (``\\x1b``), since messages and
    evidence quote whatever a target sent."""
    text = text.translate(_NOT_XML)
    return "".join(ch if not (0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff") else f"\\u{ord(ch):04x}"
                   for ch in text)


def render_junit(report: dict) -> bytes:
    """The JUnit XML document (UTF-8 bytes) for ``report``."""
    by_target: dict[str, list[dict]] = defaultdict(list)
    for result in report["results"]:
        by_target[result["target"]].append(result)
    root = etree.Element("testsuites", name="overstap")
    for target in report["targets"]:
        results = by_target.get(target["id"], [])
        suite = etree.SubElement(root, "testsuite", name=target["id"], tests=str(len(results)),
                                 failures=str(sum(r["status"] == "FAIL" for r in results)),
                                 errors=str(sum(r["status"] in ("ERROR", "TIMEOUT") for r in results)),
                                 skipped=str(sum(r["status"] in ("SKIP", "PRECONDITION_FAILED") for r in results)),
                                 time=f"{sum(r['duration_s'] for r in results):.3f}",
                                 timestamp=report["run_info"]["started"])
        props = etree.SubElement(suite, "properties")
        for key in ("product", "version", "provider"):
            etree.SubElement(props, "property", name=key, value=xml_safe(str(target.get(key, ""))))
        if target.get("error"):
            etree.SubElement(props, "property", name="error", value=xml_safe(target["error"]))
        for r in results:
            check_suite, group, _name = r["check"].split("/", 2)
            case = etree.SubElement(suite, "testcase", classname=f"{check_suite}.{group}", name=r["check"],
                                    time=f"{r['duration_s']:.4f}")
            text = f"{r['level']} {r['clause']}: {r['message']}"
            if r.get("expected_status"):
                text += f" (expected {r['expected_status']}: {r.get('expectation_reason', '')})"
            text = xml_safe(text)
            if r["status"] == "FAIL":
                etree.SubElement(case, "failure", message=text[:1000], type="FAIL").text = text
            elif r["status"] in ("ERROR", "TIMEOUT"):
                etree.SubElement(case, "error", message=text[:1000], type=r["status"]).text = text
            elif r["status"] in ("SKIP", "PRECONDITION_FAILED"):
                etree.SubElement(case, "skipped", message=xml_safe(f"{r['status']}: {r['message']}"[:1000]))
            elif r["status"] == "WARN":
                etree.SubElement(case, "system-out").text = f"WARN {text}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
