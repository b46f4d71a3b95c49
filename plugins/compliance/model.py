"""A small linear model that reads the whole message, beside the lexicon rules.

The lexicons catch what can be listed: a credential asked for, a link, an apk, a banned
product. Insults, sexual advances, bribes for reviews and scams are worded in endless ways,
and on blind sets written by people who never saw the lexicons those rules missed a quarter
to a third of them. This model scores every outbound message on the words it holds and the
pairs of neighbouring words (logistic regression, one score per category, trained with
:mod:`mmtkit.plugins.compliance.training`), and adds a finding where the lexicons found none.

What it is allowed to do is narrow on purpose:

* its rules (``<category>.model``) have severity ``warn``: statistical evidence flags a
  message for a person to look at, it never blocks a send by itself;
* it covers only the categories where it was measured to help on sets it was not trained on
  (the data file lists them), with a threshold that keeps clean messages clean;
* a finding explains itself: its spans are the words and word pairs that weighed most for
  the category.

The weights are data (``data/model.json``), read on first use; the file also records what it
was trained on, so ``tests/compliance/test_model.py`` can rebuild it and compare.

Scoring sums the weights of the features a message holds. A built mmtkit does that in C
(:mod:`mmtkit.plugins.compliance._scoring`): in Python the look-ups chase dict entries, keys,
tuples and floats across a heap the other stages have just evicted from the caches. The
Python sums (:meth:`TextModel._python_totals`) remain for builds without a C compiler, and
both add the same weights in the same order, so they give the same floats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any, Final

import orjson

from mmtkit.errors import MmtkitError
from mmtkit.native import c_extension
from mmtkit.plugins.compliance.analysis import Analysis, Range, default_matcher
from mmtkit.plugins.compliance.check import PythonRule, finding
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext

__all__ = ["MODEL_RULE", "FeatureIndex", "ModelError", "TextModel", "Weights",
           "candidate_features", "default_model", "feature_scale", "model_rule"]

MODEL_RULE: Final = "model"
"""The rule id suffix of a category's model rule: ``harassment.model``."""
FORMAT: Final = 1
_EVIDENCE: Final = 3  # words or pairs marked per finding
_WORD: Final = re.compile(r"\w+")
_NON_ASCII_WORD: Final = re.compile(r"[^\W\x00-\x7f]")  # a letter or digit beyond ASCII (Thai, é)
# ASCII text: every byte that is not a word character becomes a space, then split gives the
# same words as the pattern, in C without the regex engine (most messages). A bytes table:
# str.translate looks each distinct character up in a dict again on every call.
_NOT_WORD: Final = bytes(
    c if chr(c).isalnum() or chr(c) == "_" else 32 for c in range(128)) + bytes(range(128, 256))
_MEMO: Final = "model"
_NOTHING_FLAGGED: Final[frozenset[str]] = frozenset()


class ModelError(MmtkitError, ValueError):
    """A model file that cannot be used; the message says what is wrong with it."""


def _words(text: str) -> list[str]:
    """The words of ``text``, as the pattern ``\\w+`` finds them."""
    if not text.isascii() and _NON_ASCII_WORD.search(text) is not None:
        words: list[str] = _WORD.findall(text)
        return words
    # Only ASCII words: what ASCII cannot hold (a dash, an emoji, a currency sign) becomes
    # "?", a separator like any other non-word byte.
    return text.encode("ascii", "replace").translate(_NOT_WORD).decode("ascii").split()


def candidate_features(text: str) -> set[str]:
    """Where training finds its candidate features in a folded text: each word and each pair
    of neighbouring words (``refund``, ``refund now``). A word never holds a space, so the
    two kinds cannot collide."""
    words = _words(text)
    keys = set(words)
    for i in range(1, len(words)):
        keys.add(words[i - 1] + " " + words[i])
    return keys


def feature_scale(text: str) -> float:
    """What each feature found in a folded text counts: ``1 / sqrt(words + pairs)``, so a
    long message does not score high merely for being long. Words are counted by their
    spaces (folded text has single spaces), which needs no tokenising."""
    words = text.count(" ") + 1
    return 1.0 / math.sqrt(2 * words - 1)


