"""Finding TikTok's tracking id where no platform field carries it.

For TikTok DMs the referral webhook (``im_referral_msg``) names the ad, and WhatsApp and
Messenger referrals carry ``ctwa_clid`` / ``ad_id``; :meth:`Conversation.record_referral`
keeps those. But for TikTok **Instant Messaging Ads** that open WhatsApp or Messenger, how the
TikTok tracking id reaches the chat is not published (reference §1.11: UNCONFIRMED). The
likeliest carrier is the prefilled first message ("Hi! I'm interested [ttclid: E.C.P...]"),
so the extractor is *pluggable*: :class:`PatternExtractor` with a configurable pattern is the
default, and anything with ``__call__(text) -> str | None`` can replace it.

The default pattern looks for a labelled token -- ``ttclid``, ``tt_id``, ``tracking id`` or
``tiktok id`` followed by ``:``, ``=`` or ``#`` -- of 8 to 128 id characters. Only a match in the
conversation's first customer message is taken, and only the token is kept, never the text
around it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError
from mmtkit.signals import Signal

__all__ = [
    "DEFAULT_TRACKING_PATTERN",
    "TRACKING_PATTERN_ENV",
    "PatternExtractor",
    "TrackingIdExtractor",
    "attribute",
    "default_extractor",
]

TRACKING_PATTERN_ENV = "MMTKIT_TRACKING_ID_PATTERN"
DEFAULT_TRACKING_PATTERN = (
    r"(?i)(?<![a-z0-9])(?:ttclid|tt[_-]?id|tiktok[ _-]?id|tracking[ _-]?id)\s*[:=#]\s*"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9._~-]{7,127})(?![A-Za-z0-9._~-])"
)
"""UNCONFIRMED: TikTok has not published the format; change it with ``MMTKIT_TRACKING_ID_PATTERN``
or pass your own :class:`PatternExtractor`."""


@runtime_checkable
class TrackingIdExtractor(Protocol):
    """Finds a tracking id in a customer's first message, or answers None."""

    def __call__(self, text: str) -> str | None: ...


class PatternExtractor:
    """A regular expression with one group (named ``id``, or the first group) for the id."""

    def __init__(self, pattern: str = DEFAULT_TRACKING_PATTERN) -> None:
        try:
            self.pattern = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"tracking id pattern is not a valid regular expression: {exc}")\
                from None
        if self.pattern.groups < 1:
            raise ConfigError("tracking id pattern needs a group around the id")
        self._group: str | int = "id" if "id" in self.pattern.groupindex else 1

    def __call__(self, text: str) -> str | None:
        match = self.pattern.search(text[:4096])  # a prefilled text is short; bound the work
        if match is None:
            return None
        found = match.group(self._group)
        return found or None


def default_extractor() -> PatternExtractor:
    """The pattern from ``MMTKIT_TRACKING_ID_PATTERN`` when set, else the default."""
    return PatternExtractor(os.environ.get(TRACKING_PATTERN_ENV) or DEFAULT_TRACKING_PATTERN)


def attribute(conversation: Conversation, signals: Iterable[Signal]) -> Conversation:
    """Record a ``tracking_id`` signal on the conversation (the first one wins, like a
    referral: a later message does not re-attribute the chat)."""
    current = conversation.attribution
    if current is not None and current.tracking_id is not None:
        return conversation
    for signal in signals:
        if signal.name == "tracking_id" and isinstance(signal.value, str) and signal.value:
            return conversation.with_tracking_id(signal.value)
    return conversation
