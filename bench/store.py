"""How fast the SQLite store writes, against bare ``sqlite3`` on the same machine in the same run.

Three figures, each the median of ``--runs`` rounds of ``--n`` operations on a fresh file:

* baseline: bare ``sqlite3`` with its default settings (rollback journal, ``synchronous=FULL``),
  one single-row ``INSERT`` per autocommit transaction -- what a naive durable queue costs;
* inbox: ``SqliteStore.inbox.append`` (WAL, ``synchronous=NORMAL``), one transaction each,
  i.e. what the gateway pays before it acknowledges a webhook;
* outbox: ``outbox.add`` then ``outbox.mark_sent`` (two transactions) per message;
* bare WAL (context): the inbox's INSERT with the store's settings but none of its code, to
  show what the store's own layer (typing, JSON, RETURNING) costs.

The gateway's later target is >= 1,500 acknowledged webhooks/s end to end, so one inbox
append must stay well under 0.5 ms.

    .venv/bin/python bench/store.py [--n 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from mmtkit.messages import Channel, Text
from mmtkit.outbox import Guarantee
from mmtkit.store import SqliteStore

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
BODY = b'{"event":"im_receive_msg","content":"' + b"x" * 400 + b'"}'
HEADERS = {"tiktok-signature": "t=1700000000,s=" + "0" * 64}
TABLE = "CREATE TABLE inbox (id INTEGER PRIMARY KEY, body BLOB, headers TEXT, received_at INT)"


def bare(path: Path, n: int, *, wal: bool) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(TABLE)
    start = time.perf_counter()
    for _ in range(n):
        conn.execute(
            "INSERT INTO inbox (body, headers, received_at) VALUES (?, ?, ?)",
            (BODY, '{"tiktok-signature": "..."}', 0),
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def inbox(path: Path, n: int) -> float:
    with SqliteStore(path) as store:
        start = time.perf_counter()
        for _ in range(n):
            store.inbox.append(channel=Channel.TIKTOK, body=BODY, headers=HEADERS, received_at=NOW)
        return time.perf_counter() - start


def outbox(path: Path, n: int) -> float:
    with SqliteStore(path) as store:
        start = time.perf_counter()
        for i in range(n):
            record = store.outbox.add(
                idempotency_key=f"k{i}",
                channel=Channel.TIKTOK,
                conversation_id="c",
                customer_id="u",
                account_id="b",
                content=Text("Thanks for your order!"),
                guarantee=Guarantee.AT_LEAST_ONCE,
                now=NOW,
            )
            store.outbox.mark_sent(record.id, NOW, platform_message_id=f"m{i}")
        return time.perf_counter() - start


def rate(run: Callable[[Path, int], float], n: int, runs: int) -> float:
    """Median operations per second over ``runs`` fresh database files."""
    rates = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            rates.append(n / run(Path(folder) / "bench.db", n))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    baseline = rate(lambda p, n: bare(p, n, wal=False), args.n, args.runs)
    bare_wal = rate(lambda p, n: bare(p, n, wal=True), args.n, args.runs)
    appends = rate(inbox, args.n, args.runs)
    sends = rate(outbox, args.n, args.runs)
    print(f"sqlite {sqlite3.sqlite_version}, {args.n} operations x {args.runs} runs (median)")
    print(f"{'what':<44}{'ops/s':>10}{'us/op':>10}{'ratio':>8}")
    rows = [
        ("bare sqlite3 INSERT, autocommit (baseline)", baseline),
        ("bare sqlite3 INSERT, WAL + NORMAL (context)", bare_wal),
        ("store inbox.append", appends),
        ("store outbox.add + mark_sent", sends),
    ]
    for name, ops in rows:
        print(f"{name:<44}{ops:>10,.0f}{1e6 / ops:>10.1f}{ops / baseline:>8.2f}")
    verdict = "OK" if 1e6 / appends < 500 else "TOO SLOW"
    print(f"inbox append {1e6 / appends:.0f} us against a 500 us budget: {verdict}")


if __name__ == "__main__":
    main()
