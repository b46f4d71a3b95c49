"""Simulated customers: signed webhooks in each platform's format, posted to a gateway URL.

Signatures are checked here the way each platform documents verification (TikTok: split
``t=..,s=..`` by name, HMAC over ``t.`` + raw body; Meta: HMAC over the raw body), written
out in the test rather than imported, so the test is a second, independent reading.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mmtkit.sandbox import Sandbox, SandboxConfig

DEFAULTS = SandboxConfig()
TT_SECRET = DEFAULTS.tiktok.app_secret
META_SECRET = DEFAULTS.whatsapp.app_secret
BUSINESS = "sandbox-business"
PHONE_ID = next(iter(DEFAULTS.whatsapp.phone_numbers))
PAGE_ID = next(iter(DEFAULTS.messenger.page_tokens))


def tiktok_signature_ok(headers: dict[str, str], body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in headers["Tiktok-Signature"].split(","))
    signed = parts["t"].encode() + b"." + body
    expected = hmac.new(TT_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) < 5
    return fresh and hmac.compare_digest(expected, parts["s"])


def meta_signature_ok(headers: dict[str, str], body: bytes) -> bool:
    prefix, _, digest = headers["X-Hub-Signature-256"].partition("=")
    expected = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return prefix == "sha256" and hmac.compare_digest(expected, digest)


@pytest.fixture
def sandbox(receiver: Any) -> Iterator[Sandbox]:
    with Sandbox({"gateway_url": receiver.url}) as sb:
        yield sb


def content(received: Any) -> dict[str, Any]:
    envelope = received.json()
    assert isinstance(envelope["content"], str), "TikTok sends content as a JSON string"
    parsed: dict[str, Any] = json.loads(envelope["content"])
    return parsed


def test_a_tiktok_customer_message_is_a_signed_im_receive_msg(
    sandbox: Sandbox, receiver: Any
) -> None:
    done = sandbox.customers.tiktok_message("price?")
    assert [a.status for a in done.attempts] == [200]
    [hook] = receiver.wait_for(1)
    assert tiktok_signature_ok(hook.headers, hook.body)
    assert hook.headers["webhook-schema-version"] == "1.0"
    envelope = hook.json()
    assert envelope["event"] == "im_receive_msg"
    assert envelope["user_openid"] == BUSINESS
    assert envelope["client_key"] == DEFAULTS.tiktok.app_id
    body = content(hook)
    assert body["conversation_id"] == done.conversation_id
    assert body["message_id"] == done.message_id
    assert body["type"] == "text"
    assert body["text"] == {"body": "price?"}
    assert body["to_user"] == {"id": BUSINESS, "role": "business_account"}
    assert body["timestamp"] // 1000 == envelope["create_time"], "content ms, envelope s"


def test_a_tampered_tiktok_body_fails_the_documented_check(sandbox: Sandbox, receiver: Any) -> None:
    sandbox.customers.tiktok_message("hi")
    [hook] = receiver.wait_for(1)
    assert not tiktok_signature_ok(hook.headers, hook.body.replace(b"hi", b"ho"))


def test_a_tiktok_ad_referral_carries_the_ad_id(sandbox: Sandbox, receiver: Any) -> None:
    done = sandbox.customers.tiktok_ad_referral("1700000000000000001")
    [hook] = receiver.wait_for(1)
    assert hook.json()["event"] == "im_referral_msg"
    body = content(hook)
    assert "message_id" not in body
    assert body["referral"]["source"] == "ad"
    assert body["referral"]["ad"]["ad_id"] == "1700000000000000001"
    assert body["conversation_id"] == done.conversation_id


def test_a_tiktok_read_receipt_is_a_millisecond_watermark(sandbox: Sandbox, receiver: Any) -> None:
    opened = sandbox.customers.tiktok_message("hi")
    sandbox.customers.tiktok_read(opened.conversation_id)
    hooks = receiver.wait_for(2)
    assert hooks[1].json()["event"] == "im_mark_read_msg"
    assert content(hooks[1])["read"]["last_read_timestamp"] > 10**12


def test_a_business_send_is_echoed_as_im_send_msg_from_the_api(
    sandbox: Sandbox, receiver: Any, http: httpx.Client
) -> None:
    opened = sandbox.customers.tiktok_message("hi")
    body = {
        "business_id": BUSINESS,
        "recipient_type": "CONVERSATION",
        "recipient": opened.conversation_id,
        "message_type": "TEXT",
        "text": {"body": "hello back"},
    }
    response = http.post(
        sandbox.tiktok_base_url + "business/message/send/",
        headers={"Access-Token": DEFAULTS.tiktok.access_tokens[BUSINESS]},
        json=body,
    )
    message_id = response.json()["data"]["message"]["message_id"]
    echo = receiver.wait_for(2)[1]
    assert echo.json()["event"] == "im_send_msg"
    assert tiktok_signature_ok(echo.headers, echo.body)
    echoed = content(echo)
    assert echoed["message_id"] == message_id
    assert echoed["message_tag"] == {"source": "API"}
    assert echoed["from_user"]["role"] == "business_account"
    assert echoed["text"] == {"body": "hello back"}


def test_a_click_to_whatsapp_message_carries_ctwa_clid(sandbox: Sandbox, receiver: Any) -> None:
    done = sandbox.customers.whatsapp_message("Hi", ctwa_clid="ARAkLkA8rmlF")
    [hook] = receiver.wait_for(1)
    assert meta_signature_ok(hook.headers, hook.body)
    payload = hook.json()
    assert payload["object"] == "whatsapp_business_account"
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == PHONE_ID
    [message] = value["messages"]
    assert message["id"] == done.message_id
    assert isinstance(message["timestamp"], str), "WhatsApp timestamps are strings"
    assert message["referral"]["ctwa_clid"] == "ARAkLkA8rmlF"
    assert message["referral"]["source_type"] == "ad"


def test_a_whatsapp_send_is_followed_by_sent_and_delivered_statuses(
    sandbox: Sandbox, receiver: Any, http: httpx.Client
) -> None:
    to = sandbox.customers.whatsapp_message("Hi").customer
    response = http.post(
        f"{sandbox.graph_base_url}v21.0/{PHONE_ID}/messages",
        headers={"Authorization": f"Bearer {DEFAULTS.whatsapp.access_token}"},
        json={"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "Yo"}},
    )
    wamid = response.json()["messages"][0]["id"]
    hooks = receiver.wait_for(3)[1:]
    statuses = [h.json()["entry"][0]["changes"][0]["value"]["statuses"][0] for h in hooks]
    assert [(s["id"], s["status"]) for s in statuses] == [(wamid, "sent"), (wamid, "delivered")]
    sandbox.customers.whatsapp_read(wamid, to)
    read = receiver.wait_for(4)[3].json()["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert (read["id"], read["status"]) == (wamid, "read")


def test_a_messenger_message_and_ad_referral_and_read(sandbox: Sandbox, receiver: Any) -> None:
    opened = sandbox.customers.messenger_message("Hi")
    sandbox.customers.messenger_ad_referral("6000000000001", psid=opened.customer)
    sandbox.customers.messenger_read(opened.customer)
    hooks = receiver.wait_for(3)
    assert all(meta_signature_ok(h.headers, h.body) for h in hooks)
    items = [h.json()["entry"][0]["messaging"][0] for h in hooks]
    assert items[0]["message"] == {"mid": opened.message_id, "text": "Hi"}
    assert items[0]["recipient"] == {"id": PAGE_ID}
    assert items[1]["referral"]["ad_id"] == "6000000000001"
    assert items[1]["referral"]["source"] == "ADS"
    assert items[2]["read"]["watermark"] > 10**12


def test_a_messenger_send_is_echoed_with_is_echo(
    sandbox: Sandbox, receiver: Any, http: httpx.Client
) -> None:
    psid = sandbox.customers.messenger_message("Hi").customer
    http.post(
        f"{sandbox.graph_base_url}v21.0/me/messages",
        params={"access_token": DEFAULTS.messenger.page_tokens[PAGE_ID]},
        json={"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "Yo"}},
    )
    echo = receiver.wait_for(2)[1].json()["entry"][0]["messaging"][0]
    assert echo["message"]["is_echo"] is True
    assert echo["sender"] == {"id": PAGE_ID}
    assert echo["recipient"] == {"id": psid}


def test_customers_can_be_driven_over_http(
    sandbox: Sandbox, receiver: Any, http: httpx.Client
) -> None:
    response = http.post(
        f"{sandbox.base_url}/_sandbox/customers/whatsapp_message",
        json={"text": "Hi", "ctwa_clid": "ARAk"},
    )
    assert response.status_code == 201
    assert response.json()["attempts"][0]["status"] == 200
    assert receiver.wait_for(1)[0].json()["object"] == "whatsapp_business_account"
    unknown = http.post(f"{sandbox.base_url}/_sandbox/customers/dance", json={})
    assert unknown.status_code == 404
    bad = http.post(f"{sandbox.base_url}/_sandbox/customers/tiktok_message", json={"x": 1})
    assert bad.status_code == 400


def test_opening_a_conversation_posts_nothing(sandbox: Sandbox, receiver: Any) -> None:
    opened = sandbox.customers.open_conversation("whatsapp", customer="15550001234")
    assert opened.attempts == ()
    assert receiver.requests == []
    assert sandbox.emulator.conversations.get("whatsapp", PHONE_ID, "15550001234") is not None


def test_an_unreachable_gateway_is_recorded_not_raised(receiver: Any) -> None:
    with Sandbox({"gateway_url": "http://127.0.0.1:9/nowhere"}) as sb:
        done = sb.customers.tiktok_message("hi")
    assert done.attempts[0].status is None
    assert done.attempts[0].error == "ConnectError"


@pytest.mark.parametrize("scoped", [False, True], ids=["classic", "business-scoped-ids"])
def test_whatsapp_webhooks_with_and_without_business_scoped_user_ids(
    receiver: Any, scoped: bool
) -> None:
    config = {"gateway_url": receiver.url, "whatsapp": {"business_scoped_user_ids": scoped}}
    with Sandbox(config) as sb:
        sb.customers.whatsapp_message("Hi")
    value = receiver.wait_for(1)[0].json()["entry"][0]["changes"][0]["value"]
    [contact], [message] = value["contacts"], value["messages"]
    assert ("user_id" in contact) is scoped
    assert ("from_user_id" in message) is scoped
    if scoped:
        assert contact["user_id"] == message["from_user_id"]


def test_the_pytest_fixture_sandbox_can_be_pointed_at_a_gateway_later(
    mmtkit_sandbox: Sandbox, receiver: Any
) -> None:
    assert mmtkit_sandbox.customers.tiktok_message("before").attempts == ()
    mmtkit_sandbox.set_gateway(receiver.url)
    assert mmtkit_sandbox.customers.tiktok_message("after").attempts[0].status == 200
    assert content(receiver.wait_for(1)[0])["text"] == {"body": "after"}
