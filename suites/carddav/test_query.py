"""addressbook-query (RFC 6352 §8.6): text-match equals / contains / starts-with / ends-with (§10.5.4),
the default and i;unicode-casemap collations (§8.3, RFC 5051), negate-condition (§10.5.4), filter and
prop-filter anyof/allof (§10.5, §10.5.1), is-not-defined (§10.5.3), param-filter (§10.5.2), an
unsupported collation (§8.3 supported-collation precondition), limit/nresults and truncation
(§8.6.1, §8.6.2), and partial address-data (§10.4.2).

Each check loads the same four cards (fixtures/carddav/query-*.vcf) into its own address book:
anna (FN "Anna Åström", NICKNAME ann, EMAIL @example.org, TEL WORK), bram (FN "Bram de Vries", EMAIL
@example.net, TEL HOME), chloe (FN "Chloé Dubois", no EMAIL), dirk (FN "Dirk Anker", EMAIL @example.org).
"""

from __future__ import annotations

import pytest

from conformance.vcard import parse_vcards
from harness.checks import check
from suites.carddav.helpers import (
    CARDDAV,
    CR,
    address_data_bytes,
    address_data_prop,
    error_conditions,
    fixture,
    multistatus,
    prop_filter,
    put_ok,
    query_body,
    report,
    results_by_name,
    text_match,
)

CARDS = ("anna", "bram", "chloe", "dirk")


@pytest.fixture
def people(book):
    for name in CARDS:
        put_ok(book, f"{name}.vcf", fixture(f"query-{name}.vcf"))
    return book


def _matches(book, body: str, what: str) -> set[str]:
    ms = multistatus(report(book, body), f"addressbook-query {what}")
    found = results_by_name(ms)
    return {name.removesuffix(".vcf") for name, item in found.items() if item.status in (None, 200)}


def _expect(book, filter_xml: str, want: set[str], what: str, test: str | None = None) -> None:
    got = _matches(book, query_body(filter_xml, test=test), what)
    assert got == want, f"addressbook-query {what} must match {sorted(want)}; it matched {sorted(got)}"


@check("carddav/query/text-match-equals", clause="RFC 6352 §8.6, §10.5.4", level="MUST", requires=CARDDAV)
def test_text_match_equals(people):
    _expect(people, prop_filter("FN", text_match("bram de vries", "equals")), {"bram"},
            "FN equals 'bram de vries' (default collation i;unicode-casemap: caseless)")


@check("carddav/query/text-match-contains", clause="RFC 6352 §8.6, §10.5.4", level="MUST", requires=CARDDAV)
def test_text_match_contains(people):
    _expect(people, prop_filter("FN", text_match("ANK", "contains")), {"dirk"}, "FN contains 'ANK'")


@check("carddav/query/text-match-starts-with", clause="RFC 6352 §8.6, §10.5.4", level="MUST", requires=CARDDAV)
def test_text_match_starts_with(people):
    _expect(people, prop_filter("FN", text_match("an", "starts-with")), {"anna"},
            "FN starts-with 'an' (Dirk Anker has 'an' inside, not at the start)")


@check("carddav/query/text-match-ends-with", clause="RFC 6352 §8.6, §10.5.4", level="MUST", requires=CARDDAV)
def test_text_match_ends_with(people):
    _expect(people, prop_filter("EMAIL", text_match("@EXAMPLE.ORG", "ends-with")), {"anna", "dirk"},
            "EMAIL ends-with '@EXAMPLE.ORG'")


@check("carddav/query/text-match-default-contains", clause="RFC 6352 §10.5.4", level="MUST", requires=CARDDAV)
def test_text_match_default_contains(people):
    _expect(people, prop_filter("FN", text_match("de vr")), {"bram"},
            "FN text-match 'de vr' without match-type (default: contains)")


@check("carddav/query/collation-unicode-casemap", clause="RFC 6352 §8.3; RFC 5051", level="MUST",
       requires=CARDDAV)
def test_collation_unicode_casemap(people):
    _expect(people, prop_filter("FN", text_match("CHLOÉ DUBOIS", "equals", collation="i;unicode-casemap")),
            {"chloe"}, "FN equals 'CHLOÉ DUBOIS' with i;unicode-casemap (É and é are the same)")


@check("carddav/query/collation-ascii-casemap", clause="RFC 6352 §8.3; RFC 4790 §9.2", level="MUST",
       requires=CARDDAV)
def test_collation_ascii_casemap(people):
    _expect(people, prop_filter("NICKNAME", text_match("ANN", "equals", collation="i;ascii-casemap")), {"anna"},
            "NICKNAME equals 'ANN' with i;ascii-casemap")


@check("carddav/query/negate-condition", clause="RFC 6352 §10.5.4, §10.5.1", level="MUST", requires=CARDDAV)
def test_negate_condition(people):
    # chloe has no EMAIL at all: a prop-filter with a text-match only matches cards that have the property
    _expect(people, prop_filter("EMAIL", text_match("example.org", "contains", negate=True)), {"bram"},
            "EMAIL not contains 'example.org' (negate-condition=yes)")


