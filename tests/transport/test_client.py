from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from mmtkit.client import AsyncMessagingClient, ChannelSetup, MessagingClient
from mmtkit.errors import (
    ContentError,
    DeliveryUnknown,
    MessageTooLong,
    PolicyViolation,
    SendFailed,
    SendNotAllowed,
    SendRejected,
)
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Text
from mmtkit.outbox import MemoryOutbox, OutboxState
from mmtkit.plugin_manager import PluginManager
from mmtkit.policy import Violation
from mmtkit.retry import RetryPolicy

from .conftest import T0, ScriptedTikTok, conversation

Factory = Callable[..., ChannelSetup]


def client(
    platform: ScriptedTikTok,
    setup: ChannelSetup,
    plugins: PluginManager,
    retry: RetryPolicy,
    now: Callable[[], datetime],
    **options: Any,
) -> MessagingClient:
    return MessagingClient(
        {"tiktok": setup},
        plugins=plugins,
        retry=retry,
        now=now,
        http_client=httpx.Client(transport=httpx.MockTransport(platform)),
        **options,
    )


@pytest.fixture
def make(
    empty_plugins: PluginManager,
    fast_retry: RetryPolicy,
    setup_factory: Factory,
    frozen_now: Callable[[], datetime],
) -> Callable[..., MessagingClient]:
    def build(platform: ScriptedTikTok, **kwargs: Any) -> MessagingClient:
        setup = setup_factory(**kwargs.pop("setup", {}))
        return client(
            platform,
            setup,
            kwargs.pop("plugins", empty_plugins),
            kwargs.pop("retry", fast_retry),
            frozen_now,
            **kwargs,
        )

    return build


def test_send_returns_a_receipt_and_counts_against_the_window(
    make: Callable[..., MessagingClient],
) -> None:
    platform = ScriptedTikTok()
    with make(platform) as c:
        receipt = c.send(conversation(), Text("Your order ships today."))
    assert receipt.state is OutboxState.SENT
    assert receipt.platform_message_id == "m1"
    assert receipt.attempts == 1
    assert receipt.conversation.business_messages_in_window == 1
    assert receipt.conversation.first_response_at is not None
    assert platform.delivered[0]["text"] == {"body": "Your order ships today."}
    assert platform.delivered[0]["recipient"] == "conv-1"


def test_throttles_and_transient_errors_are_retried(make: Callable[..., MessagingClient]) -> None:
    platform = ScriptedTikTok(["throttle", "5xx", "error5", "connect"])
    with make(platform) as c:
        receipt = c.send(conversation(), Text("hello"))
    assert receipt.attempts == 5
    assert len(platform.delivered) == 1
    assert not receipt.possible_duplicate


def test_a_rejection_is_never_retried(make: Callable[..., MessagingClient]) -> None:
    platform = ScriptedTikTok(["reject"])
    with make(platform) as c, pytest.raises(SendRejected) as info:
        c.send(conversation(), Text("hello"))
    assert len(platform.requests) == 1
    record = c.outbox.get(info.value.record.id)  # type: ignore[attr-defined]
    assert record.state is OutboxState.FAILED
    assert "40002" in (record.error or "")
    assert c.failed() == [record]


def test_retries_that_run_out_fail_the_record(make: Callable[..., MessagingClient]) -> None:
    platform = ScriptedTikTok(default="5xx")
    with (
        make(
            platform, retry=RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_cap=0.001)
        ) as c,
        pytest.raises(SendFailed, match="gave up after 3 attempts"),
    ):
        c.send(conversation(), Text("hello"))
    assert len(platform.requests) == 3


def test_expired_token_is_refreshed_once_and_retried_once(
    make: Callable[..., MessagingClient],
) -> None:
    platform = ScriptedTikTok(["expired"])
    with make(platform, setup={"refresh_token": "r0"}) as c:
        receipt = c.send(conversation(), Text("hello"))
    assert receipt.state is OutboxState.SENT
    assert platform.refreshes == 1
    assert platform.tokens_seen == ["token-0", "fresh-1"]


