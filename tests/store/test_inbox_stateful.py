"""Random sequences of inbox and dedup operations give the same answers from SQLite as from
the memory store: claims, leases, retries and dead letters included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mmtkit.errors import MmtkitError
from mmtkit.store import MemoryStore, SqliteStore

from .conftest import T0

ids = st.integers(min_value=0, max_value=6)
# Coarse times make the edge cases (a lease expiring exactly now) likely.
moments = st.integers(min_value=0, max_value=12).map(lambda n: T0 + timedelta(seconds=30 * n))
leases = st.sampled_from([timedelta(0), timedelta(seconds=30), timedelta(seconds=90)])
attempts = st.integers(min_value=1, max_value=3)


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except MmtkitError as exc:
        return ("raised", type(exc).__name__, str(exc))


class InboxSameAsMemory(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        self.memory = MemoryStore()
        self.sqlite = SqliteStore(":memory:")

    def both(self, part: str, name: str, *args: Any, **kwargs: Any) -> None:
        expected = outcome(lambda: getattr(getattr(self.memory, part), name)(*args, **kwargs))
        actual = outcome(lambda: getattr(getattr(self.sqlite, part), name)(*args, **kwargs))
        assert actual == expected, f"{part}.{name}"

    @rule(body=st.binary(max_size=8), at=moments)
    def append(self, body: bytes, at: Any) -> None:
        self.both(
            "inbox", "append", channel="tiktok", body=body, headers={"A": "1"}, received_at=at
        )

    @rule(now=moments, limit=st.integers(min_value=1, max_value=3), lease=leases, most=attempts)
    def claim(self, now: Any, limit: int, lease: timedelta, most: int) -> None:
        self.both("inbox", "claim", now, limit=limit, lease=lease, max_attempts=most)

    @rule(row_id=ids, now=moments)
    def complete(self, row_id: int, now: Any) -> None:
        self.both("inbox", "complete", row_id, now)

    @rule(row_id=ids, now=moments, most=attempts)
    def fail(self, row_id: int, now: Any, most: int) -> None:
        self.both("inbox", "fail", row_id, now, error="boom", max_attempts=most)

    @rule(body=st.binary(max_size=4), now=moments)
    def dead_letter(self, body: bytes, now: Any) -> None:
        self.both(
            "inbox",
            "dead_letter",
            channel="messenger",
            body=body,
            headers={},
            received_at=now,
            error="malformed",
            now=now,
        )

    @rule(entry_id=ids, now=moments)
    def requeue(self, entry_id: int, now: Any) -> None:
        self.both("inbox", "requeue", entry_id, now)

    @rule(before=moments)
    def purge_processed(self, before: Any) -> None:
        self.both("inbox", "purge_processed", before)

    @rule(key=st.sampled_from("abc"), now=moments)
    def seen_or_add(self, key: str, now: Any) -> None:
        self.both("dedup", "seen_or_add", key, now=now)

    @rule(before=moments)
    def purge_keys(self, before: Any) -> None:
        self.both("dedup", "purge", before)

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "memory"):
            assert self.sqlite.inbox.counts() == self.memory.inbox.counts()
            assert self.sqlite.inbox.dead_letters() == self.memory.inbox.dead_letters()

    def teardown(self) -> None:
        if hasattr(self, "sqlite"):
            self.sqlite.close()


InboxSameAsMemory.TestCase.settings = settings(
    max_examples=100, stateful_step_count=25, deadline=None
)
TestInboxSameAsMemory = InboxSameAsMemory.TestCase


def test_a_row_failed_again_after_completing_is_not_purged_as_processed() -> None:
    # Found by the state machine: the memory store purged it, SQLite kept it (pending).
    for store in (MemoryStore(), SqliteStore(":memory:")):
        row = store.inbox.append(channel="tiktok", body=b"", headers={}, received_at=T0)
        store.inbox.complete(row.id, T0)
        store.inbox.fail(row.id, T0, error="boom", max_attempts=5)
        assert store.inbox.purge_processed(T0 + timedelta(seconds=30)) == 0, store
