"""Keyword matching for auto-replies and labels, with the signals' normalisation.

Keywords and messages both go through :func:`mmtkit.textnorm.normalize`, the one normaliser
the compliance checks and the keyword signals use, so "OPENING hours", "opening h0urs" and
the same words in full-width letters all match the keyword ``opening hours``. Keywords match
whole words (``open`` does not fire on ``opened``); Thai, written without spaces between
words, matches as a substring, as in the lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mmtkit.textnorm import normalize, normalize_term

__all__ = ["KeywordMatcher"]

_THAI = re.compile(r"[\u0e00-\u0e7f]")


def _pattern(term: str) -> str:
    body = re.escape(term)
    if _THAI.search(term):
        return body
    return rf"(?<![^\W_]){body}(?![^\W_])"


class KeywordMatcher:
    """Does a text contain one of the keywords? Built once, used per message."""

    def __init__(self, keywords: Iterable[str]) -> None:
        terms = sorted({normalize_term(k) for k in keywords if k.strip()}, key=len, reverse=True)
        terms = [t for t in terms if t]
        self._regex = re.compile("|".join(_pattern(t) for t in terms)) if terms else None

    def matches(self, text: str | None) -> bool:
        if self._regex is None or not text:
            return False
        return self._regex.search(normalize(text).text) is not None
