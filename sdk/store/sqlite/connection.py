"""One SQLite connection, its settings, and the transactions every store method runs in.

Durability and concurrency come from four settings:

* ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers;
  a commit appends to the ``-wal`` file instead of rewriting pages.
* ``synchronous=NORMAL`` (default): a commit is not fsync'ed, the WAL is at checkpoints. A
  crash of the *process* (kill -9, an exception) loses nothing committed; a crash of the
  *machine* (power loss, kernel panic) may lose the last commits but never corrupts the file.
  ``synchronous="FULL"`` fsyncs every commit, so committed means on disk even across power
  loss, at the cost of one fsync per write.
* ``busy_timeout``: how long a write waits for another process's transaction before giving up
  with :class:`~mmtkit.store.errors.StoreBusy`.
* every write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock before
  reading, so two processes can never both read a row as ``pending`` and both claim it, and
  never deadlock upgrading a read lock.

The connection is shared by the threads of a process under one re-entrant lock (SQLite allows
one writer at a time anyway); processes each open their own. Open the store *after* forking.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from mmtkit.store.errors import StoreBusy, StoreError

__all__ = ["Database", "Synchronous"]

Synchronous = Literal["NORMAL", "FULL", "EXTRA"]


def _translate(exc: sqlite3.Error) -> StoreError:
    """SQLite's messages name tables and columns, never values, so they can be kept."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return StoreBusy(f"the database stayed locked by another writer: {text}")
    return StoreError(f"SQLite error ({type(exc).__name__}): {text}")


class Database:
    """A connection plus the transaction discipline of the SQLite store."""

    def __init__(
        self,
        location: str,
        *,
        synchronous: Synchronous = "NORMAL",
        busy_timeout: float = 5.0,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.location = location
        self._lock = threading.RLock()
        self._depth = 0
        try:
            conn = sqlite3.connect(
                location, isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
        except sqlite3.Error as exc:
            raise _translate(exc) from exc
        self._conn = conn
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self.journal_mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            conn.close()
            raise _translate(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                except sqlite3.Error as exc:
                    raise _translate(exc) from exc
                finally:
                    self._depth -= 1
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translate(exc) from exc
            self._depth = 1
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _translate(exc) from exc
                raise
            finally:
                self._depth = 0

    @contextmanager
    def statement(self) -> Iterator[sqlite3.Connection]:
        """For a write that is ONE ``INSERT``/``UPDATE``/``DELETE`` statement (its rows
        fetched to the end). SQLite runs a lone statement atomically in its own transaction and
        asks for the write lock when it starts (waiting ``busy_timeout``), so ``BEGIN
        IMMEDIATE``/``COMMIT`` around it would only add two round trips -- a quarter of the
        cost of an inbox append. Inside :meth:`write` it simply joins the open transaction."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise _translate(exc) from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Reads outside a transaction see the last commit; inside one, its own writes."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise _translate(exc) from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()
