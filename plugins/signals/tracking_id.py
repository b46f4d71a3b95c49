"""The TikTok tracking id in a conversation's first customer message.

For Instant Messaging Ads that open WhatsApp or Messenger, TikTok has not said how its
tracking id reaches the chat (reference §1.11: UNCONFIRMED); a prefilled first message is the
likeliest carrier. This plugin runs the configured extractor
(:func:`mmtkit.attribution.default_extractor`, pattern in ``MMTKIT_TRACKING_ID_PATTERN``) on
the first customer message of a conversation that has no tracking id yet, and reports what it
finds as a ``tracking_id`` signal: the id alone, never the text around it. The gateway records
it with :func:`mmtkit.attribution.attribute`.
"""

from __future__ import annotations

import os
from functools import cache

from mmtkit.attribution import TRACKING_PATTERN_ENV, PatternExtractor, default_extractor
from mmtkit.conversation import Conversation
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Content, InboundEvent, MessageReceived
from mmtkit.signals import Signal

__all__ = ["SOURCE", "tracking_signal"]

SOURCE = "tracking_id"


@cache
def _extractor(pattern: str | None) -> PatternExtractor:
    del pattern  # the cache key: rebuilt when the environment changes
    return default_extractor()


def _is_first_message(event: MessageReceived, conversation: Conversation | None) -> bool:
    if conversation is None:
        return True
    attribution = conversation.attribution
    if attribution is not None and attribution.tracking_id is not None:
        return False
    first = conversation.first_customer_message_at
    return first is None or event.timestamp <= first


def tracking_signal(
    event: InboundEvent | Content, conversation: Conversation | None
) -> Signal | None:
    """A ``tracking_id`` signal when ``event`` is the customer's first message and carries
    an id the extractor recognises."""
    if not isinstance(event, MessageReceived) or not event.text:
        return None
    if not _is_first_message(event, conversation):
        return None
    found = _extractor(os.environ.get(TRACKING_PATTERN_ENV))(event.text)
    return None if found is None else Signal("tracking_id", found, SOURCE)


@hookimpl
def mmt_extract_signals(
    event: InboundEvent | Content, conversation: Conversation | None
) -> list[Signal]:
    signal = tracking_signal(event, conversation)
    return [] if signal is None else [signal]
