"""Evaluating lexicon rules against an :class:`~mmtkit.plugins.compliance.analysis.Analysis`.

A rule fires when every concept in ``all`` has a hit in one sentence (or clause, or anywhere
in the message), none of its ``none`` concepts occurs in that unit, none of its ``unless``
concepts occurs in the message, and — for the concepts it marks ``negatable`` — the hit is
not preceded by a negation in the same clause. That last part is what separates "send me the
OTP" from "please never share your OTP": rules look at what the business *asks for*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any

from attrs import frozen

from mmtkit.native import c_function
from mmtkit.plugins.compliance.analysis import NEGATION, NEGATION_NEAR, Analysis, Range
from mmtkit.plugins.compliance.lexicon import RuleSpec
from mmtkit.trusted import assemble

__all__ = ["Finding", "RuleIndex", "evaluate", "new_finding", "silenced"]


@frozen
class Finding:
    """A rule that fired and the normalised ranges that made it fire."""

    rule: RuleSpec
    ranges: tuple[Range, ...]


def new_finding(rule: RuleSpec, ranges: tuple[Range, ...]) -> Finding:
    """``Finding(rule, ranges)``, as made for every rule that fires (a Finding has no
    converter or validator to run)."""
    return assemble(Finding, ("rule", "ranges"), (rule, ranges))


def _closest(candidates: list[Range], anchor: Range) -> Range:
    """The candidate starting nearest the anchor, the first of equals (as ``min`` with a key
    gives it, without a call of the key per candidate)."""
    start = anchor[0]
    best = candidates[0]
    distance = abs(best[0] - start)
    for candidate in candidates:
        gap = abs(candidate[0] - start)
        if gap < distance:
            best, distance = candidate, gap
    return best


def silenced(rule: RuleSpec, hits: dict[str, list[Range]]) -> bool:
    """One of the rule's ``unless`` concepts occurs in the message: the rule stays quiet,
    whether the lexicon or Python decides it fired."""
    return _any_occurs(rule.unless, hits)


def _any_occurs(concepts: tuple[str, ...], hits: dict[str, list[Range]]) -> bool:
    return any(concept in hits for concept in concepts)


class _Rule:
    """A lexicon rule's fields as its evaluation reads them. A :class:`RuleSpec` is an attrs
    class of a module that is not compiled, so each of its fields costs a generic attribute
    look-up; here they are the compiled class's own slots."""

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.category = spec.category
        self.all = spec.all
        self.scope = spec.scope
        self.negatable = spec.negatable
        self.none = spec.none
        self.unless = spec.unless
        self.within = spec.within


def evaluate(rule: RuleSpec, analysis: Analysis) -> Finding | None:
    """The finding of ``rule`` on ``analysis``, or None if it does not fire."""
    return _evaluate(_Rule(rule), analysis)


def _evaluate(rule: _Rule, analysis: Analysis) -> Finding | None:
    hits = analysis.hits
    for concept in rule.all:
        if concept not in hits:
            return None
    if _any_occurs(rule.unless, hits):  # silenced()
        return None
    # Only the blockers that occur at all can block (most rules list some; few messages
    # hold any of them).
    blockers = [c for c in rule.none if c in hits] if rule.none else rule.none
    if len(rule.all) == 1 and not blockers and rule.within is None:
        # One concept and nothing that blocks it (most rules): the first hit that is not
        # negated fires, and sentences or clauses need not be cut at all.
        # That is the general evaluation's answer (the first hit, in match order, of the
        # earliest unit) whenever the kept hits start in order, as they nearly always do.
        concept = rule.all[0]
        kept = analysis.grouped(concept, "message", concept in rule.negatable).get(0)
        if not kept:
            return None
        if rule.scope == "message" or all(a[0] <= b[0] for a, b in pairwise(kept)):
            return new_finding(rule.spec, (kept[0],))
    scope = rule.scope
    negatable = rule.negatable
    grouped = analysis.grouped
    per_concept: list[dict[int, list[Range]]] = []
    for concept in rule.all:
        by_unit = grouped(concept, scope, concept in negatable)
        if not by_unit:
            return None
        per_concept.append(by_unit)
    first, rest = per_concept[0], per_concept[1:]
    units: Iterable[int] = first.keys()
    for by_unit in rest:
        units = units & by_unit.keys()
    for unit in sorted(units):
        # A "none" concept in the unit blocks the rule; a negated one ("not in the app") does
        # not.
        if blockers and any(grouped(c, scope, True).get(unit) for c in blockers):
            continue
        for anchor in first[unit]:
            # A hit nested in the anchor ("sale" inside "flash sale") is the same words, not a
            # second piece of evidence.
            a_start, a_end = anchor
            chosen = [anchor]
            for by_unit in rest:
                others = [h for h in by_unit[unit]
                          if not (a_start <= h[0] and h[1] <= a_end) or h == anchor]
                if not others:
                    break
                chosen.append(others[0] if len(others) == 1 else _closest(others, anchor))
            else:
                if rule.within is not None:
                    span = max(r[1] for r in chosen) - min(r[0] for r in chosen)
                    if span > rule.within:
                        continue
                return new_finding(rule.spec, tuple(chosen))
    return None


