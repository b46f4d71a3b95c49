"""The message model: what it adds to the lexicon rules, how it explains itself, and that the
shipped weights are what the training script makes from the corpora it names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmtkit.messages import Channel, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance import training
from mmtkit.plugins.compliance.evaluation import read_corpus
from mmtkit.plugins.compliance.model import (
    FeatureIndex,
    ModelError,
    TextModel,
    candidate_features,
    default_model,
    read_model_document,
)
from mmtkit.policy import PolicyConfig, PolicyContext, PolicyEngine, Severity
from mmtkit.textnorm import normalize

from .conftest import Check

CORPORA = Path(__file__).parent

# Written for these tests, in no corpus; no lexicon rule of theirs fires.
REVIEW_FOR_CASH = ("Everyone who posts a photo review with 5 stars gets 50% back, just DM me "
                   "the screenshot.")
ADVANCE = ("Are you single? You have a cute voice in your video, let's meet up after I deliver "
           "your order.")


def test_the_model_flags_what_no_lexicon_rule_names(check: Check) -> None:
    decision = check(REVIEW_FOR_CASH)
    assert [v.rule_id for v in decision.violations] == ["review_manipulation.model"]
    assert decision.categories == {"review_manipulation"}
    advance = check(ADVANCE)
    assert "adult_content" in advance.categories
    assert all(v.rule_id.endswith(".model") for v in advance.violations)


def test_a_model_finding_warns_and_never_blocks(check: Check) -> None:
    decision = check(ADVANCE)
    assert decision.action.value == "warn"
    assert all(v.severity is Severity.WARN for v in decision.violations)
    assert all(v.policy_ref.startswith("TikTok Shop Customer Service Guidelines")
               for v in decision.violations)


def test_a_finding_marks_the_words_that_weighed_most(check: Check) -> None:
    (violation,) = check(REVIEW_FOR_CASH).violations
    marked = [REVIEW_FOR_CASH[s.start:s.end].lower() for s in violation.spans]
    assert 1 <= len(marked) <= 3
    assert all(re.fullmatch(r"\w+( \w+)?", words) for words in marked), marked
    assert any("review" in words or "stars" in words for words in marked), marked


def test_no_model_finding_beside_a_lexicon_rule_of_its_category(check: Check) -> None:
    text = "Leave us a glowing review and we'll slip a little thank-you gift into your parcel."
    assert default_model().scores(normalize(text).text)["review_manipulation"] > 0.8
    rule_ids = {v.rule_id for v in check(text).violations}
    assert rule_ids
    assert "review_manipulation.model" not in rule_ids


@pytest.mark.parametrize("text", [
    "Your order has shipped and should arrive on Thursday.",
    "Thanks for your review! We read every one.",
    "Please don't share your password with anyone, including us.",
])
def test_ordinary_messages_pass(check: Check, text: str) -> None:
    assert check(text).action.value == "allow"


def test_the_model_rules_can_be_switched_off(manager: PluginManager) -> None:
    quiet = PolicyEngine(manager.hooks, PolicyConfig(disabled=frozenset(
        f"{category}.model" for category in training.CATEGORIES)))
    context = PolicyContext(channel=Channel.TIKTOK_SHOP)
    assert quiet.check_outbound(Text(ADVANCE), context).action.value == "allow"


# -- features -----------------------------------------------------------------------------

_WORDS = st.sampled_from(["refund", "now", "send", "review", "stars", "a", "5", "you", "ok",
                          "ngay", "kak", "ค่ะ", "dm"])
_GAPS = st.sampled_from([" ", ", ", "! ", " - ", "\n", "..."])


@st.composite
def _texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORDS, max_size=12))
    return "".join(w + draw(_GAPS) for w in words)


@given(_texts(), st.sets(st.sampled_from(sorted(candidate_features(
    "refund now send review stars a 5 you ok ngay kak dm review 5 stars send now")))))
def test_the_index_finds_exactly_the_candidates_it_holds(text: str, keys: set[str]) -> None:
    """Scoring looks features up without building them; training builds them. The two must
    agree on every text, or the weights would be applied to other features than learnt."""
    index = FeatureIndex(sorted(keys))
    expected = {index.keys.index(k) for k in candidate_features(text) & keys}
    assert index.find(text) == expected
    where = index.where(text)
    assert set(where) == expected
    for found, (start, end) in where.items():
        assert " ".join(re.findall(r"\w+", text[start:end])) == index.keys[found]


_WORD_TEST_CHARS = st.sampled_from("ab_9 ,.!?'-\t\nàđค่—😊₱\u0301²")


@given(st.text(alphabet=_WORD_TEST_CHARS | st.characters(max_codepoint=127), max_size=40))
def test_words_are_what_the_word_pattern_finds(text: str) -> None:
    """ASCII text is split in C without the regex engine; it must give the same words."""
    from mmtkit.plugins.compliance.model import _words

    assert _words(text) == re.findall(r"\w+", text)


# -- the model file -----------------------------------------------------------------------

def _document() -> dict[str, Any]:
    document = read_model_document()
    assert isinstance(document, dict)
    return document


def test_the_model_file_names_its_training_sets_and_they_are_unchanged() -> None:
    corpora = _document()["training"]["corpora"]
    assert sorted(corpora) == sorted(training.TRAINING_SETS)
    assert not set(corpora) & set(training.HELD_OUT)
    for name, digest in corpora.items():
        actual = hashlib.sha256((CORPORA / name).read_bytes()).hexdigest()
        assert actual == digest, (
            f"{name} changed since the model was trained: run "
            "`.venv/bin/python -m mmtkit.plugins.compliance.training` and commit "
            "plugins/compliance/data/model.json")


def test_the_model_file_is_what_training_makes() -> None:
    """Training again from the named corpora gives the same model: the shipped weights hide
    nothing that the script and the data do not explain."""
    shipped = _document()
    lines = [line for name in training.TRAINING_SETS for line in read_corpus(CORPORA / name)]
    fresh = training.train(lines)
    assert fresh["categories"] == shipped["categories"]
    assert fresh["thresholds"] == shipped["thresholds"]
    assert fresh["intercepts"] == pytest.approx(shipped["intercepts"], abs=1e-3)
    ours, theirs = set(shipped["weights"]), set(fresh["weights"])
    assert len(ours ^ theirs) <= len(ours) // 200  # a weight may land either side of the cut
    for key in ours & theirs:
        assert dict(map(tuple, fresh["weights"][key])) == pytest.approx(
            dict(map(tuple, shipped["weights"][key])), abs=1e-3), key


def test_the_model_covers_the_categories_that_declare_its_rule() -> None:
    from mmtkit.plugins.compliance.analysis import default_matcher

    declared = {rule.category for rule in default_matcher().lexicon.rules
                if rule.rule_id.endswith(".model")}
    assert declared == set(default_model().categories) == set(training.CATEGORIES)


def test_held_out_sets_are_never_trained_on(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        training.main([str(CORPORA / "blind/set_f.jsonl"), "--out", str(tmp_path / "m.json")])


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format=0), "format"),
    (lambda d: d.update(intercepts=d["intercepts"][:-1]), "intercepts"),
    (lambda d: d.update(thresholds=[1.5] * len(d["categories"])), "between 0 and 1"),
    (lambda d: d["weights"].update(refund=[[99, 1.0]]), "beyond"),
    (lambda d: d.pop("weights"), "malformed"),
])
def test_a_broken_model_file_is_refused_with_the_reason(change: Any, message: str) -> None:
    document = orjson.loads(orjson.dumps(_document()))
    change(document)
    with pytest.raises(ModelError, match=message):
        TextModel.from_document(document)


def test_training_without_scikit_learn_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(training.TrainingError, match=r"mmtkit\[train\]"):
        training.train([])
