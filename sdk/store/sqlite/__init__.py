"""The SQLite store: the embedded default, one file (or ``:memory:``) in WAL mode.

Everything SQLite-specific lives in this package; see :mod:`.connection` for what the
durability settings mean and :mod:`.migrations` for the schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from mmtkit.store.base import Store
from mmtkit.store.sqlite.connection import Database, Synchronous
from mmtkit.store.sqlite.conversations import SqliteConversations, SqliteLabels
from mmtkit.store.sqlite.inbox import SqliteInbox
from mmtkit.store.sqlite.logs import SqliteDedupKeys, SqliteEventDeadLetters, SqliteMessageLog
from mmtkit.store.sqlite.migrations import migrate
from mmtkit.store.sqlite.outbox import SqliteOutbox
from mmtkit.store.sqlite.ratings import SqliteRatings
from mmtkit.store.sqlite.webhooks import SqliteWebhookQueue

__all__ = ["SqliteStore"]


class SqliteStore:
    """A :class:`~mmtkit.store.base.Store` in one SQLite database.

    ``path`` is a file (created and migrated on first open) or ``":memory:"`` (private to
    this object, for tests). ``synchronous="FULL"`` makes each commit survive power loss, not
    only a process crash; ``busy_timeout`` is how many seconds a write waits for another
    process's transaction.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "NORMAL",
        busy_timeout: float = 5.0,
    ) -> None:
        self._db = Database(os.fspath(path), synchronous=synchronous, busy_timeout=busy_timeout)
        try:
            self.schema_version = migrate(self._db)
        except BaseException:
            self._db.close()
            raise
        self._outbox = SqliteOutbox(self._db)
        self._inbox = SqliteInbox(self._db)
        self._dedup = SqliteDedupKeys(self._db)
        self._conversations = SqliteConversations(self._db)
        self._labels = SqliteLabels(self._db, self._conversations)
        self._messages = SqliteMessageLog(self._db)
        self._event_dead_letters = SqliteEventDeadLetters(self._db)
        self._ratings = SqliteRatings(self._db)
        self._webhooks = SqliteWebhookQueue(self._db)

    @property
    def journal_mode(self) -> str:
        """``wal`` for a file (``memory`` for ``:memory:``, where WAL does not apply)."""
        return self._db.journal_mode

    @property
    def outbox(self) -> SqliteOutbox:
        return self._outbox

    @property
    def inbox(self) -> SqliteInbox:
        return self._inbox

    @property
    def dedup(self) -> SqliteDedupKeys:
        return self._dedup

    @property
    def conversations(self) -> SqliteConversations:
        return self._conversations

    @property
    def labels(self) -> SqliteLabels:
        return self._labels

    @property
    def messages(self) -> SqliteMessageLog:
        return self._messages

    @property
    def event_dead_letters(self) -> SqliteEventDeadLetters:
        return self._event_dead_letters

    @property
    def ratings(self) -> SqliteRatings:
        return self._ratings

    @property
    def webhooks(self) -> SqliteWebhookQueue:
        return self._webhooks

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._db.write():
            yield

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _conforms(store: SqliteStore) -> Store:
    """mypy checks here that SqliteStore implements every Protocol of the interface."""
    return store
