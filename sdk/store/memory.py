"""The store in process memory: the reference behaviour, for tests and one-off scripts.

Same semantics as the SQLite store (one shared test suite runs against both), gone when the
process ends. One re-entrant lock guards every part, so :meth:`MemoryStore.transaction` is
atomic and isolated from other threads; a transaction that raises restores the snapshot taken
when it began.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from attrs import evolve, frozen

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel
from mmtkit.outbox import MemoryOutbox, OutboxRecord, OutboxState
from mmtkit.store.base import CLAIMABLE, DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, Store
from mmtkit.store.errors import (
    InvalidQuery,
    UnknownConversation,
    UnknownDeadLetter,
    UnknownInboxRow,
)
from mmtkit.store.records import (
    ConversationStatus,
    Direction,
    EventDeadLetter,
    InboxDeadLetter,
    InboxRow,
    InboxState,
    LoggedMessage,
    Rating,
    WebhookDelivery,
    WebhookState,
    last_activity,
    lease_expired_error,
    status_of,
    waiting_since,
)

__all__ = ["MemoryStore"]


class _Part(Protocol):
    def _snapshot(self) -> Any: ...
    def _restore(self, snapshot: Any) -> None: ...


class _Guard:
    """The lock every part shares, and the transaction that snapshots them all."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.parts: list[_Part] = []
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            outer = self._depth == 0
            saved = [part._snapshot() for part in self.parts] if outer else []
            self._depth += 1
            try:
                yield
            except BaseException:
                if outer:
                    for part, snapshot in zip(self.parts, saved, strict=True):
                        part._restore(snapshot)
                raise
            finally:
                self._depth -= 1


class _Outbox(MemoryOutbox):
    """:class:`~mmtkit.outbox.MemoryOutbox` plus the claims, under the store's lock."""

    def __init__(self, guard: _Guard) -> None:
        super().__init__(lock=guard.lock)

    def claim_pending(self, now: datetime, *, limit: int = 100) -> Sequence[OutboxRecord]:
        with self._lock:
            pending = self.list([OutboxState.PENDING], limit=limit)
            return [self.mark_sending(record.id, now) for record in pending]

    def claim(self, seen: OutboxRecord, now: datetime) -> OutboxRecord | None:
        with self._lock:
            current = self.get(seen.id)
            if seen.state not in CLAIMABLE:
                return None
            if current.state is not seen.state or current.attempts != seen.attempts:
                return None
            return self.mark_sending(seen.id, now)

    def _snapshot(self) -> Any:
        return dict(self._records), dict(self._by_key)

    def _restore(self, snapshot: Any) -> None:
        self._records, self._by_key = snapshot
        # Like the SQLite store, ids of rolled-back records are handed out again.
        self._ids = itertools.count(max(self._records, default=0) + 1)


