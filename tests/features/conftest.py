"""A gateway on an in-memory SQLite store with the real TikTok adapter and signed bodies."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.client import ChannelSetup, MessagingClient
from mmtkit.credentials import StaticCredentials
from mmtkit.gateway import Gateway
from mmtkit.messages import Channel
from mmtkit.plugin_manager import PluginManager
from mmtkit.store.sqlite import SqliteStore

SECRET = "features-test-secret"
BUSINESS = "biz-1"


def tiktok_body(text: str, message_id: str, conversation: str = "c1") -> bytes:
    content = {
        "conversation_id": conversation,
        "message_id": message_id,
        "timestamp": int(time.time() * 1000),
        "type": "text",
        "text": {"body": text},
        "from_user": {"id": f"u-{conversation}", "role": "personal_account"},
        "to_user": {"id": BUSINESS, "role": "business_account"},
    }
    return json.dumps(
        {
            "client_key": "app",
            "event": "im_receive_msg",
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
    adapter = TikTokAdapter(
        app_secret=SECRET, account_id=BUSINESS, base_url="https://tiktok.test/open_api/v1.3/"
    )
    client = MessagingClient(
        {Channel.TIKTOK: ChannelSetup(adapter=adapter, credentials=StaticCredentials("token"))},
        outbox=store.outbox,
        plugins=plugins,
    )
    gw = Gateway(store=store, client=client, plugins=plugins, adapters={Channel.TIKTOK: adapter})
    yield gw
    gw.close()


@pytest.fixture
def deliver(gateway: Gateway) -> Iterator[object]:
    """``deliver(text, message_id, conversation="c1")``: post a signed webhook and process it."""
    with TestClient(gateway.asgi(run_worker=False)) as http:

        def send(text: str, message_id: str, conversation: str = "c1") -> None:
            body = tiktok_body(text, message_id, conversation)
            headers = gateway.adapters[Channel.TIKTOK].sign_webhook(body, now=time.time())
            assert http.post("/webhooks/tiktok", content=body, headers=headers).status_code == 200
            gateway.process_pending()

        yield send
