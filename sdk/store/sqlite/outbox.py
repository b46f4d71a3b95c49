"""The outbox in SQLite: the same behaviour as :class:`~mmtkit.outbox.MemoryOutbox`, durable
and shared safely between processes (each change is one ``UPDATE ... RETURNING`` inside
``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from mmtkit import wire
from mmtkit.messages import Channel, Content
from mmtkit.outbox import (
    DuplicateIdempotencyKey,
    Guarantee,
    OutboxRecord,
    OutboxState,
    UnknownOutboxRecord,
)
from mmtkit.store.base import CLAIMABLE
from mmtkit.store.codec import decode, from_micros, to_micros
from mmtkit.store.errors import CorruptRow
from mmtkit.store.sqlite.connection import Database

__all__ = ["SqliteOutbox"]

log = logging.getLogger(__name__)

_COLUMNS = (
    "id, idempotency_key, channel, conversation_id, customer_id, account_id, content, "
    "guarantee, state, created_at, updated_at, tag, attempts, platform_message_id, "
    "possible_duplicate, error, sent_by"
)


def _record(row: sqlite3.Row) -> OutboxRecord:
    return OutboxRecord(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        channel=row["channel"],
        conversation_id=row["conversation_id"],
        customer_id=row["customer_id"],
        account_id=row["account_id"],
        content=decode("outbox", row["id"], row["content"], Content),
        guarantee=row["guarantee"],
        state=row["state"],
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
        tag=row["tag"],
        attempts=row["attempts"],
        platform_message_id=row["platform_message_id"],
        possible_duplicate=bool(row["possible_duplicate"]),
        error=row["error"],
        sent_by=row["sent_by"],
    )


def _decode_all(rows: Iterable[sqlite3.Row]) -> list[OutboxRecord]:
    """Listings skip a corrupt row with a warning rather than hide every other row."""
    records: list[OutboxRecord] = []
    for row in rows:
        try:
            records.append(_record(row))
        except CorruptRow as exc:
            log.warning("skipping a corrupt outbox row: %s", exc)
    return records


class SqliteOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

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
        with self._db.write() as conn:
            existing = self.get_by_key(idempotency_key)
            if existing is not None:
                raise DuplicateIdempotencyKey(existing)
            at = to_micros(now)
            row = conn.execute(
                f"""INSERT INTO outbox (idempotency_key, channel, conversation_id, customer_id,
                    account_id, content, guarantee, state, created_at, updated_at, tag, sent_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
                (
                    idempotency_key,
                    Channel(channel).value,
                    conversation_id,
                    customer_id,
                    account_id,
                    wire.dumps(content, Content),
                    Guarantee(guarantee).value,
                    OutboxState.PENDING.value,
                    at,
                    at,
                    tag,
                    sent_by,
                ),
            ).fetchall()
            return _record(row[0])

    def get(self, record_id: int) -> OutboxRecord:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (record_id,)
            ).fetchone()
        if row is None:
            raise UnknownOutboxRecord(record_id)
        return _record(row)

    def get_by_key(self, idempotency_key: str) -> OutboxRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return None if row is None else _record(row)

    def _update(self, record_id: int, assignments: str, *params: object) -> OutboxRecord:
        with self._db.statement() as conn:
            row = conn.execute(
                f"UPDATE outbox SET {assignments} WHERE id = ? RETURNING {_COLUMNS}",
                (*params, record_id),
            ).fetchall()
        if not row:
            raise UnknownOutboxRecord(record_id)
        return _record(row[0])

    _START_ATTEMPT = (
        "state = 'sending', attempts = attempts + 1, "
        "possible_duplicate = (possible_duplicate OR state = 'sending'), updated_at = ?"
    )

    def mark_sending(self, record_id: int, now: datetime) -> OutboxRecord:
        return self._update(record_id, self._START_ATTEMPT, to_micros(now))

    def mark_sent(
        self, record_id: int, now: datetime, *, platform_message_id: str | None
    ) -> OutboxRecord:
        return self._update(
            record_id,
            "state = 'sent', platform_message_id = ?, error = NULL, updated_at = ?",
            platform_message_id,
            to_micros(now),
        )

    def mark_failed(self, record_id: int, now: datetime, *, error: str) -> OutboxRecord:
        return self._update(
            record_id, "state = 'failed', error = ?, updated_at = ?", error, to_micros(now)
        )

    def mark_unknown(self, record_id: int, now: datetime, *, error: str) -> OutboxRecord:
        return self._update(
            record_id, "state = 'unknown', error = ?, updated_at = ?", error, to_micros(now)
        )

    def mark_pending(
        self, record_id: int, now: datetime, *, possible_duplicate: bool = False
    ) -> OutboxRecord:
        return self._update(
            record_id,
            "state = 'pending', possible_duplicate = (possible_duplicate OR ?), updated_at = ?",
            int(possible_duplicate),
            to_micros(now),
        )

    def discard(self, record_id: int, now: datetime) -> OutboxRecord:
        return self._update(record_id, "state = 'discarded', updated_at = ?", to_micros(now))

    def list(
        self, states: Iterable[OutboxState] = (), *, limit: int = 1000
    ) -> Sequence[OutboxRecord]:
        wanted = sorted({OutboxState(s).value for s in states})
        where = f"WHERE state IN ({', '.join('?' * len(wanted))})" if wanted else ""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY id LIMIT ?", (*wanted, limit)
            ).fetchall()
        return _decode_all(rows)

    def claim_pending(self, now: datetime, *, limit: int = 100) -> Sequence[OutboxRecord]:
        with self._db.write() as conn:
            rows = conn.execute(
                f"""UPDATE outbox SET {self._START_ATTEMPT}
                WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?)
                RETURNING {_COLUMNS}""",
                (to_micros(now), limit),
            ).fetchall()
            claimed: list[OutboxRecord] = []
            for row in sorted(rows, key=lambda r: int(r["id"])):
                try:
                    claimed.append(_record(row))
                except CorruptRow as exc:
                    # Sending it is impossible and leaving it ``sending`` would hide it: park
                    # it as failed, where the failed/unknown listing's users look.
                    log.warning("outbox record %s is corrupt, marked failed: %s", row["id"], exc)
                    conn.execute(
                        "UPDATE outbox SET state = 'failed', error = ? WHERE id = ?",
                        (str(exc), row["id"]),
                    )
            return claimed

    def claim(self, seen: OutboxRecord, now: datetime) -> OutboxRecord | None:
        with self._db.write() as conn:
            if seen.state not in CLAIMABLE:
                if conn.execute("SELECT 1 FROM outbox WHERE id = ?", (seen.id,)).fetchone() is None:
                    raise UnknownOutboxRecord(seen.id)
                return None
            row = conn.execute(
                f"""UPDATE outbox SET {self._START_ATTEMPT}
                WHERE id = ? AND state = ? AND attempts = ? RETURNING {_COLUMNS}""",
                (to_micros(now), seen.id, seen.state.value, seen.attempts),
            ).fetchall()
            if not row:
                if conn.execute("SELECT 1 FROM outbox WHERE id = ?", (seen.id,)).fetchone() is None:
                    raise UnknownOutboxRecord(seen.id)
                return None
            return _record(row[0])
