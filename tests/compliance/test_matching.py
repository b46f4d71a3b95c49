"""The lexicon search in C finds exactly what pyahocorasick finds, in the same order.

pyahocorasick is the reference and the fallback of a build without a C compiler; the C
automaton (``_matching.c``) reads untrusted text, and these tests are its differential
fuzzing: random keys and texts over a small alphabet (so that keys overlap, nest and share
suffixes, the cases failure and output links are for), random Unicode of every width, the
lexicon itself over every blind-set message, and keys that are not what a lexicon holds.
``hits()``, which also keeps only the terms that stand as whole words where they must, is
held to a reference written from its description and to ``Matcher._hits_in_python``.
``tests/core/test_native.py`` makes sure the automaton is built at all.
"""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Callable

import ahocorasick  # type: ignore[import-not-found]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.plugins.compliance import analysis, entities
from mmtkit.plugins.compliance._matching import Automaton, digit_groups, unit_ends
from mmtkit.plugins.compliance.analysis import (
    _HITS_KEPT,
    _SHORT_ACCENTED,
    _Accents,
    default_matcher,
    search_entries,
)
from mmtkit.textnorm import normalize


def _reference(keys: list[str], text: str) -> list[tuple[int, object]]:
    automaton = ahocorasick.Automaton()
    for index, key in enumerate(keys):
        automaton.add_word(key, index)
    automaton.make_automaton()
    return list(automaton.iter(text))


_SMALL = st.text(alphabet="abc \u00e9\u0e04\U0001d431", min_size=1, max_size=5)


@settings(max_examples=800)
@given(st.lists(_SMALL, min_size=1, max_size=30, unique=True),
       st.text(alphabet="abc \u00e9\u0e04\U0001d431.", max_size=60))
def test_overlapping_and_nested_keys_are_found_as_pyahocorasick_finds_them(
        keys: list[str], text: str) -> None:
    assert Automaton(keys, range(len(keys))).find(text) == _reference(keys, text)


@settings(max_examples=300)
@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=40, unique=True),
       st.text(max_size=120))
def test_any_unicode_is_searched_as_pyahocorasick_searches_it(keys: list[str],
                                                              text: str) -> None:
    text = "".join(keys[:3]) + text + "".join(keys[-2:])  # some keys occur for sure
    assert Automaton(keys, range(len(keys))).find(text) == _reference(keys, text)


def test_the_lexicon_finds_the_same_over_every_corpus_message(folded_messages: list[str]
                                                            ) -> None:
    matcher = default_matcher()
    automaton = getattr(matcher._search, "__self__", None)
    assert isinstance(automaton, Automaton)  # a built mmtkit searches in C
    assert automaton.nodes > 300_000
    keys, values = search_entries(matcher.lexicon, spelled_digits=True)
    reference = ahocorasick.Automaton()
    for key, value in zip(keys, values, strict=True):
        reference.add_word(key, value)
    reference.make_automaton()
    found = 0
    for text in folded_messages:
        matches = automaton.find(text)
        assert matches == list(reference.iter(text)), text
        found += len(matches)
    assert found > 5 * len(folded_messages)  # terms are found, not merely absent alike


def test_a_megabyte_of_text_and_of_one_character() -> None:
    keys = ["aa", "aaa", "ab", "b"]
    for text in ("a" * 1_000_000, "ab" * 500_000):
        assert Automaton(keys, range(len(keys))).find(text) == _reference(keys, text)


