"""The inbox contract: append, claim with leases, complete, retry, dead letters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mmtkit.messages import Channel
from mmtkit.store import (
    InboxDeadLetter,
    InboxRow,
    InboxState,
    Store,
    UnknownDeadLetter,
    UnknownInboxRow,
)

from .conftest import T0

LEASE = timedelta(minutes=1)


def append(store: Store, body: bytes = b'{"event":"x"}', at: int = 0) -> InboxRow:
    return store.inbox.append(
        channel=Channel.TIKTOK,
        body=body,
        headers={"TikTok-Signature": "t=1,s=abc"},
        received_at=T0 + timedelta(seconds=at),
    )


def test_append_keeps_the_request_as_received(store: Store) -> None:
    row = append(store, b"\x00binary\xff")
    assert row.state is InboxState.PENDING
    assert row.attempts == 0
    assert store.inbox.get(row.id) == row
    assert row.body == b"\x00binary\xff"
    assert dict(row.headers) == {"tiktok-signature": "t=1,s=abc"}
    assert row.received_at == T0


def test_claim_takes_oldest_first_once(store: Store) -> None:
    rows = [append(store, at=i) for i in range(5)]
    first = store.inbox.claim(T0, limit=2, lease=LEASE)
    second = store.inbox.claim(T0, limit=10, lease=LEASE)
    assert [r.id for r in first] == [r.id for r in rows[:2]]
    assert [r.id for r in second] == [r.id for r in rows[2:]]
    assert all(r.state is InboxState.PROCESSING and r.attempts == 1 for r in first + second)
    assert all(r.claimed_at == T0 for r in first)
    assert store.inbox.claim(T0 + LEASE / 2, lease=LEASE) == []


def test_completed_rows_are_never_claimed_again(store: Store) -> None:
    row = append(store)
    (claimed,) = store.inbox.claim(T0, lease=LEASE)
    done = store.inbox.complete(claimed.id, T0)
    assert done.state is InboxState.PROCESSED
    assert done.processed_at == T0
    assert store.inbox.claim(T0 + LEASE * 10, lease=LEASE) == []
    assert store.inbox.counts() == {InboxState.PROCESSED: 1}
    assert row.id == done.id


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    append(store)
    (first,) = store.inbox.claim(T0, lease=LEASE)
    assert store.inbox.claim(T0 + LEASE - timedelta(seconds=1), lease=LEASE) == []
    (again,) = store.inbox.claim(T0 + LEASE, lease=LEASE)
    assert again.id == first.id
    assert again.attempts == 2


def test_failure_retries_then_dead_letters_with_the_error(store: Store) -> None:
    row = append(store)
    for attempt in (1, 2):
        (claimed,) = store.inbox.claim(T0, lease=LEASE, max_attempts=3)
        assert claimed.attempts == attempt
        retry = store.inbox.fail(row.id, T0, error=f"boom {attempt}", max_attempts=3)
        assert isinstance(retry, InboxRow)
        assert (retry.state, retry.error) == (InboxState.PENDING, f"boom {attempt}")
    store.inbox.claim(T0, lease=LEASE, max_attempts=3)
    dead = store.inbox.fail(row.id, T0 + LEASE, error="boom 3", max_attempts=3)
    assert isinstance(dead, InboxDeadLetter)
    assert (dead.inbox_id, dead.attempts, dead.error) == (row.id, 3, "boom 3")
    assert (dead.body, dead.headers, dead.received_at) == (row.body, row.headers, row.received_at)
    assert dead.failed_at == T0 + LEASE
    assert store.inbox.dead_letters() == [dead]
    with pytest.raises(UnknownInboxRow):
        store.inbox.get(row.id)
    assert store.inbox.claim(T0 + LEASE * 10, lease=LEASE) == []


def test_a_row_whose_workers_keep_dying_is_dead_lettered(store: Store) -> None:
    row = append(store)
    moment = T0
    for _ in range(2):
        assert len(store.inbox.claim(moment, lease=LEASE, max_attempts=2)) == 1
        moment += LEASE
    assert store.inbox.claim(moment, lease=LEASE, max_attempts=2) == []
    (dead,) = store.inbox.dead_letters()
    assert dead.inbox_id == row.id
    assert dead.attempts == 2
    assert "lease" in dead.error


def test_rejected_bodies_are_dead_lettered_directly(store: Store) -> None:
    dead = store.inbox.dead_letter(
        channel=Channel.MESSENGER,
        body=b"{not json",
        headers={"X-Hub-Signature-256": "sha256=00"},
        received_at=T0,
        error="MalformedWebhook: invalid JSON",
        now=T0,
    )
    assert dead.inbox_id is None
    assert dead.attempts == 0
    assert store.inbox.dead_letters() == [dead]
    assert store.inbox.claim(T0) == []


def test_requeue_gives_a_dead_letter_a_fresh_row(store: Store) -> None:
    row = append(store)
    store.inbox.claim(T0, lease=LEASE, max_attempts=1)
    dead = store.inbox.fail(row.id, T0, error="bug", max_attempts=1)
    assert isinstance(dead, InboxDeadLetter)
    fresh = store.inbox.requeue(dead.id, T0)
    assert (fresh.state, fresh.attempts, fresh.body) == (InboxState.PENDING, 0, row.body)
    assert fresh.id != row.id  # ids are never reused
    assert store.inbox.dead_letters() == []
    with pytest.raises(UnknownDeadLetter):
        store.inbox.requeue(dead.id, T0)


def test_purge_processed(store: Store) -> None:
    old, new, pending = append(store), append(store), append(store)
    store.inbox.claim(T0, limit=2)
    store.inbox.complete(old.id, T0)
    store.inbox.complete(new.id, T0 + timedelta(days=2))
    assert store.inbox.purge_processed(T0 + timedelta(days=1)) == 1
    assert {r.id for r in (store.inbox.get(new.id), store.inbox.get(pending.id))} == {
        new.id,
        pending.id,
    }
    with pytest.raises(UnknownInboxRow):
        store.inbox.get(old.id)


def test_unknown_rows(store: Store) -> None:
    with pytest.raises(UnknownInboxRow):
        store.inbox.complete(42, T0)
    with pytest.raises(UnknownInboxRow):
        store.inbox.fail(42, T0, error="x")