def test_a_second_expiry_is_final(make: Callable[..., MessagingClient]) -> None:
    platform = ScriptedTikTok(["expired", "expired"])
    with make(platform, setup={"refresh_token": "r0"}) as c, pytest.raises(SendRejected) as info:
        c.send(conversation(), Text("hello"))
    assert platform.refreshes == 1
    assert info.value.outcome.kind.value == "token_expired"  # type: ignore[attr-defined]


def test_ambiguous_at_least_once_resends_and_records_a_possible_duplicate(
    make: Callable[..., MessagingClient],
) -> None:
    platform = ScriptedTikTok(["timeout"])
    with make(platform) as c:
        receipt = c.send(conversation(), Text("hello"))
    assert receipt.state is OutboxState.SENT
    assert receipt.possible_duplicate
    assert len(platform.delivered) == 2  # the duplicate is real, and it is on record


def test_ambiguous_at_most_once_is_recorded_unknown_and_never_resent(
    make: Callable[..., MessagingClient],
) -> None:
    platform = ScriptedTikTok(["timeout"])
    with make(platform) as c, pytest.raises(DeliveryUnknown) as info:
        c.send(conversation(), Text("hello"), guarantee="at_most_once")
    assert len(platform.delivered) == 1
    assert [r.id for r in c.unknown()] == [info.value.record.id]  # type: ignore[attr-defined]


def test_an_echo_settles_an_unknown_outcome(make: Callable[..., MessagingClient]) -> None:
    import hashlib
    import hmac
    import json

    platform = ScriptedTikTok(["timeout"])
    with make(platform, setup={"app_secret": "s3cret"}) as c:
        with pytest.raises(DeliveryUnknown) as info:
            c.send(conversation(), Text("hello there"), guarantee="at_most_once")
        content = {
            "conversation_id": "conv-1",
            "message_id": "m1",
            "timestamp": 1777626000000,
            "type": "text",
            "text": {"body": "hello there"},
            "from_user": {"id": "biz-1", "role": "business_account"},
            "to_user": {"id": "cust-1", "role": "personal_account"},
            "message_tag": {"source": "API"},
        }
        body = json.dumps(
            {
                "client_key": "app",
                "event": "im_send_msg",
                "create_time": int(T0.timestamp()),
                "user_openid": "biz-1",
                "content": json.dumps(content),
            }
        ).encode()
        import time

        t = str(int(time.time()))
        signature = hmac.new(b"s3cret", t.encode() + b"." + body, hashlib.sha256).hexdigest()
        c.handle_webhook("tiktok", {"Tiktok-Signature": f"t={t},s={signature}"}, body)
        record = c.outbox.get(info.value.record.id)  # type: ignore[attr-defined]
    assert record.state is OutboxState.SENT
    assert record.platform_message_id == "m1"


def test_idempotency_key_makes_a_repeat_a_replay(make: Callable[..., MessagingClient]) -> None:
    platform = ScriptedTikTok()
    with make(platform) as c:
        first = c.send(conversation(), Text("hello"), idempotency_key="order-42-shipped")
        again = c.send(conversation(), Text("hello"), idempotency_key="order-42-shipped")
    assert len(platform.delivered) == 1
    assert again.replayed
    assert again.record_id == first.record_id
    assert again.platform_message_id == "m1"


