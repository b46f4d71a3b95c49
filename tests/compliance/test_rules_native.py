"""The lexicon rules evaluated in C decide exactly as the Python evaluation does.

``rules._evaluate`` (Python) is the reference and the fallback of a build without a C
compiler; ``_rules.c`` evaluates the same rules over the same hits. These tests are its
differential fuzzing: generated rules (one to three concepts, blockers, silencers, negatable
concepts, every scope, a span limit) over generated hits and texts with sentence and clause
ends and negation cues, then the built-in lexicon over every blind-set message in both
directions, then arguments that are not what the index passes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.plugins.compliance import rules
from mmtkit.plugins.compliance._rules import Rules
from mmtkit.plugins.compliance.analysis import (
    NEGATION,
    NEGATION_NEAR,
    Analysis,
    Range,
    default_matcher,
)
from mmtkit.plugins.compliance.lexicon import RuleSpec
from mmtkit.plugins.compliance.rules import Finding, RuleIndex, new_finding
from mmtkit.policy import Severity
from mmtkit.textnorm import normalize

# "fee" is cancelled by a near cue ("no fee"), the others only by a negation cue.
_CONCEPTS = ["ask", "code", "app", "fee"]
_ANY_CONCEPT = [*_CONCEPTS, NEGATION, NEGATION_NEAR]


def _python_index(monkeypatch: pytest.MonkeyPatch, specs: list[RuleSpec],
                  direction: str = "outbound") -> RuleIndex:
    with monkeypatch.context() as patch:
        patch.setattr(rules, "_NATIVE_RULES", None)
        index = RuleIndex(specs, direction)
    assert index._native is None
    return index


def _answers(found: dict[str, list[Finding]]) -> list[tuple[str, str, tuple[Range, ...]]]:
    return [(category, f.rule.rule_id, f.ranges) for category, listed in found.items()
            for f in listed]


@st.composite
def _rule_specs(draw: st.DrawFn) -> list[RuleSpec]:
    specs = []
    for number in range(draw(st.integers(1, 6))):
        needs = draw(st.lists(st.sampled_from(_CONCEPTS), min_size=1, max_size=3))
        specs.append(RuleSpec(
            rule_id=f"{draw(st.sampled_from(['fraud', 'diversion']))}.rule_{number}",
            category=draw(st.sampled_from(["fraud", "diversion"])),
            severity=Severity.BLOCK, policy="a clause", explanation="An explanation.",
            all=tuple(needs),
            scope=draw(st.sampled_from(["message", "sentence", "clause"])),
            negatable=tuple(draw(st.lists(st.sampled_from(needs), max_size=2))),
            none=tuple(draw(st.lists(st.sampled_from(_CONCEPTS), max_size=2))),
            unless=tuple(draw(st.lists(st.sampled_from(_CONCEPTS), max_size=1))),
            within=draw(st.none() | st.integers(0, 30)),
        ))
    return specs


@st.composite
def _texts_and_hits(draw: st.DrawFn) -> tuple[str, dict[str, list[Range]]]:
    text = draw(st.text(alphabet="ab .,;!\n-1", min_size=2, max_size=50))
    size = len(text)
    hits: dict[str, list[Range]] = {}
    for concept in draw(st.lists(st.sampled_from(_ANY_CONCEPT), max_size=5, unique=True)):
        ranges = []
        for _ in range(draw(st.integers(1, 5))):
            start = draw(st.integers(0, size - 1))
            ranges.append((start, draw(st.integers(start + 1, size))))
        hits[concept] = ranges
    return text, hits


@settings(max_examples=800)
@given(_rule_specs(), _texts_and_hits())
def test_generated_rules_fire_in_c_as_in_python(
        specs: list[RuleSpec], text_and_hits: tuple[str, dict[str, list[Range]]]) -> None:
    text, hits = text_and_hits
    with pytest.MonkeyPatch.context() as patch:
        in_python = _python_index(patch, specs)
    in_c = RuleIndex(specs, "outbound")
    assert in_c._native is not None
    expected = in_python.findings(Analysis(normalize(text), {k: list(v) for k, v in hits.items()}))
    found = in_c.findings(Analysis(normalize(text), {k: list(v) for k, v in hits.items()}))
    assert _answers(found) == _answers(expected)


@pytest.mark.parametrize("direction", ["outbound", "inbound"])
def test_the_lexicon_fires_alike_in_c_and_in_python_on_every_blind_set_message(
        blind_messages: list[str], direction: str, monkeypatch: pytest.MonkeyPatch) -> None:
    matcher = default_matcher()
    in_c = RuleIndex(matcher.lexicon.rules, direction)
    in_python = _python_index(monkeypatch, list(matcher.lexicon.rules), direction)
    fired = 0
    for number, message in enumerate(blind_messages):
        expected = _answers(in_python.findings(matcher._analyse(message)))
        same = _answers(in_c.findings(matcher._analyse(message))) == expected
        assert same, f"blind message {number}"  # the answers hold spans of the text
        fired += bool(expected)
    assert fired > 100  # the comparison is not over empty answers


def _spec(**fields: Any) -> RuleSpec:
    return RuleSpec(**{"rule_id": "fraud.x", "category": "fraud", "severity": Severity.BLOCK,
                       "policy": "a clause", "explanation": "An explanation.", "all": ("code",),
                       **fields})


def _row(spec: RuleSpec) -> tuple[object, ...]:
    return (spec, spec.category, spec.all, spec.scope, spec.negatable, spec.none, spec.unless,
            spec.within)


def test_a_message_gets_the_findings_the_index_keeps_on_its_analysis() -> None:
    table = Rules([_row(_spec(all=("ask", "code"), scope="clause"))], new_finding, [NEGATION])
    analysis = Analysis(normalize("send the code, now"), {"ask": [(0, 4)], "code": [(9, 13)]})
    [finding] = table.findings(analysis.hits, analysis)["fraud"]
    assert isinstance(finding, Finding)
    assert finding.ranges == ((0, 4), (9, 13))
    # a clause between the two: not one unit
    analysis = Analysis(normalize("send it, the code"), {"ask": [(0, 4)], "code": [(13, 17)]})
    assert table.findings(analysis.hits, analysis) == {}


@pytest.mark.parametrize(("row", "error", "message"), [
    ((1, 2, 3), TypeError, "each rule must be"),
    ((None, 7, ("a",), "message", (), (), (), None), TypeError, "category must be a str"),
    ((None, "c", (), "message", (), (), (), None), ValueError, "at least one concept"),
    ((None, "c", ("a", 1), "message", (), (), (), None), TypeError, "concept names"),
    ((None, "c", ("a",), "paragraph", (), (), (), None), ValueError, "scope must be"),
    ((None, "c", ("a",), "message", (), (), (), -1), ValueError, "within must be"),
    ((None, "c", ("a",), "message", (), (), (), "5"), TypeError, "within must be"),
])
def test_bad_rules_are_refused_with_the_reason(row: tuple[object, ...],
                                              error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Rules([row], new_finding, [NEGATION])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="make must be callable"):
        Rules([], None, [NEGATION])  # type: ignore[arg-type]
    table = Rules([_row(_spec())], new_finding, [NEGATION])
    analysis = Analysis(normalize("the code"), {})
    with pytest.raises(TypeError, match="hits must be a dict"):
        table.findings([("code", [(4, 8)])], analysis)  # type: ignore[arg-type]
    for bad in ([(4, "8")], [[4, 8]], ((4, 8),), [(4, 8, 9)]):
        with pytest.raises(TypeError, match=r"\(start, end\) tuples"):
            table.findings({"code": bad}, analysis)  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="takes two arguments"):
        table.findings({})  # type: ignore[call-arg]
    assert Rules([], new_finding, []).findings({"code": [(4, 8)]}, analysis) == {}


def test_errors_of_the_callbacks_reach_the_caller() -> None:
    def broken(spec: object, ranges: object) -> object:
        raise RuntimeError("make failed")

    table = Rules([_row(_spec())], broken, [NEGATION])
    analysis = Analysis(normalize("the code"), {"code": [(4, 8)]})
    with pytest.raises(RuntimeError, match="make failed"):
        table.findings(analysis.hits, analysis)

    class NoNegation:
        def negated(self, hit: Range, concept: str) -> bool:
            raise LookupError("negated failed")

    table = Rules([_row(_spec(negatable=("code",)))], new_finding, [NEGATION])
    with pytest.raises(LookupError, match="negated failed"):
        table.findings({"code": [(4, 8)], NEGATION: [(0, 3)]}, NoNegation())


def test_a_callback_that_empties_the_hits_cannot_make_the_evaluation_read_freed_ranges(
) -> None:
    hits: dict[str, list[Range]] = {"code": [(4, 8), (9, 13), (14, 18)], NEGATION: [(0, 3)]}

    class Emptying:
        def negated(self, hit: Range, concept: str) -> bool:
            hits["code"].clear()
            hits.clear()
            return False

    table = Rules([_row(_spec(negatable=("code",)))], new_finding, [NEGATION])
    [finding] = table.findings(hits, Emptying())["fraud"]
    assert finding.ranges == ((4, 8),)
