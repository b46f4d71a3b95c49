"""Assign new conversations to an agent per channel, so each has an owner the KPIs can
report on (``mmtkit report`` groups by assignee). A conversation someone already owns is
left alone: an agent's manual assignment always wins."""

from __future__ import annotations

from mmtkit.conversation import Conversation
from mmtkit.hookspecs import InboundActions, hookimpl
from mmtkit.messages import InboundEvent, MessageReceived
from mmtkit.plugins.features.settings import FeatureSettings

__all__ = ["Assigner"]


class Assigner:
    def __init__(self, settings: FeatureSettings) -> None:
        self.by_channel = dict(settings.assignment.by_channel)

    @hookimpl
    def mmt_on_inbound(
        self, event: InboundEvent, conversation: Conversation, actions: InboundActions
    ) -> None:
        if not isinstance(event, MessageReceived) or conversation.assignee is not None:
            return
        agent = self.by_channel.get(event.channel.value)
        if agent is not None:
            actions.assign(agent)