_UNKNOWN: tuple[int, dict[str, int]] = (-1, {})
"""A word outside the vocabulary, as :meth:`FeatureIndex.where` reads it (never written to)."""


class FeatureIndex:
    """Finds a set of features (words and pairs of words) in a folded text.

    Training indexes every candidate and scoring the features the model kept, so a kept
    feature is found in exactly the same texts by both. Pairs are looked up in two steps
    (first word, then second), so scoring builds no string per pair; a word's hash is
    computed once and cached by ``str``."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        # word -> (its index or -1, {next word: index of the pair}): one look-up per word.
        self._vocabulary: dict[str, tuple[int, dict[str, int]]] = {}
        for index, key in enumerate(self.keys):
            first, space, second = key.partition(" ")
            known, following = self._vocabulary.get(first, (-1, {}))
            if space:
                following[second] = index
            else:
                known = index
            self._vocabulary[first] = (known, following)

    def find(self, text: str) -> set[int]:
        """The indices of the features ``text`` holds."""
        found: set[int] = set()
        vocabulary = self._vocabulary
        following: dict[str, int] | None = None
        for word in _words(text):
            if following:
                index = following.get(word, -1)
                if index >= 0:
                    found.add(index)
            entry = vocabulary.get(word)
            if entry is None:
                following = None
                continue
            index, following = entry
            if index >= 0:
                found.add(index)
        return found

    def where(self, text: str) -> dict[int, Range]:
        """Each feature ``text`` holds, by index, with where it first stands (slower: for
        marking the evidence of a flagged message)."""
        found: dict[int, Range] = {}
        previous: re.Match[str] | None = None
        for match in _WORD.finditer(text):
            word = match.group()
            if previous is not None:
                index = self._vocabulary.get(previous.group(), _UNKNOWN)[1].get(word, -1)
                if index >= 0:
                    found.setdefault(index, (previous.start(), match.end()))
            index = self._vocabulary.get(word, _UNKNOWN)[0]
            if index >= 0:
                found.setdefault(index, match.span())
            previous = match
        return found


Weights = dict[str, tuple[tuple[int, float], ...]]
"""Per feature, its non-zero weights as ``(category index, weight)``: most features matter
for one or two categories only."""


class TextModel:
    """Weights per feature and category, an intercept per category, and the probability
    above which a category is flagged."""

    def __init__(self, categories: tuple[str, ...], intercepts: tuple[float, ...],
                 thresholds: tuple[float, ...], weights: Weights) -> None:
        size = len(categories)
        if len(intercepts) != size or len(thresholds) != size:
            raise ModelError(f"the model has {size} categories but {len(intercepts)} "
                             f"intercepts and {len(thresholds)} thresholds")
        if not all(0.0 < t < 1.0 for t in thresholds):
            raise ModelError(f"thresholds must lie between 0 and 1; got {thresholds}")
        for key, entries in weights.items():
            if any(not 0 <= i < size for i, _ in entries):
                raise ModelError(f"feature {key!r} names a category beyond the {size} known")
        self.categories = categories
        self.intercepts = intercepts
        self.thresholds = thresholds
        # p >= t  <=>  logit >= log(t / (1 - t)): the decision needs no exponential.
        self._cutoffs = tuple(math.log(t / (1.0 - t)) for t in thresholds)
        self._index = FeatureIndex(list(weights))
        # Each feature's weights as one row over every category, for summing in order.
        self._rows: list[tuple[float, ...]] = []
        for entries in weights.values():
            dense = [0.0] * size
            for i, weight in entries:
                dense[i] = weight
            self._rows.append(tuple(dense))
        native: Any = c_extension("mmtkit.plugins.compliance._scoring")
        self._scorer: Any = (None if native is None
                             else native.Scorer(self._index.keys, self._rows, size))

    def logits(self, text: str) -> list[float]:
        """Each category's log-odds for a folded text."""
        totals = self._totals(text)
        scale = feature_scale(text)
        result: list[float] = []
        for i, intercept in enumerate(self.intercepts):
            result.append(intercept + scale * totals[i])
        return result

    def _totals(self, text: str) -> list[float]:
        """Each category's sum of the weights of the features ``text`` holds: in C when the
        extension is built."""
        scorer = self._scorer
        return self._python_totals(text) if scorer is None else scorer.totals(text)

    def _python_totals(self, text: str) -> list[float]:
        """Each category's sum of the weights of the features ``text`` holds, in ascending
        feature order: what the C scorer computes, in Python."""
        rows = self._rows
        found = [rows[index] for index in sorted(self._index.find(text))]
        totals: list[float] = []
        for i in range(len(self.intercepts)):
            total = 0.0
            for row in found:
                total += row[i]
            totals.append(total)
        return totals

    def scores(self, text: str) -> dict[str, float]:
        """Each category's probability for a folded text (for tools and tests)."""
        return {c: 1.0 / (1.0 + math.exp(-z))
                for c, z in zip(self.categories, self.logits(text), strict=True)}

    def flagged(self, text: str) -> frozenset[str]:
        """The categories a folded text is flagged for."""
        # The log-odds of :meth:`logits`, in the same float operations, compared as they are
        # made: every message is scored, and few are flagged, so no list of logits is built.
        scorer = self._scorer
        if scorer is not None:  # the same comparisons in C, with the sums
            indices: list[int] = scorer.flagged(text, self.intercepts, self._cutoffs)
            if not indices:
                return _NOTHING_FLAGGED
            return frozenset([self.categories[i] for i in indices])
        totals = self._python_totals(text)
        scale = feature_scale(text)
        intercepts = self.intercepts
        found: list[str] = []
        for i, cutoff in enumerate(self._cutoffs):
            if intercepts[i] + scale * totals[i] >= cutoff:
                found.append(self.categories[i])
        return frozenset(found) if found else _NOTHING_FLAGGED

    def evidence(self, text: str, category: str) -> tuple[Range, ...]:
        """Where the features that weighed most for ``category`` stand in a folded text."""
        column = self.categories.index(category)
        scorer = self._scorer
        places: dict[int, Range] = (self._index.where(text) if scorer is None
                                    else scorer.where(text))
        weighed = sorted(((self._rows[index][column], where)
                          for index, where in places.items()
                          if self._rows[index][column] > 0), reverse=True)
        return tuple(sorted(where for _, where in weighed[:_EVIDENCE]))

    @classmethod
    def from_document(cls, document: Any) -> TextModel:
        """A model from the JSON document :mod:`~mmtkit.plugins.compliance.training`
        writes."""
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ModelError(f"not a compliance model of format {FORMAT}")
        try:
            categories = tuple(str(c) for c in document["categories"])
            intercepts = tuple(float(b) for b in document["intercepts"])
            thresholds = tuple(float(t) for t in document["thresholds"])
            weights = {str(key): tuple((int(i), float(w)) for i, w in entries)
                       for key, entries in document["weights"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"malformed compliance model: {exc!r}") from None
        return cls(categories, intercepts, thresholds, weights)


def read_model_document() -> Any:
    """The JSON document of the built-in model."""
    data = resources.files("mmtkit.plugins.compliance").joinpath("data/model.json")
    return orjson.loads(data.read_bytes())


@lru_cache(maxsize=1)
def default_model() -> TextModel:
    """The built-in model, read once."""
    return TextModel.from_document(read_model_document())


def flagged(analysis: Analysis) -> frozenset[str]:
    """The model's categories for one message, scored once and shared by every category."""
    memo = analysis.memo
    found: frozenset[str] | None = memo.get(_MEMO)
    if found is None:
        found = memo[_MEMO] = default_model().flagged(analysis.text)
    return found


def model_rule(category: str) -> PythonRule:
    """The Python rule ``<category>.model``: a finding where the model flags the message for
    ``category`` and no lexicon rule of the category fired."""
    rule_id = f"{category}.{MODEL_RULE}"

    def rule(analysis: Analysis, context: PolicyContext) -> list[Finding]:
        # Where a lexicon rule already names the category, it explains the message better.
        if category in flagged(analysis) and not (
                default_matcher().outbound_rules.findings(analysis).get(category)):
            return [finding(rule_id, default_model().evidence(analysis.text, category))]
        return []

    return rule