class _Inbox:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._rows: dict[int, InboxRow] = {}
        self._dead: dict[int, InboxDeadLetter] = {}
        self._next_row = 1
        self._next_dead = 1

    def _snapshot(self) -> Any:
        return dict(self._rows), dict(self._dead), self._next_row, self._next_dead

    def _restore(self, snapshot: Any) -> None:
        self._rows, self._dead, self._next_row, self._next_dead = snapshot

    def append(
        self,
        *,
        channel: Channel,
        body: bytes,
        headers: Mapping[str, str],
        received_at: datetime,
    ) -> InboxRow:
        with self._lock:
            row = InboxRow(
                id=self._next_row,
                channel=channel,
                body=bytes(body),
                headers=headers,
                received_at=received_at,
                state=InboxState.PENDING,
            )
            self._rows[row.id] = row
            self._next_row += 1
            return row

    def get(self, row_id: int) -> InboxRow:
        with self._lock:
            try:
                return self._rows[row_id]
            except KeyError:
                raise UnknownInboxRow(row_id) from None

    def _bury(self, row: InboxRow, now: datetime, error: str) -> InboxDeadLetter:
        dead = InboxDeadLetter(
            id=self._next_dead,
            channel=row.channel,
            body=row.body,
            headers=row.headers,
            received_at=row.received_at,
            failed_at=now,
            error=error,
            attempts=row.attempts,
            inbox_id=row.id,
        )
        self._next_dead += 1
        self._dead[dead.id] = dead
        del self._rows[row.id]
        return dead

    def claim(
        self,
        now: datetime,
        *,
        limit: int = 100,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Sequence[InboxRow]:
        with self._lock:
            cutoff = now - lease
            expired = [
                row
                for row in sorted(self._rows.values(), key=lambda r: r.id)
                if row.state is InboxState.PROCESSING
                and row.claimed_at is not None
                and row.claimed_at <= cutoff
            ]
            for row in expired:
                if row.attempts >= max_attempts:
                    self._bury(row, now, lease_expired_error(row.attempts, row.error))
            expired_ids = {row.id for row in expired}
            claimed: list[InboxRow] = []
            for row in sorted(self._rows.values(), key=lambda r: r.id):
                if len(claimed) >= limit:
                    break
                if row.state is InboxState.PENDING or row.id in expired_ids:
                    taken = evolve(
                        row, state=InboxState.PROCESSING, attempts=row.attempts + 1, claimed_at=now
                    )
                    self._rows[row.id] = taken
                    claimed.append(taken)
            return claimed

    def complete(self, row_id: int, now: datetime) -> InboxRow:
        with self._lock:
            row = evolve(self.get(row_id), state=InboxState.PROCESSED, processed_at=now)
            self._rows[row_id] = row
            return row

    def fail(
        self,
        row_id: int,
        now: datetime,
        *,
        error: str,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> InboxRow | InboxDeadLetter:
        with self._lock:
            row = self.get(row_id)
            if row.attempts >= max_attempts:
                return self._bury(row, now, error)
            retry = evolve(row, state=InboxState.PENDING, error=error, claimed_at=None)
            self._rows[row_id] = retry
            return retry

    def dead_letter(
        self,
        *,
        channel: Channel,
        body: bytes,
        headers: Mapping[str, str],
        received_at: datetime,
        error: str,
        now: datetime,
    ) -> InboxDeadLetter:
        with self._lock:
            dead = InboxDeadLetter(
                id=self._next_dead,
                channel=channel,
                body=bytes(body),
                headers=headers,
                received_at=received_at,
                failed_at=now,
                error=error,
            )
            self._next_dead += 1
            self._dead[dead.id] = dead
            return dead

    def dead_letters(self, *, limit: int = 100) -> Sequence[InboxDeadLetter]:
        with self._lock:
            return [self._dead[k] for k in sorted(self._dead)[:limit]]

    def requeue(self, dead_letter_id: int, now: datetime) -> InboxRow:
        with self._lock:
            dead = self._dead.pop(dead_letter_id, None)
            if dead is None:
                raise UnknownDeadLetter("inbox dead letters", dead_letter_id)
            return self.append(
                channel=dead.channel,
                body=dead.body,
                headers=dead.headers,
                received_at=dead.received_at,
            )

    def counts(self) -> Mapping[InboxState, int]:
        with self._lock:
            return dict(Counter(row.state for row in self._rows.values()))

    def purge_processed(self, before: datetime) -> int:
        with self._lock:
            # Only rows still processed: one failed again after completing is pending.
            old = [
                row.id
                for row in self._rows.values()
                if row.state is InboxState.PROCESSED
                and row.processed_at is not None
                and row.processed_at < before
            ]
            for row_id in old:
                del self._rows[row_id]
            return len(old)


class _Dedup:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._keys: dict[str, datetime] = {}

    def _snapshot(self) -> Any:
        return dict(self._keys)

    def _restore(self, snapshot: Any) -> None:
        self._keys = snapshot

    def seen_or_add(self, key: str, *, now: datetime) -> bool:
        with self._lock:
            if key in self._keys:
                return True
            self._keys[key] = now
            return False

    def purge(self, before: datetime) -> int:
        with self._lock:
            old = [key for key, first_seen in self._keys.items() if first_seen < before]
            for key in old:
                del self._keys[key]
            return len(old)


@frozen
class _Stored:
    conversation: Conversation
    waiting_since: datetime | None


class _Conversations:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._rows: dict[tuple[Channel, str], _Stored] = {}

    def _snapshot(self) -> Any:
        return dict(self._rows)

    def _restore(self, snapshot: Any) -> None:
        self._rows = snapshot

    def upsert(self, conversation: Conversation) -> None:
        with self._lock:
            key = (conversation.channel, conversation.conversation_id)
            previous = self._rows.get(key)
            since = waiting_since(previous.waiting_since if previous else None, conversation)
            self._rows[key] = _Stored(conversation, since)

    def get(self, channel: Channel, conversation_id: str) -> Conversation | None:
        with self._lock:
            stored = self._rows.get((Channel(channel), conversation_id))
            return None if stored is None else stored.conversation

    def waiting_since(self, channel: Channel, conversation_id: str) -> datetime | None:
        with self._lock:
            stored = self._rows.get((Channel(channel), conversation_id))
            return None if stored is None else stored.waiting_since

    def query(
        self,
        *,
        channel: Channel | None = None,
        label: str | None = None,
        status: ConversationStatus | None = None,
        assignee: str | None = None,
        unassigned: bool = False,
        waiting_longer_than: timedelta | None = None,
        now: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[Conversation]:
        if waiting_longer_than is not None and now is None:
            raise InvalidQuery("waiting_longer_than needs now=... (the store reads no clock)")
        if unassigned and assignee is not None:
            raise InvalidQuery("unassigned=True contradicts assignee=...")
        with self._lock:
            rows = list(self._rows.values())

        def keep(stored: _Stored) -> bool:
            c = stored.conversation
            if channel is not None and c.channel is not Channel(channel):
                return False
            if label is not None and label not in c.labels:
                return False
            if status is not None and status_of(c) is not ConversationStatus(status):
                return False
            if assignee is not None and c.assignee != assignee:
                return False
            if unassigned and c.assignee is not None:
                return False
            if waiting_longer_than is not None:
                assert now is not None
                if stored.waiting_since is None or stored.waiting_since > now - waiting_longer_than:
                    return False
            return True

        found = [stored for stored in rows if keep(stored)]
        if status is ConversationStatus.WAITING or waiting_longer_than is not None:
            found.sort(
                key=lambda s: (
                    s.waiting_since is None,
                    s.waiting_since or s.conversation.opened_at,
                    s.conversation.channel.value,
                    s.conversation.conversation_id,
                )
            )
        else:
            found.sort(key=lambda s: (s.conversation.channel.value, s.conversation.conversation_id))
            found.sort(key=lambda s: last_activity(s.conversation), reverse=True)
        return [stored.conversation for stored in found[:limit]]


class _Labels:
    def __init__(self, guard: _Guard, conversations: _Conversations) -> None:
        self._lock = guard.lock
        self._conversations = conversations

    def _edit(self, channel: Channel, conversation_id: str, label: str, add: bool) -> Conversation:
        with self._lock:
            current = self._conversations.get(channel, conversation_id)
            if current is None:
                raise UnknownConversation(Channel(channel), conversation_id)
            updated = current.with_label(label) if add else current.without_label(label)
            self._conversations.upsert(updated)
            return updated

    def add(self, channel: Channel, conversation_id: str, label: str) -> Conversation:
        return self._edit(channel, conversation_id, label, add=True)

    def remove(self, channel: Channel, conversation_id: str, label: str) -> Conversation:
        return self._edit(channel, conversation_id, label, add=False)

    def counts(self) -> Mapping[str, int]:
        with self._lock:
            rows = list(self._conversations._rows.values())
        return dict(Counter(label for row in rows for label in row.conversation.labels))


class _Messages:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._by_conversation: dict[tuple[Channel, str], list[LoggedMessage]] = {}
        self._by_platform_id: dict[tuple[Channel, Direction, str], LoggedMessage] = {}
        self._next_id = 1

    def _snapshot(self) -> Any:
        lists = {key: list(value) for key, value in self._by_conversation.items()}
        return lists, dict(self._by_platform_id), self._next_id

    def _restore(self, snapshot: Any) -> None:
        self._by_conversation, self._by_platform_id, self._next_id = snapshot

    def append(self, message: LoggedMessage) -> LoggedMessage:
        with self._lock:
            platform_key = None
            if message.platform_message_id is not None:
                platform_key = (message.channel, message.direction, message.platform_message_id)
                existing = self._by_platform_id.get(platform_key)
                if existing is not None:
                    return existing
            stored = evolve(message, id=self._next_id)
            self._next_id += 1
            key = (message.channel, message.conversation_id)
            self._by_conversation.setdefault(key, []).append(stored)
            if platform_key is not None:
                self._by_platform_id[platform_key] = stored
            return stored

    def list(
        self, channel: Channel, conversation_id: str, *, limit: int = 1000
    ) -> Sequence[LoggedMessage]:
        with self._lock:
            found = list(self._by_conversation.get((Channel(channel), conversation_id), []))
        found.sort(key=lambda m: (m.at, m.id))
        return found[:limit]


class _EventDeadLetters:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._entries: dict[int, EventDeadLetter] = {}
        self._next_id = 1

    def _snapshot(self) -> Any:
        return dict(self._entries), self._next_id

    def _restore(self, snapshot: Any) -> None:
        self._entries, self._next_id = snapshot

    def add(
        self,
        *,
        sink: str,
        payload: str,
        error: str,
        attempts: int,
        now: datetime,
        event_id: str | None = None,
    ) -> EventDeadLetter:
        with self._lock:
            entry = EventDeadLetter(
                id=self._next_id,
                sink=sink,
                payload=payload,
                error=error,
                attempts=attempts,
                failed_at=now,
                event_id=event_id,
            )
            self._next_id += 1
            self._entries[entry.id] = entry
            return entry

    def list(self, *, sink: str | None = None, limit: int = 100) -> Sequence[EventDeadLetter]:
        with self._lock:
            found = [
                self._entries[k]
                for k in sorted(self._entries)
                if sink is None or self._entries[k].sink == sink
            ]
        return found[:limit]

    def remove(self, entry_id: int) -> None:
        with self._lock:
            if self._entries.pop(entry_id, None) is None:
                raise UnknownDeadLetter("event dead letters", entry_id)


class _Ratings:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._entries: list[Rating] = []

    def _snapshot(self) -> Any:
        return list(self._entries)

    def _restore(self, snapshot: Any) -> None:
        self._entries = snapshot

    def add(self, rating: Rating) -> Rating:
        with self._lock:
            stored = evolve(rating, id=len(self._entries) + 1)
            self._entries.append(stored)
            return stored

    def list(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        channel: Channel | None = None,
        conversation_id: str | None = None,
        limit: int = 100_000,
    ) -> Sequence[Rating]:
        with self._lock:
            found = [
                r
                for r in self._entries
                if (since is None or r.at >= since)
                and (until is None or r.at < until)
                and (channel is None or r.channel is Channel(channel))
                and (conversation_id is None or r.conversation_id == conversation_id)
            ]
        found.sort(key=lambda r: (r.at, r.id))
        return found[:limit]


class _WebhookQueue:
    def __init__(self, guard: _Guard) -> None:
        self._lock = guard.lock
        self._rows: dict[int, WebhookDelivery] = {}

    def _snapshot(self) -> Any:
        return dict(self._rows)

    def _restore(self, snapshot: Any) -> None:
        self._rows = snapshot

    def _get(self, delivery_id: int) -> WebhookDelivery:
        try:
            return self._rows[delivery_id]
        except KeyError:
            raise UnknownDeadLetter("webhook queue", delivery_id) from None

    def enqueue(
        self, *, endpoint: str, event_type: str, payload: str, now: datetime
    ) -> WebhookDelivery:
        with self._lock:
            row = WebhookDelivery(
                id=max(self._rows, default=0) + 1,
                endpoint=endpoint,
                event_type=event_type,
                payload=payload,
                created_at=now,
                state=WebhookState.PENDING,
                next_attempt_at=now,
            )
            self._rows[row.id] = row
            return row

    def due(self, now: datetime, *, limit: int = 100) -> Sequence[WebhookDelivery]:
        with self._lock:
            found = [
                r
                for _, r in sorted(self._rows.items())
                if r.state is WebhookState.PENDING and r.next_attempt_at <= now
            ]
        return found[:limit]

    def delivered(self, delivery_id: int, now: datetime) -> WebhookDelivery:
        with self._lock:
            row = self._get(delivery_id)
            done = evolve(row, state=WebhookState.DELIVERED, attempts=row.attempts + 1, error=None)
            self._rows[delivery_id] = done
            return done

    def failed(
        self, delivery_id: int, *, error: str, retry_at: datetime | None
    ) -> WebhookDelivery:
        with self._lock:
            row = self._get(delivery_id)
            updated = evolve(
                row,
                attempts=row.attempts + 1,
                error=error,
                state=WebhookState.DEAD if retry_at is None else WebhookState.PENDING,
                next_attempt_at=row.next_attempt_at if retry_at is None else retry_at,
            )
            self._rows[delivery_id] = updated
            return updated

    def list(
        self, *, state: WebhookState | None = None, limit: int = 100
    ) -> Sequence[WebhookDelivery]:
        with self._lock:
            found = [
                r for _, r in sorted(self._rows.items()) if state is None or r.state is state
            ]
        return found[:limit]

    def requeue(self, delivery_id: int, now: datetime) -> WebhookDelivery:
        with self._lock:
            row = self._get(delivery_id)
            again = evolve(row, state=WebhookState.PENDING, attempts=0, next_attempt_at=now)
            self._rows[delivery_id] = again
            return again


class MemoryStore:
    """A :class:`~mmtkit.store.base.Store` in dicts: thread-safe, fast, not durable."""

    def __init__(self) -> None:
        self._guard = _Guard()
        self._outbox = _Outbox(self._guard)
        self._inbox = _Inbox(self._guard)
        self._dedup = _Dedup(self._guard)
        self._conversations = _Conversations(self._guard)
        self._labels = _Labels(self._guard, self._conversations)
        self._messages = _Messages(self._guard)
        self._event_dead_letters = _EventDeadLetters(self._guard)
        self._ratings = _Ratings(self._guard)
        self._webhooks = _WebhookQueue(self._guard)
        self._guard.parts = [
            self._webhooks,
            self._ratings,
            self._outbox,
            self._inbox,
            self._dedup,
            self._conversations,
            self._messages,
            self._event_dead_letters,
        ]

    @property
    def outbox(self) -> _Outbox:
        return self._outbox

    @property
    def inbox(self) -> _Inbox:
        return self._inbox

    @property
    def dedup(self) -> _Dedup:
        return self._dedup

    @property
    def conversations(self) -> _Conversations:
        return self._conversations

    @property
    def labels(self) -> _Labels:
        return self._labels

    @property
    def messages(self) -> _Messages:
        return self._messages

    @property
    def event_dead_letters(self) -> _EventDeadLetters:
        return self._event_dead_letters

    @property
    def ratings(self) -> _Ratings:
        return self._ratings

    @property
    def webhooks(self) -> _WebhookQueue:
        return self._webhooks

    def transaction(self) -> AbstractContextManager[None]:
        return self._guard.transaction()

    def close(self) -> None:
        """Nothing to release; present so code can close any store."""

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _conforms(store: MemoryStore) -> Store:
    """mypy checks here that MemoryStore implements every Protocol of the interface."""
    return store