@pytest.mark.parametrize(("keys", "values", "error", "message"), [
    (["a", "b"], [1], ValueError, "2 keys but 1 values"),
    (["a", ""], [1, 2], ValueError, "key 1 is empty"),
    (["a", "a"], [1, 2], ValueError, r"key 1 \('a'\) is given twice"),
    ([b"a"], [1], TypeError, "key 0 is not a str"),
])
def test_bad_keys_are_refused_with_the_reason(keys: list[object], values: list[object],
                                              error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Automaton(keys, values)  # type: ignore[arg-type]


def test_a_text_that_is_not_a_str_is_refused() -> None:
    with pytest.raises(TypeError, match="needs a str, not bytes"):
        Automaton(["a"], [1]).find(b"a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not initialised"):
        Automaton.__new__(Automaton).find("a")


def test_no_keys_find_nothing() -> None:
    assert Automaton([], []).find("anything") == []


def test_a_finaliser_cannot_rebuild_the_automaton_during_a_search() -> None:
    """The matches a search makes are objects; making one may run the garbage collector, and
    a finaliser may run any code, this automaton's ``__init__`` included."""
    automaton = Automaton(["a"], [1])
    refused: list[str] = []

    class Rebuilder:
        def __del__(self) -> None:
            try:
                automaton.__init__(["b"], [2])  # type: ignore[misc]
            except RuntimeError as exc:
                refused.append(str(exc))

    find, text = automaton.find, "a" * 1000  # nothing to allocate between the garbage and find
    threshold = gc.get_threshold()
    gc.collect()
    gc.disable()  # the garbage stays in the youngest generation until the search
    try:
        rebuilder = Rebuilder()
        rebuilder.cycle = rebuilder  # type: ignore[attr-defined]
        del rebuilder  # garbage only a collection can free, with a finaliser
        gc.set_threshold(1)  # a collection at the search's first allocations
        gc.enable()
        found = find(text)
    finally:
        gc.enable()
        gc.set_threshold(*threshold)
    assert found == [(i, 1) for i in range(1000)]
    assert refused == ["the automaton cannot be rebuilt during a search"]


# -- hits(): the lexicon's terms that stand where they must, by concept -----------------------

_Payload = tuple[str, bool, bool, int, str | None]


def _reference_hits(keys: list[str], values: list[tuple[_Payload, ...]], text: str,
                    accept: Callable[[int, int, str], bool] | None, short: int, limit: int
                    ) -> dict[str, list[tuple[int, int]]]:
    """What ``hits`` must give, written out from its description over pyahocorasick's
    matches (independently of ``Matcher._hits_in_python``, which is compared below)."""
    def word(at: int) -> bool:
        return 0 <= at < len(text) and text[at] in "abcdefghijklmnopqrstuvwxyz0123456789"

    hits: dict[str, list[tuple[int, int]]] = {}
    for index, value_index in _reference(keys, text):
        assert isinstance(value_index, int)
        for concept, left, right, length, accented in values[value_index]:
            start, end = index + 1 - length, index + 1
            if (right and word(end)) or (left and word(start - 1)):
                continue
            if accented is not None and not (
                    accept(start, end, accented) if accept is not None else length > short):
                continue
            found = hits.setdefault(concept, [])
            if len(found) < limit:
                found.append((start, end))
    return hits


_CONCEPTS = st.sampled_from(["c1", "c2", "c3"])


@st.composite
def _terms(draw: st.DrawFn) -> tuple[list[str], list[tuple[_Payload, ...]]]:
    keys = draw(st.lists(st.text(alphabet="ab1 \u00e9\u0e04", min_size=1, max_size=4),
                         min_size=1, max_size=20, unique=True))
    values = [tuple((draw(_CONCEPTS), draw(st.booleans()), draw(st.booleans()), len(key),
                     draw(st.none() | st.just(key.upper())))
                    for _ in range(draw(st.integers(1, 3))))
              for key in keys]
    return keys, values


@settings(max_examples=400)
@given(_terms(), st.text(alphabet="ab1 \u00e9\u0e04Z_.", max_size=60), st.booleans(),
       st.integers(0, 3), st.integers(1, 4))
def test_hits_keep_the_terms_that_stand_where_they_must(
        terms: tuple[list[str], list[tuple[_Payload, ...]]], text: str, typed_ascii: bool,
        short: int, limit: int) -> None:
    keys, values = terms
    asked: list[tuple[int, int, str]] = []

    def accept(start: int, end: int, accented: str) -> bool:
        asked.append((start, end, accented))
        return (start + end) % 3 != 0  # some yes, some no, at places the test can predict

    automaton = Automaton(keys, values)
    callback = None if typed_ascii else accept
    found = automaton.hits(text, callback, short, limit)
    expected_asked = list(asked)
    asked.clear()
    assert found == _reference_hits(keys, values, text, callback, short, limit)
    assert asked == expected_asked  # the same questions, in the same order
    assert list(found) == list(_reference_hits(keys, values, text, callback, short, limit))


def test_the_lexicon_hits_are_the_python_loops_on_every_corpus_message(
        blind_messages: list[str]) -> None:
    """Plain and accented texts: each blind-set message as written and typed without its
    accents and upper case, through the whole analysis."""
    matcher = default_matcher()
    assert matcher._hits is not None  # a built mmtkit gathers its hits in C
    kept = 0
    for number, text in enumerate(blind_messages):  # a failure names the message, not its text
        for form, variant in enumerate((text, text.upper(), unicodedata.normalize("NFD", text))):
            normalized = normalize(variant)
            accept = None if variant.isascii() else _Accents(normalized)
            hits = matcher._hits(normalized.text, accept, _SHORT_ACCENTED, _HITS_KEPT)
            expected = matcher._hits_in_python(normalized.text, accept)
            same = hits == expected and list(hits) == list(expected)
            assert same, f"blind message {number}, form {form}"
            kept += sum(len(ranges) for ranges in hits.values())
    assert kept > 10 * len(blind_messages)


def test_hits_keep_at_most_the_limit_per_concept() -> None:
    automaton = Automaton(["ab"], [(("c", True, True, 2, None),)])
    assert automaton.hits("ab " * 100, None, 3, 5) == {"c": [(i, i + 2) for i in range(0, 15, 3)]}


def test_hits_refuse_values_that_are_not_term_payloads() -> None:
    for values in ([1], [(1,)], [(("c", 1, True, 1, None),)], [(("c", True, True, 1, b"x"),)]):
        with pytest.raises(TypeError, match="needs every value to be a tuple"):
            Automaton(["a"], values).hits("a", None, 3, 64)
    with pytest.raises(ValueError, match="key 0 has a term of length 0"):
        Automaton(["a"], [(("c", True, True, 0, None),)]).hits("a", None, 3, 64)
    with pytest.raises(ValueError, match="key 0 has a term longer than the key"):
        Automaton(["a"], [(("c", True, True, 2, None),)]).hits("a", None, 3, 64)


def test_hits_refuse_bad_arguments() -> None:
    automaton = Automaton(["a"], [(("c", False, False, 1, "á"),)])
    with pytest.raises(TypeError, match="needs a str, not bytes"):
        automaton.hits(b"a", None, 3, 64)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="accept must be callable or None"):
        automaton.hits("a", 1, 3, 64)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit must be at least 1"):
        automaton.hits("a", None, 3, 0)
    with pytest.raises(TypeError, match="takes 4 arguments"):
        automaton.hits("a")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not initialised"):
        Automaton.__new__(Automaton).hits("a", None, 3, 64)


