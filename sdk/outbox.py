"""The outbox: every outbound message is written down before it is sent.

The platforms give no idempotency keys, so the SDK keeps its own: a message is recorded
``pending`` under a unique key before any request leaves, moves to ``sending`` for each attempt,
and ends ``sent``, ``failed`` or ``unknown`` (the platform may or may not have it). After a crash
the client resumes ``pending`` and ``sending`` records according to each one's guarantee, so an
accepted message is never lost and never silently doubled.

This module holds the contract and an in-memory implementation (for tests and one-off
scripts); :mod:`mmtkit.store` holds the durable SQLite one.
"""

from __future__ import annotations

import enum
import itertools
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

from attrs import evolve, field, frozen

from mmtkit.errors import MmtkitError
from mmtkit.messages import Channel, Content, utc

__all__ = [
    "DuplicateIdempotencyKey",
    "Guarantee",
    "MemoryOutbox",
    "Outbox",
    "OutboxRecord",
    "OutboxState",
    "UnknownOutboxRecord",
]


class Guarantee(enum.StrEnum):
    """What to do when a send's outcome is ambiguous (e.g. a read timeout)."""

    AT_LEAST_ONCE = "at_least_once"
    """Retry; a possible duplicate is recorded as such. The default."""
    AT_MOST_ONCE = "at_most_once"
    """Never retry an ambiguous send; record the outcome as ``unknown``."""


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DISCARDED = "discarded"

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({OutboxState.SENT, OutboxState.FAILED, OutboxState.DISCARDED})


class DuplicateIdempotencyKey(MmtkitError):
    """A record with this idempotency key exists already (see ``existing``)."""

    def __init__(self, existing: OutboxRecord) -> None:
        super().__init__(
            f"idempotency key {existing.idempotency_key!r} is already used by outbox record "
            f"{existing.id} ({existing.state})"
        )
        self.existing = existing


class UnknownOutboxRecord(MmtkitError, LookupError):
    def __init__(self, record_id: int) -> None:
        super().__init__(f"no outbox record {record_id}")
        self.record_id = record_id


@frozen(kw_only=True)
class OutboxRecord:
    """One outbound message and everything known about its delivery."""

    id: int
    idempotency_key: str
    channel: Channel = field(converter=Channel)
    conversation_id: str
    customer_id: str
    account_id: str | None
    content: Content
    guarantee: Guarantee = field(converter=Guarantee)
    state: OutboxState = field(converter=OutboxState)
    created_at: datetime = field(converter=utc)
    updated_at: datetime = field(converter=utc)
    tag: str | None = None
    """A message tag chosen from the conversation state (Messenger ``HUMAN_AGENT``)."""
    attempts: int = 0
    platform_message_id: str | None = None
    possible_duplicate: bool = False
    """An earlier attempt may also have reached the platform."""
    error: str | None = None
    sent_by: str | None = None
    """The agent or automation that sent it, for KPIs and audits."""


@runtime_checkable
class Outbox(Protocol):
    """Durable storage of outbound messages. Implementations must make every method atomic:
    two clients sharing a store never both claim one record."""

    def add(
        self,
        *,
        idempotency_key: str,
        channel: Channel,
        conversation_id: str,
        customer_id: str,
        account_id: str | None,
        content: Content,
        guarantee: Guarantee,
        now: datetime,
        tag: str | None = None,
        sent_by: str | None = None,
    ) -> OutboxRecord:
        """Record a new ``pending`` message; raise :class:`DuplicateIdempotencyKey` if the key
        is taken."""
        ...

    def get(self, record_id: int) -> OutboxRecord: ...

    def get_by_key(self, idempotency_key: str) -> OutboxRecord | None: ...

    def mark_sending(self, record_id: int, now: datetime) -> OutboxRecord:
        """Start an attempt: state ``sending``, ``attempts`` + 1. A record already ``sending``
        (an earlier attempt that never finished) becomes a possible duplicate."""
        ...

    def mark_sent(
        self, record_id: int, now: datetime, *, platform_message_id: str | None
    ) -> OutboxRecord: ...

    def mark_failed(self, record_id: int, now: datetime, *, error: str) -> OutboxRecord: ...

    def mark_unknown(self, record_id: int, now: datetime, *, error: str) -> OutboxRecord: ...

    def mark_pending(
        self, record_id: int, now: datetime, *, possible_duplicate: bool = False
    ) -> OutboxRecord:
        """Back to ``pending`` (a retry by the user, or a transient failure)."""
        ...

    def discard(self, record_id: int, now: datetime) -> OutboxRecord: ...

    def list(
        self, states: Iterable[OutboxState] = (), *, limit: int = 1000
    ) -> Sequence[OutboxRecord]:
        """Records in the given states (all when empty), oldest first."""
        ...


