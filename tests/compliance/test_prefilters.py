"""The shortcuts taken for speed answer as the slower forms they stand for: the cheap
substring checks that spare ``creative_mismatch`` its slower patterns never skip a text the
pattern would match, and a pattern rewritten for the regex engine finds the same matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit import textnorm
from mmtkit.plugins.compliance import creative_rules as cm
from mmtkit.plugins.compliance import entities
from mmtkit.plugins.compliance.analysis import (
    AT_WORD,
    DOT_WORD,
    DOTTED_TLD,
    FILE_EXTENSION,
    MAIL_PROVIDER,
    SPELLED_DIGIT,
    Analysis,
    Matcher,
    default_matcher,
)
from mmtkit.plugins.compliance.entities import prefix_alternation

# Pieces of the patterns themselves, in random case, among ordinary words and names, so the
# patterns do match a good share of the generated texts.
_PIECES = [
    "brand", "Brand", "BRAND", "marca", "Marca", "merek", "merk", "jenama", "thương hiệu",
    "THƯƠNG HIỆU", "hãng", "Hãng", "nhãn hiệu", "ยี่ห้อ", "แบรนด์", "tatak", "is", "ay", "é", "là",
    "instead", "Instead", "now", "actually", "selling", "stocking", "carrying", "we", "stock",
    "carry", "sebagai", "ganti", "gantinya", "diganti", "dengan", "thay", "vào", "bằng", "en",
    "su", "lugar", "vez", "de", "em", "no", "sa", "halip", "Happy", "Paws", "ZenMove",
    "BrewMaster's", "KeyMaster\u2019s", "Mother's", "the", "from", "our", "kit", ".", ",", "!",
    "out", "of", "sold", "Sold", "OUT", "habis", "tiada", "takde", "tidak", "ada", "stok",
    "het", "hang", "hết", "hàng", "หมด", "esgotado", "agotada", "ubos", "na", "wala", "nang",
]

texts = st.lists(st.sampled_from(_PIECES), max_size=12).map(" ".join)


def _necessary(words: tuple[str, ...], pattern: re.Pattern[str], text: str,
               lower: bool) -> bool:
    """If the pattern matches, one of the words occurs (in the lower-cased text if asked)."""
    haystack = text.lower() if lower else text
    return pattern.search(text) is None or any(w in haystack for w in words)


@settings(max_examples=400)
@given(texts)
def test_brand_words_are_necessary_for_a_called_brand(text: str) -> None:
    assert _necessary(cm._BRAND_WORDS, cm._CALLED_BRAND, text, lower=True)


@settings(max_examples=400)
@given(texts)
def test_substitute_words_are_necessary_for_a_substitution(text: str) -> None:
    assert _necessary(cm._SUBSTITUTE_WORDS, cm._SUBSTITUTE, text.lower(), lower=False)


@settings(max_examples=400)
@given(texts)
def test_out_of_stock_words_are_necessary_for_out_of_stock(text: str) -> None:
    for form in (text, text.lower()):
        assert _necessary(cm._OUT_OF_STOCK_WORDS, cm._OUT_OF_STOCK, form, lower=False)
        assert cm._says_out_of_stock(form) == (cm._OUT_OF_STOCK.search(form) is not None)


@settings(max_examples=400)
@given(texts)
def test_an_apostrophe_s_is_necessary_for_a_possessive_name(text: str) -> None:
    assert _necessary(("'s", "\u2019s"), cm._POSSESSIVE_NAME, text, lower=False)


def test_the_generated_texts_do_reach_the_patterns() -> None:
    """The properties above are only worth something if the patterns can match."""
    assert cm._CALLED_BRAND.search("the Happy Paws brand")
    assert cm._SUBSTITUTE.search("we now stock now the zenmove one instead")
    assert cm._POSSESSIVE_NAME.search("BrewMaster's kit")
    assert cm._OUT_OF_STOCK.search("sorry, the zenmove mat is hết hàng")


# -- factored alternations and partial passes: the same matches as the plain forms -----------

_WORDS = st.lists(st.text("abcd", min_size=1, max_size=4), min_size=1, max_size=12, unique=True)


@settings(max_examples=300)
@given(_WORDS, st.text("abcd .", max_size=30))
def test_a_prefix_alternation_matches_what_the_plain_one_does(words: list[str],
                                                              text: str) -> None:
    """With a lookahead that no word letter passes after the words (as every user of
    ``prefix_alternation`` has), the factored and the plain alternation find the same."""
    plain = re.compile(f"(?:{'|'.join(map(re.escape, words))})(?![a-d])")
    factored = re.compile(f"(?:{prefix_alternation(words)})(?![a-d])")
    assert [m.span() for m in factored.finditer(text)] == [m.span() for m in plain.finditer(text)]


@settings(max_examples=1500)
@given(st.text("ab1034s7$!@|. -,x9rm", max_size=40))
def test_leetspeak_read_word_by_word_is_read_as_in_the_whole_text(text: str) -> None:
    whole = textnorm._LEET_WORD.sub(textnorm._unleet_word, text)
    assert textnorm._unleet(text) == whole


_MAYBE_SPACED = re.compile(r"[ .\-_*·][a-z0-9][ .\-_*·]{1,2}[a-z0-9][ .\-_*·]")


@settings(max_examples=500)
@given(st.text(" .-_*·ab1Z,é\tค😊", max_size=14))
def test_spaced_text_is_told_apart_without_the_regex_as_with_it(text: str) -> None:
    """The byte-class pre-check answers what the pattern it stands for does."""
    assert textnorm._maybe_spaced(text) == (_MAYBE_SPACED.search(text) is not None)


_PLAIN_SPACED = {
    "letters": re.compile(r"(?<![a-z0-9])(?:[a-z][ .\-_*·]{1,2}){3,}[a-z](?![a-z0-9])"),
    "digits": re.compile(r"(?<![a-z0-9])(?:[0-9][ .\-_*·]{1,2}){3,}[0-9](?![a-z0-9])"),
}
"""The spaced-out runs written plainly; ``textnorm`` adds a lookahead so the regex engine
enters the repeat only where one may start, and must find exactly the same."""


@settings(max_examples=1500)
@given(st.text("ab 09.-_*·xZ,", max_size=40))
def test_spaced_runs_are_found_as_the_plain_patterns_find_them(text: str) -> None:
    for kind, fast in (("letters", textnorm._SPACED_LETTERS),
                       ("digits", textnorm._SPACED_DIGITS)):
        plain = _PLAIN_SPACED[kind]
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert textnorm._SPACED_LETTERS.search("call w h a t s a p p")
    assert textnorm._SPACED_DIGITS.search("0 8 1 2-3 4")


def test_objects_made_by_filling_slots_equal_the_classes_own() -> None:
    """Spans, findings, violations, decisions and normalised texts made on the hot path
    without attrs' ``__init__`` are the objects the classes make (a field added to one of
    the classes without a fast path to match fails here)."""
    from mmtkit.plugins.compliance import analysis, check, rules
    from mmtkit.policy import Action, Decision, Span, Violation

    assert analysis._span(2, 5) == Span(2, 5)
    with pytest.raises(ValueError, match="must be >= 0"):
        analysis._span(-1, 5)
    rule = analysis.default_matcher().lexicon.rules[0]
    assert rules.new_finding(rule, ((0, 1),)) == rules.Finding(rule, ((0, 1),))
    spans = (Span(0, 1),)
    expected = Violation(rule_id=rule.rule_id, category=rule.category, severity=rule.severity,
                         explanation=rule.explanation, policy_ref=rule.policy, spans=spans,
                         plugin="p")
    for _ in range(2):  # made by the class first, then by filling the slots
        made = check._violation(rule, spans, "p")
        assert made == expected
        assert hash(made) == hash(expected)
    decision = Decision.from_violations([made, expected])
    assert decision == Decision(decision.action, (made, expected))
    assert Decision.from_violations([]) == Decision(Action.ALLOW, ())
    normalized = textnorm.normalize("\uff28\uff49  t h e r e")
    assert normalized == textnorm.Normalized(normalized.original, normalized.text,
                                             normalized.folded, normalized._steps)


_PLAIN_NUMBER = re.compile(
    r"[0-9]{1,3}(?:[.,][0-9]{3}){1,4}(?:[.,][0-9]{1,2})?|[0-9]{1,9}(?:[.,][0-9]{1,2})?")
"""How amounts are read, written plainly; ``entities._NUMBER`` takes the first digit out of
both branches so the regex engine can skip to digits, and must find exactly the same."""


@settings(max_examples=600)
@given(st.text(alphabet="0123456789.,$ rpk", max_size=40))
def test_the_number_pattern_reads_amounts_as_the_plain_alternation(text: str) -> None:
    assert ([m.span() for m in entities._NUMBER.finditer(text)]
            == [m.span() for m in _PLAIN_NUMBER.finditer(text)])


_LINK_PIECES = ["dot", "titik", "cham", "ponto", "punto", "com", "me", "la", "lam", "ly",
                "shop", "x1", ".", "[", "(", "http", "https://", "www", "/", "slash", "-", "@"]
link_texts = st.lists(st.sampled_from(_LINK_PIECES), max_size=10).flatmap(
    lambda pieces: st.lists(st.sampled_from([" ", "", "\n", "  "]), min_size=len(pieces),
                            max_size=len(pieces)).map(
        lambda gaps: "".join(p + g for p, g in zip(pieces, gaps, strict=True))))


@settings(max_examples=800)
@given(link_texts)
def test_the_link_pre_check_never_skips_a_text_the_link_pattern_matches(text: str) -> None:
    assert entities._link_may_end(text) or entities._URL.search(text) is None


def test_the_generated_link_texts_do_reach_the_pattern() -> None:
    assert entities._URL.search("whatsapp dot me slash 62812")
    assert entities._link_may_end("shop cham com")
    assert not entities._link_may_end("tra loi cham lam.")


# -- spelled phone numbers: the pass runs only where a spelled digit has a token beside it ----

_PHONE_PIECES = [
    "zero", "one", "two", "three", "oh", "nol", "satu", "delapan", "ba", "nam", "hai", "um",
    "double", "triple", "0812", "3456", "7890", "8", "12", "2024", "หนึ่ง", "สอง", "แปด",
    "call", "me", "at", "of", "them", "x", "on3", "0ne", "w h a", "o n e", "$", "@", "(", ")",
]
def _joined(pieces: list[str], gaps: list[str], max_size: int) -> st.SearchStrategy[str]:
    """Texts of up to ``max_size`` pieces, each followed by one of ``gaps``."""
    return st.lists(st.tuples(st.sampled_from(pieces), st.sampled_from(gaps)),
                    max_size=max_size).map(lambda parts: "".join(p + g for p, g in parts))


_phone_texts = _joined(_PHONE_PIECES,
                       [" ", "  ", "   ", "    ", ",", ", ", ".", "-", " - ", "", "\n"], 14)


@settings(max_examples=1500)
@given(_phone_texts)
def test_spelled_numbers_are_found_as_without_the_shortcut(text: str) -> None:
    analysis = default_matcher()._analyse(text)
    folded = analysis.normalized.folded
    spelled = analysis.hits.get(SPELLED_DIGIT)
    assert analysis.phones == entities.phone_numbers(folded, spelled=spelled is not None)
    if spelled is not None and analysis.normalized.text == folded and (
            not entities.may_spell_a_number(folded, spelled)):
        assert entities.spelled_phone_numbers(folded) == []


def test_the_spelled_number_shortcut_is_taken_and_passed() -> None:
    """The property above is only worth something if both answers occur."""
    def may(text: str) -> bool:
        analysis = default_matcher()._analyse(text)
        return entities.may_spell_a_number(analysis.normalized.folded,
                                           analysis.hits[SPELLED_DIGIT])

    assert not may("one of them is ready, the other two ship on monday")
    assert may("call zero eight one two 3456 7890")
    assert may("0812 three 4567 890")
    assert entities.spelled_phone_numbers("call zero eight one two 3456 7890")


# -- links and e-mail addresses tried only where they can begin: the matches of a search -----

_ADDRESS_PIECES = [*_LINK_PIECES, "]", ")", "{", "}", "at", "arroba", "[at]", "(at)", "[dot]",
                   "gmail", "yahoo", "a.b", "_", "9", "%", "+", ",", "www.", "shop-", "-x"]
address_texts = _joined(_ADDRESS_PIECES, [" ", "", "\n", "  ", "\u00a0", " , "], 14)


@settings(max_examples=800)
@given(address_texts)
def test_links_and_mailboxes_tried_where_they_can_begin_are_those_a_search_finds(
        text: str) -> None:
    assert (entities._anchored(entities._URL, text, entities._link_starts(text))
            == entities._found(entities._URL, text))
    starts = entities._mailbox_starts(text)
    for pattern in (entities._EMAIL, entities._SPACED_EMAIL, entities._PROVIDER_EMAIL):
        assert entities._anchored(pattern, text, starts) == entities._found(pattern, text)


# Written-out dots and "at"s and the mail providers' names are found with the lexicon terms:
# the analysis searches the links and addresses for them only where the automaton found one,
# in the unleeted text (leetspeak turns "d0t" into "dot" there, never the other way round).
_hinted_texts = _joined([*_ADDRESS_PIECES, "d0t", "p0nt0", "t1t1k", "DOT", "Chấm", "dots",
                         "dotcom", "anecdote", "champion", "x.com", "AT", "@t", "4t", "cat",
                         "arroba", "arr0ba", "gma1l", "hotmail", "outlook", "icloud", "ymail",
                         "protonmail", "yahoo", "name_1", ".apk", "app.apk", "setup.exe",
                         ".ps1", "run.ps1", "x.PS1", ".xapk", "a.exe1", ".mobileconfig", ".e",
                         "shop.com", "x.ME", ".c0m", "a.co", "b.co-op", "wa.me/62", "bit.ly",
                         "end.It", "1.99"],
                        [" ", "", "\n", "  ", " [", "] ", "(", ")"], 12)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """The default matcher, built before any generated example is timed."""
    return default_matcher()


@settings(max_examples=1000)
@given(text=_hinted_texts)
def test_links_and_addresses_read_with_the_hints_are_those_read_without(matcher: Matcher,
                                                                         text: str) -> None:
    analysis = matcher._analyse(text)
    folded = analysis.normalized.folded
    hits = analysis.hits
    # a hint never hides a word that is there
    if any(word in folded for word in entities.DOT_WORDS):
        assert DOT_WORD in hits
    if any(name in folded for name in entities.PROVIDERS):
        assert MAIL_PROVIDER in hits
    if any(f in folded for f in ("[at]", "(at)", " at ", " arroba ")):
        assert AT_WORD in hits
    if entities._EXTENSION.search(folded):
        assert FILE_EXTENSION in hits
    if entities._DOTTED_TLD.search(folded):
        assert DOTTED_TLD in hits
    assert analysis.urls == entities.urls(folded)
    assert analysis.emails == entities.emails(folded)
    assert analysis.files == entities.executable_files(folded)


def test_the_hints_are_taken_and_passed(matcher: Matcher, blind_messages: list[str]) -> None:
    hinted = dict.fromkeys((DOT_WORD, DOTTED_TLD, AT_WORD, MAIL_PROVIDER, FILE_EXTENSION), 0)
    for number, message in enumerate(blind_messages):
        analysis = matcher._analyse(message)
        for hint in hinted:
            hinted[hint] += hint in analysis.hits
        folded = analysis.normalized.folded
        same = (analysis.urls == entities.urls(folded)  # compared unseen: links are the text
                and analysis.emails == entities.emails(folded)
                and analysis.files == entities.executable_files(folded))
        assert same, f"blind message {number}"
    assert all(0 < count < len(blind_messages) // 2 for count in hinted.values()), hinted
    # Hits not made by a matcher say nothing of the hints: the entities are searched in full.
    text = "whatsapp dot me slash 62812 or care.shop [at] gmail [dot] com, get setup.exe"
    bare = Analysis(textnorm.normalize(text), {})
    assert bare.urls == matcher._analyse(text).urls != []
    assert bare.emails == matcher._analyse(text).emails != []
    assert bare.files == matcher._analyse(text).files != []


def test_the_generated_address_texts_do_reach_the_patterns() -> None:
    for pattern, text in [
        (entities._URL, "whatsapp dot me slash 62812"),
        (entities._URL, "see https://x1.shop/a and shop-x1 [dot] com"),
        (entities._EMAIL, "a.b [at] gmail [dot] com"),
        (entities._SPACED_EMAIL, "a.b @ gmail , com"),
        (entities._PROVIDER_EMAIL, "a.b at gmail"),
    ]:
        starts = (entities._link_starts(text) if pattern is entities._URL
                  else entities._mailbox_starts(text))
        assert entities._anchored(pattern, text, starts) == entities._found(pattern, text) != []


@settings(max_examples=1000)
@given(st.text("ab", min_size=3, max_size=4), st.text("ab .é1", max_size=30))
def test_a_free_item_is_found_where_its_pattern_finds_it(item: str, text: str) -> None:
    assert cm._word_starts(text, item) == [
        m.start() for m in re.finditer(rf"(?<![a-z]){item}", text)]


# -- a business introducing itself: tried only where a cue could end before a capital --------

_INTRO_PIECES = [*cm._INTRO_CUES, "THIS IS", "Welcome To", "FROM", "\u017fomos", "Kami",
                 "\u212aami", "dİ sini", "bÊn", "Horizon", "Tours", "ZenMove", "AB", "&", "x",
                 "ok", "😊", "จาก", "ร้าน", "hi", "é", "De"]
intro_texts = _joined(_INTRO_PIECES, [" ", "", "  ", "\n", "\u00a0", ", ", "! "], 10)


@settings(max_examples=800)
@given(intro_texts)
def test_introductions_tried_where_they_can_begin_are_those_a_search_finds(text: str) -> None:
    anchored = entities.matches_at(cm._INTRO, text, cm._intro_starts(text))
    assert ([(m.span(), m.group(1)) for m in anchored]
            == [(m.span(), m.group(1)) for m in cm._INTRO.finditer(text)])


def test_the_generated_introductions_do_reach_the_pattern() -> None:
    for text in ("thanks for reaching out to Horizon Tours", "Kami ZenMove", "จากZenMove",
                 "\u212aami  ZenMove", "\u017fomos\nAB"):
        assert cm._INTRO.search(text) is not None
        assert entities.matches_at(cm._INTRO, text, cm._intro_starts(text))


@settings(max_examples=600)
@given(st.from_regex(entities._NUMBER, fullmatch=True))
def test_an_amount_is_read_as_with_the_separators_taken_out_by_a_pattern(raw: str) -> None:
    cut = max(raw.rfind(","), raw.rfind("."))
    if cut < 0:
        plain = float(raw)
    elif len(raw) - cut - 1 == 3:
        plain = float(re.sub(r"[.,]", "", raw))
    else:
        plain = float(re.sub(r"[.,]", "", raw[:cut]) + "." + raw[cut + 1:])
    assert entities._amount(raw) == plain


# -- a link's host: the written-out dots replaced only where a link can hold one -------------

_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?")


def _plain_host_of(url: str) -> str:
    plain = re.sub(r" ?\. ?", ".", entities.WRITTEN_DOT.sub(".", url))
    return re.split(r"[/\s?#]", _SCHEME.sub("", plain), maxsplit=1)[0]


_HOST_PIECES = ["https://", "http://", "http:/", "https:", "www.", "www", "bit", ".", "ly",
                "/", "?", "#", "dot", "[", "]", "(", ")", "{", "}", "x1", "-", "tiktok"]


@settings(max_examples=800)
@given(_joined(_HOST_PIECES, ["", "", " ", "\u00a0", "\n"], 8))
def test_a_link_s_host_is_read_as_with_every_replacement(url: str) -> None:
    from mmtkit.plugins.compliance.link_rules import host_of

    assert host_of(url) == _plain_host_of(url)
