"""Conversations and their labels in SQLite.

The conversation itself is one JSON document (the :mod:`mmtkit.wire` form); the columns next
to it (status, assignee, waiting_since, last activity, the label rows) exist only to be
filtered and sorted on, and are recomputed from the document on every upsert by the same
functions the memory store uses.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from mmtkit import wire
from mmtkit.conversation import Conversation
from mmtkit.messages import Channel
from mmtkit.store.codec import decode, opt_from_micros, opt_micros, to_micros
from mmtkit.store.errors import CorruptRow, InvalidQuery, UnknownConversation
from mmtkit.store.records import ConversationStatus, last_activity, status_of, waiting_since
from mmtkit.store.sqlite.connection import Database

__all__ = ["SqliteConversations", "SqliteLabels"]

log = logging.getLogger(__name__)


def _conversation(row: sqlite3.Row) -> Conversation:
    key = f"{row['channel']}/{row['conversation_id']}"
    conversation: Conversation = decode("conversations", key, row["data"], Conversation)
    return conversation


class SqliteConversations:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(self, conversation: Conversation) -> None:
        channel = conversation.channel.value
        conversation_id = conversation.conversation_id
        with self._db.write() as conn:
            found = conn.execute(
                "SELECT waiting_since FROM conversations WHERE channel = ? AND conversation_id = ?",
                (channel, conversation_id),
            ).fetchone()
            previous = None if found is None else opt_from_micros(found["waiting_since"])
            conn.execute(
                """INSERT INTO conversations (channel, conversation_id, data, status, assignee,
                    waiting_since, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (channel, conversation_id) DO UPDATE SET data = excluded.data,
                    status = excluded.status, assignee = excluded.assignee,
                    waiting_since = excluded.waiting_since,
                    last_activity_at = excluded.last_activity_at""",
                (
                    channel,
                    conversation_id,
                    wire.dumps(conversation),
                    status_of(conversation).value,
                    conversation.assignee,
                    opt_micros(waiting_since(previous, conversation)),
                    to_micros(last_activity(conversation)),
                ),
            )
            conn.execute(
                "DELETE FROM conversation_labels WHERE channel = ? AND conversation_id = ?",
                (channel, conversation_id),
            )
            conn.executemany(
                """INSERT INTO conversation_labels (channel, conversation_id, label)
                VALUES (?, ?, ?)""",
                [(channel, conversation_id, label) for label in sorted(conversation.labels)],
            )

    def _row(self, channel: Channel, conversation_id: str) -> sqlite3.Row | None:
        with self._db.read() as conn:
            row: sqlite3.Row | None = conn.execute(
                """SELECT channel, conversation_id, data, waiting_since FROM conversations
                WHERE channel = ? AND conversation_id = ?""",
                (Channel(channel).value, conversation_id),
            ).fetchone()
        return row

    def get(self, channel: Channel, conversation_id: str) -> Conversation | None:
        row = self._row(channel, conversation_id)
        return None if row is None else _conversation(row)

    def waiting_since(self, channel: Channel, conversation_id: str) -> datetime | None:
        row = self._row(channel, conversation_id)
        return None if row is None else opt_from_micros(row["waiting_since"])

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
        where: list[str] = []
        params: list[object] = []
        if channel is not None:
            where.append("c.channel = ?")
            params.append(Channel(channel).value)
        if label is not None:
            where.append(
                """EXISTS (SELECT 1 FROM conversation_labels l WHERE l.channel = c.channel
                AND l.conversation_id = c.conversation_id AND l.label = ?)"""
            )
            params.append(label)
        if status is not None:
            where.append("c.status = ?")
            params.append(ConversationStatus(status).value)
        if assignee is not None:
            where.append("c.assignee = ?")
            params.append(assignee)
        if unassigned:
            where.append("c.assignee IS NULL")
        if waiting_longer_than is not None:
            assert now is not None
            where.append("c.waiting_since <= ?")
            params.append(to_micros(now - waiting_longer_than))
        if status is ConversationStatus.WAITING or waiting_longer_than is not None:
            order = "c.waiting_since IS NULL, c.waiting_since, c.channel, c.conversation_id"
        else:
            order = "c.last_activity_at DESC, c.channel, c.conversation_id"
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._db.read() as conn:
            rows = conn.execute(
                f"""SELECT c.channel, c.conversation_id, c.data FROM conversations c {clause}
                ORDER BY {order} LIMIT ?""",
                (*params, limit),
            ).fetchall()
        found: list[Conversation] = []
        for row in rows:
            try:
                found.append(_conversation(row))
            except CorruptRow as exc:
                log.warning("skipping a corrupt conversation row: %s", exc)
        return found


class SqliteLabels:
    def __init__(self, db: Database, conversations: SqliteConversations) -> None:
        self._db = db
        self._conversations = conversations

    def _edit(self, channel: Channel, conversation_id: str, label: str, add: bool) -> Conversation:
        with self._db.write():
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
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT label, COUNT(*) FROM conversation_labels GROUP BY label"
            ).fetchall()
        return {str(label): int(n) for label, n in rows}
