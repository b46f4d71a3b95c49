"""WhatsApp Cloud API and Messenger webhooks as Meta sends them.

WhatsApp: ``object: whatsapp_business_account``, ``entry[].changes[].value`` with string
timestamps in seconds. Messenger: ``object: page``, ``entry[].messaging[]`` with timestamps in
milliseconds. Both signed with ``X-Hub-Signature-256`` over the raw body.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mmtkit.sandbox import meta_signature
from mmtkit.sandbox.config import MessengerConfig, WhatsAppConfig
from mmtkit.sandbox.delivery import Webhook

__all__ = [
    "messenger_echo",
    "messenger_message",
    "messenger_read",
    "messenger_referral",
    "whatsapp_message",
    "whatsapp_status",
]


def _signed(platform: str, kind: str, secret: str, payload: dict[str, Any]) -> Webhook:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Webhook(platform, kind, body, {meta_signature.HEADER: meta_signature.sign(secret, body)})


def _whatsapp(
    cfg: WhatsAppConfig, phone_number_id: str, kind: str, value: dict[str, Any]
) -> Webhook:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": cfg.phone_numbers.get(phone_number_id, phone_number_id),
            "phone_number_id": phone_number_id,
        },
        **value,
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": cfg.waba_id, "changes": [{"field": "messages", "value": value}]}],
    }
    return _signed("whatsapp", kind, cfg.app_secret, payload)


def whatsapp_message(
    cfg: WhatsAppConfig,
    *,
    phone_number_id: str,
    wa_id: str,
    name: str,
    message_id: str,
    text: str,
    now: float,
    referral: dict[str, str] | None = None,
) -> Webhook:
    """A customer's text; ``referral`` (with ``ctwa_clid``) marks a click-to-WhatsApp start."""
    message: dict[str, Any] = {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(int(now)),
        "type": "text",
        "text": {"body": text},
    }
    if referral:
        message["referral"] = referral
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
    if cfg.business_scoped_user_ids:
        scoped = "bsuid." + hashlib.sha256(f"{phone_number_id}:{wa_id}".encode()).hexdigest()[:20]
        contact["user_id"] = scoped
        message["from_user_id"] = scoped
    value = {"contacts": [contact], "messages": [message]}
    return _whatsapp(cfg, phone_number_id, "message", value)


def whatsapp_status(
    cfg: WhatsAppConfig,
    *,
    phone_number_id: str,
    wa_id: str,
    message_id: str,
    status: str,
    now: float,
    callback_data: str | None = None,
) -> Webhook:
    """A status (sent, delivered, read) of a business message."""
    item: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(now)),
        "recipient_id": wa_id,
        "conversation": {"id": f"conv-{wa_id}", "origin": {"type": "service"}},
        "pricing": {"billable": False, "pricing_model": "PMP", "category": "service"},
    }
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    return _whatsapp(cfg, phone_number_id, f"status.{status}", {"statuses": [item]})


def _page(
    cfg: MessengerConfig, page_id: str, kind: str, item: dict[str, Any], now: float
) -> Webhook:
    payload = {
        "object": "page",
        "entry": [{"id": page_id, "time": int(now * 1000), "messaging": [item]}],
    }
    return _signed("messenger", kind, cfg.app_secret, payload)


def messenger_message(
    cfg: MessengerConfig, *, page_id: str, psid: str, mid: str, text: str, now: float
) -> Webhook:
    item = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": int(now * 1000),
        "message": {"mid": mid, "text": text},
    }
    return _page(cfg, page_id, "message", item, now)


def messenger_referral(
    cfg: MessengerConfig,
    *,
    page_id: str,
    psid: str,
    ad_id: str,
    ref: str,
    ad_title: str,
    now: float,
) -> Webhook:
    """``messaging_referrals`` from a click-to-Messenger ad on an existing thread."""
    item = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": int(now * 1000),
        "referral": {
            "ref": ref,
            "ad_id": ad_id,
            "source": "ADS",
            "type": "OPEN_THREAD",
            "ads_context_data": {"ad_title": ad_title},
        },
    }
    return _page(cfg, page_id, "referral", item, now)


def messenger_read(cfg: MessengerConfig, *, page_id: str, psid: str, now: float) -> Webhook:
    item = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": int(now * 1000),
        "read": {"watermark": int(now * 1000)},
    }
    return _page(cfg, page_id, "read", item, now)


def messenger_echo(
    cfg: MessengerConfig, *, page_id: str, psid: str, mid: str, message: dict[str, Any], now: float
) -> Webhook:
    """``message_echoes``: the page's own send, seen from the webhook (sender is the page)."""
    item = {
        "sender": {"id": page_id},
        "recipient": {"id": psid},
        "timestamp": int(now * 1000),
        "message": {"mid": mid, "is_echo": True, **message},
    }
    return _page(cfg, page_id, "echo", item, now)
