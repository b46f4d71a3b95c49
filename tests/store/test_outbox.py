"""The outbox contract, the same for every implementation (MemoryOutbox is the reference)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve

from mmtkit.messages import Channel, Image, Text
from mmtkit.outbox import (
    DuplicateIdempotencyKey,
    Guarantee,
    OutboxRecord,
    OutboxState,
    UnknownOutboxRecord,
)
from mmtkit.store import Store

from .conftest import T0


def add(store: Store, key: str = "k1", **extra: object) -> OutboxRecord:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "channel": Channel.TIKTOK,
        "conversation_id": "conv-1",
        "customer_id": "cust-1",
        "account_id": "biz-1",
        "content": Text("hello"),
        "guarantee": Guarantee.AT_LEAST_ONCE,
        "now": T0,
    }
    fields.update(extra)
    return store.outbox.add(**fields)  # type: ignore[arg-type]


def test_add_records_pending_with_payload(store: Store) -> None:
    record = add(store, tag="HUMAN_AGENT", sent_by="agent-7", content=Image(data=b"\x89PNG.."))
    assert record.state is OutboxState.PENDING
    assert record.attempts == 0
    assert record.created_at == record.updated_at == T0
    assert store.outbox.get(record.id) == record
    assert store.outbox.get_by_key("k1") == record
    assert record.content == Image(data=b"\x89PNG..")
    assert (record.tag, record.sent_by) == ("HUMAN_AGENT", "agent-7")


def test_idempotency_key_is_unique(store: Store) -> None:
    first = add(store)
    with pytest.raises(DuplicateIdempotencyKey) as caught:
        add(store, content=Text("other"))
    assert caught.value.existing == first
    assert len(store.outbox.list()) == 1


def test_unknown_record(store: Store) -> None:
    with pytest.raises(UnknownOutboxRecord):
        store.outbox.get(99)
    with pytest.raises(UnknownOutboxRecord):
        store.outbox.mark_sent(99, T0, platform_message_id="m")
    assert store.outbox.get_by_key("nope") is None


def test_happy_path(store: Store) -> None:
    record = add(store)
    later = T0 + timedelta(seconds=1)
    sending = store.outbox.mark_sending(record.id, later)
    assert (sending.state, sending.attempts, sending.possible_duplicate) == (
        OutboxState.SENDING,
        1,
        False,
    )
    sent = store.outbox.mark_sent(record.id, later, platform_message_id="m-1")
    assert sent.state is OutboxState.SENT
    assert sent.platform_message_id == "m-1"
    assert sent.updated_at == later
    assert sent.created_at == T0


def test_restarted_attempt_is_a_possible_duplicate(store: Store) -> None:
    record = add(store)
    store.outbox.mark_sending(record.id, T0)
    again = store.outbox.mark_sending(record.id, T0)
    assert again.attempts == 2
    assert again.possible_duplicate


def test_mark_pending_keeps_possible_duplicate(store: Store) -> None:
    record = add(store)
    store.outbox.mark_pending(record.id, T0, possible_duplicate=True)
    back = store.outbox.mark_pending(record.id, T0)
    assert back.possible_duplicate
    assert back.state is OutboxState.PENDING


def test_failed_and_unknown_are_listed_retried_or_discarded(store: Store) -> None:
    failed = add(store, "a")
    unknown = add(store, "b", guarantee=Guarantee.AT_MOST_ONCE)
    add(store, "c")
    store.outbox.mark_failed(failed.id, T0, error="rejected: 10002")
    store.outbox.mark_unknown(unknown.id, T0, error="read timeout")
    listed = store.outbox.list([OutboxState.FAILED, OutboxState.UNKNOWN])
    assert [r.id for r in listed] == [failed.id, unknown.id]
    assert [r.error for r in listed] == ["rejected: 10002", "read timeout"]
    retried = store.outbox.mark_pending(failed.id, T0)
    assert retried.state is OutboxState.PENDING
    discarded = store.outbox.discard(unknown.id, T0)
    assert discarded.state is OutboxState.DISCARDED
    assert store.outbox.list([OutboxState.FAILED, OutboxState.UNKNOWN]) == []
    sent = store.outbox.mark_sent(failed.id, T0, platform_message_id=None)
    assert sent.error is None


def test_list_all_oldest_first_with_limit(store: Store) -> None:
    ids = [add(store, f"k{i}").id for i in range(5)]
    assert [r.id for r in store.outbox.list()] == ids
    assert [r.id for r in store.outbox.list(limit=2)] == ids[:2]


def test_claim_pending_takes_each_record_once(store: Store) -> None:
    ids = [add(store, f"k{i}").id for i in range(5)]
    first = store.outbox.claim_pending(T0, limit=3)
    second = store.outbox.claim_pending(T0, limit=3)
    assert [r.id for r in first] == ids[:3]
    assert [r.id for r in second] == ids[3:]
    assert all(r.state is OutboxState.SENDING and r.attempts == 1 for r in first + second)
    assert store.outbox.claim_pending(T0) == []


def test_claim_is_compare_and_set(store: Store) -> None:
    record = store.outbox.mark_sending(add(store).id, T0)  # left "sending" by a crash
    won = store.outbox.claim(record, T0)
    assert won is not None
    assert won.attempts == 2
    assert won.possible_duplicate
    assert store.outbox.claim(record, T0) is None  # a second resumer sees a stale record
    with pytest.raises(UnknownOutboxRecord):
        store.outbox.claim(evolve(won, id=999), T0)


def test_claim_refuses_records_that_need_a_decision(store: Store) -> None:
    record = add(store)
    sent = store.outbox.mark_sent(record.id, T0, platform_message_id="m")
    assert store.outbox.claim(sent, T0) is None
    unknown = store.outbox.mark_unknown(record.id, T0, error="timeout")
    assert store.outbox.claim(unknown, T0) is None
    assert store.outbox.get(record.id).state is OutboxState.UNKNOWN
