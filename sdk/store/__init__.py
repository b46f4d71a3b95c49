"""Durable state: outbox, inbox, dedup keys, conversations, message log, labels, ratings,
dead letters.

Callers depend on the Protocols of :mod:`mmtkit.store.base`; :class:`SqliteStore` is the
embedded default and :class:`MemoryStore` the reference for tests. See ``docs/store.md``.
"""

from __future__ import annotations

from mmtkit.store.base import (
    CLAIMABLE,
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    ClaimableOutbox,
    ConversationStore,
    DedupKeys,
    EventDeadLetters,
    Inbox,
    Labels,
    MessageLog,
    Ratings,
    Store,
    WebhookQueue,
)
from mmtkit.store.errors import (
    CorruptRow,
    InvalidQuery,
    SchemaTooNew,
    StoreBusy,
    StoreError,
    UnknownConversation,
    UnknownDeadLetter,
    UnknownInboxRow,
)
from mmtkit.store.memory import MemoryStore
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
)
from mmtkit.store.sqlite import SqliteStore

__all__ = [
    "CLAIMABLE",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "ClaimableOutbox",
    "ConversationStatus",
    "ConversationStore",
    "CorruptRow",
    "DedupKeys",
    "Direction",
    "EventDeadLetter",
    "EventDeadLetters",
    "Inbox",
    "InboxDeadLetter",
    "InboxRow",
    "InboxState",
    "InvalidQuery",
    "Labels",
    "LoggedMessage",
    "MemoryStore",
    "MessageLog",
    "Rating",
    "Ratings",
    "SchemaTooNew",
    "SqliteStore",
    "Store",
    "StoreBusy",
    "StoreError",
    "UnknownConversation",
    "UnknownDeadLetter",
    "UnknownInboxRow",
    "WebhookDelivery",
    "WebhookQueue",
    "WebhookState",
]
