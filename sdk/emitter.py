"""Reporting conversion events: buffered, batched, delivered in the background, never lost.

``emit(event)`` only puts the event in a bounded in-memory buffer (it must cost next to
nothing on the gateway's hot path); a background worker -- a thread for :class:`Emitter`, an
asyncio task for :class:`AsyncEmitter` -- takes batches out and delivers them to every sink
through the same transport as messages (:mod:`mmtkit.transport`): client-side pacing with the
rate limiter, retries with the retry policy, the platform's throttle answers honoured.

The delivery of one batch, :func:`deliver_batch`, is written once as a generator of effects
and run by either executor. Events are idempotent on the platforms' side by ``event_id``, so
unlike a message, a batch whose answer was lost (*ambiguous*) is simply sent again. A batch
refused as invalid is split in halves until the bad events are isolated, so one bad event
does not take forty-nine good ones with it.

Guarantees, and the policy when things go wrong:

* **duplicates**: an ``event_id`` seen in the last ``dedup_window`` events (default 100,000;
  two rotating sets, so memory is bounded) is dropped by ``emit``, which answers False;
* **permanent failures** (a rejection, or retries exhausted) go to the dead-letter store
  (:class:`mmtkit.store.base.EventDeadLetters`) with the sink's payload and the reason --
  never silently dropped;
* **buffer full** (``max_buffer`` events waiting): ``emit`` waits up to ``full_timeout``
  seconds for the worker to make room (back-pressure); if there is still no room the event
  is written to the dead-letter store with the reason ``buffer full`` and ``emit`` answers
  False. Memory stays bounded and nothing is lost;
* ``flush()`` returns when everything emitted before it was delivered or dead-lettered;
  ``close()`` flushes, then stops the worker.

Nothing here logs an event's payload: logs carry sink names, counts, codes and timings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from attrs import define, frozen

from mmtkit.adapter import (
    Ambiguous,
    HttpRequest,
    HttpResponse,
    Outcome,
    Rejected,
    RejectionKind,
    Retryable,
    Sent,
    Throttled,
)
from mmtkit.capabilities import RateLimit
from mmtkit.errors import MmtkitError
from mmtkit.events import ConversionEvent
from mmtkit.ratelimit import GcraLimiter, RateLimiter, ScopedLimit
from mmtkit.retry import RetryPolicy
from mmtkit.store.base import EventDeadLetters
from mmtkit.store.memory import MemoryStore
from mmtkit.transport import Answer, AsyncHttpExecutor, Effect, HttpExecutor, TransportFailure, Wait

__all__ = [
    "AsyncEmitter",
    "BatchResult",
    "Emitter",
    "EmitterClosed",
    "EmitterStats",
    "EventSink",
    "deliver_batch",
]

log = logging.getLogger("mmtkit.emitter")


class EmitterClosed(MmtkitError, RuntimeError):
    """``emit`` after ``close()``: the event was not taken."""


@runtime_checkable
class EventSink(Protocol):
    """Where conversion events go (TikTok Events API, Meta CAPI...). Sans-I/O like an
    adapter: it builds the request for a batch and reads the answer; it never sends."""

    name: str
    max_batch: int
    rate_limits: tuple[RateLimit, ...]

    def accepts(self, event: ConversionEvent) -> bool:
        """False for events this sink cannot report (Meta: a WhatsApp chat without a
        ``ctwa_clid``); they are skipped for this sink, not failed."""
        ...

    def encode(self, event: ConversionEvent) -> dict[str, Any]:
        """One item of the batch, JSON-ready (also what a dead letter keeps)."""
        ...

    def request(self, items: Sequence[dict[str, Any]]) -> HttpRequest: ...

    def classify(self, response: HttpResponse) -> Outcome: ...


@frozen
class BatchResult:
    """How one batch ended for one sink: the items delivered, and those that failed for
    good with the reason and attempts."""

    delivered: int
    failed: tuple[tuple[dict[str, Any], str, int], ...] = ()
    requests: int = 0


def _outcome(sink: EventSink, answer: Answer) -> Outcome:
    if isinstance(answer, TransportFailure):
        return Ambiguous(reason=answer.reason) if answer.ambiguous else Retryable(
            reason=answer.reason
        )
    if not isinstance(answer, HttpResponse):
        raise TypeError(f"an HTTP request must be answered with a response, got {answer!r}")
    return sink.classify(answer)


def _describe(outcome: Outcome) -> str:
    if isinstance(outcome, Ambiguous):
        return f"ambiguous: {outcome.reason}"
    if isinstance(outcome, Sent):
        return "sent"
    code = f"{outcome.code}: " if outcome.code else ""
    return f"{type(outcome).__name__.lower()} {code}{outcome.reason}".strip()


def deliver_batch(
    sink: EventSink,
    items: Sequence[dict[str, Any]],
    *,
    limiter: RateLimiter,
    retry: RetryPolicy,
    clock: Callable[[], float],
) -> Generator[Effect, Answer, BatchResult]:
    """Deliver ``items`` to ``sink``: pace, send, retry what may be retried; split a batch
    refused as invalid to isolate the bad events. Run it with either executor."""
    key = f"app:events:{sink.name}"
    scoped = [ScopedLimit(key, limit) for limit in sink.rate_limits] or [ScopedLimit(key, None)]
    started = clock()
    attempts = 0
    while True:
        delay = limiter.reserve(scoped, clock())
        if delay > 0:
            yield Wait(delay)
        answer = yield sink.request(items)
        attempts += 1
        outcome = _outcome(sink, answer)
        if isinstance(outcome, Sent):
            limiter.succeeded(key)
            return BatchResult(delivered=len(items), requests=attempts)
        if isinstance(outcome, Rejected):
            if outcome.kind is RejectionKind.INVALID_REQUEST and len(items) > 1:
                middle = len(items) // 2
                first = yield from deliver_batch(
                    sink, items[:middle], limiter=limiter, retry=retry, clock=clock
                )
                second = yield from deliver_batch(
                    sink, items[middle:], limiter=limiter, retry=retry, clock=clock
                )
                return BatchResult(
                    delivered=first.delivered + second.delivered,
                    failed=first.failed + second.failed,
                    requests=attempts + first.requests + second.requests,
                )
            return _failed(sink, items, outcome, attempts)
        hint = outcome.retry_after if isinstance(outcome, Throttled) else None
        if isinstance(outcome, Throttled):
            limiter.throttled(key, clock(), hint)
        delay_next = retry.next_delay(attempts, clock() - started, hint)
        log.info(
            "event batch to %s: attempt %d %s",
            sink.name,
            attempts,
            type(outcome).__name__,
            extra={"sink": sink.name, "events": len(items), "attempt": attempts,
                   "outcome": type(outcome).__name__, "code": getattr(outcome, "code", None),
                   "delay": delay_next},
        )
        if delay_next is None:
            return _failed(sink, items, outcome, attempts, gave_up=True)
        yield Wait(delay_next)


def _failed(
    sink: EventSink, items: Sequence[dict[str, Any]], outcome: Outcome, attempts: int,
    *, gave_up: bool = False,
) -> BatchResult:
    reason = _describe(outcome)
    if gave_up:
        reason = f"gave up after {attempts} attempts: {reason}"
    log.warning("event batch to %s failed for good: %d events", sink.name, len(items),
                extra={"sink": sink.name, "events": len(items), "attempts": attempts,
                       "code": getattr(outcome, "code", None)})
    return BatchResult(
        delivered=0, failed=tuple((item, reason, attempts) for item in items), requests=attempts
    )


# --- the buffer shared by both emitters ---------------------------------------------------


@define
class EmitterStats:
    """Counters since the emitter started (ids and numbers only)."""

    duplicates: int = 0
    delivered: int = 0
    dead_lettered: int = 0
    requests: int = 0
    batches: int = 0


class _Core:
    """Sinks, pacing, retries and the dead letters: what both emitters share."""

    def __init__(
        self,
        sinks: Sequence[EventSink],
        *,
        dead_letters: EventDeadLetters | None,
        limiter: RateLimiter | None,
        retry: RetryPolicy | None,
        max_buffer: int,
        dedup_window: int,
        clock: Callable[[], float],
        now: Callable[[], datetime],
    ) -> None:
        if not sinks:
            raise ValueError("an emitter needs at least one sink")
        if max_buffer < 1 or dedup_window < 1:
            raise ValueError("max_buffer and dedup_window must be at least 1")
        self.sinks = tuple(sinks)
        # "is None", not "or": an empty limiter or store has a length of 0 and reads false.
        self.dead_letters = (
            MemoryStore().event_dead_letters if dead_letters is None else dead_letters
        )
        self.limiter = GcraLimiter() if limiter is None else limiter
        self.retry = RetryPolicy() if retry is None else retry
        self.clock = clock
        self.now = now
        self.max_buffer = max_buffer
        self.batch_size = max(sink.max_batch for sink in self.sinks)
        self.dedup_window = dedup_window
        self.buffer: deque[ConversionEvent] = deque()
        self.seen: dict[str, object] = {}
        self.seen_before: frozenset[str] = frozenset()
        self.stats = EmitterStats()

    def first_time(self, event_id: str) -> bool:
        """True the first time ``event_id`` is offered within the window.

        One ``dict.setdefault`` decides, which is atomic under the GIL: emitting threads need
        no lock (on this path a lock costs more than everything else together).
        """
        if event_id in self.seen_before:
            return False
        token: list[None] = []
        seen = self.seen
        if seen.setdefault(event_id, token) is not token:
            return False
        if len(seen) >= self.dedup_window:
            self.rotate()
        return True

    def rotate(self) -> None:
        """Keep the last window's ids and start a new one: memory stays bounded."""
        self.seen_before, self.seen = frozenset(self.seen), {}

    def take(self) -> list[ConversionEvent]:
        buffer = self.buffer
        count = min(len(buffer), self.batch_size)
        return [buffer.popleft() for _ in range(count)]

    def plans(
        self, events: Sequence[ConversionEvent]
    ) -> list[tuple[EventSink, list[dict[str, Any]], list[str]]]:
        """Per sink, the encoded items in chunks of its batch size, with their event ids."""
        plans: list[tuple[EventSink, list[dict[str, Any]], list[str]]] = []
        for sink in self.sinks:
            items: list[dict[str, Any]] = []
            ids: list[str] = []
            for event in events:
                try:
                    if not sink.accepts(event):
                        continue
                    items.append(sink.encode(event))
                except Exception as exc:  # noqa: BLE001 - a sink's bug must not lose the event
                    self.bury(sink.name, {"event_id": event.event_id},
                              f"sink could not encode the event: {type(exc).__name__}", 0)
                    continue
                ids.append(event.event_id)
            for start in range(0, len(items), sink.max_batch):
                end = start + sink.max_batch
                plans.append((sink, items[start:end], ids[start:end]))
        return plans

    def steps(
        self, sink: EventSink, items: list[dict[str, Any]]
    ) -> Generator[Effect, Answer, BatchResult]:
        return deliver_batch(sink, items, limiter=self.limiter, retry=self.retry,
                             clock=self.clock)

    def record(self, sink: EventSink, result: BatchResult) -> None:
        stats = self.stats
        stats.batches += 1
        stats.requests += result.requests
        stats.delivered += result.delivered
        for item, reason, attempts in result.failed:
            self.bury(sink.name, item, reason, attempts)

    def bury(self, sink: str, item: dict[str, Any], reason: str, attempts: int) -> None:
        event_id = item.get("event_id")
        self.dead_letters.add(
            sink=sink,
            payload=json.dumps(item, separators=(",", ":"), sort_keys=True),
            error=reason,
            attempts=attempts,
            now=self.now(),
            event_id=event_id if isinstance(event_id, str) else None,
        )
        self.stats.dead_lettered += 1

    def overflow(self, event: ConversionEvent) -> None:
        """The buffer stayed full: keep the event as a dead letter for every sink taking it."""
        for sink in self.sinks:
            if sink.accepts(event):
                self.bury(sink.name, sink.encode(event), "buffer full", 0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Emitter:
    """The blocking client's emitter: a background thread delivers; ``emit`` never does I/O.

    ``flush_interval`` bounds how long an event waits for a batch to fill.
    """

    def __init__(
        self,
        sinks: Sequence[EventSink],
        *,
        executor: HttpExecutor | None = None,
        dead_letters: EventDeadLetters | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        max_buffer: int = 10_000,
        flush_interval: float = 1.0,
        full_timeout: float = 5.0,
        dedup_window: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._core = _Core(sinks, dead_letters=dead_letters, limiter=limiter, retry=retry,
                           max_buffer=max_buffer, dedup_window=dedup_window, clock=clock, now=now)
        self._owned = executor is None
        self._executor = HttpExecutor() if executor is None else executor
        self._flush_interval = flush_interval
        self._full_timeout = full_timeout
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._room = threading.Condition(threading.Lock())
        self._idle = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._flushes = 0
        self._closed = False
        self._buffer = self._core.buffer
        self._batch_size = self._core.batch_size
        self._max_buffer = max_buffer
        self._limit = max_buffer
        self._wake_at = self._batch_size - 1
        self._thread = threading.Thread(target=self._run, name="mmtkit-emitter", daemon=True)
        self._thread.start()

    @property
    def stats(self) -> EmitterStats:
        return self._core.stats

    @property
    def dead_letters(self) -> EventDeadLetters:
        return self._core.dead_letters

    def emit(self, event: ConversionEvent) -> bool:
        """Queue ``event``; False when it is a duplicate or had to be dead-lettered.

        Lock-free, because on this path a lock costs more than everything else together:
        the duplicate check is one ``dict.setdefault`` (atomic under the GIL) with a token
        made for this call, and the buffer a ``deque`` (atomic appends). ``max_buffer`` may be
        overshot by at most the number of threads emitting at the same instant. A closed
        emitter has a limit of -1, so its ``emit`` takes the slow path, which raises.
        """
        event_id = event.event_id
        core = self._core
        token: list[None] = []  # unique per call, and holds nothing alive
        if core.seen.setdefault(event_id, token) is not token or event_id in core.seen_before:
            return self._duplicate()
        buffer = self._buffer
        size = len(buffer)
        if size < self._limit:
            buffer.append(event)
            if size == self._wake_at:
                self._wake.set()
            return True
        return self._emit_when_room(event)

    def _duplicate(self) -> bool:
        with self._lock:
            self._core.stats.duplicates += 1
        return False

    def _emit_when_room(self, event: ConversionEvent) -> bool:
        if self._closed:
            raise EmitterClosed("emit() after close(): the event was not taken")
        self._wake.set()
        deadline = time.monotonic() + self._full_timeout
        while True:
            if len(self._buffer) < self._max_buffer:
                self._buffer.append(event)
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                with self._lock:
                    self._core.overflow(event)
                log.warning("event buffer full for %.1f s: event dead-lettered",
                            self._full_timeout)
                return False
            with self._room:
                self._room.wait(min(left, 0.05))

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            while True:
                with self._lock:
                    self._in_flight += 1
                    closed = self._closed
                if len(self._core.seen) >= self._core.dedup_window:
                    self._core.rotate()  # here, not in emit: the hot path stays short
                batch = self._core.take()
                with self._room:
                    self._room.notify_all()
                if not batch:
                    with self._lock:
                        self._in_flight -= 1
                    break
                try:
                    self._deliver(batch)
                finally:
                    with self._lock:
                        self._in_flight -= 1
            with self._idle:
                self._idle.notify_all()
            if closed:
                return

    def _deliver(self, batch: list[ConversionEvent]) -> None:
        core = self._core
        for sink, items, _ in core.plans(batch):
            try:
                result = self._executor.run(core.steps(sink, items))
            except Exception as exc:  # noqa: BLE001 - a failing sink must not lose events
                result = BatchResult(0, tuple((i, f"sink error: {type(exc).__name__}", 0)
                                              for i in items))
            with self._lock:
                core.record(sink, result)

    def _drained(self) -> bool:
        with self._lock:
            return not self._buffer and self._in_flight == 0

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver everything queued so far; True when done within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._drained():
            if not self._thread.is_alive():
                return False
            self._wake.set()
            with self._idle:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(0.05 if left is None else min(left, 0.05))
        return True

    def close(self, timeout: float | None = None) -> None:
        """Flush, stop the worker, close the executor if this emitter made it."""
        self.flush(timeout)
        with self._lock:
            self._closed = True
            self._limit = -1
        self._wake.set()
        self._thread.join(timeout)
        if self._owned:
            self._executor.close()

    def __enter__(self) -> Emitter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncEmitter:
    """The async client's emitter: the same buffer and delivery, run by an asyncio task
    started on first use inside the running loop."""

    def __init__(
        self,
        sinks: Sequence[EventSink],
        *,
        executor: AsyncHttpExecutor | None = None,
        dead_letters: EventDeadLetters | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        max_buffer: int = 10_000,
        flush_interval: float = 1.0,
        full_timeout: float = 5.0,
        dedup_window: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._core = _Core(sinks, dead_letters=dead_letters, limiter=limiter, retry=retry,
                           max_buffer=max_buffer, dedup_window=dedup_window, clock=clock, now=now)
        self._owned = executor is None
        self._executor = AsyncHttpExecutor() if executor is None else executor
        self._flush_interval = flush_interval
        self._full_timeout = full_timeout
        self._changed: asyncio.Condition | None = None
        self._task: asyncio.Task[None] | None = None
        self._in_flight = 0
        self._closed = False

    @property
    def stats(self) -> EmitterStats:
        return self._core.stats

    @property
    def dead_letters(self) -> EventDeadLetters:
        return self._core.dead_letters

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mmtkit-emitter")
        return self._changed

    async def emit(self, event: ConversionEvent) -> bool:
        """Queue ``event``; waits for room when the buffer is full (see the module docs)."""
        core = self._core
        changed = self._condition()
        if self._closed:
            raise EmitterClosed("emit() after close(): the event was not taken")
        event_id = event.event_id
        deadline = time.monotonic() + self._full_timeout
        if not core.first_time(event_id):
            core.stats.duplicates += 1
            return False
        while True:
            if len(core.buffer) < core.max_buffer:
                core.buffer.append(event)
                if len(core.buffer) >= core.batch_size:
                    async with changed:
                        changed.notify_all()
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                core.overflow(event)
                log.warning("event buffer full for %.1f s: event dead-lettered",
                            self._full_timeout)
                return False
            async with changed:
                changed.notify_all()
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), min(left, 0.05))

    async def _run(self) -> None:
        changed = self._condition()
        core = self._core
        while True:
            async with changed:
                if not core.buffer and not self._closed:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), self._flush_interval)
            batch = core.take()
            if batch:
                self._in_flight += 1
                try:
                    for sink, items, _ in core.plans(batch):
                        try:
                            result = await self._executor.run(core.steps(sink, items))
                        except Exception as exc:  # noqa: BLE001 - never lose events
                            result = BatchResult(0, tuple(
                                (i, f"sink error: {type(exc).__name__}", 0) for i in items))
                        core.record(sink, result)
                finally:
                    self._in_flight -= 1
            async with changed:
                changed.notify_all()
            if self._closed and not core.buffer:
                return

    async def flush(self, timeout: float | None = None) -> bool:
        """Deliver everything queued so far; True when done within ``timeout``."""
        changed = self._condition()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._core.buffer or self._in_flight:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            async with changed:
                changed.notify_all()
                pause = 0.05 if left is None else min(left, 0.05)
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), pause)
        return True

    async def aclose(self, timeout: float | None = None) -> None:
        """Flush, stop the task, close the executor if this emitter made it."""
        if self._task is not None:
            await self.flush(timeout)
            self._closed = True
            async with self._condition():
                self._condition().notify_all()
            await asyncio.wait_for(self._task, timeout)
        self._closed = True
        if self._owned:
            await self._executor.aclose()

    async def __aenter__(self) -> AsyncEmitter:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
