"""Random operation sequences give the same answers from the SQLite outbox as from the
reference MemoryOutbox, including the errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from mmtkit.errors import MmtkitError
from mmtkit.messages import Channel, SharePost, Text
from mmtkit.outbox import Guarantee, OutboxRecord, OutboxState
from mmtkit.store import MemoryStore, SqliteStore

from .conftest import T0

keys = st.sampled_from(["a", "b", "c", "d", "e"])
ids = st.integers(min_value=0, max_value=7)
moments = st.integers(min_value=0, max_value=10_000).map(lambda s: T0 + timedelta(seconds=s))
contents = st.one_of(
    st.builds(Text, st.text(min_size=1, max_size=20)),
    st.builds(SharePost, st.text(min_size=1, max_size=8)),
)
state_sets = st.frozensets(st.sampled_from(list(OutboxState)), max_size=3)


def outcome(call: Callable[[], Any]) -> Any:
    """A return value, or the type and text of the error raised."""
    try:
        return call()
    except MmtkitError as exc:
        return ("raised", type(exc).__name__, str(exc))


class SameAsMemory(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        self.memory = MemoryStore()
        self.sqlite = SqliteStore(":memory:")
        self.seen: list[OutboxRecord] = []

    def both(self, name: str, *args: Any, **kwargs: Any) -> Any:
        expected = outcome(lambda: getattr(self.memory.outbox, name)(*args, **kwargs))
        actual = outcome(lambda: getattr(self.sqlite.outbox, name)(*args, **kwargs))
        assert actual == expected, name
        if isinstance(expected, OutboxRecord):
            self.seen.append(expected)
        return expected

    @rule(key=keys, content=contents, guarantee=st.sampled_from(list(Guarantee)), now=moments)
    def add(self, key: str, content: Any, guarantee: Guarantee, now: Any) -> None:
        self.both(
            "add",
            idempotency_key=key,
            channel=Channel.WHATSAPP,
            conversation_id="c",
            customer_id="u",
            account_id=None,
            content=content,
            guarantee=guarantee,
            now=now,
        )

    @rule(record_id=ids, now=moments)
    def mark_sending(self, record_id: int, now: Any) -> None:
        self.both("mark_sending", record_id, now)

    @rule(record_id=ids, now=moments, platform_id=st.none() | st.just("m-1"))
    def mark_sent(self, record_id: int, now: Any, platform_id: str | None) -> None:
        self.both("mark_sent", record_id, now, platform_message_id=platform_id)

    @rule(record_id=ids, now=moments, error=st.sampled_from(["boom", "timeout"]))
    def mark_failed_or_unknown(self, record_id: int, now: Any, error: str) -> None:
        self.both("mark_failed" if error == "boom" else "mark_unknown", record_id, now, error=error)

    @rule(record_id=ids, now=moments, duplicate=st.booleans())
    def mark_pending(self, record_id: int, now: Any, duplicate: bool) -> None:
        self.both("mark_pending", record_id, now, possible_duplicate=duplicate)

    @rule(record_id=ids, now=moments)
    def discard(self, record_id: int, now: Any) -> None:
        self.both("discard", record_id, now)

    @rule(now=moments, limit=st.integers(min_value=0, max_value=3))
    def claim_pending(self, now: Any, limit: int) -> None:
        self.both("claim_pending", now, limit=limit)

    @precondition(lambda self: bool(self.seen))
    @rule(data=st.data(), now=moments)
    def claim(self, data: st.DataObject, now: Any) -> None:
        self.both("claim", data.draw(st.sampled_from(self.seen)), now)

    @rule(states=state_sets, limit=st.integers(min_value=0, max_value=6))
    def list(self, states: frozenset[OutboxState], limit: int) -> None:
        self.both("list", states, limit=limit)

    @rule(key=keys)
    def get_by_key(self, key: str) -> None:
        self.both("get_by_key", key)

    @invariant()
    def same_records(self) -> None:
        if hasattr(self, "memory"):
            assert self.sqlite.outbox.list() == self.memory.outbox.list()

    def teardown(self) -> None:
        if hasattr(self, "sqlite"):
            self.sqlite.close()


SameAsMemory.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
TestOutboxSameAsMemory = SameAsMemory.TestCase
