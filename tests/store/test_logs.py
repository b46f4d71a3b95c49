"""Dedup keys, the message log and the conversion-event dead letters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mmtkit.messages import Channel
from mmtkit.store import Direction, LoggedMessage, Store, UnknownDeadLetter

from .conftest import T0


def test_seen_or_add(store: Store) -> None:
    assert store.dedup.seen_or_add("tiktok:m1", now=T0) is False
    assert store.dedup.seen_or_add("tiktok:m1", now=T0) is True
    assert store.dedup.seen_or_add("tiktok:m2", now=T0 + timedelta(days=3)) is False
    assert store.dedup.purge(T0 + timedelta(days=1)) == 1
    assert store.dedup.seen_or_add("tiktok:m1", now=T0) is False
    assert store.dedup.seen_or_add("tiktok:m2", now=T0) is True


def message(at_minutes: int, direction: Direction, **extra: object) -> LoggedMessage:
    return LoggedMessage(
        channel=Channel.WHATSAPP,
        conversation_id="c1",
        direction=direction,
        at=T0 + timedelta(minutes=at_minutes),
        **extra,  # type: ignore[arg-type]
    )


def test_message_log_lists_a_conversation_in_time_order(store: Store) -> None:
    reply = store.messages.append(
        message(5, Direction.OUTBOUND, text="hi!", automatic=True, sent_by="bot", outbox_id=3)
    )
    question = store.messages.append(
        message(1, Direction.INBOUND, text="price?", platform_message_id="wamid.1", kind="text")
    )
    same_time = store.messages.append(message(5, Direction.INBOUND, text="thanks"))
    store.messages.append(
        LoggedMessage(channel=Channel.WHATSAPP, conversation_id="c2", direction="inbound", at=T0)
    )
    listed = store.messages.list(Channel.WHATSAPP, "c1")
    assert listed == [question, reply, same_time]
    assert reply.id is not None
    assert (reply.automatic, reply.sent_by, reply.outbox_id) == (True, "bot", 3)
    assert store.messages.list(Channel.WHATSAPP, "c1", limit=1) == [question]
    assert store.messages.list(Channel.TIKTOK, "c1") == []


def test_a_platform_message_is_logged_once(store: Store) -> None:
    first = store.messages.append(message(1, Direction.INBOUND, platform_message_id="m1"))
    again = store.messages.append(message(2, Direction.INBOUND, platform_message_id="m1"))
    echo = store.messages.append(message(1, Direction.OUTBOUND, platform_message_id="m1"))
    assert again == first
    assert echo.id != first.id
    assert len(store.messages.list(Channel.WHATSAPP, "c1")) == 2


def test_event_dead_letters(store: Store) -> None:
    a = store.event_dead_letters.add(
        sink="tiktok_events", payload='{"event":"Purchase"}', error="40002", attempts=5, now=T0
    )
    b = store.event_dead_letters.add(
        sink="crm", payload="{}", error="410 Gone", attempts=1, now=T0, event_id="e-2"
    )
    assert store.event_dead_letters.list() == [a, b]
    assert store.event_dead_letters.list(sink="crm") == [b]
    assert b.event_id == "e-2"
    store.event_dead_letters.remove(a.id)
    assert store.event_dead_letters.list() == [b]
    with pytest.raises(UnknownDeadLetter):
        store.event_dead_letters.remove(a.id)
