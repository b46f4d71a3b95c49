"""TikTok Business Messaging webhooks as TikTok sends them.

The envelope carries ``create_time`` in seconds and ``content`` as a JSON *string* whose
``timestamp`` is in milliseconds; enums are lowercase; there is no direction flag (incoming
means ``to_user.id`` is the business). ``t`` in the signature is real time even when a test
has advanced the emulator's clock: signature freshness is about transport, not the story.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from mmtkit.sandbox import tiktok_signature
from mmtkit.sandbox.config import TikTokConfig
from mmtkit.sandbox.delivery import Webhook

__all__ = ["echo", "message", "read", "referral"]


def _users(user_id: str, business_id: str, *, incoming: bool) -> dict[str, Any]:
    customer = {"id": user_id, "role": "personal_account"}
    business = {"id": business_id, "role": "business_account"}
    if incoming:
        return {"from_user": customer, "to_user": business}
    return {"from_user": business, "to_user": customer}


def _wrap(
    cfg: TikTokConfig, event: str, business_id: str, content: dict[str, Any], now: float
) -> Webhook:
    envelope = {
        "client_key": cfg.app_id,
        "event": event,
        "create_time": int(now),
        "user_openid": business_id,
        "content": json.dumps(content, separators=(",", ":")),
    }
    body = json.dumps(envelope, separators=(",", ":")).encode()
    headers = {
        tiktok_signature.HEADER: tiktok_signature.sign(cfg.app_secret, body, int(time.time())),
        "webhook-schema-version": "1.0",
        "x-tt-logid": secrets.token_hex(12),
    }
    return Webhook("tiktok", event, body, headers)


def message(
    cfg: TikTokConfig,
    *,
    business_id: str,
    conversation_id: str,
    message_id: str,
    user_id: str,
    username: str,
    text: str,
    now: float,
    is_follower: bool = True,
) -> Webhook:
    """``im_receive_msg``: a customer's text message."""
    content = {
        "conversation_id": conversation_id,
        "message_id": message_id,
        "timestamp": int(now * 1000),
        "type": "text",
        "text": {"body": text},
        "from": username,
        "to": cfg.usernames.get(business_id, business_id),
        **_users(user_id, business_id, incoming=True),
        "is_follower": is_follower,
        "scene_type": 0,
        "message_tag": {"source": "APP"},
    }
    return _wrap(cfg, "im_receive_msg", business_id, content, now)


def referral(
    cfg: TikTokConfig,
    *,
    business_id: str,
    conversation_id: str,
    user_id: str,
    username: str,
    ad_id: str,
    advertiser_id: str,
    ad_name: str,
    now: float,
) -> Webhook:
    """``im_referral_msg``: the customer came from a Direct Messaging ad (no message_id)."""
    content = {
        "conversation_id": conversation_id,
        "from": username,
        **_users(user_id, business_id, incoming=True),
        "timestamp": int(now * 1000),
        "referral": {
            "source": "ad",
            "ad": {
                "advertiser_id": advertiser_id,
                "ad_id": ad_id,
                "timestamp": int(now * 1000) - 10_000,
                "ad_name": ad_name,
            },
        },
    }
    return _wrap(cfg, "im_referral_msg", business_id, content, now)


def read(
    cfg: TikTokConfig, *, business_id: str, conversation_id: str, user_id: str, now: float
) -> Webhook:
    """``im_mark_read_msg``: a read watermark in milliseconds."""
    content = {
        "conversation_id": conversation_id,
        **_users(user_id, business_id, incoming=True),
        "timestamp": int(now * 1000),
        "read": {"last_read_timestamp": int(now * 1000)},
    }
    return _wrap(cfg, "im_mark_read_msg", business_id, content, now)


def echo(
    cfg: TikTokConfig,
    *,
    business_id: str,
    conversation_id: str,
    message_id: str,
    user_id: str,
    sent: dict[str, Any],
    now: float,
) -> Webhook:
    """``im_send_msg``: the echo of a business send made through the API."""
    kind = str(sent.get("message_type", "TEXT")).lower()
    content: dict[str, Any] = {
        "conversation_id": conversation_id,
        "message_id": message_id,
        "timestamp": int(now * 1000),
        "type": kind,
        "from": cfg.usernames.get(business_id, business_id),
        **_users(user_id, business_id, incoming=False),
        "message_tag": {"source": "API"},
    }
    if kind in sent:
        content[kind] = sent[kind]
    return _wrap(cfg, "im_send_msg", business_id, content, now)
