"""Versioned schema migrations of the SQLite store.

``schema_version`` records every migration applied. Opening a store applies the missing ones
in order, in one ``BEGIN IMMEDIATE`` transaction (SQLite's DDL is transactional): two
processes opening a new file at once cannot both migrate, and a crash mid-way leaves the old
version intact. A database whose version is above the newest one known here was written by a
newer mmtkit and is refused with :class:`~mmtkit.store.errors.SchemaTooNew`.

To change the schema, append a :class:`Migration` with the next version; never edit one that
has shipped. A PostgreSQL backend keeps its own list with the same version numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from attrs import frozen

from mmtkit.store.codec import to_micros
from mmtkit.store.errors import SchemaTooNew
from mmtkit.store.sqlite.connection import Database

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "migrate", "schema_version"]


@frozen
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


_INITIAL = (
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        account_id TEXT,
        content TEXT NOT NULL,
        guarantee TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        tag TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        platform_message_id TEXT,
        possible_duplicate INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        sent_by TEXT
    )""",
    "CREATE INDEX outbox_by_state ON outbox (state, id)",
    """CREATE TABLE inbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        body BLOB NOT NULL,
        headers TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at INTEGER,
        error TEXT,
        processed_at INTEGER
    )""",
    "CREATE INDEX inbox_by_state ON inbox (state, id)",
    """CREATE TABLE inbox_dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        body BLOB NOT NULL,
        headers TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        failed_at INTEGER NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        inbox_id INTEGER
    )""",
    """CREATE TABLE dedup_keys (
        key TEXT PRIMARY KEY,
        first_seen_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX dedup_keys_by_age ON dedup_keys (first_seen_at)",
    """CREATE TABLE conversations (
        channel TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        data TEXT NOT NULL,
        status TEXT NOT NULL,
        assignee TEXT,
        waiting_since INTEGER,
        last_activity_at INTEGER NOT NULL,
        PRIMARY KEY (channel, conversation_id)
    )""",
    "CREATE INDEX conversations_by_status ON conversations (status, waiting_since)",
    "CREATE INDEX conversations_by_assignee ON conversations (assignee)",
    "CREATE INDEX conversations_by_activity ON conversations (last_activity_at)",
    """CREATE TABLE conversation_labels (
        channel TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        label TEXT NOT NULL,
        PRIMARY KEY (channel, conversation_id, label),
        FOREIGN KEY (channel, conversation_id)
            REFERENCES conversations (channel, conversation_id) ON DELETE CASCADE
    )""",
    "CREATE INDEX conversation_labels_by_label ON conversation_labels (label)",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        at INTEGER NOT NULL,
        platform_message_id TEXT,
        kind TEXT,
        text TEXT,
        automatic INTEGER NOT NULL DEFAULT 0,
        sent_by TEXT,
        outbox_id INTEGER
    )""",
    "CREATE INDEX messages_by_conversation ON messages (channel, conversation_id, at, id)",
    """CREATE UNIQUE INDEX messages_by_platform_id
        ON messages (channel, direction, platform_message_id)
        WHERE platform_message_id IS NOT NULL""",
    """CREATE TABLE event_dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sink TEXT NOT NULL,
        event_id TEXT,
        payload TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        failed_at INTEGER NOT NULL
    )""",
    "CREATE INDEX event_dead_letters_by_sink ON event_dead_letters (sink, id)",
)

_RATINGS = (
    """CREATE TABLE ratings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        at INTEGER NOT NULL
    )""",
    "CREATE INDEX ratings_by_time ON ratings (at, id)",
    "CREATE INDEX ratings_by_conversation ON ratings (channel, conversation_id, at)",
)

_WEBHOOKS = (
    """CREATE TABLE webhook_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        error TEXT
    )""",
    "CREATE INDEX webhook_queue_due ON webhook_queue (state, next_attempt_at, id)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _INITIAL),
    Migration(2, "customer satisfaction ratings", _RATINGS),
    Migration(3, "outgoing webhook queue", _WEBHOOKS),
)
LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)"""


def schema_version(db: Database) -> int:
    """The highest migration applied (0 for a new database)."""
    with db.write() as conn:
        conn.execute(_VERSION_TABLE)
        row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        return int(row[0])


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring ``db`` to the newest version in ``migrations``; returns that version."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3... in order, got {versions}")
    latest = versions[-1] if versions else 0
    with db.write() as conn:
        found = schema_version(db)
        if found > latest:
            raise SchemaTooNew(db.location, found, latest)
        for migration in migrations[found:]:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, to_micros(datetime.now(UTC))),
            )
    return latest
