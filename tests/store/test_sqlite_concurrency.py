"""Several connections, threads and processes on one SQLite file: each row claimed once, and
a process killed with SIGKILL loses nothing it had committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import pytest

from mmtkit.messages import Channel, Text
from mmtkit.outbox import Guarantee, OutboxState
from mmtkit.store import Direction, InboxState, LoggedMessage, MemoryStore, SqliteStore, Store

from .conftest import T0

ROWS = 240


def fill(store: Store) -> None:
    with store.transaction():
        for i in range(ROWS):
            store.inbox.append(channel="tiktok", body=b"%d" % i, headers={}, received_at=T0)
            store.outbox.add(
                idempotency_key=f"k{i}",
                channel=Channel.TIKTOK,
                conversation_id="c",
                customer_id="u",
                account_id=None,
                content=Text(f"m{i}"),
                guarantee=Guarantee.AT_LEAST_ONCE,
                now=T0,
            )


def assert_each_claimed_once(claims: list[list[int]]) -> None:
    everything = [i for claimed in claims for i in claimed]
    assert sorted(everything) == list(range(1, ROWS + 1)), "a row was claimed twice or never"
    assert sum(1 for claimed in claims if claimed) >= 2, "only one claimer got work"


@pytest.mark.parametrize("how", ["own sqlite connections", "one shared sqlite store", "memory"])
def test_threads_claim_each_row_once(tmp_path: Path, how: str) -> None:
    path = tmp_path / "s.db"
    shared: Store | None = None
    if how == "memory":
        shared = MemoryStore()
        fill(shared)
    else:
        with SqliteStore(path) as store:
            fill(store)
        if how == "one shared sqlite store":
            shared = SqliteStore(path)
    start = threading.Barrier(4)
    inbox_claims: list[list[int]] = [[] for _ in range(4)]
    outbox_claims: list[list[int]] = [[] for _ in range(4)]

    def work(n: int) -> None:
        with nullcontext(shared) if shared is not None else SqliteStore(path) as store:
            start.wait()
            while True:
                rows = store.inbox.claim(T0, limit=3)
                records = store.outbox.claim_pending(T0, limit=3)
                if not rows and not records:
                    return
                inbox_claims[n].extend(r.id for r in rows)
                outbox_claims[n].extend(r.id for r in records)
                # The work a claimer does between claims. Long enough that claimers waiting in
                # SQLite's busy handler (which backs off for up to 100 ms) get their turn.
                time.sleep(0.005)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if shared is not None:
        shared.close()
    assert_each_claimed_once(inbox_claims)
    assert_each_claimed_once(outbox_claims)


CLAIMER = """
import json, os, sys, time
from datetime import datetime, timezone
from mmtkit.store import SqliteStore

path, me, peers = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
inbox, outbox = [], []
with SqliteStore(path) as store:
    open(path + ".ready." + me, "w").close()
    while sum(os.path.exists(f"{path}.ready.{n}") for n in range(peers)) < peers:
        time.sleep(0.002)
    while True:
        rows = store.inbox.claim(now, limit=2)
        records = store.outbox.claim_pending(now, limit=2)
        if not rows and not records:
            break
        inbox += [r.id for r in rows]
        outbox += [r.id for r in records]
        time.sleep(0.0005)
print(json.dumps({"inbox": inbox, "outbox": outbox}))
"""


def test_processes_claim_each_row_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SqliteStore(path) as store:
        fill(store)
    peers = 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path), str(n), str(peers)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(peers)
    ]
    results = [json.loads(proc.communicate(timeout=60)[0]) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert_each_claimed_once([r["inbox"] for r in results])
    assert_each_claimed_once([r["outbox"] for r in results])


WRITER = """
import sys
from datetime import datetime, timezone
from mmtkit.messages import Text
from mmtkit.store import SqliteStore

now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
store = SqliteStore(sys.argv[1])
i = 0
while True:
    store.inbox.append(channel="tiktok", body=b"%d" % i, headers={"x-sig": "s"}, received_at=now)
    record = store.outbox.add(idempotency_key=f"k{i}", channel="tiktok", conversation_id="c",
        customer_id="u", account_id=None, content=Text(f"m{i}"), guarantee="at_most_once", now=now)
    store.outbox.mark_sending(record.id, now)
    print(i, flush=True)
    i += 1
"""


def test_sigkill_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteStore(path).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    acknowledged = [int(proc.stdout.readline()) for _ in range(300)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    with SqliteStore(path) as store:
        bodies = {row.body for row in store.inbox.claim(T0, limit=10_000)}
        assert {b"%d" % i for i in acknowledged} <= bodies
        for i in acknowledged:
            record = store.outbox.get_by_key(f"k{i}")
            assert record is not None
            assert record.state is OutboxState.SENDING  # to resume as its guarantee says
            assert record.content == Text(f"m{i}")


WORKER = """
import sys
from datetime import datetime, timezone
from mmtkit.store import Direction, LoggedMessage, SqliteStore

now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
store = SqliteStore(sys.argv[1])
while True:
    for row in store.inbox.claim(now, limit=1):
        with store.transaction():
            store.messages.append(LoggedMessage(channel="tiktok", conversation_id="c",
                direction=Direction.INBOUND, at=now, text=row.body.decode()))
            store.inbox.complete(row.id, now)
        print(row.id, flush=True)
"""


def test_a_worker_killed_mid_burst_processes_each_row_exactly_once(tmp_path: Path) -> None:
    """The gateway's pattern: claim a row, then log its message and complete the row in one
    transaction. A kill -9 at any point leaves each row either done (once) or to redo."""
    path = tmp_path / "s.db"
    with SqliteStore(path) as store, store.transaction():
        for i in range(ROWS):
            store.inbox.append(channel="tiktok", body=b"%d" % i, headers={}, received_at=T0)
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for _ in range(ROWS // 3):
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    with SqliteStore(path) as store:
        later = T0.replace(hour=13)  # the dead worker's lease has expired
        while rows := store.inbox.claim(later, limit=10):
            for row in rows:
                with store.transaction():
                    store.messages.append(
                        LoggedMessage(
                            channel="tiktok",
                            conversation_id="c",
                            direction=Direction.INBOUND,
                            at=later,
                            text=row.body.decode(),
                        )
                    )
                    store.inbox.complete(row.id, later)
        logged = Counter(m.text for m in store.messages.list(Channel.TIKTOK, "c", limit=10_000))
        assert logged == Counter(str(i) for i in range(ROWS))
        assert store.inbox.counts() == {InboxState.PROCESSED: ROWS}