def test_an_error_in_accept_reaches_the_caller() -> None:
    automaton = Automaton(["a"], [(("c", False, False, 1, "á"),)])

    def accept(start: int, end: int, accented: str) -> bool:
        raise LookupError("no such spelling")

    with pytest.raises(LookupError, match="no such spelling"):
        automaton.hits("aaa", accept, 3, 64)


def test_accept_cannot_rebuild_the_automaton_it_is_called_from() -> None:
    """accept() runs Python code in the middle of the search: it must not be able to free
    the records and terms under it."""
    automaton = Automaton(["a"], [(("c", False, False, 1, "á"),)])

    def accept(start: int, end: int, accented: str) -> bool:
        automaton.__init__(["b"], [(("d", False, False, 1, None),)])  # type: ignore[misc]
        return True

    with pytest.raises(RuntimeError, match="cannot be rebuilt during a search"):
        automaton.hits("a", accept, 3, 64)
    assert automaton.hits("a", lambda s, e, a: True, 3, 64) == {"c": [(0, 1)]}


# -- where sentences and clauses end (unit_ends) ------------------------------------------------

# One character of each kind the two patterns tell apart: their stops, runs, dashes, brackets,
# symbols and emoji, spaces of each kind, and ordinary characters.
_UNIT_CHARS = ".!?\u3002\n;,:(]-\u2013\u2014\u2600\U0001f300 \u3000a1\u27c0"
_PATTERNS = {True: analysis._CLAUSE_END, False: analysis._SENTENCE_END}


