"""The append-mostly tables in SQLite: dedup keys, the message log, event dead letters."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from mmtkit.messages import Channel
from mmtkit.store.codec import from_micros, to_micros
from mmtkit.store.errors import UnknownDeadLetter
from mmtkit.store.records import Direction, EventDeadLetter, LoggedMessage
from mmtkit.store.sqlite.connection import Database

__all__ = ["SqliteDedupKeys", "SqliteEventDeadLetters", "SqliteMessageLog"]


class SqliteDedupKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    def seen_or_add(self, key: str, *, now: datetime) -> bool:
        with self._db.write() as conn:
            cursor = conn.execute(
                """INSERT INTO dedup_keys (key, first_seen_at) VALUES (?, ?)
                ON CONFLICT (key) DO NOTHING""",
                (key, to_micros(now)),
            )
            return cursor.rowcount == 0

    def purge(self, before: datetime) -> int:
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM dedup_keys WHERE first_seen_at < ?", (to_micros(before),)
            )
            return int(cursor.rowcount)


_MESSAGE = (
    "id, channel, conversation_id, direction, at, platform_message_id, kind, text, automatic, "
    "sent_by, outbox_id"
)


def _message(row: sqlite3.Row) -> LoggedMessage:
    return LoggedMessage(
        id=row["id"],
        channel=row["channel"],
        conversation_id=row["conversation_id"],
        direction=row["direction"],
        at=from_micros(row["at"]),
        platform_message_id=row["platform_message_id"],
        kind=row["kind"],
        text=row["text"],
        automatic=bool(row["automatic"]),
        sent_by=row["sent_by"],
        outbox_id=row["outbox_id"],
    )


class SqliteMessageLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, message: LoggedMessage) -> LoggedMessage:
        with self._db.write() as conn:
            if message.platform_message_id is not None:
                existing = conn.execute(
                    f"""SELECT {_MESSAGE} FROM messages WHERE channel = ? AND direction = ?
                    AND platform_message_id = ?""",
                    (
                        message.channel.value,
                        Direction(message.direction).value,
                        message.platform_message_id,
                    ),
                ).fetchone()
                if existing is not None:
                    return _message(existing)
            rows = conn.execute(
                f"""INSERT INTO messages (channel, conversation_id, direction, at,
                    platform_message_id, kind, text, automatic, sent_by, outbox_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_MESSAGE}""",
                (
                    message.channel.value,
                    message.conversation_id,
                    Direction(message.direction).value,
                    to_micros(message.at),
                    message.platform_message_id,
                    message.kind,
                    message.text,
                    int(message.automatic),
                    message.sent_by,
                    message.outbox_id,
                ),
            ).fetchall()
        return _message(rows[0])

    def list(
        self, channel: Channel, conversation_id: str, *, limit: int = 1000
    ) -> Sequence[LoggedMessage]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"""SELECT {_MESSAGE} FROM messages WHERE channel = ? AND conversation_id = ?
                ORDER BY at, id LIMIT ?""",
                (Channel(channel).value, conversation_id, limit),
            ).fetchall()
        return [_message(row) for row in rows]


_EVENT = "id, sink, event_id, payload, error, attempts, failed_at"


def _event(row: sqlite3.Row) -> EventDeadLetter:
    return EventDeadLetter(
        id=row["id"],
        sink=row["sink"],
        event_id=row["event_id"],
        payload=row["payload"],
        error=row["error"],
        attempts=row["attempts"],
        failed_at=from_micros(row["failed_at"]),
    )


class SqliteEventDeadLetters:
    def __init__(self, db: Database) -> None:
        self._db = db

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
        with self._db.write() as conn:
            rows = conn.execute(
                f"""INSERT INTO event_dead_letters (sink, event_id, payload, error, attempts,
                    failed_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_EVENT}""",
                (sink, event_id, payload, error, attempts, to_micros(now)),
            ).fetchall()
        return _event(rows[0])

    def list(self, *, sink: str | None = None, limit: int = 100) -> Sequence[EventDeadLetter]:
        where, params = ("WHERE sink = ?", (sink,)) if sink is not None else ("", ())
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_EVENT} FROM event_dead_letters {where} ORDER BY id LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [_event(row) for row in rows]

    def remove(self, entry_id: int) -> None:
        with self._db.write() as conn:
            cursor = conn.execute("DELETE FROM event_dead_letters WHERE id = ?", (entry_id,))
            if cursor.rowcount == 0:
                raise UnknownDeadLetter("event dead letters", entry_id)
