"""The message model's feature sums in C give exactly the Python sums, on any text.

The C scorer (``_scoring.c``) reads untrusted text; these tests are its differential fuzzing:
random Unicode of every kind (one-, two- and four-byte strings, marks, digits of other
scripts, "_"), texts built from the model's own features so that many are found, and the
every blind-set message. ``tests/core/test_native.py`` makes sure the scorer is built at all.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.plugins.compliance._scoring import Scorer
from mmtkit.plugins.compliance.model import TextModel, default_model


def _pure(model: TextModel) -> TextModel:
    """The same model with its Python sums: what a build without a C compiler runs."""
    pure = TextModel(model.categories, model.intercepts, model.thresholds, {})
    pure._index, pure._rows, pure._scorer = model._index, model._rows, None
    return pure


MODEL = default_model()
PURE = _pure(MODEL)
_VOCABULARY = sorted({word for key in MODEL._index.keys for word in key.split(" ")})
_GAPS = st.sampled_from([" ", "  ", ", ", "! ", "-", "\n", "...", "—", "😊", "\u0301", "_"])


@st.composite
def _feature_texts(draw: st.DrawFn) -> str:
    """The model's words, mostly in its own pairs, between gaps of every kind."""
    words = draw(st.lists(st.sampled_from(_VOCABULARY) | st.text(max_size=6), max_size=16))
    return "".join(w + draw(_GAPS) for w in words)


def test_the_built_model_uses_the_c_scorer() -> None:
    assert isinstance(MODEL._scorer, Scorer)
    assert MODEL._scorer.features == len(MODEL._index.keys)


@settings(max_examples=600)
@given(st.text(max_size=80) | _feature_texts())
def test_c_and_python_sums_are_the_same_floats(text: str) -> None:
    assert MODEL._scorer.totals(text) == PURE._python_totals(text)
    assert MODEL.logits(text) == PURE.logits(text)


@settings(max_examples=600)
@given(st.text(max_size=80) | _feature_texts())
def test_c_and_python_find_the_same_places(text: str) -> None:
    """Where each feature first stands, for the evidence of a finding, in the same order."""
    places = MODEL._scorer.where(text)
    assert list(places.items()) == list(MODEL._index.where(text).items())
    for category in MODEL.categories:
        assert MODEL.evidence(text, category) == PURE.evidence(text, category)


@settings(max_examples=600)
@given(st.text(max_size=80) | _feature_texts(), st.data())
def test_c_flags_what_python_flags_at_each_cutoff_s_edge(text: str, data: st.DataObject
                                                         ) -> None:
    """A cutoff equal to a log-odds, or one float beside it: the C comparison must round as
    Python's floats do (a fused multiply-add would flip the equal ones)."""
    logits = PURE.logits(text)
    cutoffs = [data.draw(st.sampled_from([z, math.nextafter(z, math.inf),
                                          math.nextafter(z, -math.inf)])) for z in logits]
    expected = [i for i, z in enumerate(logits) if z >= cutoffs[i]]
    assert MODEL._scorer.flagged(text, MODEL.intercepts, cutoffs) == expected
    assert MODEL.flagged(text) == PURE.flagged(text)


def test_flagged_refuses_cutoffs_that_do_not_fit_the_model() -> None:
    size = len(MODEL.categories)
    with pytest.raises(ValueError, match=f"cutoffs must hold one float per category \\({size}\\)"):
        MODEL._scorer.flagged("text", MODEL.intercepts, [0.0])
    with pytest.raises(TypeError, match="must be real number"):
        MODEL._scorer.flagged("text", ["x"] * size, [0.0] * size)
    with pytest.raises(TypeError, match="takes 3 arguments"):
        MODEL._scorer.flagged("text")
    with pytest.raises(TypeError, match="needs a str"):
        MODEL._scorer.flagged(b"text", MODEL.intercepts, [0.0] * size)


def test_c_and_python_agree_on_every_corpus_message(folded_messages: list[str]) -> None:
    found = 0
    for text in folded_messages:
        totals = MODEL._scorer.totals(text)
        assert totals == PURE._python_totals(text), text
        assert MODEL._scorer.where(text) == MODEL._index.where(text), text
        assert MODEL.flagged(text) == PURE.flagged(text), text
        found += any(totals)
    assert found > len(folded_messages) // 2  # the features are found, not merely absent alike


def test_a_small_model_by_hand() -> None:
    """Words of one-, two- and four-byte strings, a pair, a feature found twice (counted
    once). A Thai tone mark is not a word character for ``\\w`` (nor here): "ค่า" is the words
    "ค" and "า"."""
    bold_x = "\U0001d431"  # a letter beyond the two-byte range: the text is a four-byte str
    scorer = Scorer(["refund", "ค", "send now", bold_x, "now"],
                    [(1.0, 0.5), (2.0, 0.0), (4.0, -1.0), (8.0, 0.25), (16.0, 0.0)], 2)
    assert scorer.totals("") == [0.0, 0.0]
    assert scorer.totals("refund, refund!") == [1.0, 0.5]
    assert scorer.totals("pls send now") == [20.0, -1.0]  # "now" and "send now"
    assert scorer.totals("send, now") == [20.0, -1.0]  # a pair skips what is not a word
    assert scorer.totals(f"ค่า {bold_x}") == [10.0, 0.25]
    assert scorer.totals("sending now_") == [0.0, 0.0]  # "now_" is one word
    assert scorer.totals("refund" * 10_000 + " now") == [16.0, 0.0]
    assert scorer.where("pls send now, send now") == {2: (4, 12), 4: (9, 12)}


def test_a_megabyte_of_words_is_summed_without_a_limit() -> None:
    text = "send now " * 120_000
    assert MODEL._scorer.totals(text) == PURE._python_totals(text)


@pytest.mark.parametrize(("keys", "rows", "categories", "error", "message"), [
    (["a"], [(1.0,)], 0, ValueError, "at least one category"),
    (["a", "b"], [(1.0,)], 1, ValueError, "2 keys but 1 rows"),
    (["a"], [(1.0, 2.0)], 1, ValueError, "row 0 has 2 weights, not 1"),
    (["a", "a"], [(1.0,), (2.0,)], 1, ValueError, "key 1 ('a') is given twice"),
    ([b"a"], [(1.0,)], 1, TypeError, "key 0 is not a str"),
    (["a"], [("x",)], 1, TypeError, "must be real number"),
])
def test_a_bad_model_is_refused_with_the_reason(keys: list[object], rows: list[object],
                                                categories: int, error: type[Exception],
                                                message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        Scorer(keys, rows, categories)  # type: ignore[arg-type]


def test_a_text_that_is_not_a_str_is_refused() -> None:
    for method in (MODEL._scorer.totals, MODEL._scorer.where):
        with pytest.raises(TypeError, match="needs a str, not bytes"):
            method(b"refund")
    with pytest.raises(ValueError, match="not initialised"):
        Scorer.__new__(Scorer).totals("refund")
    with pytest.raises(ValueError, match="not initialised"):
        Scorer.__new__(Scorer).where("refund")


def test_weights_keep_their_sign_and_size() -> None:
    scorer = Scorer(["a", "b"], [(1e308, -0.0), (1e308, 5e-324)], 2)
    assert scorer.totals("a b") == [math.inf, 5e-324]