def test_checks_run_in_order_before_anything_is_recorded(
    make: Callable[..., MessagingClient],
) -> None:
    class Blocker:
        @hookimpl
        def mmt_check_outbound(self, content: Any) -> list[Violation]:
            if "whatsapp" in content.body:
                return [
                    Violation(
                        rule_id="t.div",
                        category="off_platform_diversion",
                        severity="block",
                        explanation="Moves the chat off TikTok.",
                        policy_ref="TikTok Shop Customer Service Guidelines 4.2.2",
                    )
                ]
            return []

    plugins = PluginManager(env={})
    plugins.register(Blocker(), name="blocker")
    platform = ScriptedTikTok()
    outbox = MemoryOutbox()
    with make(platform, plugins=plugins, outbox=outbox) as c:
        with pytest.raises(MessageTooLong):
            c.send(conversation(), Text("x" * 6001))
        with pytest.raises(SendNotAllowed, match="window closed"):
            c.send(conversation(at=T0.replace(day=1, month=1)), Text("late"))
        with pytest.raises(PolicyViolation) as info:
            c.send(conversation(), Text("add me on whatsapp"))
        assert info.value.violations[0].policy_ref.endswith("4.2.2")
        assert c.check(conversation(), Text("add me on whatsapp")).blocked  # dry run
    assert outbox.list() == []
    assert platform.requests == []


