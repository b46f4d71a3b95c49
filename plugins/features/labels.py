"""Rule-based labels: from keywords, from signals, from inbound compliance flags.

Labels are how an MMT's inbox filters conversations (``store.conversations.query(label=...)``);
these rules put them on as messages arrive, next to the labels agents add by hand
(``store.labels.add(channel, conversation_id, label)``). Keywords use the signals'
normalisation (:mod:`mmtkit.plugins.features.matching`); a signal such as ``payment`` becomes
``payment-intent``; an inbound violation of a configured category (``harassment``) becomes
``abusive-customer`` so the seller can find the conversations to report (§5.3).
"""

from __future__ import annotations

from collections.abc import Iterable

from mmtkit.conversation import Conversation
from mmtkit.hookspecs import InboundActions, hookimpl
from mmtkit.messages import InboundEvent, MessageReceived
from mmtkit.plugins.features.matching import KeywordMatcher
from mmtkit.plugins.features.settings import FeatureSettings
from mmtkit.policy import Violation

__all__ = ["Labeller"]


def _categories(actions: InboundActions) -> set[str]:
    """Categories of the inbound violations, when the gateway hands them to plugins (as
    ``actions.inbound_violations``); otherwise none."""
    violations: Iterable[Violation] = getattr(actions, "inbound_violations", ())
    return {str(v.category) for v in violations}


class Labeller:
    """The label plugin; register an instance: ``manager.register(Labeller(s))``."""

    def __init__(self, settings: FeatureSettings) -> None:
        self.settings = settings.labels
        self._keyword_rules = [
            (label, KeywordMatcher(keywords)) for label, keywords in self.settings.keywords
        ]

    def labels_for(
        self, text: str | None, signals: Iterable[str], categories: Iterable[str]
    ) -> set[str]:
        """The labels a message earns (pure: for tests and previews)."""
        found = {label for label, matcher in self._keyword_rules if matcher.matches(text)}
        found |= {self.settings.signals[s] for s in signals if s in self.settings.signals}
        found |= {
            self.settings.inbound_flags[c] for c in categories if c in self.settings.inbound_flags
        }
        return found

    @hookimpl
    def mmt_on_inbound(
        self, event: InboundEvent, conversation: Conversation, actions: InboundActions
    ) -> None:
        if not isinstance(event, MessageReceived):
            return
        labels = self.labels_for(
            event.text, (s.name for s in actions.signals), _categories(actions)
        )
        for label in sorted(labels - conversation.labels):
            actions.add_label(label)
