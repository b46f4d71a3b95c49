"""Normalisation: what it folds, that spans map back to the original, and its properties on
arbitrary Unicode (hypothesis)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mmtkit.textnorm import normalize, normalize_term

FULL_WIDTH = "".join(chr(0xFF21 + ord(c) - ord("A")) for c in "WHATSAPP")  # full-width letters


def _original_of(text: str, pattern: str) -> str:
    n = normalize(text)
    match = re.search(pattern, n.text)
    assert match is not None, n.text
    start, end = n.to_original(match.start(), match.end())
    return text[start:end]


@pytest.mark.parametrize(
    ("text", "folded_word", "typed"),
    [
        ("chat on w h a t s a p p now", "whatsapp", "w h a t s a p p"),
        ("chat on W.H.A.T.S.A.P.P now", "whatsapp", "W.H.A.T.S.A.P.P"),
        ("call 0 8 1 2 3 4", "081234", "0 8 1 2 3 4"),
        ("send your p4ssw0rd", "password", "p4ssw0rd"),
        ("wh\u200bats\u200dapp me", "whatsapp", "wh\u200bats\u200dapp"),
        (FULL_WIDTH, "whatsapp", FULL_WIDTH),
        ("w\u0456th \u0430 look-alike", "with", "w\u0456th"),  # Cyrillic i
        ("mật khẩu của chị", "mat khau", "mật khẩu"),
        ("mâ\u0323t khâ\u0309u", "mat khau", "mâ\u0323t khâ\u0309u"),  # decomposed accents
        ("contraseña", "contrasena", "contraseña"),
        ("ĐƠN HÀNG", "don hang", "ĐƠN HÀNG"),
        ("the ﬁnal price", "final", "ﬁnal"),
        ("what an 1d10t", "idiot", "1d10t"),  # a run of digits inside a word
        ("claim T i k T o k  Rewards now", "tiktok rewards", "T i k T o k  Rewards"),
        ("pay  by\ttransfer", "pay by transfer", "pay  by\ttransfer"),
        ("ca$h only", "cash", "ca$h"),
        ("leave a rev!ew", "review", "rev!ew"),
        ("ping me on te|egram", "telegram", "te|egram"),
        ("chat on wh@tsapp", "whatsapp", "wh@tsapp"),
        ("send the 0tp code", "otp", "0tp"),  # a leading digit that is not a quantity
        ("we don\u2019t share it", "don't", "don\u2019t"),  # curly quotes read as plain ones
    ],
)
def test_folds_evasions_and_maps_back_to_what_was_typed(
    text: str, folded_word: str, typed: str
) -> None:
    assert _original_of(text, re.escape(folded_word)) == typed


@pytest.mark.parametrize(
    "text",
    ["RM10 voucher", "code TT200", "the 1st and 2nd items", "iPhone 15 pro", "2025-06-01",
     "a b c", "I am a fan", "10k followers", "covid19 test", "US$10 off", "mail a@b.com",
     "5kg of rice", "size 3xl", "back in 7days", "a 5star review", "only rm4.50 today",
     "rp5 ribu", "php3,500"],
)
def test_leaves_numbers_codes_and_ordinary_words_alone(text: str) -> None:
    assert normalize(text).text == text.lower()


def test_thai_is_kept_and_matched_without_spaces() -> None:
    text = "แอดไลน์ร้านได้เลยค่ะ"
    assert normalize_term("ไลน์") in normalize(text).text


def test_folded_keeps_digits_for_entity_extraction() -> None:
    n = normalize("call w h a t s a p p 0 8 1 2 0000 or p4ss")
    assert "0812 0000" in n.folded
    assert "p4ss" in n.folded
    assert len(n.folded) == len(n.text)


# --- properties ----------------------------------------------------------------------------

_evasive = st.text(
    alphabet=st.sampled_from(list("abcxyz0134 .-_*$\tÀéđĐßİ\u0301\u0323\u200b\u200d\ufeff"
                                  "\uff57\uff48\uff41\u0430\u0435\u043eﬁ①ำไทย™")),
    max_size=60,
)
_any_text = st.text(max_size=80)


@given(st.one_of(_any_text, _evasive))
@settings(max_examples=200, deadline=None)
@example("a a a a a")
@example("\u0301\u0301a")
@example("ß ß ß ß")
def test_every_range_maps_inside_the_original(text: str) -> None:
    n = normalize(text)
    size = len(n.text)
    for start in range(size + 1):
        for end in (start, min(size, start + 1), size):
            if end < start:
                continue
            o_start, o_end = n.to_original(start, end)
            assert 0 <= o_start <= o_end <= len(text)


@given(st.one_of(_any_text, _evasive))
@settings(max_examples=200, deadline=None)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@given(st.one_of(_any_text, _evasive))
@settings(max_examples=200, deadline=None)
def test_a_mapped_character_comes_from_its_original(text: str) -> None:
    """Every normalised letter or digit maps back to a non-empty original range."""
    n = normalize(text)
    for i, char in enumerate(n.text):
        if char.isalnum():
            start, end = n.to_original(i, i + 1)
            assert end > start


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        normalize("abc").to_original(2, 9)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "a " * 125_000,
        "0 " * 125_000,
        ("wh\u200b" + "\u0430" * 3 + "ﬁ") * 25_000,
        "p4ss" * 62_500,
        "ำ" * 100_000,
    ],
    ids=["one-char-run", "spaced-letters", "spaced-digits", "nested-lookalikes", "leet",
         "thai-expanding"],
)
def test_large_inputs_are_linear_not_catastrophic(text: str) -> None:
    started = time.perf_counter()
    n = normalize(text)
    n.to_original(len(n.text) // 2, len(n.text))
    assert time.perf_counter() - started < 2.0  # generous for CI; bench/compliance.py measures


@given(st.text(alphabet=st.sampled_from(list("ab$!@|.,01 kgrm")), max_size=12))
@settings(max_examples=500, deadline=None)
@example("a$0aa")
@example("a$b1")
@example("0ab.0ab")  # a decimal's whole part that is a leet word in the next pass
@example("bb0.0@ab")
@example("rm4.50")
def test_symbols_and_digits_read_as_letters_settle_in_one_pass(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once
