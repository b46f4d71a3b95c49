"""The lexicon's Aho-Corasick automaton in C (see ``mmtkit.plugins.compliance.analysis``)."""

from collections.abc import Sequence

class Automaton:
    """An Aho-Corasick automaton over ``keys`` (non-empty, each once), each with its value."""

    def __init__(self, keys: Sequence[str], values: Sequence[object]) -> None: ...
    @property
    def nodes(self) -> int: ...
    def find(self, text: str) -> list[tuple[int, object]]:
        """Every key in ``text``, as (index of its last character, its value), by end
        position and, at one position, the longest first."""
