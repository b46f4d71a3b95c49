"""Small builders for conversation histories, shared by the KPI tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mmtkit.conversation import Conversation, Initiator
from mmtkit.kpis import ChatHistory
from mmtkit.messages import Channel
from mmtkit.store.records import Direction, LoggedMessage, Rating

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
"""A Monday, midnight UTC."""


def history(
    cid: str,
    steps: list[tuple[float, str]],
    *,
    channel: Channel = Channel.TIKTOK,
    assignee: str | None = None,
    initiated_by: Initiator = Initiator.CUSTOMER,
    labels: frozenset[str] = frozenset(),
    ratings: list[tuple[float, int]] | None = None,
    start: datetime = T0,
) -> ChatHistory:
    """``steps`` are ``(hours after start, who)`` with who ``in``, ``out`` (a person) or
    ``auto`` (an automatic reply)."""
    conversation = Conversation(
        channel=channel,
        conversation_id=cid,
        customer_id=f"cust-{cid}",
        opened_at=start,
        initiated_by=initiated_by,
        labels=labels,
        assignee=assignee,
    )
    messages = [
        LoggedMessage(
            channel=channel,
            conversation_id=cid,
            direction=Direction.INBOUND if who == "in" else Direction.OUTBOUND,
            at=start + timedelta(hours=hours),
            automatic=who == "auto",
            sent_by={"in": None, "out": "ana", "auto": "automation"}[who],
            id=index + 1,
        )
        for index, (hours, who) in enumerate(steps)
    ]
    rated = [
        Rating(channel=channel, conversation_id=cid, score=score, at=start + timedelta(hours=h))
        for h, score in ratings or []
    ]
    return ChatHistory(conversation=conversation, messages=messages, ratings=rated)