@check("carddav/query/filter-anyof", clause="RFC 6352 §10.5", level="MUST", requires=CARDDAV)
def test_filter_anyof(people):
    _expect(people, prop_filter("FN", text_match("bram", "contains")) +
            prop_filter("NICKNAME", text_match("ann", "equals")), {"anna", "bram"},
            "filter anyof (FN contains 'bram' OR NICKNAME equals 'ann')", test="anyof")


@check("carddav/query/filter-allof", clause="RFC 6352 §10.5", level="MUST", requires=CARDDAV)
def test_filter_allof(people):
    _expect(people, prop_filter("EMAIL", text_match("example.org", "ends-with")) +
            prop_filter("FN", text_match("dirk", "starts-with")), {"dirk"},
            "filter allof (EMAIL ends-with 'example.org' AND FN starts-with 'dirk')", test="allof")


@check("carddav/query/prop-filter-allof", clause="RFC 6352 §10.5.1", level="MUST", requires=CARDDAV)
def test_prop_filter_allof(people):
    _expect(people, prop_filter("FN", text_match("a", "contains") + text_match("vries", "contains"), test="allof"),
            {"bram"}, "prop-filter FN allof (contains 'a' AND contains 'vries')")


@check("carddav/query/prop-filter-anyof", clause="RFC 6352 §10.5.1", level="MUST", requires=CARDDAV)
def test_prop_filter_anyof(people):
    _expect(people, prop_filter("FN", text_match("åström", "contains") + text_match("anker", "contains"),
                                test="anyof"),
            {"anna", "dirk"}, "prop-filter FN anyof (contains 'åström' OR contains 'anker')")


@check("carddav/query/is-not-defined", clause="RFC 6352 §10.5.3", level="MUST", requires=CARDDAV)
def test_is_not_defined(people):
    _expect(people, prop_filter("EMAIL", "<C:is-not-defined/>"), {"chloe"}, "EMAIL is-not-defined")


@check("carddav/query/param-filter", clause="RFC 6352 §10.5.2", level="MUST", requires=CARDDAV)
def test_param_filter(people):
    _expect(people, prop_filter("TEL", '<C:param-filter name="TYPE">' + text_match("work", "equals") +
                                "</C:param-filter>"),
            {"anna"}, "TEL with param-filter TYPE equals 'work'")


@check("carddav/query/unsupported-collation", clause="RFC 6352 §8.3, §8.6", level="MUST", requires=CARDDAV)
def test_unsupported_collation(people):
    body = query_body(prop_filter("FN", text_match("anna", "contains", collation="i;x-overstap-none")))
    response = report(people, body)
    assert response.status_code >= 400, (
        f"a text-match with a collation the server does not support must fail with the "
        f"CARDDAV:supported-collation precondition; the REPORT answered {response.status_code}")
    assert f"{{{CR}}}supported-collation" in error_conditions(response.content), (
        f"the {response.status_code} must carry DAV:error with CARDDAV:supported-collation; got "
        f"{sorted(error_conditions(response.content)) or 'no DAV:error'}")


@check("carddav/query/limit", clause="RFC 6352 §8.6.1, §8.6.2", level="MUST", requires=CARDDAV)
def test_limit(people):
    body = query_body(prop_filter("FN"), limit=1)
    ms = multistatus(report(people, body), "addressbook-query with nresults=1")
    members = [item for item in ms if item.status in (None, 200) and item.href.rstrip("/").endswith(".vcf")]
    truncated = [item for item in ms if item.status == 507]
    if len(members) >= len(CARDS):
        return  # the server disregarded the limit, which it MAY (§10.6.1)
    assert len(members) <= 1, f"nresults=1 but {len(members)} results came back"
    assert truncated, (f"the results were truncated to {len(members)} of {len(CARDS)} but no 507 response for "
                       "the Request-URI says so (§8.6.2 MUST)")


@check("carddav/query/address-data-partial", clause="RFC 6352 §8.4, §10.4, §10.4.2", level="SHOULD",
       requires=CARDDAV)
def test_address_data_partial(people):
    body = query_body(prop_filter("FN", text_match("anna", "contains")),
                      address_data=address_data_prop(props=["VERSION", "UID", "FN", "EMAIL"]))
    ms = multistatus(report(people, body), "addressbook-query with partial address-data")
    found = results_by_name(ms)
    assert "anna.vcf" in found, f"the query found {sorted(found)}, not anna.vcf"
    data = address_data_bytes(found["anna.vcf"])
    assert data, "no CARDDAV:address-data came back"
    names = {p.name for c in parse_vcards(data).cards for p in c.props}
    extra = names - {"VERSION", "UID", "FN", "EMAIL"}
    assert "EMAIL" in names and not extra, (
        f"address-data naming VERSION, UID, FN, EMAIL should return only those; got extra {sorted(extra)}")
