"""The inbox and its dead letters in SQLite.

A claim is one ``UPDATE ... RETURNING`` inside ``BEGIN IMMEDIATE``, so two worker processes
on one file never take the same row; moving a row to the dead letters is an insert and a
delete in one transaction, so a row is always in exactly one of the two tables.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from mmtkit.messages import Channel
from mmtkit.store.base import DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS
from mmtkit.store.codec import (
    from_micros,
    headers_from_json,
    headers_to_json,
    opt_from_micros,
    to_micros,
)
from mmtkit.store.errors import UnknownDeadLetter, UnknownInboxRow
from mmtkit.store.records import InboxDeadLetter, InboxRow, InboxState, lease_expired_error
from mmtkit.store.sqlite.connection import Database

__all__ = ["SqliteInbox"]

log = logging.getLogger(__name__)

_ROW = "id, channel, body, headers, received_at, state, attempts, claimed_at, error, processed_at"
_DEAD = "id, channel, body, headers, received_at, failed_at, error, attempts, inbox_id"


def _row(row: sqlite3.Row) -> InboxRow:
    return InboxRow(
        id=row["id"],
        channel=row["channel"],
        body=bytes(row["body"]),
        headers=headers_from_json(row["headers"]),
        received_at=from_micros(row["received_at"]),
        state=row["state"],
        attempts=row["attempts"],
        claimed_at=opt_from_micros(row["claimed_at"]),
        error=row["error"],
        processed_at=opt_from_micros(row["processed_at"]),
    )


def _dead(row: sqlite3.Row) -> InboxDeadLetter:
    return InboxDeadLetter(
        id=row["id"],
        channel=row["channel"],
        body=bytes(row["body"]),
        headers=headers_from_json(row["headers"]),
        received_at=from_micros(row["received_at"]),
        failed_at=from_micros(row["failed_at"]),
        error=row["error"],
        attempts=row["attempts"],
        inbox_id=row["inbox_id"],
    )


class SqliteInbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(
        self,
        *,
        channel: Channel,
        body: bytes,
        headers: Mapping[str, str],
        received_at: datetime,
    ) -> InboxRow:
        with self._db.statement() as conn:
            rows = conn.execute(
                f"""INSERT INTO inbox (channel, body, headers, received_at, state)
                VALUES (?, ?, ?, ?, 'pending') RETURNING {_ROW}""",
                (
                    Channel(channel).value,
                    bytes(body),
                    headers_to_json(headers),
                    to_micros(received_at),
                ),
            ).fetchall()
        return _row(rows[0])

    def get(self, row_id: int) -> InboxRow:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_ROW} FROM inbox WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise UnknownInboxRow(row_id)
        return _row(row)

    def _bury(
        self,
        conn: sqlite3.Connection,
        row_id: int,
        now: datetime,
        error: str,
        *,
        headers: str = "headers",
    ) -> InboxDeadLetter:
        rows = conn.execute(
            f"""INSERT INTO inbox_dead_letters
                (channel, body, headers, received_at, failed_at, error, attempts, inbox_id)
            SELECT channel, body, {headers}, received_at, ?, ?, attempts, id FROM inbox
            WHERE id = ? RETURNING {_DEAD}""",
            (to_micros(now), error, row_id),
        ).fetchall()
        conn.execute("DELETE FROM inbox WHERE id = ?", (row_id,))
        return _dead(rows[0])

    def claim(
        self,
        now: datetime,
        *,
        limit: int = 100,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Sequence[InboxRow]:
        at = to_micros(now)
        cutoff = to_micros(now - lease)
        with self._db.write() as conn:
            exhausted = conn.execute(
                """SELECT id, attempts, error FROM inbox WHERE state = 'processing'
                AND claimed_at <= ? AND attempts >= ? ORDER BY id""",
                (cutoff, max_attempts),
            ).fetchall()
            for row in exhausted:
                self._bury(conn, row["id"], now, lease_expired_error(row["attempts"], row["error"]))
            rows = conn.execute(
                f"""UPDATE inbox SET state = 'processing', attempts = attempts + 1, claimed_at = ?
                WHERE id IN (
                    SELECT id FROM inbox
                    WHERE state = 'pending' OR (state = 'processing' AND claimed_at <= ?)
                    ORDER BY id LIMIT ?
                ) RETURNING {_ROW}""",
                (at, cutoff, limit),
            ).fetchall()
            claimed: list[InboxRow] = []
            for row in sorted(rows, key=lambda r: int(r["id"])):
                try:
                    claimed.append(_row(row))
                except ValueError as exc:  # hand-edited headers: no worker could use it
                    log.warning("inbox row %s is corrupt, dead-lettered: %s", row["id"], exc)
                    reason = f"corrupt row: unreadable headers dropped ({type(exc).__name__})"
                    self._bury(conn, row["id"], now, reason, headers="'{}'")
            return claimed

    def complete(self, row_id: int, now: datetime) -> InboxRow:
        with self._db.write() as conn:
            rows = conn.execute(
                f"""UPDATE inbox SET state = 'processed', processed_at = ? WHERE id = ?
                RETURNING {_ROW}""",
                (to_micros(now), row_id),
            ).fetchall()
        if not rows:
            raise UnknownInboxRow(row_id)
        return _row(rows[0])

    def fail(
        self,
        row_id: int,
        now: datetime,
        *,
        error: str,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> InboxRow | InboxDeadLetter:
        with self._db.write() as conn:
            found = conn.execute("SELECT attempts FROM inbox WHERE id = ?", (row_id,)).fetchone()
            if found is None:
                raise UnknownInboxRow(row_id)
            if found["attempts"] >= max_attempts:
                return self._bury(conn, row_id, now, error)
            rows = conn.execute(
                f"""UPDATE inbox SET state = 'pending', error = ?, claimed_at = NULL WHERE id = ?
                RETURNING {_ROW}""",
                (error, row_id),
            ).fetchall()
        return _row(rows[0])

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
        with self._db.write() as conn:
            rows = conn.execute(
                f"""INSERT INTO inbox_dead_letters
                    (channel, body, headers, received_at, failed_at, error)
                VALUES (?, ?, ?, ?, ?, ?) RETURNING {_DEAD}""",
                (
                    Channel(channel).value,
                    bytes(body),
                    headers_to_json(headers),
                    to_micros(received_at),
                    to_micros(now),
                    error,
                ),
            ).fetchall()
        return _dead(rows[0])

    def dead_letters(self, *, limit: int = 100) -> Sequence[InboxDeadLetter]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_DEAD} FROM inbox_dead_letters ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [_dead(row) for row in rows]

    def requeue(self, dead_letter_id: int, now: datetime) -> InboxRow:
        with self._db.write() as conn:
            rows = conn.execute(
                f"""INSERT INTO inbox (channel, body, headers, received_at, state)
                SELECT channel, body, headers, received_at, 'pending'
                FROM inbox_dead_letters WHERE id = ? RETURNING {_ROW}""",
                (dead_letter_id,),
            ).fetchall()
            if not rows:
                raise UnknownDeadLetter("inbox dead letters", dead_letter_id)
            conn.execute("DELETE FROM inbox_dead_letters WHERE id = ?", (dead_letter_id,))
        return _row(rows[0])

    def purge_processed(self, before: datetime) -> int:
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM inbox WHERE state = 'processed' AND processed_at < ?",
                (to_micros(before),),
            )
            return int(cursor.rowcount)

    def counts(self) -> Mapping[InboxState, int]:
        """Rows per state (for metrics and health checks)."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT state, COUNT(*) FROM inbox GROUP BY state").fetchall()
        return {InboxState(state): int(n) for state, n in rows}
