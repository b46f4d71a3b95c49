"""The lexicon rules' evaluation in C (see ``mmtkit.plugins.compliance.rules``)."""

from collections.abc import Callable, Sequence

class Rules:
    """Lexicon rules, each ``(spec, category, all, scope, negatable, none, unless, within)``
    as a :class:`~mmtkit.plugins.compliance.lexicon.RuleSpec` has them; ``make(spec, ranges)``
    makes a finding; without one of the ``negations`` concepts in a message, no hit is
    negated."""

    def __init__(self, rules: Sequence[tuple[object, str, tuple[str, ...], str,
                                             tuple[str, ...], tuple[str, ...],
                                             tuple[str, ...], int | None]],
                 make: Callable[[object, tuple[tuple[int, int], ...]], object],
                 negations: Sequence[str]) -> None: ...
    @property
    def count(self) -> int: ...
    def findings(self, hits: dict[str, list[tuple[int, int]]], analysis: object
                 ) -> dict[str, list[object]]:
        """The findings of the rules that fire, by category in rule order, as
        ``RuleIndex`` evaluates them in Python; ``analysis`` gives ``sentence_ends``,
        ``clause_ends`` and ``negated(range, concept)``."""
