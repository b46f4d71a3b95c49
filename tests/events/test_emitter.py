"""The emitter against the sandbox: batches, retries under faults, nothing lost or doubled,
dead letters for permanent failures, back-pressure, and the async twin."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mmtkit.adapter import HttpResponse, Outcome, RejectionKind, Retryable, Sent, Throttled
from mmtkit.emitter import AsyncEmitter, Emitter, EmitterClosed, EventSink
from mmtkit.events import AttributionIds, ConversionEvent
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.sinks.meta_capi import MetaCapiSink
from mmtkit.plugins.sinks.tiktok_events import TikTokEventsSink
from mmtkit.ratelimit import GcraLimiter
from mmtkit.retry import RetryPolicy
from mmtkit.sandbox import Sandbox
from mmtkit.store import MemoryStore
from mmtkit.transport import AsyncHttpExecutor, HttpExecutor, Timeouts

FAST_RETRY = RetryPolicy(max_attempts=40, max_elapsed=60, backoff_base=0.001, backoff_cap=0.01)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    for route in ("tiktok.events", "meta.events"):
        sandbox.set_faults(route)
    return sandbox


def tiktok(sb: Sandbox, token: str = "tt-events-sandbox-token", **kw: Any) -> TikTokEventsSink:
    return TikTokEventsSink(access_token=token, event_source_id="evset-1",
                            base_url=sb.tiktok_base_url, **kw)


def event(n: int, channel: str = "tiktok", **kw: Any) -> ConversionEvent:
    return ConversionEvent(name="Contact", time=datetime.now(UTC), event_id=f"ev-{n}",
                           channel=channel, **kw)


def delivered_ids(sb: Sandbox, platform: str = "tiktok_events") -> list[str]:
    return [e.idempotency["event_id"] for e in sb.ledger.entries(platform=platform)]


def test_events_arrive_in_batches_once_each(sb: Sandbox) -> None:
    with Emitter([tiktok(sb, max_batch=50)], flush_interval=0.02) as emitter:
        for n in range(230):
            assert emitter.emit(event(n))
    assert sorted(delivered_ids(sb)) == sorted(f"ev-{n}" for n in range(230))
    assert emitter.stats.delivered == 230
    assert 5 <= emitter.stats.requests <= 12  # batched, not one request per event


def test_retries_under_faults_lose_and_double_nothing(sb: Sandbox) -> None:
    sb.set_faults("tiktok.events", server_error=0.25, throttle=0.15, drop=0.1)
    limiter = GcraLimiter(backoff_base=0.001, backoff_cap=0.01)
    with Emitter([tiktok(sb, max_batch=20)], flush_interval=0.02, retry=FAST_RETRY,
                 limiter=limiter) as emitter:
        for n in range(300):
            emitter.emit(event(n))
    ids = delivered_ids(sb)
    assert sorted(ids) == sorted(f"ev-{n}" for n in range(300))  # none lost, none doubled
    assert emitter.stats.requests > 300 // 20  # faults were retried
    assert emitter.stats.dead_lettered == 0


def test_an_ambiguous_batch_is_sent_again_and_deduplicated_by_event_id(sb: Sandbox) -> None:
    sb.set_faults("tiktok.events", sequence=["processed_then_timeout"], late_answer_seconds=0.5)
    executor = HttpExecutor(timeouts=Timeouts(read=0.2))
    with Emitter([tiktok(sb)], executor=executor, flush_interval=0.02, retry=FAST_RETRY) as em:
        for n in range(10):
            em.emit(event(n))
    executor.close()
    ids = delivered_ids(sb)
    assert set(ids) == {f"ev-{n}" for n in range(10)}
    # The platform saw the first batch twice; each copy carries the same event_id, which is
    # what the Events API deduplicates on.
    assert len(ids) == 20


def test_duplicates_are_suppressed_at_emit(sb: Sandbox) -> None:
    with Emitter([tiktok(sb)], flush_interval=0.02) as emitter:
        assert emitter.emit(event(1))
        assert not emitter.emit(event(1))
    assert delivered_ids(sb) == ["ev-1"]
    assert emitter.stats.duplicates == 1


def test_permanent_rejection_goes_to_the_dead_letters(sb: Sandbox) -> None:
    store = MemoryStore()
    with Emitter([tiktok(sb, token="revoked")], dead_letters=store.event_dead_letters,
                 flush_interval=0.02) as emitter:
        for n in range(3):
            emitter.emit(event(n))
    letters = store.event_dead_letters.list()
    assert sorted(d.event_id or "" for d in letters) == ["ev-0", "ev-1", "ev-2"]
    assert all("40105" in d.error and d.sink == "tiktok_events" for d in letters)
    assert delivered_ids(sb) == []


def test_exhausted_retries_go_to_the_dead_letters(sb: Sandbox) -> None:
    sb.set_faults("tiktok.events", server_error=1.0)
    retry = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_cap=0.01)
    with Emitter([tiktok(sb)], flush_interval=0.02, retry=retry) as emitter:
        emitter.emit(event(1))
    [letter] = emitter.dead_letters.list()
    assert letter.attempts == 2
    assert "gave up after 2 attempts" in letter.error


class OneBadEvent(TikTokEventsSink):
    """Encodes event ``ev-3`` the way the Events API refuses (milliseconds)."""

    def encode(self, event: ConversionEvent) -> dict[str, Any]:
        item = super().encode(event)
        if event.event_id == "ev-3":
            item["event_time"] *= 1000
        return item


def test_one_invalid_event_does_not_take_its_batch_with_it(sb: Sandbox) -> None:
    sink = OneBadEvent(access_token="tt-events-sandbox-token", event_source_id="evset-1",
                       base_url=sb.tiktok_base_url)
    with Emitter([sink], flush_interval=0.02) as emitter:
        for n in range(8):
            emitter.emit(event(n))
    assert sorted(delivered_ids(sb)) == sorted(f"ev-{n}" for n in range(8) if n != 3)
    [letter] = emitter.dead_letters.list()
    assert letter.event_id == "ev-3"
    assert "40002" in letter.error


def test_close_flushes_what_is_waiting(sb: Sandbox) -> None:
    emitter = Emitter([tiktok(sb)], flush_interval=60)
    for n in range(7):
        emitter.emit(event(n))
    emitter.close()
    assert len(delivered_ids(sb)) == 7
    with pytest.raises(EmitterClosed):
        emitter.emit(event(99))


OK = HttpResponse(status=200, body=b'{"code":0,"message":"OK","data":{}}')


class Gate:
    """An executor stand-in that holds every batch until released, then answers success."""

    def __init__(self) -> None:
        self.open = threading.Event()

    def run(self, steps: Any) -> Any:
        self.open.wait(5)
        answer: Any = None
        while True:
            try:
                effect = steps.send(answer)
            except StopIteration as done:
                return done.value
            answer = OK if hasattr(effect, "url") else None

    def close(self) -> None:
        pass


def test_a_full_buffer_pushes_back_then_dead_letters_never_drops(sb: Sandbox) -> None:
    gate = Gate()
    emitter = Emitter([tiktok(sb, max_batch=1)], executor=gate,  # type: ignore[arg-type]
                      max_buffer=3, full_timeout=0.1, flush_interval=0.01)
    accepted = [emitter.emit(event(n)) for n in range(6)]
    assert accepted.count(False) >= 1  # waited 0.1 s for room, then kept as a dead letter
    kept = {d.event_id for d in emitter.dead_letters.list()}
    assert all(d.error == "buffer full" for d in emitter.dead_letters.list())
    gate.open.set()
    emitter.close()
    assert emitter.stats.delivered + len(kept) == 6


def test_meta_capi_gets_only_what_it_can_attribute(sb: Sandbox) -> None:
    sink = MetaCapiSink(access_token="capi-sandbox-token", dataset_id="300000000000001",
                        whatsapp_business_account_id="waba-1", base_url=sb.graph_base_url)
    events = [
        event(1, "whatsapp", attribution=AttributionIds(click_id="ARAkclid1")),
        event(2, "whatsapp"),  # no ctwa_clid: Meta cannot attribute it
        event(3, "messenger", account_id="page-1", scoped_user_id="psid-1"),
        event(4, "tiktok"),
    ]
    with Emitter([sink, tiktok(sb)], flush_interval=0.02) as emitter:
        for item in events:
            emitter.emit(item)
    assert sorted(delivered_ids(sb, "meta_capi")) == ["ev-1", "ev-3"]
    assert sorted(delivered_ids(sb)) == ["ev-1", "ev-2", "ev-3", "ev-4"]
    [whatsapp] = [e.payload for e in sb.ledger.entries(platform="meta_capi")
                  if e.payload["event_id"] == "ev-1"]
    assert whatsapp["action_source"] == "business_messaging"
    assert whatsapp["user_data"]["ctwa_clid"] == "ARAkclid1"


def test_async_emitter_delivers_through_the_same_plan(sb: Sandbox) -> None:
    sb.set_faults("tiktok.events", server_error=0.2)

    async def main() -> AsyncEmitter:
        async with AsyncEmitter([tiktok(sb, max_batch=25)], flush_interval=0.02,
                                retry=FAST_RETRY, limiter=GcraLimiter(backoff_base=0.001),
                                executor=AsyncHttpExecutor(httpx.AsyncClient())) as emitter:
            for n in range(120):
                await emitter.emit(event(n))
            assert not await emitter.emit(event(5))
        return emitter

    emitter = asyncio.run(main())
    assert sorted(delivered_ids(sb)) == sorted(f"ev-{n}" for n in range(120))
    assert emitter.stats.duplicates == 1


def test_sinks_are_plugins() -> None:
    factories = PluginManager.with_entry_points().hooks.register_event_sinks()
    assert {"tiktok_events", "meta_capi"} <= set(factories)
    sink = factories["tiktok_events"](access_token="secret-token-x", event_source_id="e")
    assert isinstance(sink, EventSink)
    assert "secret-token-x" not in repr(sink)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (b'{"code":0,"message":"OK","data":{}}', 200, Sent),
        (b'{"code":20001,"message":"partial","data":{}}', 200, Sent),
        (b'{"code":40100,"message":"slow down","data":{}}', 200, Throttled),
        (b'{"code":51000,"message":"system","data":{}}', 200, Retryable),
        (b"<html>bad gateway</html>", 502, Retryable),
    ],
)
def test_tiktok_answers(body: bytes, status: int, expected: type[Outcome]) -> None:
    sink = TikTokEventsSink(access_token="t", event_source_id="e")
    assert isinstance(sink.classify(HttpResponse(status=status, body=body)), expected)


def test_tiktok_invalid_request_is_a_splittable_rejection() -> None:
    sink = TikTokEventsSink(access_token="t", event_source_id="e")
    outcome = sink.classify(HttpResponse(status=200, body=b'{"code":40002,"message":"bad"}'))
    assert getattr(outcome, "kind", None) is RejectionKind.INVALID_REQUEST


class CountingLimiter(GcraLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.reservations = 0

    def reserve(self, limits: Any, now: float) -> float:
        self.reservations += 1
        return super().reserve(limits, now)


def test_the_given_limiter_paces_every_request(sb: Sandbox) -> None:
    limiter = CountingLimiter()  # empty, so len() == 0: it must still be the one used
    with Emitter([tiktok(sb, max_batch=10)], limiter=limiter, flush_interval=0.02) as emitter:
        for n in range(30):
            emitter.emit(event(n))
    assert limiter.reservations == emitter.stats.requests >= 3


class BrokenSink(TikTokEventsSink):
    def encode(self, event: ConversionEvent) -> dict[str, Any]:
        if event.event_id == "ev-2":
            raise KeyError("bug")
        return super().encode(event)


def test_a_sink_that_cannot_encode_an_event_dead_letters_it(sb: Sandbox) -> None:
    sink = BrokenSink(access_token="tt-events-sandbox-token", event_source_id="evset-1",
                      base_url=sb.tiktok_base_url)
    with Emitter([sink], flush_interval=0.02) as emitter:
        for n in range(4):
            emitter.emit(event(n))
    assert sorted(delivered_ids(sb)) == ["ev-0", "ev-1", "ev-3"]
    [letter] = emitter.dead_letters.list()
    assert (letter.event_id, letter.error) == ("ev-2", "sink could not encode the event: KeyError")


def test_the_dedup_memory_is_a_bounded_window(sb: Sandbox) -> None:
    with Emitter([tiktok(sb)], dedup_window=10, flush_interval=0.02) as emitter:
        for n in range(10):
            emitter.emit(event(n))
        emitter.flush()
        for n in range(10, 20):
            emitter.emit(event(n))
        emitter.flush()
        emitter.flush()  # a pass after the window filled: the oldest ids are forgotten
        assert not emitter.emit(event(15))  # recent: still a duplicate
        assert emitter.emit(event(0))  # two windows ago: forgotten (the platform dedups)