def test_media_by_url_is_fetched_checked_uploaded_then_sent(
    make: Callable[..., MessagingClient],
) -> None:
    from mmtkit.messages import Image

    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    platform = ScriptedTikTok()

    def routes(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.test":
            if request.url.path == "/missing.png":
                return httpx.Response(404)
            if request.url.path == "/page.png":
                return httpx.Response(200, content=b"<html>not an image</html>")
            return httpx.Response(200, content=png)
        if request.url.path.endswith("/media/upload/"):
            return httpx.Response(
                200,
                json={"code": 0, "message": "OK", "request_id": "r", "data": {"media_id": "med-1"}},
            )
        return platform(request)

    setup = make(platform)._core.channels  # reuse the fixture's setup
    c = MessagingClient(
        setup,
        plugins=PluginManager(env={}),
        http_client=httpx.Client(transport=httpx.MockTransport(routes)),
        retry=RetryPolicy(backoff_base=0.001, backoff_cap=0.001),
        now=lambda: T0,
    )
    receipt = c.send(conversation(), Image(url="https://cdn.test/photo.png"))
    assert platform.delivered[0]["image"] == {"media_id": "med-1"}
    assert receipt.state is OutboxState.SENT
    with pytest.raises(ContentError, match="could not be downloaded"):
        c.send(conversation(), Image(url="https://cdn.test/missing.png"))
    with pytest.raises(ContentError, match="unrecognised"):
        c.send(conversation(), Image(url="https://cdn.test/page.png"))
    assert len(c.failed()) == 2


def test_crash_resume_follows_each_guarantee(make: Callable[..., MessagingClient]) -> None:
    """Records left 'sending' by a crash: at-least-once is resent (possible duplicate),
    at-most-once becomes unknown; 'pending' ones are simply sent."""
    platform = ScriptedTikTok()
    outbox = MemoryOutbox()
    from mmtkit.messages import Channel

    def add(key: str, guarantee: str) -> int:
        return outbox.add(
            idempotency_key=key,
            channel=Channel.TIKTOK,
            conversation_id="conv-1",
            customer_id="cust-1",
            account_id="biz-1",
            content=Text(key),
            guarantee=guarantee,
            now=T0,
        ).id

    pending = add("pending", "at_least_once")
    alo = add("alo", "at_least_once")
    amo = add("amo", "at_most_once")
    outbox.mark_sending(alo, T0)
    outbox.mark_sending(amo, T0)
    with make(platform, outbox=outbox) as c:
        done = {r.id: r for r in c.resume()}
    assert done[pending].state is OutboxState.SENT
    assert not done[pending].possible_duplicate
    assert done[alo].state is OutboxState.SENT
    assert done[alo].possible_duplicate
    assert done[amo].state is OutboxState.UNKNOWN
    assert [d["text"]["body"] for d in platform.delivered] == ["pending", "alo"]


def test_failed_and_unknown_records_can_be_retried_or_discarded(
    make: Callable[..., MessagingClient],
) -> None:
    platform = ScriptedTikTok(["reject", "timeout"])
    with make(platform) as c:
        with pytest.raises(SendRejected) as rejected:
            c.send(conversation(), Text("one"))
        with pytest.raises(DeliveryUnknown) as unknown:
            c.send(conversation(), Text("two"), guarantee="at_most_once")
        retried = c.retry(rejected.value.record.id)  # type: ignore[attr-defined]
        assert retried.state is OutboxState.SENT
        discarded = c.discard(unknown.value.record.id)  # type: ignore[attr-defined]
        assert discarded.state is OutboxState.DISCARDED
        assert c.failed() == []
        assert c.unknown() == []


def test_logs_say_what_happened_but_never_the_message_or_token(
    make: Callable[..., MessagingClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    platform = ScriptedTikTok(["throttle"])
    with make(platform) as c:
        c.send(conversation(), Text("my secret body 4111"))
    text = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "Throttled" in text
    assert "Sent" in text
    assert "secret body" not in text
    assert "token-0" not in text


def test_throttle_slows_the_scope_for_the_next_message(
    make: Callable[..., MessagingClient],
) -> None:
    """A throttle answer blocks the scope (backoff when the platform gives no hint), so the
    next message waits too instead of hammering the platform."""
    import time

    from mmtkit.ratelimit import GcraLimiter

    limiter = GcraLimiter(backoff_base=0.2)
    platform = ScriptedTikTok(["throttle"])
    with make(platform, limiter=limiter) as c:
        start = time.monotonic()
        c.send(conversation(), Text("one"))
        c.send(conversation(), Text("two"))
        elapsed = time.monotonic() - start
    assert elapsed >= 0.2


def test_sync_and_async_clients_have_the_same_surface() -> None:
    def surface(cls: type) -> dict[str, inspect.Signature]:
        names = {n for n in dir(cls) if not n.startswith("_") or n in {"__init__"}}
        return {n: inspect.signature(getattr(cls, n)) for n in names if callable(getattr(cls, n))}

    sync, async_ = surface(MessagingClient), surface(AsyncMessagingClient)
    renamed = {"close": "aclose"}
    for name, signature in sync.items():
        other = renamed.get(name, name)
        assert other in async_, f"AsyncMessagingClient lacks {other}"
        if name == "__init__":
            continue
        assert list(signature.parameters) == list(async_[other].parameters), name
    for name in ("send", "resume", "retry", "aclose"):
        assert inspect.iscoroutinefunction(getattr(AsyncMessagingClient, name))


def test_async_client_delivers_the_same_way(
    setup_factory: Factory, empty_plugins: PluginManager, fast_retry: RetryPolicy
) -> None:
    platform = ScriptedTikTok(["throttle", "timeout"])

    async def main() -> Any:
        async with AsyncMessagingClient(
            {"tiktok": setup_factory()},
            plugins=empty_plugins,
            retry=fast_retry,
            now=lambda: T0,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(platform)),
        ) as c:
            return await asyncio.gather(*(c.send(conversation(), Text(f"n{i}")) for i in range(20)))

    receipts = asyncio.run(main())
    assert all(r.state is OutboxState.SENT for r in receipts)
    assert len({d["text"]["body"] for d in platform.delivered}) == 20
    assert sum(r.possible_duplicate for r in receipts) == 1


def test_a_path_gives_a_durable_sqlite_outbox(
    setup_factory: Factory, empty_plugins: PluginManager, fast_retry: RetryPolicy, tmp_path: Any
) -> None:
    from mmtkit.store.sqlite import SqliteStore

    platform = ScriptedTikTok()
    path = tmp_path / "outbox.sqlite3"
    with MessagingClient(
        {"tiktok": setup_factory()},
        plugins=empty_plugins,
        retry=fast_retry,
        outbox=path,
        now=lambda: T0,
        http_client=httpx.Client(transport=httpx.MockTransport(platform)),
    ) as c:
        receipt = c.send(conversation(), Text("kept on disk"), idempotency_key="disk-1")
    with SqliteStore(path) as store:
        record = store.outbox.get_by_key("disk-1")
    assert record is not None
    assert record.state is OutboxState.SENT
    assert record.platform_message_id == receipt.platform_message_id
