"""Conversations: upsert, get, labels, and the queries an MMT's inbox view needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel
from mmtkit.store import ConversationStatus, InvalidQuery, Store, UnknownConversation

from .conftest import T0

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def conversation(cid: str, channel: Channel = Channel.TIKTOK, **extra: object) -> Conversation:
    return Conversation(
        channel=channel,
        conversation_id=cid,
        customer_id=f"cust-{cid}",
        opened_at=T0,
        **extra,  # type: ignore[arg-type]
    )


def customer_wrote(c: Conversation, hours: float) -> Conversation:
    return c.record_customer_message(T0 + timedelta(hours=hours))


def business_wrote(c: Conversation, hours: float) -> Conversation:
    return c.record_business_message(T0 + timedelta(hours=hours))


def ids(found: object) -> list[str]:
    return [c.conversation_id for c in found]  # type: ignore[attr-defined]


def test_upsert_then_get_round_trips(store: Store) -> None:
    c = customer_wrote(conversation("a", labels={"vip"}, assignee="ana"), 1)
    store.conversations.upsert(c)
    assert store.conversations.get(Channel.TIKTOK, "a") == c
    assert store.conversations.get(Channel.WHATSAPP, "a") is None
    updated = business_wrote(c, 2)
    store.conversations.upsert(updated)
    assert store.conversations.get(Channel.TIKTOK, "a") == updated


def test_query_by_channel_assignee_and_unassigned(store: Store) -> None:
    store.conversations.upsert(conversation("a", assignee="ana"))
    store.conversations.upsert(conversation("b", Channel.WHATSAPP, assignee="bo"))
    store.conversations.upsert(conversation("c"))
    assert sorted(ids(store.conversations.query(channel=Channel.TIKTOK))) == ["a", "c"]
    assert ids(store.conversations.query(assignee="bo")) == ["b"]
    assert ids(store.conversations.query(unassigned=True)) == ["c"]
    assert ids(store.conversations.query(channel=Channel.TIKTOK, assignee="bo")) == []
    with pytest.raises(InvalidQuery):
        store.conversations.query(assignee="ana", unassigned=True)


def test_status_is_who_owes_the_next_message(store: Store) -> None:
    store.conversations.upsert(customer_wrote(conversation("waiting"), 1))
    store.conversations.upsert(business_wrote(customer_wrote(conversation("answered"), 1), 2))
    store.conversations.upsert(conversation("silent"))
    waiting = store.conversations.query(status=ConversationStatus.WAITING)
    answered = store.conversations.query(status=ConversationStatus.ANSWERED)
    assert ids(waiting) == ["waiting"]
    assert sorted(ids(answered)) == ["answered", "silent"]


def test_labels_are_stored_on_the_conversation_and_filterable(store: Store) -> None:
    store.conversations.upsert(conversation("a"))
    store.conversations.upsert(conversation("b", labels={"lead"}))
    labelled = store.labels.add(Channel.TIKTOK, "a", "lead")
    assert labelled.labels == {"lead"}
    store.labels.add(Channel.TIKTOK, "a", "vip")
    assert store.conversations.get(Channel.TIKTOK, "a").labels == {"lead", "vip"}  # type: ignore[union-attr]
    assert sorted(ids(store.conversations.query(label="lead"))) == ["a", "b"]
    assert store.labels.counts() == {"lead": 2, "vip": 1}
    store.labels.remove(Channel.TIKTOK, "b", "lead")
    assert ids(store.conversations.query(label="lead")) == ["a"]
    store.conversations.upsert(conversation("a"))  # an upsert replaces the labels too
    assert store.conversations.query(label="lead") == []
    with pytest.raises(UnknownConversation):
        store.labels.add(Channel.TIKTOK, "zzz", "lead")
    with pytest.raises(ValueError, match="blank"):
        store.labels.add(Channel.TIKTOK, "a", " ")


def test_waiting_longer_than_counts_from_the_first_unanswered_message(store: Store) -> None:
    c = customer_wrote(customer_wrote(conversation("a"), 0), 5)  # 12:00 and 17:00, no reply
    store.conversations.upsert(customer_wrote(conversation("a"), 0))
    store.conversations.upsert(c)
    assert store.conversations.waiting_since(Channel.TIKTOK, "a") == T0
    now = T0 + timedelta(hours=6)
    assert ids(store.conversations.query(waiting_longer_than=timedelta(hours=6), now=now)) == ["a"]
    assert store.conversations.query(waiting_longer_than=timedelta(hours=7), now=now) == []
    replied = business_wrote(c, 6)
    store.conversations.upsert(replied)
    assert store.conversations.waiting_since(Channel.TIKTOK, "a") is None
    assert store.conversations.query(waiting_longer_than=timedelta(0), now=now) == []
    store.conversations.upsert(customer_wrote(replied, 8))  # waiting again, from 20:00
    assert store.conversations.waiting_since(Channel.TIKTOK, "a") == T0 + timedelta(hours=8)


def test_waiting_query_is_time_zone_aware(store: Store) -> None:
    # The customer wrote at 21:00 in Tokyo = 12:00 UTC; "now" is given in New York time.
    tokyo_message = datetime(2026, 3, 1, 21, 0, tzinfo=TOKYO)
    c = conversation("a").record_customer_message(tokyo_message)
    store.conversations.upsert(c)
    ny_now = datetime(2026, 3, 1, 9, 0, tzinfo=NEW_YORK)  # = 14:00 UTC, two hours later
    found = store.conversations.query(waiting_longer_than=timedelta(hours=2), now=ny_now)
    assert ids(found) == ["a"]
    longer = timedelta(hours=2, seconds=1)
    assert store.conversations.query(waiting_longer_than=longer, now=ny_now) == []
    with pytest.raises(InvalidQuery):
        store.conversations.query(waiting_longer_than=timedelta(hours=1))


def test_ordering_longest_waiting_first_else_most_recent_first(store: Store) -> None:
    store.conversations.upsert(customer_wrote(conversation("late"), 3))
    store.conversations.upsert(customer_wrote(conversation("early"), 1))
    store.conversations.upsert(business_wrote(customer_wrote(conversation("done"), 0), 2))
    now = T0 + timedelta(hours=4)
    assert ids(store.conversations.query(status=ConversationStatus.WAITING)) == ["early", "late"]
    assert ids(store.conversations.query(waiting_longer_than=timedelta(0), now=now)) == [
        "early",
        "late",
    ]
    assert ids(store.conversations.query()) == ["late", "done", "early"]
    assert ids(store.conversations.query(limit=1)) == ["late"]


def test_filters_combine(store: Store) -> None:
    store.conversations.upsert(customer_wrote(conversation("a", labels={"vip"}, assignee="ana"), 0))
    store.conversations.upsert(customer_wrote(conversation("b", labels={"vip"}), 0))
    store.conversations.upsert(
        customer_wrote(conversation("c", Channel.MESSENGER, labels={"vip"}, assignee="ana"), 0)
    )
    found = store.conversations.query(
        channel=Channel.TIKTOK,
        label="vip",
        assignee="ana",
        status=ConversationStatus.WAITING,
        waiting_longer_than=timedelta(hours=1),
        now=T0 + timedelta(hours=1),
    )
    assert ids(found) == ["a"]
