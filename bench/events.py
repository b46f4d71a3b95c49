"""What reporting conversion events costs: on the hot path, and end to end.

Two figures, from the same run:

* **enqueue**: ``Emitter.emit(event)`` against the simplest possible queue, ``list.append``
  of a prebuilt dict, both called through a bound method in the same loop over prebuilt
  values. The emitter's worker is held while this is measured (its executor waits), so the
  figure is the enqueue path alone -- lock, duplicate check, bounded buffer -- not delivery
  competing for the GIL. Target: at most 20x the append.
* **end to end**: ``--n`` events (default 100,000) emitted as fast as possible into an
  emitter whose sink is the TikTok Events API of a sandbox running in a child process
  (``SandboxProcess``), until ``close()`` returns with everything delivered; reports events
  per second and requests per second, and checks the sandbox's ledger: every event once.

    .venv/bin/python bench/events.py [--n 100000] [--batch 50] [--micro 200000]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from mmtkit.emitter import BatchResult, Emitter
from mmtkit.events import ConversionEvent
from mmtkit.plugins.sinks.tiktok_events import TikTokEventsSink
from mmtkit.sandbox.process import SandboxProcess


class HeldExecutor:
    """Holds the worker's first batch until released, so only ``emit`` is measured."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, steps: Any) -> BatchResult:
        self.release.wait()
        steps.close()
        return BatchResult(delivered=0)

    def close(self) -> None:
        self.release.set()


def events(n: int, prefix: str) -> list[ConversionEvent]:
    now = datetime.now(UTC)
    return [
        ConversionEvent(name="Contact", time=now, event_id=f"{prefix}-{i}", channel="tiktok",
                        signals={"payment"})
        for i in range(n)
    ]


def enqueue(n: int, chunk: int = 5_000) -> tuple[float, float]:
    """Best ns per call of list.append of a dict and of Emitter.emit, over interleaved chunks.

    The machine is shared and noisy, so each side is timed in many short chunks, alternating,
    and the fastest chunk of each is kept (as ``timeit`` advises): both figures are then
    measured under the same, least disturbed, conditions.
    """
    items = events(n, "micro")
    dicts = [{"event": "Contact", "event_id": f"d-{i}"} for i in range(n)]
    held = HeldExecutor()
    sink = TikTokEventsSink(access_token="bench", event_source_id="bench")
    emitter = Emitter([sink], executor=held, max_buffer=n + 1,  # type: ignore[arg-type]
                      flush_interval=3600, dedup_window=n + 1)
    emit = emitter.emit
    best_append = best_emit = float("inf")
    for start in range(0, n, chunk):
        target: list[dict[str, str]] = []
        append = target.append
        began = time.perf_counter()
        for item in dicts[start:start + chunk]:
            append(item)
        best_append = min(best_append, time.perf_counter() - began)
        began = time.perf_counter()
        for event in items[start:start + chunk]:
            emit(event)
        best_emit = min(best_emit, time.perf_counter() - began)
    held.release.set()
    emitter.close()
    return best_append / chunk * 1e9, best_emit / chunk * 1e9


def end_to_end(n: int, batch: int) -> dict[str, float]:
    with SandboxProcess() as sp:
        sink = TikTokEventsSink(access_token="tt-events-sandbox-token", event_source_id="bench",
                                base_url=sp.tiktok_base_url, max_batch=batch)
        items = events(n, "e2e")
        started = time.perf_counter()
        emitter = Emitter([sink], max_buffer=20_000, flush_interval=0.05)
        for event in items:
            emitter.emit(event)
        emitted = time.perf_counter() - started
        emitter.close()
        seconds = time.perf_counter() - started
        stats = emitter.stats
        ledger = sp.ledger(platform="tiktok_events")
    counts = Counter(entry["idempotency"]["event_id"] for entry in ledger)
    return {
        "seconds": seconds,
        "emit_seconds": emitted,
        "events_per_second": stats.delivered / seconds,
        "requests_per_second": stats.requests / seconds,
        "requests": stats.requests,
        "delivered": stats.delivered,
        "dead_lettered": stats.dead_lettered,
        "in_ledger": len(counts),
        "duplicated": sum(1 for c in counts.values() if c > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="events end to end")
    parser.add_argument("--batch", type=int, default=50, help="events per request")
    parser.add_argument("--micro", type=int, default=200_000, help="enqueue calls measured")
    args = parser.parse_args()

    append_ns, emit_ns = enqueue(args.micro)
    ratio = emit_ns / append_ns
    verdict = "ok" if ratio <= 20 else "OVER TARGET"
    print(f"enqueue: list.append {append_ns:.0f} ns, Emitter.emit {emit_ns:.0f} ns, "
          f"ratio {ratio:.1f}x (target <= 20x: {verdict})")

    r = end_to_end(args.n, args.batch)
    print(f"end to end: {r['delivered']:,.0f} events in {r['seconds']:.2f} s "
          f"(emitting took {r['emit_seconds']:.2f} s), batches of {args.batch}")
    print(f"  {r['events_per_second']:,.0f} events/s, {r['requests_per_second']:,.0f} "
          f"requests/s ({r['requests']:,.0f} requests)")
    print(f"  sandbox ledger: {r['in_ledger']:,.0f} distinct events, {r['duplicated']:,.0f} "
          f"duplicated; dead-lettered: {r['dead_lettered']:,.0f}")


if __name__ == "__main__":
    main()
