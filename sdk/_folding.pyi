"""Text folding in C (see ``mmtkit.textnorm``, whose Python forms give the same answers)."""

from collections.abc import Mapping

class Folder:
    """Folds text as ``str.translate(table)`` does, from a cache of its own: ``table`` must
    be append-only, each code point's value never replaced. ``classes`` gives each Latin-1
    character its class for :meth:`maybe_spaced` (``S``, ``A`` or anything else)."""

    def __new__(cls, table: Mapping[int, str], classes: bytes) -> Folder: ...
    def fold(self, text: str) -> tuple[str, list[int] | None]:
        """``text.translate(table)``, and the indices of the characters whose folded form is
        not one character long (None when there is none)."""
    def maybe_spaced(self, text: str) -> bool:
        """Whether the classes of the characters of ``text`` hold ``SASAS`` or ``SASSAS``;
        characters beyond Latin-1 have the class of ``?``."""
    def leet_hint(self, text: str, pos: int) -> int:
        """Where ``textnorm._MAYBE_LEET.search(text, pos)`` matches, or -1."""
