"""A gateway on an in-memory SQLite store with the real adapters, and signed request helpers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mmtkit.adapters.messenger import MessengerAdapter
from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.adapters.whatsapp import WhatsAppAdapter
from mmtkit.client import ChannelSetup, MessagingClient
from mmtkit.credentials import StaticCredentials
from mmtkit.gateway import Gateway
from mmtkit.plugin_manager import PluginManager
from mmtkit.store.sqlite import SqliteStore

SECRET = "gateway-test-secret"
BUSINESS = "biz-1"


def tiktok_body(
    text: str = "price?",
    message_id: str = "m1",
    conversation: str = "c1",
    *,
    event: str = "im_receive_msg",
    sender: str = "u1",
) -> bytes:
    content = {
        "conversation_id": conversation,
        "message_id": message_id,
        "timestamp": int(time.time() * 1000),
        "type": "text",
        "text": {"body": text},
        "from_user": {"id": sender, "role": "personal_account"},
        "to_user": {"id": BUSINESS, "role": "business_account"},
    }
    return json.dumps(
        {
            "client_key": "app",
            "event": event,
            "create_time": int(time.time()),
            "user_openid": BUSINESS,
            "content": json.dumps(content),
        }
    ).encode()


@pytest.fixture
def plugins() -> PluginManager:
    return PluginManager(env={})


@pytest.fixture
def gateway(plugins: PluginManager) -> Iterator[Gateway]:
    store = SqliteStore(":memory:")
    adapters: dict[Any, Any] = {
        "tiktok": TikTokAdapter(
            app_secret=SECRET, account_id=BUSINESS, base_url="https://tiktok.test/open_api/v1.3/"
        ),
        "whatsapp": WhatsAppAdapter(app_secret=SECRET, account_id="phone-1", verify_token="hello"),
        "messenger": MessengerAdapter(app_secret=SECRET, account_id="page-1", verify_token="hello"),
    }
    setups = {
        c: ChannelSetup(adapter=a, credentials=StaticCredentials("token"))
        for c, a in adapters.items()
    }
    client = MessagingClient(setups, outbox=store.outbox, plugins=plugins)
    gw = Gateway(
        store=store,
        client=client,
        plugins=plugins,
        adapters={a.channel: a for a in adapters.values()},
        max_body_bytes=64 * 1024,
    )
    yield gw
    gw.close()


@pytest.fixture
def http(gateway: Gateway) -> Iterator[TestClient]:
    with TestClient(gateway.asgi(run_worker=False), raise_server_exceptions=False) as client:
        yield client


def signed(gateway: Gateway, channel: str, body: bytes) -> dict[str, str]:
    from mmtkit.messages import Channel

    return gateway.adapters[Channel(channel)].sign_webhook(body, now=time.time())
