"""Customer satisfaction ratings in SQLite (schema migration 2)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mmtkit.messages import Channel
from mmtkit.store.codec import from_micros, to_micros
from mmtkit.store.records import Rating
from mmtkit.store.sqlite.connection import Database

__all__ = ["SqliteRatings"]

_RATING = "id, channel, conversation_id, score, at"


def _rating(row: sqlite3.Row) -> Rating:
    return Rating(
        id=row["id"],
        channel=row["channel"],
        conversation_id=row["conversation_id"],
        score=row["score"],
        at=from_micros(row["at"]),
    )


class SqliteRatings:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, rating: Rating) -> Rating:
        with self._db.statement() as conn:
            rows = conn.execute(
                f"""INSERT INTO ratings (channel, conversation_id, score, at)
                VALUES (?, ?, ?, ?) RETURNING {_RATING}""",
                (rating.channel.value, rating.conversation_id, rating.score, to_micros(rating.at)),
            ).fetchall()
        return _rating(rows[0])

    def list(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        channel: Channel | None = None,
        conversation_id: str | None = None,
        limit: int = 100_000,
    ) -> Sequence[Rating]:
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("at >= ?", None if since is None else to_micros(since)),
            ("at < ?", None if until is None else to_micros(until)),
            ("channel = ?", None if channel is None else Channel(channel).value),
            ("conversation_id = ?", conversation_id),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_RATING} FROM ratings {condition} ORDER BY at, id LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [_rating(row) for row in rows]