_NATIVE_RULES: Callable[..., Any] | None = c_function("mmtkit.plugins.compliance._rules", "Rules")
"""The C form of the index's evaluation (``_rules.Rules``): the same steps as
:func:`_evaluate`, over the ranges read once into arrays; None in a build without the
extension, and then (or when a test sets it to None before making an index) Python
evaluates."""


class RuleIndex:
    """Every lexicon rule of one direction, indexed by the concepts it needs.

    Eleven category plugins ask about the same message; the index evaluates all their rules
    in one go, once per message (the result is kept on the :class:`Analysis`), and only the
    rules whose concepts all occur are evaluated at all.
    """

    def __init__(self, rules: Iterable[RuleSpec], direction: str) -> None:
        self.direction = direction
        mine = [rule for rule in rules if not rule.python and rule.direction == direction]
        native = _NATIVE_RULES
        self._native: Any = None if native is None else native(
            [(r, r.category, r.all, r.scope, r.negatable, r.none, r.unless, r.within)
             for r in mine], new_finding, (NEGATION, NEGATION_NEAR))
        """The C evaluation (:data:`_NATIVE_RULES`) over the same rules, or None."""
        # Each rule is filed under the last concept it needs (the specific one: "credential"
        # in ["request", "credential"]), so a message only visits the rules whose specific
        # concept occurs in it, in lexicon order.
        # With each, the other concepts it needs: a few dict look-ups tell whether they all
        # occur (a frozenset compared with the hits' keys view costs ten times as much).
        # The C table files the rules itself: the Python index is built only in its absence.
        self._by_trigger: dict[str, list[tuple[int, _Rule, tuple[str, ...]]]] = {}
        for order, rule in enumerate(mine if self._native is None else ()):
            trigger = rule.all[-1]
            others = tuple(dict.fromkeys(c for c in rule.all if c != trigger))
            self._by_trigger.setdefault(trigger, []).append((order, _Rule(rule), others))

    def findings(self, analysis: Analysis) -> dict[str, list[Finding]]:
        cached = analysis.memo.get(self.direction)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        native = self._native
        if native is not None:
            found: dict[str, list[Finding]] = native.findings(analysis.hits, analysis)
            analysis.memo[self.direction] = found
            return found
        hits = analysis.hits
        by_trigger = self._by_trigger
        candidates: list[tuple[int, _Rule, tuple[str, ...]]] = []
        for concept in hits:
            entries = by_trigger.get(concept)
            if entries is None:
                continue
            for entry in entries:
                for other in entry[2]:
                    if other not in hits:
                        break
                else:
                    candidates.append(entry)
        by_category: dict[str, list[Finding]] = {}
        for _, rule, _ in sorted(candidates, key=lambda e: e[0]):
            finding = _evaluate(rule, analysis)
            if finding is not None:
                by_category.setdefault(rule.category, []).append(finding)
        analysis.memo[self.direction] = by_category
        return by_category