def _pattern_ends(text: str, clauses: bool) -> list[int]:
    return [m.end() for m in _PATTERNS[clauses].finditer(text)]


def test_unit_ends_are_the_patterns_on_every_short_sequence() -> None:
    import itertools

    alphabet = ".!?\u3002\n;,:(-\u2013\u2600 a"
    for size in range(1, 5):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            for clauses in (True, False):
                assert unit_ends(text, clauses) == _pattern_ends(text, clauses), (text, clauses)


@given(st.text(_UNIT_CHARS, max_size=60) | st.text(max_size=60), st.booleans())
@settings(max_examples=400)
def test_unit_ends_are_the_patterns_on_any_text(text: str, clauses: bool) -> None:
    assert unit_ends(text, clauses) == _pattern_ends(text, clauses)


def test_unit_ends_are_the_patterns_on_every_blind_set_message(
        blind_messages: list[str]) -> None:
    for number, message in enumerate(blind_messages):
        for text in (message, normalize(message).text):
            for clauses in (True, False):
                same = unit_ends(text, clauses) == _pattern_ends(text, clauses)
                assert same, f"blind message {number}, clauses={clauses}"


def test_the_analysis_finds_units_in_c_and_in_python_alike(
        blind_messages: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [normalize(m).text for m in blind_messages[::7]]
    in_c = [analysis.clause_end_positions(t) for t in texts]
    monkeypatch.setattr(analysis, "_UNIT_ENDS", None)
    same = [analysis.clause_end_positions(t) for t in texts] == in_c
    assert same, "the pure-Python units differ from C's on a blind-set message"


def test_unit_ends_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError, match="needs a str, not bytes"):
        unit_ends(b"a. b", True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 2 arguments"):
        unit_ends("a. b")  # type: ignore[call-arg]
    assert unit_ends("a. b" * 250_000, False)[-1] == 999_998


# -- digit groups (digit_groups) -----------------------------------------------------------------


def _pattern_groups(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in entities._DIGITS.finditer(text)]


@given(st.text("0123456789 ().-+a\u0661", max_size=80))
@settings(max_examples=600)
def test_digit_groups_are_the_pattern_s_on_any_text(text: str) -> None:
    assert digit_groups(text) == _pattern_groups(text)


@pytest.mark.parametrize("text", [
    "0812345", "08123456", "0 1 2 3 4 5 6 7", "(0812) 345-6789", "0" * 23, "0" * 24, "0" * 25,
    "0" * 60, "0-------------------------0", "0----------------------0", "1" + " " * 22 + "2",
    "1" + " " * 23 + "2", "12345678.", "12345678 ", " 0812 3456 7890 and 0812 3456 7890 ",
    "+62 812-3456-7890", "0812\u066134567", "",
])
def test_digit_groups_at_the_pattern_s_limits(text: str) -> None:
    assert digit_groups(text) == _pattern_groups(text)


def test_digit_groups_on_every_blind_set_message(blind_messages: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [normalize(m).text for m in blind_messages]
    for number, text in enumerate(texts):
        same = digit_groups(text) == _pattern_groups(text)
        assert same, f"blind message {number}"
    in_c = [entities.phone_numbers(t) for t in texts[::3]]
    monkeypatch.setattr(entities, "_DIGIT_GROUPS", None)
    same = [entities.phone_numbers(t) for t in texts[::3]] == in_c  # numbers are text too
    assert same, "the pure-Python phone numbers differ from C's on a blind-set message"


def test_digit_groups_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError, match="needs a str, not bytes"):
        digit_groups(b"08123456789")  # type: ignore[arg-type]
