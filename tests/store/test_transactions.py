"""A transaction groups calls on every part: all of them commit, or none."""

from __future__ import annotations

import pytest

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, Text
from mmtkit.outbox import Guarantee
from mmtkit.store import Direction, InboxState, LoggedMessage, Store

from .conftest import T0


class Crash(Exception):
    pass


def process(store: Store, row_id: int, fail: bool) -> None:
    """What the gateway worker does with one inbox row, as one unit of work."""
    with store.transaction():
        assert store.dedup.seen_or_add("tiktok:m1", now=T0) is False
        store.conversations.upsert(
            Conversation(
                channel=Channel.TIKTOK, conversation_id="c", customer_id="u", opened_at=T0
            ).record_customer_message(T0)
        )
        store.messages.append(
            LoggedMessage(channel="tiktok", conversation_id="c", direction=Direction.INBOUND, at=T0)
        )
        store.outbox.add(
            idempotency_key="auto-reply",
            channel=Channel.TIKTOK,
            conversation_id="c",
            customer_id="u",
            account_id=None,
            content=Text("thanks"),
            guarantee=Guarantee.AT_LEAST_ONCE,
            now=T0,
        )
        store.event_dead_letters.add(sink="s", payload="{}", error="e", attempts=1, now=T0)
        store.inbox.complete(row_id, T0)
        if fail:
            raise Crash


def test_an_error_rolls_back_every_part(store: Store) -> None:
    row = store.inbox.append(channel="tiktok", body=b"{}", headers={}, received_at=T0)
    store.inbox.claim(T0)
    with pytest.raises(Crash):
        process(store, row.id, fail=True)
    assert store.dedup.seen_or_add("tiktok:m1", now=T0) is False
    store.dedup.purge(T0.replace(year=2100))
    assert store.conversations.get(Channel.TIKTOK, "c") is None
    assert store.messages.list(Channel.TIKTOK, "c") == []
    assert store.outbox.list() == []
    assert store.event_dead_letters.list() == []
    assert store.inbox.get(row.id).state is InboxState.PROCESSING

    process(store, row.id, fail=False)
    assert store.inbox.get(row.id).state is InboxState.PROCESSED
    assert store.conversations.get(Channel.TIKTOK, "c") is not None
    assert len(store.messages.list(Channel.TIKTOK, "c")) == 1
    assert [r.id for r in store.outbox.list()] == [1]  # a rolled-back id is handed out again
    assert len(store.event_dead_letters.list()) == 1


def test_nested_transactions_join_the_outer_one(store: Store) -> None:
    def nested() -> None:
        with store.transaction():
            with store.transaction():
                store.dedup.seen_or_add("k", now=T0)
            raise Crash

    with pytest.raises(Crash):
        nested()
    assert store.dedup.seen_or_add("k", now=T0) is False


def test_a_typed_error_inside_a_transaction_can_be_handled(store: Store) -> None:
    from mmtkit.store import UnknownInboxRow

    with store.transaction():
        store.dedup.seen_or_add("k", now=T0)
        with pytest.raises(UnknownInboxRow):
            store.inbox.complete(404, T0)
    assert store.dedup.seen_or_add("k", now=T0) is True
