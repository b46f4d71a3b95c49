"""SQLite-only behaviour: WAL mode, versioned migrations, corrupt rows, lock timeouts."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, Text
from mmtkit.outbox import Guarantee, OutboxState
from mmtkit.store import CorruptRow, SchemaTooNew, SqliteStore, StoreBusy
from mmtkit.store.sqlite.connection import Database
from mmtkit.store.sqlite.migrations import LATEST_VERSION, MIGRATIONS, Migration, migrate

from .conftest import T0


def versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


def test_a_file_store_runs_in_wal_mode(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        assert store.journal_mode == "wal"
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_synchronous_must_be_a_known_level(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "s.db", synchronous="OFF")  # type: ignore[arg-type]
    SqliteStore(tmp_path / "s.db", synchronous="FULL").close()


def test_migrations_from_empty_then_reopen_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SqliteStore(path) as store:
        assert store.schema_version == LATEST_VERSION
        store.dedup.seen_or_add("k", now=T0)
    assert versions(path) == list(range(1, LATEST_VERSION + 1))
    with SqliteStore(path) as store:
        assert store.dedup.seen_or_add("k", now=T0) is True
    assert versions(path) == list(range(1, LATEST_VERSION + 1))


def test_new_migrations_are_applied_in_order(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    later = (
        *MIGRATIONS,
        Migration(LATEST_VERSION + 1, "notes", ("CREATE TABLE notes (id INTEGER PRIMARY KEY)",)),
        Migration(LATEST_VERSION + 2, "note text", ("ALTER TABLE notes ADD COLUMN text TEXT",)),
    )
    db = Database(str(path))
    assert migrate(db, later) == LATEST_VERSION + 2
    assert migrate(db, later) == LATEST_VERSION + 2
    db.close()
    assert versions(path)[-2:] == [LATEST_VERSION + 1, LATEST_VERSION + 2]
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO notes (text) VALUES ('ok')")


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    broken = (
        *MIGRATIONS,
        Migration(LATEST_VERSION + 1, "half", ("CREATE TABLE half (id)", "NOT SQL AT ALL")),
    )
    db = Database(str(path))
    with pytest.raises(Exception, match="syntax"):
        migrate(db, broken)
    db.close()
    assert versions(path) == list(range(1, LATEST_VERSION + 1))
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "half" not in tables


def test_migration_versions_must_be_contiguous(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "s.db"))
    with pytest.raises(ValueError, match="in order"):
        migrate(db, (Migration(2, "skips one", ()),))
    db.close()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (99,))
    with pytest.raises(SchemaTooNew, match="99") as caught:
        SqliteStore(path)
    assert (caught.value.found, caught.value.supported) == (99, LATEST_VERSION)
    assert "upgrade mmtkit" in str(caught.value)


def corrupt(path: Path, sql: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(sql)


def test_a_corrupt_outbox_row_does_not_hide_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    for key in ("a", "b", "c"):
        store.outbox.add(
            idempotency_key=key,
            channel=Channel.TIKTOK,
            conversation_id="c",
            customer_id="u",
            account_id=None,
            content=Text("secret body"),
            guarantee=Guarantee.AT_LEAST_ONCE,
            now=T0,
        )
    corrupt(path, "UPDATE outbox SET content = '{not json' WHERE idempotency_key = 'b'")
    with caplog.at_level(logging.WARNING):
        listed = store.outbox.list()
    assert [r.idempotency_key for r in listed] == ["a", "c"]
    assert "outbox" in caplog.text
    assert "secret body" not in caplog.text
    with pytest.raises(CorruptRow, match="row 2 of table 'outbox'"):
        store.outbox.get(2)
    claimed = store.outbox.claim_pending(T0)
    assert [r.idempotency_key for r in claimed] == ["a", "c"]
    with sqlite3.connect(path) as conn:
        state = conn.execute("SELECT state FROM outbox WHERE id = 2").fetchone()[0]
    assert state == OutboxState.FAILED
    store.close()


def test_a_corrupt_conversation_row_does_not_hide_the_others(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    for cid in ("a", "b"):
        store.conversations.upsert(
            Conversation(channel="tiktok", conversation_id=cid, customer_id="u", opened_at=T0)
        )
    corrupt(path, "UPDATE conversations SET data = '{\"channel\": 1}' WHERE conversation_id = 'a'")
    assert [c.conversation_id for c in store.conversations.query()] == ["b"]
    with pytest.raises(CorruptRow, match="tiktok/a"):
        store.conversations.get(Channel.TIKTOK, "a")
    store.close()


def test_corrupt_inbox_headers_dead_letter_the_row(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    for _ in range(2):
        store.inbox.append(channel="tiktok", body=b"{}", headers={}, received_at=T0)
    corrupt(path, "UPDATE inbox SET headers = '[1' WHERE id = 1")
    assert [r.id for r in store.inbox.claim(T0)] == [2]
    (dead,) = store.inbox.dead_letters()
    assert dead.inbox_id == 1
    assert dead.error == "corrupt row: unreadable headers dropped (JSONDecodeError)"
    assert dead.body == b"{}"
    store.close()


def test_a_write_blocked_too_long_raises_store_busy(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path, busy_timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy, match="locked"):
            store.dedup.seen_or_add("k", now=T0)
        assert store.dedup is not None
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.dedup.seen_or_add("k", now=T0) is False
    store.close()
