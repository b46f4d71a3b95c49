"""Keyword signals: does a message talk about payment, an order, a price, a booking, an
address or a refund?

TikTok asks Messaging Partners to report "specific keywords" as flags (``payment = true``),
with or without a tracking id, while the messages themselves stay private. This plugin finds
them with the compliance checks' own machinery -- the same normalisation
(:mod:`mmtkit.textnorm`: accents, full-width letters, spaced-out and leetspeak words) and the
same lexicon format and Aho-Corasick matcher -- so a word that would be caught by a check is
also seen as a signal, and there is one normaliser in the project, not two.

The words are data (``lexicons/signals.toml``), one concept per signal with synonyms in every
corpus language; terms match whole words (``pay`` does not fire on ``prepayment``) unless
written with ``*``. A ``<signal>__not`` concept lists phrases that cancel an overlapping hit
(``in order to``). Add or extend signals with TOML files in ``MMTKIT_SIGNALS_PATH``; choose
which signals are reported with ``MMTKIT_SIGNALS`` (comma-separated) or build your own
:class:`KeywordSignals`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import (
    Content,
    Image,
    InboundEvent,
    MessageEcho,
    MessageReceived,
    Template,
    Text,
)
from mmtkit.plugins.compliance.analysis import Matcher
from mmtkit.plugins.compliance.lexicon import Lexicon, build_lexicon, lexicon_sources
from mmtkit.signals import Signal

__all__ = [
    "DEFAULT_SIGNALS",
    "SIGNALS_ENV",
    "SIGNALS_PATH_ENV",
    "KeywordSignals",
    "default_keyword_signals",
    "load_signal_lexicon",
    "message_text",
]

SIGNALS_PATH_ENV = "MMTKIT_SIGNALS_PATH"
SIGNALS_ENV = "MMTKIT_SIGNALS"
DEFAULT_SIGNALS = ("payment", "order", "price", "booking", "address", "refund")
SOURCE = "keyword_signals"
_EXCEPTION_SUFFIX = "__not"


def load_signal_lexicon(extra: Iterable[Path] = ()) -> Lexicon:
    """The built-in signal words plus every ``*.toml`` in the ``extra`` folders."""
    return build_lexicon(lexicon_sources("mmtkit.plugins.signals", extra, SIGNALS_PATH_ENV))


def message_text(event: InboundEvent | Content) -> str | None:
    """The words of a message in or out, whatever carries them; None when it has none."""
    if isinstance(event, MessageReceived | MessageEcho):
        return event.text
    if isinstance(event, Text):
        return event.body
    if isinstance(event, Image):
        return event.caption
    if isinstance(event, Template):
        return " ".join(event.parameters) or None
    return None


def _overlaps(hit: tuple[int, int], exceptions: list[tuple[int, int]]) -> bool:
    return any(start < hit[1] and hit[0] < end for start, end in exceptions)


class KeywordSignals:
    """A compiled signal lexicon. ``signals`` limits which ones are reported (all by default).

    The matcher keeps a small cache of recent analyses, keyed by text, in memory only.
    """

    def __init__(self, lexicon: Lexicon | None = None, *, signals: Iterable[str] | None = None):
        lexicon = lexicon or load_signal_lexicon()
        known = frozenset(c for c in lexicon.concepts if not c.endswith(_EXCEPTION_SUFFIX))
        chosen = known if signals is None else frozenset(signals)
        unknown = chosen - known
        if unknown:
            raise ConfigError(
                f"unknown signal(s) {sorted(unknown)}; the lexicons define {sorted(known)}"
            )
        self.names = chosen
        self._matcher = Matcher(lexicon, cache_size=256, spelled_digits=False)

    def find(self, text: str) -> list[Signal]:
        """The signals ``text`` triggers, in a stable (alphabetical) order."""
        hits = self._matcher.analyse(text).hits
        found: list[Signal] = []
        for name in sorted(self.names):
            ranges = hits.get(name)
            if not ranges:
                continue
            exceptions = hits.get(name + _EXCEPTION_SUFFIX)
            if exceptions and all(_overlaps(r, exceptions) for r in ranges):
                continue
            found.append(Signal(name, True, SOURCE))
        return found

    def extract(self, event: InboundEvent | Content) -> list[Signal]:
        text = message_text(event)
        return self.find(text) if text else []


@cache
def _default(paths: tuple[str, ...], names: tuple[str, ...] | None) -> KeywordSignals:
    return KeywordSignals(load_signal_lexicon(Path(p) for p in paths), signals=names)


def default_keyword_signals() -> KeywordSignals:
    """Built from ``MMTKIT_SIGNALS_PATH`` and ``MMTKIT_SIGNALS``, once per configuration."""
    paths = tuple(p for p in os.environ.get(SIGNALS_PATH_ENV, "").split(os.pathsep) if p)
    raw = os.environ.get(SIGNALS_ENV, "").strip()
    names = tuple(sorted(n.strip() for n in raw.split(",") if n.strip())) if raw else None
    return _default(paths, names)


@hookimpl
def mmt_extract_signals(
    event: InboundEvent | Content, conversation: Conversation | None
) -> list[Signal]:
    """Keyword flags for a message in either direction; a conversation is not needed."""
    return default_keyword_signals().extract(event)
