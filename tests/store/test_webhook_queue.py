"""The outgoing webhook queue: due order, retries, dead letters, requeue, rollback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mmtkit.store import Store, UnknownDeadLetter, WebhookState

from .conftest import T0


def enqueue(store: Store, event_type: str = "message.received", minutes: int = 0) -> int:
    return store.webhooks.enqueue(
        endpoint="crm",
        event_type=event_type,
        payload=json.dumps({"type": event_type}),
        now=T0 + timedelta(minutes=minutes),
    ).id


def test_due_lists_pending_deliveries_whose_time_has_come(store: Store) -> None:
    first, second = enqueue(store), enqueue(store, "label.added", minutes=5)
    assert [d.id for d in store.webhooks.due(T0)] == [first]
    assert [d.id for d in store.webhooks.due(T0 + timedelta(minutes=5))] == [first, second]
    done = store.webhooks.delivered(first, T0)
    assert (done.state, done.attempts) == (WebhookState.DELIVERED, 1)
    assert [d.id for d in store.webhooks.due(T0 + timedelta(hours=1))] == [second]


def test_a_failure_retries_later_then_dies_and_can_be_requeued(store: Store) -> None:
    delivery = enqueue(store)
    retry = store.webhooks.failed(delivery, error="HTTP 503", retry_at=T0 + timedelta(minutes=1))
    assert (retry.state, retry.attempts, retry.error) == (WebhookState.PENDING, 1, "HTTP 503")
    assert store.webhooks.due(T0) == []
    assert [d.id for d in store.webhooks.due(T0 + timedelta(minutes=1))] == [delivery]
    dead = store.webhooks.failed(delivery, error="timeout", retry_at=None)
    assert (dead.state, dead.attempts) == (WebhookState.DEAD, 2)
    assert store.webhooks.due(T0 + timedelta(days=1)) == []
    assert [d.id for d in store.webhooks.list(state=WebhookState.DEAD)] == [delivery]
    again = store.webhooks.requeue(delivery, T0 + timedelta(days=1))
    assert (again.state, again.attempts) == (WebhookState.PENDING, 0)
    assert again.webhook_id == dead.webhook_id == f"msg_{delivery}"


def test_unknown_ids_are_refused(store: Store) -> None:
    with pytest.raises(UnknownDeadLetter):
        store.webhooks.delivered(99, T0)


def test_an_enqueue_rolled_back_with_its_transaction_is_gone(store: Store) -> None:
    def enqueue_then_fail() -> None:
        with store.transaction():
            enqueue(store)
            raise RuntimeError("processing failed")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    assert store.webhooks.list() == []
