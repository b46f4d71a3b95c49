"""The lexicon's Aho-Corasick automaton in C (see ``mmtkit.plugins.compliance.analysis``)."""

from collections.abc import Callable, Sequence

class Automaton:
    """An Aho-Corasick automaton over ``keys`` (non-empty, each once), each with its value."""

    def __init__(self, keys: Sequence[str], values: Sequence[object]) -> None: ...
    @property
    def nodes(self) -> int: ...
    def find(self, text: str) -> list[tuple[int, object]]:
        """Every key in ``text``, as (index of its last character, its value), by end
        position and, at one position, the longest first."""
    def hits(self, text: str, accept: Callable[[int, int, str], bool] | None,
             short_accented: int, limit: int) -> dict[str, list[tuple[int, int]]]:
        """The ranges of the terms found in ``text`` that stand as whole words where they
        must, by concept, at most ``limit`` each, in the order :meth:`find` finds them; the
        values must be tuples of ``(concept, left, right, length, accented)`` payloads. A term
        with an accented spelling is kept if ``accept(start, end, accented)`` is true or,
        when ``accept`` is None (the text was typed in ASCII), if it is longer than
        ``short_accented``."""

def unit_ends(text: str, clauses: bool) -> list[int]:
    """Where the matches of ``analysis._CLAUSE_END`` (``clauses`` true) or
    ``analysis._SENTENCE_END`` end in ``text``, as ``finditer`` finds them."""

def digit_groups(text: str) -> list[tuple[int, int]]:
    """The spans of ``entities._DIGITS`` in ``text``, as ``finditer`` finds them."""
