"""Extractors of links, e-mail addresses, phone numbers, money and executable files."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.plugins.compliance import entities
from mmtkit.textnorm import normalize


def _folded(text: str) -> str:
    return normalize(text).folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see bit.ly/3xYz now.", ["bit.ly/3xyz"]),
        ("go to https://shop.example.com/a?b=1, thanks", ["https://shop.example.com/a?b=1"]),
        ("whatsapp dot me slash 6281234567890", ["whatsapp dot me slash 6281234567890"]),
        ("the price is 19.90 and e.g. this", []),
        ("mail me: a.b@gmail.com", []),  # an address, not a link
        ("track it at trk-parcel[.]top/x1", ["trk-parcel[.]top/x1"]),  # defanged, as scams do
        ("shop(.)example{.}com", ["shop(.)example{.}com"]),
        ("rm 10 (.) x", []),
        ("cek di bit . ly/resi-apk ya", ["bit . ly/resi-apk"]),  # spaced dots, with a path
        ("ok . me too", []),
        ("h t t p s : / / tinyurl . com / vip-apk", ["tinyurl . com / vip-apk"]),
        ("track it: rb.gy/spx-trk", ["rb.gy/spx-trk"]),
        ("get it here: b i t . l y / kayuh-gps", ["bit.ly/kayuh-gps"]),  # spelled out
        ("visit b i t . l y / kayuh-gps", ["bit.ly/kayuh-gps"]),  # after a longer word
        ("sizes s m l . x / l", []),  # "x" is no top-level domain
    ],
)
def test_urls(text: str, expected: list[str]) -> None:
    assert [u.value for u in entities.urls(_folded(text))] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to sales.team@shop.co.id today", ["sales.team@shop.co.id"]),
        ("orders[at]myshop[dot]net", ["orders[at]myshop[dot]net"]),
        ("meet me at the mall", []),
        ("email it to orders.bloomie @ gmail , com", ["orders.bloomie @ gmail , com"]),
        ("send it to care.lunaloft at gmail, thanks", ["care.lunaloft at gmail"]),
        ("write to me at gmail", []),  # a word, not a mailbox
    ],
)
def test_emails(text: str, expected: list[str]) -> None:
    assert [e.value for e in entities.emails(_folded(text))] == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("call 0812-3456-7890", True),
        ("call +60 12 345 6789", True),
        ("call 0 8 1 2 3 4 5 6 7 8 9", True),
        ("order #123456789 shipped", False),
        ("it costs 25.000", False),
        ("Your order ID is 5770-2219-0043.", False),  # named as a reference
        ("resi: 0012 3456 7890", False),
        ("Mã đơn hàng là 5770-2219-0043", False),
        ("O número do pedido é 5770 2219 0043", False),
        ("my number is 0812 3456 7890", True),
        ("fits the Honda Click 2019-2023 models", False),  # two years, not a number
        ("fits models 2018 - 2022", False),
        ("call 2018-2022-77", True),  # more than two years: still a number
    ],
)
def test_phone_numbers(text: str, found: bool) -> None:
    assert bool(entities.phone_numbers(_folded(text))) is found


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("$29.90 or RM10", [29.9, 10.0]),
        ("Rp 25.000 dan 250rb", [25000.0, 250000.0]),
        ("150.000đ nhé", [150000.0]),
        ("R$ 19,90", [19.9]),
        ("599 pesos", [599.0]),
        ("800 บาท", [800.0]),
        ("Bali 3D2N for two, farm 10", []),
        ("ลิปทินท์3แท่ง387บาทค่ะ", [387.0]),  # Thai glues numbers to words
        ("farm10 baht", []),
        ("$1,234.5 in total", [1234.5]),  # a decimal dot after a thousands comma
        ("US$ 1.234,56", [1234.56]),
    ],
)
def test_money(text: str, amounts: list[float]) -> None:
    assert [m.amount for m in entities.money(_folded(text))] == amounts


@given(st.from_regex(r"\A(?:\$|rp |r\$ ?)[0-9]{1,3}(?:[.,][0-9]{1,4}){0,4}(?:k| dong)?\Z"))
def test_any_written_amount_is_read_without_error(text: str) -> None:
    """Once "$1,234.5" raised ValueError, which blocked the message with a PluginError."""
    for amount in entities.money(text):
        assert amount.amount >= 0


def test_executable_files() -> None:
    found = entities.executable_files(_folded("open Invoice_1.pdf.exe or get app.apk, not a.pdf"))
    assert [f.value for f in found] == ["invoice_1.pdf.exe", "app.apk"]


@given(st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_extractors_never_fail_and_stay_in_bounds(text: str) -> None:
    folded = _folded(text)
    for found in (*entities.urls(folded), *entities.emails(folded), *entities.handles(folded),
                  *entities.phone_numbers(folded), *entities.executable_files(folded)):
        assert 0 <= found.start <= found.end <= len(folded)
    for amount in entities.money(folded):
        assert 0 <= amount.start <= amount.end <= len(folded)


def _possible_anywhere(candidate: str) -> bool:
    """What ``entities`` asked of ``phonenumbers`` before it stripped separators itself."""
    import phonenumbers

    if not 8 <= sum(ch.isdigit() for ch in candidate) <= 15:
        return False
    for region in entities._PHONE_REGIONS:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


_PREFIXES = st.sampled_from(["", "0", "08", "62", "+62", "+", "60", "01", "84", "66", "63",
                             "65", "55", "52", "34", "351", "1", "44", "00", "001", "0062"])
_GROUP = st.tuples(st.text("0123456789", min_size=1, max_size=4),
                   st.sampled_from(["", " ", "-", ".", " (", ") "]))


@settings(max_examples=400, deadline=None)
@given(_PREFIXES, st.lists(_GROUP, min_size=2, max_size=6), st.text("0123456789", min_size=1,
                                                                     max_size=3))
def test_phone_check_matches_phonenumbers_on_the_raw_candidate(
    prefix: str, groups: list[tuple[str, str]], tail: str
) -> None:
    candidate = prefix + "".join(digits + sep for digits, sep in groups) + tail
    assert entities._is_phone(candidate) == _possible_anywhere(candidate)


@settings(max_examples=400, deadline=None)
@given(_PREFIXES, st.text("0123456789", min_size=6, max_size=15),
       st.sampled_from(entities._PHONE_REGIONS))
def test_each_region_answers_as_phonenumbers_does(prefix: str, digits: str, region: str) -> None:
    """Region by region, not only for the regions together: the fast steps (no parse, no
    second normalisation) must agree with the public functions on every answer."""
    number = prefix + digits
    try:
        expected = phonenumbers.is_possible_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        expected = False
    assert entities._possible_in(number, region) == expected


def test_phone_check_without_phonenumbers_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A phonenumbers release that renames its private steps falls back to parse()."""
    candidates = ["0812 0000 1234", "+62 812 3456 7890", "000.000.000-00", "12345678", "+999 1234"]
    fast = [entities._is_phone(c) for c in candidates]
    monkeypatch.setattr(entities, "_pnu", None)
    assert [entities._is_phone(c) for c in candidates] == fast == [
        _possible_anywhere(c) for c in candidates
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me zero eight one two 3456 7890", "zero eight one two 3456 7890"),
        ("WA: nol delapan satu dua tiga empat lima enam tujuh",
         "nol delapan satu dua tiga empat lima enam tujuh"),
        ("zalo không chín một hai ba bốn năm sáu bảy tám",
         "khong chin mot hai ba bon nam sau bay tam"),
        ("โทร ศูนย์แปดหนึ่ง สองสามสี่ ห้าหกเจ็ดแปด", "ศูนย์แปดหนึ่ง สองสามสี่ ห้าหกเจ็ดแปด"),
        ("ligue nove oito sete seis cinco quatro tres dois um",
         "nove oito sete seis cinco quatro tres dois um"),
        ("tawag ka sa sero siyam isa pito 123 4567", "sero siyam isa pito 123 4567"),
        ("text me on oh-seven-seven double-oh nine-hundred three-two-one",
         "oh-seven-seven double-oh nine-hundred three-two-one"),
        # spaced digits are joined first
        ("zalo: 0 chín 0 3 1 2 3 4 5 6", "0 chin 03123456"),
    ],
)
def test_spelled_phone_numbers(text: str, expected: str) -> None:
    assert [p.value for p in entities.spelled_phone_numbers(_folded(text))] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "we ship in one or two days, satu dua tiga",
        "hai ba bốn ngày nữa hàng sẽ tới",  # "two, three, four days": too few digits
        "size six or seven, 2 pairs",
    ],
)
def test_spelled_digits_that_are_not_a_phone_number(text: str) -> None:
    assert entities.spelled_phone_numbers(_folded(text)) == []


