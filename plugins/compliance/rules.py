"""Evaluating lexicon rules against an :class:`~mmtkit.plugins.compliance.analysis.Analysis`.

A rule fires when every concept in ``all`` has a hit in one sentence (or clause, or anywhere
in the message), none of its ``none`` concepts occurs in that unit, none of its ``unless``
concepts occurs in the message, and — for the concepts it marks ``negatable`` — the hit is
not preceded by a negation in the same clause. That last part is what separates "send me the
OTP" from "please never share your OTP": rules look at what the business *asks for*.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from mmtkit.plugins.compliance.analysis import Analysis, Range
from mmtkit.plugins.compliance.lexicon import RuleSpec

__all__ = ["Finding", "RuleIndex", "evaluate"]


@frozen
class Finding:
    """A rule that fired and the normalised ranges that made it fire."""

    rule: RuleSpec
    ranges: tuple[Range, ...]


def _closest(candidates: list[Range], anchor: Range) -> Range:
    return min(candidates, key=lambda r: abs(r[0] - anchor[0]))


def evaluate(rule: RuleSpec, analysis: Analysis) -> Finding | None:
    hits = analysis.hits
    for concept in rule.all:
        if concept not in hits:
            return None
    for concept in rule.unless:
        if concept in hits:
            return None
    per_concept: list[dict[int, list[Range]]] = []
    for concept in rule.all:
        by_unit: dict[int, list[Range]] = {}
        for hit in hits[concept]:
            if concept in rule.negatable and analysis.negated(hit):
                continue
            by_unit.setdefault(analysis.unit(rule.scope, hit[0]), []).append(hit)
        if not by_unit:
            return None
        per_concept.append(by_unit)
    common = set(per_concept[0]).intersection(*per_concept[1:])
    for unit in sorted(common):
        if any(analysis.unit(rule.scope, h[0]) == unit and not analysis.negated(h)
               for concept in rule.none for h in hits.get(concept, ())):
            continue  # a negated blocker ("not in the app") does not block
        for anchor in per_concept[0][unit]:
            # A hit nested in the anchor ("sale" inside "flash sale") is the same words, not a
            # second piece of evidence.
            others = [[h for h in by_unit[unit] if not (anchor[0] <= h[0] and h[1] <= anchor[1])
                       or h == anchor] for by_unit in per_concept[1:]]
            if not all(others):
                continue
            chosen = [anchor] + [_closest(candidates, anchor) for candidates in others]
            if rule.within is not None:
                span = max(r[1] for r in chosen) - min(r[0] for r in chosen)
                if span > rule.within:
                    continue
            return Finding(rule, tuple(chosen))
    return None


class RuleIndex:
    """Every lexicon rule of one direction, indexed by the concepts it needs.

    Eleven category plugins ask about the same message; the index evaluates all their rules
    in one go, once per message (the result is kept on the :class:`Analysis`), and only the
    rules whose concepts all occur are evaluated at all.
    """

    def __init__(self, rules: Iterable[RuleSpec], direction: str) -> None:
        self.direction = direction
        # Each rule is filed under the last concept it needs (the specific one: "credential"
        # in ["request", "credential"]), so a message only visits the rules whose specific
        # concept occurs in it, in lexicon order.
        self._by_trigger: dict[str, list[tuple[int, RuleSpec, frozenset[str]]]] = {}
        for order, rule in enumerate(rules):
            if not rule.python and rule.direction == direction:
                self._by_trigger.setdefault(rule.all[-1], []).append(
                    (order, rule, frozenset(rule.all))
                )

    def findings(self, analysis: Analysis) -> dict[str, list[Finding]]:
        cached = analysis.memo.get(self.direction)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        present = analysis.hits.keys()
        candidates = [
            entry
            for concept in present
            for entry in self._by_trigger.get(concept, ())
            if entry[2] <= present
        ]
        by_category: dict[str, list[Finding]] = {}
        for _, rule, _ in sorted(candidates, key=lambda e: e[0]):
            finding = evaluate(rule, analysis)
            if finding is not None:
                by_category.setdefault(rule.category, []).append(finding)
        analysis.memo[self.direction] = by_category
        return by_category