class MemoryOutbox:
    """An :class:`Outbox` in a dict: fast, thread-safe, gone when the process ends."""

    def __init__(self, *, lock: AbstractContextManager[object] | None = None) -> None:
        """``lock`` lets a store that holds this outbox share its own re-entrant lock, so a
        store transaction also covers the outbox (see :class:`mmtkit.store.MemoryStore`)."""
        self._records: dict[int, OutboxRecord] = {}
        self._by_key: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock: AbstractContextManager[object] = lock or threading.Lock()

    def add(
        self,
        *,
        idempotency_key: str,
        channel: Channel,
        conversation_id: str,
        customer_id: str,
        account_id: str | None,
        content: Content,
        guarantee: Guarantee,
        now: datetime,
        tag: str | None = None,
        sent_by: str | None = None,
    ) -> OutboxRecord:
        with self._lock:
            existing = self._by_key.get(idempotency_key)
            if existing is not None:
                raise DuplicateIdempotencyKey(self._records[existing])
            record = OutboxRecord(
                id=next(self._ids),
                idempotency_key=idempotency_key,
                channel=channel,
                conversation_id=conversation_id,
                customer_id=customer_id,
                account_id=account_id,
                content=content,
                guarantee=guarantee,
                state=OutboxState.PENDING,
                created_at=now,
                updated_at=now,
                tag=tag,
                sent_by=sent_by,
            )
            self._records[record.id] = record
            self._by_key[idempotency_key] = record.id
            return record

    def get(self, record_id: int) -> OutboxRecord:
        try:
            return self._records[record_id]
        except KeyError:
            raise UnknownOutboxRecord(record_id) from None

    def get_by_key(self, idempotency_key: str) -> OutboxRecord | None:
        record_id = self._by_key.get(idempotency_key)
        return None if record_id is None else self._records[record_id]

    def _update(self, record_id: int, **changes: object) -> OutboxRecord:
        with self._lock:
            record = evolve(self.get(record_id), **changes)  # type: ignore[arg-type]
            self._records[record_id] = record
            return record

    def mark_sending(self, record_id: int, now: datetime) -> OutboxRecord:
        with self._lock:
            record = self.get(record_id)
            updated = evolve(
                record,
                state=OutboxState.SENDING,
                attempts=record.attempts + 1,
                possible_duplicate=record.possible_duplicate
                or record.state is OutboxState.SENDING,
                updated_at=now,
            )
            self._records[record_id] = updated
            return updated

    def mark_sent(
        self, record_id: int, now: datetime, *, platform_message_id: str | None
    ) -> OutboxRecord:
        return self._update(
            record_id,
            state=OutboxState.SENT,
            platform_message_id=platform_message_id,
            error=None,
            updated_at=now,
        )

    def mark_failed(self, record_id: int, now: datetime, *, error: str) -> OutboxRecord:
        return self._update(record_id, state=OutboxState.FAILED, error=error, updated_at=now)

    def mark_unknown(self, record_id: int, now: datetime, *, error: str) -> OutboxRecord:
        return self._update(record_id, state=OutboxState.UNKNOWN, error=error, updated_at=now)

    def mark_pending(
        self, record_id: int, now: datetime, *, possible_duplicate: bool = False
    ) -> OutboxRecord:
        with self._lock:
            record = self.get(record_id)
            updated = evolve(
                record,
                state=OutboxState.PENDING,
                possible_duplicate=record.possible_duplicate or possible_duplicate,
                updated_at=now,
            )
            self._records[record_id] = updated
            return updated

    def discard(self, record_id: int, now: datetime) -> OutboxRecord:
        return self._update(record_id, state=OutboxState.DISCARDED, updated_at=now)

    def list(
        self, states: Iterable[OutboxState] = (), *, limit: int = 1000
    ) -> Sequence[OutboxRecord]:
        wanted = frozenset(states)
        found = [r for r in self._records.values() if not wanted or r.state in wanted]
        return sorted(found, key=lambda r: r.id)[:limit]
