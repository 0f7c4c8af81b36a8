"""Contact content that must survive storage: groups in the vCard 4.0 form (RFC 6350 §6.1.4 KIND:group,
§6.6.5 MEMBER) and Apple's 3.0 form (X-ADDRESSBOOKSERVER-KIND/-MEMBER, kept as X- properties per RFC
6352 §6.3.2.2); PHOTO as a 4.0 data: URI (RFC 6350 §6.2.4) and 3.0 ENCODING=b (RFC 2426 §3.1.4), decoded
and compared byte for byte; several ADR/TEL with TYPE parameters; BDAY/ANNIVERSARY without a year
(RFC 6350 §4.3.1). Read back with GET (RFC 6352 §6.3.2) and judged by conformance.compare.

vCard 4.0 content is SHOULD (a CardDAV server SHOULD support vCard 4.0, RFC 6352 §3); vCard 3.0 content
is MUST (§3 MUST support vCard 3, §6.3.2.2 MUST support X- properties)."""

from __future__ import annotations

from conformance.vcard import decode_media, parse_vcards
from harness.checks import check
from suites.carddav.helpers import CARDDAV, fixture, get_vcard, put_ok, same_vcard


def _roundtrip(book, name: str, what: str) -> tuple[bytes, bytes]:
    data = fixture(name)
    put_ok(book, name, data, what)
    return data, get_vcard(book, name, what)


def _photo_bytes(data: bytes) -> tuple[bytes | None, str]:
    cards = parse_vcards(data).cards
    if not cards or not cards[0].get("PHOTO"):
        return None, "no PHOTO property"
    prop = cards[0].get("PHOTO")[0]
    _media, raw, problem = decode_media(prop, cards[0].version)
    return raw, problem or ""


def _assert_photo(book, name: str, what: str) -> None:
    data, back = _roundtrip(book, name, what)
    want, _ = _photo_bytes(data)
    got, problem = _photo_bytes(back)
    assert got is not None, f"{what}: the PHOTO read back does not decode ({problem})"
    if got != want:
        prefix = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        raise AssertionError(f"{what}: the PHOTO bytes changed: {len(want)} bytes sent, {len(got)} bytes back, "
                             f"first difference at byte {prefix}")
    same_vcard(data, back, what)


@check("carddav/content/group-kind-member-40", clause="RFC 6350 §6.1.4, §6.6.5; RFC 6352 §3", level="SHOULD",
       requires=CARDDAV)
def test_group_kind_member_40(book):
    data, back = _roundtrip(book, "group-4.0.vcf", "vCard 4.0 group")
    card = parse_vcards(back).cards[0]
    members = sorted(p.value.strip() for p in card.get("MEMBER") + card.get("X-ADDRESSBOOKSERVER-MEMBER"))
    assert len(members) == 3, f"the group's 3 MEMBER properties came back as {members}"
    same_vcard(data, back, "vCard 4.0 group (KIND:group, MEMBER)")


@check("carddav/content/group-apple-30", clause="RFC 6352 §6.3.2.2; RFC 2426", level="MUST", requires=CARDDAV)
def test_group_apple_30(book):
    data, back = _roundtrip(book, "group-3.0-apple.vcf", "vCard 3.0 Apple group")
    card = parse_vcards(back).cards[0]
    names = [p.name for p in card.props]
    assert "X-ADDRESSBOOKSERVER-KIND" in names or "KIND" in names, f"the group kind was dropped: {names}"
    same_vcard(data, back, "vCard 3.0 group (X-ADDRESSBOOKSERVER-KIND / -MEMBER)")


@check("carddav/content/photo-data-uri-40", clause="RFC 6350 §6.2.4; RFC 2397; RFC 6352 §3", level="SHOULD",
       requires=CARDDAV)
def test_photo_data_uri_40(book):
    _assert_photo(book, "photo-4.0.vcf", "vCard 4.0 PHOTO data: URI (30 KiB)")


@check("carddav/content/photo-binary-30", clause="RFC 2426 §3.1.4; RFC 6352 §3", level="MUST", requires=CARDDAV)
def test_photo_binary_30(book):
    _assert_photo(book, "photo-3.0.vcf", "vCard 3.0 PHOTO;ENCODING=b (30 KiB)")


@check("carddav/content/adr-tel-types-30", clause="RFC 2426 §3.2.1, §3.3.1; RFC 6352 §3", level="MUST",
       requires=CARDDAV)
def test_adr_tel_types_30(book):
    data, back = _roundtrip(book, "contact-3.0.vcf", "vCard 3.0 with several ADR/TEL/EMAIL")
    card = parse_vcards(back).cards[0]
    counts = {name: len(card.get(name)) for name in ("ADR", "TEL", "EMAIL")}
    assert counts == {"ADR": 2, "TEL": 4, "EMAIL": 2}, f"ADR/TEL/EMAIL counts changed: {counts}"
    same_vcard(data, back, "vCard 3.0 ADR/TEL/EMAIL with TYPE parameters", only={"ADR", "TEL", "EMAIL"})


@check("carddav/content/adr-tel-types-40", clause="RFC 6350 §6.3.1, §6.4.1, §5.6; RFC 6352 §3", level="SHOULD",
       requires=CARDDAV)
def test_adr_tel_types_40(book):
    data, back = _roundtrip(book, "contact-4.0.vcf", "vCard 4.0 with several ADR/TEL/EMAIL")
    same_vcard(data, back, "vCard 4.0 ADR/TEL/EMAIL with TYPE and PREF parameters", only={"ADR", "TEL", "EMAIL"})


@check("carddav/content/date-without-year-40", clause="RFC 6350 §4.3.1, §6.2.5, §6.2.6; RFC 6352 §3",
       level="SHOULD", requires=CARDDAV)
def test_date_without_year_40(book):
    _data, back = _roundtrip(book, "contact-4.0.vcf", "vCard 4.0 with year-less dates")
    card = parse_vcards(back).cards[0]
    bday = [p.value.strip() for p in card.get("BDAY")]
    anniversary = [p.value.strip() for p in card.get("ANNIVERSARY")]
    assert bday == ["--0412"], f"BDAY:--0412 (a birthday without a year) came back as {bday}"
    assert anniversary == ["--1005"], f"ANNIVERSARY:--1005 came back as {anniversary}"


@check("carddav/content/x-properties-40", clause="RFC 6352 §6.3.2.2; RFC 6350 §6.10", level="MUST",
       requires=CARDDAV)
def test_x_properties_40(book):
    data = fixture("contact-4.0.vcf")
    response = book.put("x4.vcf", data, "text/vcard; charset=utf-8")
    if response.status_code >= 400:
        return  # vCard 4.0 itself refused: judged by carddav/put/vcard4-roundtrip
    card = parse_vcards(get_vcard(book, "x4.vcf")).cards[0]
    tokens = card.get("X-OVERSTAP-TOKEN")
    assert tokens and tokens[0].value == "keep me too", f"the X- property came back as {tokens!r}"
    assert tokens[0].params.get("X-OVERSTAP-PARAM") == ["gamma"], (
        f"the X- parameter came back as {tokens[0].params}")
