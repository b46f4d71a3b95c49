"""A scripted TikTok for the client tests: each request takes the next answer of a script."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.capabilities import RateLimit
from mmtkit.client import ChannelSetup
from mmtkit.conversation import Conversation
from mmtkit.credentials import StaticCredentials
from mmtkit.messages import MessageReceived
from mmtkit.plugin_manager import PluginManager
from mmtkit.retry import RetryPolicy

BASE = "https://tiktok.test/open_api/v1.3/"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class ScriptedTikTok:
    """Answers come from ``script`` (then ``default``). Steps:

    ``ok`` success; ``throttle`` code 40100 in HTTP 200; ``5xx`` HTTP 503; ``error5`` code 51065;
    ``reject`` 40002; ``expired`` 40105; ``connect`` connection refused (never arrives);
    ``timeout`` processed, then the answer is lost (arrives, client sees a read timeout).
    ``delivered`` lists the message bodies the platform accepted, in order.
    """

    def __init__(self, script: list[str] | None = None, default: str = "ok") -> None:
        self.script = list(script or [])
        self.default = default
        self.delivered: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.tokens_seen: list[str] = []
        self.lock = threading.Lock()
        self.refreshes = 0

    def step(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/tt_user/oauth2/refresh_token/"):
            self.refreshes += 1
            body = json.loads(request.content)
            assert body["grant_type"] == "refresh_token"
            return envelope(
                0,
                {
                    "access_token": f"fresh-{self.refreshes}",
                    "refresh_token": f"r{self.refreshes}",
                    "expires_in": 86400,
                },
            )
        self.tokens_seen.append(request.headers.get("Access-Token", ""))
        step = self.step()
        if step == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if step == "5xx":
            return httpx.Response(503, text="unavailable")
        if step == "throttle":
            return envelope(40100, {}, "Too many requests")
        if step == "error5":
            return envelope(51065, {}, "system error")
        if step == "reject":
            return envelope(40002, {}, "param error")
        if step == "expired":
            return envelope(40105, {}, "access token expired")
        body = json.loads(request.content)
        with self.lock:
            self.delivered.append(body)
            message_id = f"m{len(self.delivered)}"
        if step == "timeout":
            raise httpx.ReadTimeout("read timed out", request=request)
        return envelope(0, {"message": {"message_id": message_id}})


def envelope(code: int, data: dict[str, Any], message: str = "OK") -> httpx.Response:
    return httpx.Response(
        200, json={"code": code, "message": message, "request_id": "r", "data": data}
    )


def conversation(conversation_id: str = "conv-1", at: datetime = T0) -> Conversation:
    hello = MessageReceived(
        channel="tiktok",
        conversation_id=conversation_id,
        customer_id="cust-1",
        kind="text",
        text="hi",
        timestamp=at,
        account_id="biz-1",
    )
    return Conversation.from_event(hello)


@pytest.fixture
def empty_plugins() -> PluginManager:
    """No compliance checks: these tests are about delivery."""
    return PluginManager(env={})


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=6, max_elapsed=10, backoff_base=0.001, backoff_cap=0.005)


@pytest.fixture
def setup_factory() -> Callable[..., ChannelSetup]:
    def make(
        *, refresh_token: str | None = None, rate: float = 100_000, **adapter: Any
    ) -> ChannelSetup:
        return ChannelSetup(
            adapter=TikTokAdapter(
                base_url=BASE, account_id="biz-1", client_id="app", client_secret="shh", **adapter
            ),
            credentials=StaticCredentials("token-0", refresh_token),
            rate_limits=(RateLimit("app", rate),),
        )

    return make


@pytest.fixture
def frozen_now() -> Callable[[], datetime]:
    return lambda: T0.replace(minute=5)