def test_a_spelled_run_replaces_the_digits_inside_it() -> None:
    from mmtkit.plugins.compliance.analysis import default_matcher

    phones = default_matcher()._analyse("call zero eight 1234 5678 90").phones
    assert [p.value for p in phones] == ["zero eight 1234 5678 90"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["call", "me", "0812", "3456", "7890", "-", ".", " ", "+62",
                                 "order", "at", "12"]), max_size=12))
def test_texts_without_spelled_digits_keep_their_phone_numbers(words: list[str]) -> None:
    from mmtkit.plugins.compliance.analysis import default_matcher

    text = " ".join(words)
    analysis = default_matcher()._analyse(text)
    assert analysis.phones == entities.phone_numbers(analysis.normalized.folded)


_PATTERNS = [r"a+", r"ab|b", r"\.(?:com|co)(?![a-z])", r"(?<=a)b", r"a*", r"\b", r"(?=b)",
             r"b?", r"^a|a$", r"(?m)^a", r"a|(?=c)", r"[0-9][0-9 .\-]{2,5}[0-9]"]


@given(st.sampled_from(_PATTERNS), st.text("abc.0 1-om\n", max_size=40))
def test_matches_are_those_finditer_gives(pattern: str, text: str) -> None:
    """Empty matches included: after the first, the rest is finditer's own."""
    compiled = re.compile(pattern)
    expected = [(m.span(), m.group()) for m in compiled.finditer(text)]
    assert [(m.span(), m.group()) for m in entities.matches(compiled, text)] == expected
