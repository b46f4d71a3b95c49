"""The store's interface, one small Protocol per concern.

The SDK core, the gateway and the clients only speak these Protocols; the memory and SQLite
stores implement them and a PostgreSQL store can follow without touching any caller. No SQL
appears here. A :class:`Store` bundles the parts as attributes (``store.inbox``,
``store.outbox``...) rather than one class with every method, because the parts would
collide (``outbox.list`` and ``messages.list``) and each caller needs only one or two.

Every method is atomic on its own. :meth:`Store.transaction` groups several calls into one
unit of work: the gateway worker uses it so "seen this platform id", the conversation update,
the message log entry and "inbox row processed" commit together or not at all -- which is what
turns an at-least-once inbox into exactly-once processing across a crash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel
from mmtkit.outbox import Outbox, OutboxRecord, OutboxState
from mmtkit.store.records import (
    ConversationStatus,
    EventDeadLetter,
    InboxDeadLetter,
    InboxRow,
    InboxState,
    LoggedMessage,
    Rating,
    WebhookDelivery,
    WebhookState,
)

__all__ = [
    "CLAIMABLE",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "ClaimableOutbox",
    "ConversationStore",
    "DedupKeys",
    "EventDeadLetters",
    "Inbox",
    "Labels",
    "MessageLog",
    "Ratings",
    "Store",
    "WebhookQueue",
]

DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claimed inbox row stays a worker's before another may take it over."""
DEFAULT_MAX_ATTEMPTS = 5
"""Claims of one inbox row before it is dead-lettered."""
CLAIMABLE = frozenset({OutboxState.PENDING, OutboxState.SENDING})
"""Outbox states :meth:`ClaimableOutbox.claim` may start an attempt from: a record that was
sent, failed, is unknown or discarded needs a person's decision (``mark_pending``) first."""


@runtime_checkable
class ClaimableOutbox(Outbox, Protocol):
    """An :class:`~mmtkit.outbox.Outbox` that several clients may work from at once.

    ``mark_sending`` alone cannot stop two processes resuming the same record after a crash
    (both would read it ``pending`` and both would send). The two claim methods are
    compare-and-set: exactly one caller wins each record.
    """

    def claim_pending(self, now: datetime, *, limit: int = 100) -> Sequence[OutboxRecord]:
        """Move up to ``limit`` of the oldest ``pending`` records to ``sending`` (``attempts``
        + 1) and return them; a record is returned to one caller only."""
        ...

    def claim(self, seen: OutboxRecord, now: datetime) -> OutboxRecord | None:
        """Start an attempt on ``seen`` (as :meth:`mark_sending` does) only if the record is
        still in the state and attempt count ``seen`` shows, and that state is ``pending`` or
        ``sending`` (:data:`CLAIMABLE`); None otherwise. Use it to resume a ``sending`` record
        left by a crashed process: of two resumers, one wins."""
        ...


