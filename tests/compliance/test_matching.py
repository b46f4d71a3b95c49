"""The lexicon search in C finds exactly what pyahocorasick finds, in the same order.

pyahocorasick is the reference and the fallback of a build without a C compiler; the C
automaton (``_matching.c``) reads untrusted text, and these tests are its differential
fuzzing: random keys and texts over a small alphabet (so that keys overlap, nest and share
suffixes, the cases failure and output links are for), random Unicode of every width, the
lexicon itself over every blind-set message, and keys that are not what a lexicon holds.
``tests/core/test_native.py`` makes sure the automaton is built at all.
"""

from __future__ import annotations

import gc

import ahocorasick  # type: ignore[import-not-found]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.plugins.compliance._matching import Automaton
from mmtkit.plugins.compliance.analysis import default_matcher, search_entries


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
