"""A gateway built from configuration turns the [features] table into plugins: auto-replies
and labels, and CRM webhooks queued in the store and delivered signed, with no message text
unless asked for."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mmtkit.config import parse_config
from mmtkit.gateway import Gateway
from mmtkit.messages import Channel
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.features.signing import SigningSecret, verify
from mmtkit.serving import ThreadedServer

from .conftest import BUSINESS, SECRET, tiktok_body

CRM_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()


def test_features_and_crm_from_configuration() -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def crm(request: Request) -> JSONResponse:
        received.append((dict(request.headers), await request.body()))
        return JSONResponse({"ok": True})

    crm_app = Starlette(routes=[Route("/hooks", crm, methods=["POST"])])
    platform = httpx.MockTransport(
        lambda r: httpx.Response(
            200,
            json={
                "code": 0,
                "message": "OK",
                "request_id": "r",
                "data": {"message": {"message_id": "sent-1"}},
            },
        )
    )
    with ThreadedServer(crm_app) as server:
        config = parse_config(
            {
                "store": {"path": ":memory:"},
                "channels": {
                    "tiktok": {
                        "account_id": BUSINESS,
                        "app_secret_env": "S",
                        "access_token_env": "T",
                    }
                },
                "features": {
                    "welcome": {"text": "Welcome! We reply within the hour."},
                    "crm": {
                        "endpoints": [
                            {
                                "name": "crm",
                                "url": f"{server.url}/hooks",
                                "secrets_env": ["CRM_SECRET"],
                            }
                        ]
                    },
                },
            },
            env={"S": SECRET, "T": "token"},
        )
        import os

        os.environ["CRM_SECRET"] = CRM_SECRET
        try:
            gateway = Gateway.from_config(config, plugins=PluginManager.with_entry_points(env={}))
        finally:
            del os.environ["CRM_SECRET"]
        gateway.client._executor.client = httpx.Client(transport=platform)  # no real TikTok here
        with TestClient(gateway.asgi(run_worker=False)) as http:
            body = tiktok_body("how do I pay for the order?", message_id="crm-1")
            headers = gateway.adapters[Channel.TIKTOK].sign_webhook(body, now=time.time())
            assert http.post("/webhooks/tiktok", content=body, headers=headers).status_code == 200
            gateway.process_pending()
            gateway.send_pending()
            crm_plugin: Any = next(
                p for n, p in gateway.plugins._pm.list_name_plugin() if n == "features_crm"
            )
            crm_plugin.deliver_pending()
        stored = gateway.store.conversations.get(Channel.TIKTOK, "c1")
        gateway.close()
    assert stored is not None
    assert "payment-intent" in stored.labels
    texts = [json.loads(b) for _, b in received]
    types = [t["type"] for t in texts]
    assert "message.received" in types
    assert "message.sent" in types
    assert "conversation.started" in types
    assert all("how do I pay" not in b.decode() for _, b in received)  # text excluded by default
    secret = SigningSecret.parse(CRM_SECRET)
    for headers, raw in received:
        verify(secret, headers, raw, now=int(time.time()))
