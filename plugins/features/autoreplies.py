"""Auto-replies: a welcome for a new conversation, keyword answers, away and holiday mode.

Every reply goes through ``actions.reply(..., automatic=True)``: the same pipeline as an
agent's message (capabilities, reply window, compliance checks, durable outbox), and it is
logged as automatic, so the KPIs can count it as a response (§6.2) or not (a setting).

The order per customer message: on holiday or outside opening hours, the away message (not
repeated to a conversation the business wrote to within ``repeat_after``); otherwise, for
the first message of a new conversation, the welcome. Then, in any case, the first keyword
reply whose keywords the message contains -- an answer is useful even when nobody is in.
"""

from __future__ import annotations

from datetime import datetime

from mmtkit.conversation import Conversation
from mmtkit.hookspecs import InboundActions, hookimpl
from mmtkit.messages import InboundEvent, MessageReceived, Text
from mmtkit.plugins.features.matching import KeywordMatcher
from mmtkit.plugins.features.settings import FeatureSettings, KeywordReply

__all__ = ["AutoReplies", "is_new_conversation"]


def is_new_conversation(conversation: Conversation, at: datetime) -> bool:
    """Is the customer message at ``at`` the first of a conversation nobody answered yet?"""
    return (
        conversation.first_customer_message_at == at
        and conversation.last_business_message_at is None
    )


class AutoReplies:
    """The auto-reply plugin; register an instance: ``manager.register(AutoReplies(s))``."""

    def __init__(self, settings: FeatureSettings) -> None:
        self.settings = settings
        self._keyword_replies: list[tuple[KeywordMatcher, KeywordReply]] = [
            (KeywordMatcher(rule.keywords), rule) for rule in settings.keyword_replies
        ]

    def _away_message(self, conversation: Conversation, at: datetime) -> str | None:
        away = self.settings.away
        if away is None or not away.schedule.away(at):
            return None
        last = conversation.last_business_message_at
        if last is not None and at - last < away.repeat_after:
            return None
        return away.holiday_message if away.schedule.on_holiday(at) else away.message

    def replies_for(self, event: MessageReceived, conversation: Conversation) -> list[str]:
        """The texts to send in answer to ``event`` (pure: for tests and previews)."""
        texts: list[str] = []
        away = self._away_message(conversation, event.timestamp)
        if away is not None:
            texts.append(away)
        elif self.settings.welcome and is_new_conversation(conversation, event.timestamp):
            texts.append(self.settings.welcome)
        for matcher, rule in self._keyword_replies:
            if matcher.matches(event.text):
                texts.append(rule.reply)
                break
        return texts

    @hookimpl
    def mmt_on_inbound(
        self, event: InboundEvent, conversation: Conversation, actions: InboundActions
    ) -> None:
        if not isinstance(event, MessageReceived):
            return
        for text in self.replies_for(event, conversation):
            actions.reply(Text(text), automatic=True)
