"""The outgoing webhook queue in SQLite (schema migration 3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from mmtkit.store.codec import from_micros, to_micros
from mmtkit.store.errors import UnknownDeadLetter
from mmtkit.store.records import WebhookDelivery, WebhookState
from mmtkit.store.sqlite.connection import Database

__all__ = ["SqliteWebhookQueue"]

_COLUMNS = "id, endpoint, event_type, payload, created_at, state, attempts, next_attempt_at, error"


def _delivery(row: sqlite3.Row) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        endpoint=row["endpoint"],
        event_type=row["event_type"],
        payload=row["payload"],
        created_at=from_micros(row["created_at"]),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=from_micros(row["next_attempt_at"]),
        error=row["error"],
    )


class SqliteWebhookQueue:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _update(self, delivery_id: int, sql: str, params: tuple[object, ...]) -> WebhookDelivery:
        with self._db.statement() as conn:
            rows = conn.execute(
                f"UPDATE webhook_queue SET {sql} WHERE id = ? RETURNING {_COLUMNS}",
                (*params, delivery_id),
            ).fetchall()
        if not rows:
            raise UnknownDeadLetter("webhook queue", delivery_id)
        return _delivery(rows[0])

    def enqueue(
        self, *, endpoint: str, event_type: str, payload: str, now: datetime
    ) -> WebhookDelivery:
        with self._db.statement() as conn:
            rows = conn.execute(
                f"""INSERT INTO webhook_queue (endpoint, event_type, payload, created_at, state,
                    next_attempt_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
                (endpoint, event_type, payload, to_micros(now), "pending", to_micros(now)),
            ).fetchall()
        return _delivery(rows[0])

    def due(self, now: datetime, *, limit: int = 100) -> Sequence[WebhookDelivery]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"""SELECT {_COLUMNS} FROM webhook_queue WHERE state = 'pending'
                AND next_attempt_at <= ? ORDER BY id LIMIT ?""",
                (to_micros(now), limit),
            ).fetchall()
        return [_delivery(row) for row in rows]

    def delivered(self, delivery_id: int, now: datetime) -> WebhookDelivery:
        return self._update(
            delivery_id,
            "state = ?, attempts = attempts + 1, error = NULL",
            (WebhookState.DELIVERED.value,),
        )

    def failed(self, delivery_id: int, *, error: str, retry_at: datetime | None) -> WebhookDelivery:
        if retry_at is None:
            return self._update(
                delivery_id,
                "state = ?, attempts = attempts + 1, error = ?",
                (WebhookState.DEAD.value, error),
            )
        return self._update(
            delivery_id,
            "state = ?, attempts = attempts + 1, error = ?, next_attempt_at = ?",
            (WebhookState.PENDING.value, error, to_micros(retry_at)),
        )

    def list(
        self, *, state: WebhookState | None = None, limit: int = 100
    ) -> Sequence[WebhookDelivery]:
        where, params = ("WHERE state = ?", (WebhookState(state).value,)) if state else ("", ())
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM webhook_queue {where} ORDER BY id LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [_delivery(row) for row in rows]

    def requeue(self, delivery_id: int, now: datetime) -> WebhookDelivery:
        return self._update(
            delivery_id,
            "state = ?, attempts = 0, next_attempt_at = ?",
            (WebhookState.PENDING.value, to_micros(now)),
        )