@runtime_checkable
class Inbox(Protocol):
    """Verified webhook requests, written before the platform gets its 200.

    Delivery to workers is at least once: a claim is a lease, and a worker that dies holding
    it (kill -9) loses the row to the next claim once the lease has expired. Each claim counts
    as an attempt; after ``max_attempts`` the row moves to the dead letters with its last
    error, so a body that crashes the worker cannot block the queue forever.
    """

    def append(
        self,
        *,
        channel: Channel,
        body: bytes,
        headers: Mapping[str, str],
        received_at: datetime,
    ) -> InboxRow:
        """Keep one request (the raw body and the headers the worker needs, e.g. the
        signature). It is durable once this returns (see the store's durability setting)."""
        ...

    def get(self, row_id: int) -> InboxRow: ...

    def claim(
        self,
        now: datetime,
        *,
        limit: int = 100,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Sequence[InboxRow]:
        """Atomically take up to ``limit`` rows, oldest first: ``pending`` ones and those
        whose worker's lease ran out. Expired rows that already used ``max_attempts`` are
        dead-lettered instead of returned."""
        ...

    def complete(self, row_id: int, now: datetime) -> InboxRow:
        """The row was processed; it will not be claimed again."""
        ...

    def fail(
        self,
        row_id: int,
        now: datetime,
        *,
        error: str,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> InboxRow | InboxDeadLetter:
        """A processing attempt failed: back to ``pending`` for another try, or, after
        ``max_attempts`` claims, moved to the dead letters (returned)."""
        ...

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
        """Keep a body refused before processing (valid signature, malformed JSON)."""
        ...

    def dead_letters(self, *, limit: int = 100) -> Sequence[InboxDeadLetter]:
        """Dead letters, oldest first."""
        ...

    def requeue(self, dead_letter_id: int, now: datetime) -> InboxRow:
        """Give a dead letter another chance (after a fix): a fresh ``pending`` row with the
        same body, headers and ``received_at``; the dead letter is removed."""
        ...

    def counts(self) -> Mapping[InboxState, int]:
        """Rows per state, states without rows left out (for metrics and health checks)."""
        ...

    def purge_processed(self, before: datetime) -> int:
        """Delete rows processed before ``before``; returns how many."""
        ...


@runtime_checkable
class DedupKeys(Protocol):
    """Keys already handled (platform message ids, webhook event ids)."""

    def seen_or_add(self, key: str, *, now: datetime) -> bool:
        """True if ``key`` was seen before; otherwise record it and return False. Atomic:
        of two concurrent callers with the same new key exactly one gets False."""
        ...

    def purge(self, before: datetime) -> int:
        """Forget keys first seen before ``before`` (platforms stop redelivering after a
        while); returns how many."""
        ...


@runtime_checkable
class ConversationStore(Protocol):
    """Current state of every conversation, keyed by (channel, conversation_id).

    Updating is read-modify-write (``get``, :meth:`Conversation.apply`, ``upsert``): do it
    inside :meth:`Store.transaction` when several workers may touch one conversation.
    """

    def upsert(self, conversation: Conversation) -> None: ...

    def get(self, channel: Channel, conversation_id: str) -> Conversation | None: ...

    def waiting_since(self, channel: Channel, conversation_id: str) -> datetime | None:
        """Since when the customer has waited for an answer (None when nobody waits); see
        :func:`mmtkit.store.records.waiting_since`."""
        ...

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
        """Conversations matching every given filter.

        ``waiting_longer_than`` (needs ``now``) keeps conversations whose customer has waited
        at least that long for an answer. Waiting queries (``status=WAITING`` or
        ``waiting_longer_than``) list the longest-waiting first; others the most recently
        active first.
        """
        ...


@runtime_checkable
class Labels(Protocol):
    """Labels live on the conversation (``Conversation.labels``); these are atomic edits and
    an index. Filter conversations by label with :meth:`ConversationStore.query`."""

    def add(self, channel: Channel, conversation_id: str, label: str) -> Conversation: ...

    def remove(self, channel: Channel, conversation_id: str, label: str) -> Conversation: ...

    def counts(self) -> Mapping[str, int]:
        """Every label in use and how many conversations carry it."""
        ...


@runtime_checkable
class MessageLog(Protocol):
    """Every message of every conversation, both directions, for KPIs and audits."""

    def append(self, message: LoggedMessage) -> LoggedMessage:
        """Store ``message`` and return it with its ``id``. A message whose
        (channel, direction, platform_message_id) is already logged is not logged twice:
        the stored one is returned."""
        ...

    def list(
        self, channel: Channel, conversation_id: str, *, limit: int = 1000
    ) -> Sequence[LoggedMessage]:
        """The conversation's messages in time order (ties in the order they were logged)."""
        ...


@runtime_checkable
class Ratings(Protocol):
    """Customer satisfaction ratings, kept one row per rating (a customer may rate again; the
    KPIs decide which one counts)."""

    def add(self, rating: Rating) -> Rating:
        """Store ``rating`` and return it with its ``id``."""
        ...

    def list(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        channel: Channel | None = None,
        conversation_id: str | None = None,
        limit: int = 100_000,
    ) -> Sequence[Rating]:
        """Ratings with ``since <= at < until`` (either bound optional), oldest first."""
        ...


@runtime_checkable
class WebhookQueue(Protocol):
    """Outgoing webhooks waiting to be delivered, retried or looked at (dead letters).

    Enqueue inside the transaction that produced the event, so an event is queued exactly
    when its cause is committed; deliver outside any transaction (network I/O).
    """

    def enqueue(
        self, *, endpoint: str, event_type: str, payload: str, now: datetime
    ) -> WebhookDelivery: ...

    def due(self, now: datetime, *, limit: int = 100) -> Sequence[WebhookDelivery]:
        """Pending deliveries whose ``next_attempt_at`` has come, oldest first."""
        ...

    def delivered(self, delivery_id: int, now: datetime) -> WebhookDelivery: ...

    def failed(
        self, delivery_id: int, *, error: str, retry_at: datetime | None
    ) -> WebhookDelivery:
        """Count a failed attempt: pending again from ``retry_at``, or dead when it is None."""
        ...

    def list(
        self, *, state: WebhookState | None = None, limit: int = 100
    ) -> Sequence[WebhookDelivery]:
        """Deliveries in id order, optionally of one state (``DEAD`` for the dead letters)."""
        ...

    def requeue(self, delivery_id: int, now: datetime) -> WebhookDelivery:
        """Give a dead delivery another round of attempts."""
        ...


@runtime_checkable
class EventDeadLetters(Protocol):
    """Conversion events that failed for good."""

    def add(
        self,
        *,
        sink: str,
        payload: str,
        error: str,
        attempts: int,
        now: datetime,
        event_id: str | None = None,
    ) -> EventDeadLetter: ...

    def list(self, *, sink: str | None = None, limit: int = 100) -> Sequence[EventDeadLetter]:
        """Oldest first."""
        ...

    def remove(self, entry_id: int) -> None:
        """Forget one (after it was re-sent or judged not worth it)."""
        ...


@runtime_checkable
class Store(Protocol):
    """All the parts over one database."""

    @property
    def outbox(self) -> ClaimableOutbox: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def dedup(self) -> DedupKeys: ...
    @property
    def conversations(self) -> ConversationStore: ...
    @property
    def labels(self) -> Labels: ...
    @property
    def messages(self) -> MessageLog: ...
    @property
    def event_dead_letters(self) -> EventDeadLetters: ...
    @property
    def ratings(self) -> Ratings: ...
    @property
    def webhooks(self) -> WebhookQueue: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group calls on any parts into one all-or-nothing unit; an exception inside rolls
        everything back. Nested use joins the outer transaction. Other threads and processes
        wait while it is open, so keep it short and do no network I/O inside."""
        ...

    def close(self) -> None: ...
