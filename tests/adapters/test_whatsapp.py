"""WhatsApp Cloud API adapter: webhook parsing, send-plan rules, registration."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mmtkit.adapter import HttpResponse
from mmtkit.adapters.whatsapp import WhatsAppAdapter
from mmtkit.capabilities import RateLimit
from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError, ContentError, MalformedWebhook, UnexpectedResponse
from mmtkit.messages import (
    AdReferral,
    Channel,
    ContentKind,
    DeliveryReport,
    DeliveryStatus,
    Image,
    MessageKind,
    MessageReceived,
    SharePost,
    Text,
    UnknownEvent,
)
from mmtkit.plugin_manager import PluginManager

FIXTURES = Path(__file__).parent.parent / "fixtures" / "whatsapp"
PHONE_ID = "106540352242922"
CUSTOMER = "16505551234"


def _parse(name: str) -> list[Any]:
    return WhatsAppAdapter().parse_webhook((FIXTURES / name).read_bytes())


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# --- inbound messages --------------------------------------------------------------------------


def test_typical_text_message() -> None:
    [event] = _parse("webhook_message.json")
    assert event == MessageReceived(
        channel=Channel.WHATSAPP,
        conversation_id=CUSTOMER,
        customer_id=CUSTOMER,
        timestamp=_at(1749416383),
        platform_message_id="wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        account_id=PHONE_ID,
        kind=MessageKind.TEXT,
        text="Hi, is the blue jacket in stock?",
        raw_type="text",
    )


def test_contacts_with_and_without_user_id_give_the_same_message() -> None:
    """April 2026: ``contacts[].user_id`` may or may not be there; neither drops a message."""
    assert _parse("webhooks/text_with_user_id.json") == _parse("webhook_message.json")


def test_message_with_only_a_business_scoped_user_id() -> None:
    [event] = _parse("webhooks/user_id_only.json")
    assert isinstance(event, MessageReceived)
    assert event.customer_id == event.conversation_id == "US.99887766554433221100"


def test_context_becomes_reply_to() -> None:
    [event] = _parse("webhooks/reply_with_context.json")
    assert isinstance(event, MessageReceived)
    assert event.reply_to == "wamid.OUT1"


def test_image_keeps_media_id_and_caption() -> None:
    [event] = _parse("webhooks/image.json")
    assert isinstance(event, MessageReceived)
    assert (event.kind, event.media_id, event.text) == (
        MessageKind.IMAGE,
        "1960400821096079",
        "this one",
    )


def test_unmodelled_message_type_is_kept_as_other() -> None:
    [event] = _parse("webhooks/location.json")
    assert isinstance(event, MessageReceived)
    assert (event.kind, event.raw_type, event.platform_message_id) == (
        MessageKind.OTHER,
        "location",
        "wamid.LOC1",
    )


def test_ad_referral_comes_first_then_the_message() -> None:
    referral, message = _parse("webhooks/referral.json")
    assert referral == AdReferral(
        channel=Channel.WHATSAPP,
        conversation_id=CUSTOMER,
        customer_id=CUSTOMER,
        timestamp=_at(1749416383),
        account_id=PHONE_ID,
        source="ad",
        ad_id="120208765432100",
        click_id="ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMXP-GUGBYQ",
        headline="Spring promo",
    )
    assert isinstance(message, MessageReceived)
    assert message.platform_message_id == "wamid.X"
    assert referral.platform_message_id is None  # the message owns the id: dedup keeps both


def test_post_referral_has_no_ad_id() -> None:
    referral, _ = _parse("webhooks/referral_post.json")
    assert isinstance(referral, AdReferral)
    assert (referral.source, referral.ad_id) == ("post", None)


def test_referral_opens_attribution_on_the_conversation() -> None:
    referral, message = _parse("webhooks/referral.json")
    conversation = Conversation.from_event(referral).apply(message)
    assert conversation.attribution is not None
    assert conversation.attribution.click_id == referral.click_id
    assert conversation.last_customer_message_at == _at(1749416383)


# --- statuses, errors, other fields ------------------------------------------------------------


def test_statuses_become_delivery_reports() -> None:
    events = _parse("webhooks/statuses.json")
    assert [(e.platform_message_id, e.status) for e in events] == [
        ("wamid.OUT1", DeliveryStatus.SENT),
        ("wamid.OUT1", DeliveryStatus.DELIVERED),
        ("wamid.OUT1", DeliveryStatus.READ),
        ("wamid.OUT2", DeliveryStatus.FAILED),
    ]
    failed = events[-1]
    assert isinstance(failed, DeliveryReport)
    assert (failed.error_code, failed.error_message) == ("131047", "Re-engagement message")
    assert failed.customer_id == failed.conversation_id == CUSTOMER
    assert failed.account_id == PHONE_ID


def test_unknown_status_value_is_kept_as_unknown_event() -> None:
    [event] = _parse("webhooks/status_unknown.json")
    assert isinstance(event, UnknownEvent)
    assert (event.raw_type, event.platform_message_id) == ("status.deleted", "wamid.OUT3")


def test_value_level_errors_are_unknown_events() -> None:
    [event] = _parse("webhooks/errors.json")
    assert isinstance(event, UnknownEvent)
    assert event.raw_type == "errors"
    assert event.raw["code"] == 131000
    assert event.account_id == PHONE_ID


def test_other_change_fields_are_unknown_events() -> None:
    [event] = _parse("webhooks/account_update.json")
    assert isinstance(event, UnknownEvent)
    assert event.raw_type == "account_update"
    assert event.raw["event"] == "VERIFIED_ACCOUNT"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"object":"page","entry":[]}', "whatsapp_business_account"),
        (b'{"object":"whatsapp_business_account"}', "entry"),
        (
            b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",'
            b'"value":{"messages":[{"id":"w","from":"1","timestamp":"soon","type":"text"}]}}]}]}',
            "timestamp",
        ),
        (
            b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",'
            b'"value":{"messages":[{"id":"w","timestamp":"1","type":"text"}]}}]}]}',
            "no customer",
        ),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhook, match=message):
        WhatsAppAdapter().parse_webhook(body)


# --- sending rules ---------------------------------------------------------------------------


def _conversation() -> Conversation:
    return Conversation(
        channel=Channel.WHATSAPP,
        conversation_id=CUSTOMER,
        customer_id=CUSTOMER,
        opened_at=_at(1749416383),
    )


def test_send_without_account_id_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="phone number id"):
        next(WhatsAppAdapter().plan_send(_conversation(), Text("hi"), token="t"))


def test_share_post_is_not_a_whatsapp_kind() -> None:
    with pytest.raises(ContentError):
        next(WhatsAppAdapter(account_id="1").plan_send(_conversation(), SharePost("p"), token="t"))


def test_a_message_tag_is_refused_rather_than_dropped() -> None:
    plan = WhatsAppAdapter(account_id="1").plan_send(
        _conversation(), Text("hi"), token="t", tag="HUMAN_AGENT"
    )
    with pytest.raises(ContentError, match="Template"):
        next(plan)


def test_upload_answer_without_id_stops_the_plan_with_a_typed_error() -> None:
    plan = WhatsAppAdapter(account_id="1").plan_send(
        _conversation(), Image(data=b"\xff\xd8\xff" + b"\x00" * 10), token="t"
    )
    next(plan)
    with pytest.raises(UnexpectedResponse, match="media id"):
        plan.send(HttpResponse(status=200, body=b"{}"))


def test_capabilities_add_templates_and_take_the_pair_rate_setting() -> None:
    adapter = WhatsAppAdapter(pair_rate_seconds=10, pair_burst=3)
    assert ContentKind.TEMPLATE in adapter.capabilities.kinds
    assert RateLimit("recipient", 1, per_seconds=10, burst=3) in adapter.capabilities.rate_limits
    assert adapter.capabilities.text_limit == 4096


def test_bad_api_version_is_refused() -> None:
    with pytest.raises(ConfigError, match="api_version"):
        WhatsAppAdapter(api_version="21")


def test_base_url_and_version_are_configurable() -> None:
    adapter = WhatsAppAdapter(
        account_id="9", base_url="http://localhost:8080/", api_version="v21.0"
    )
    request = adapter.plan_send(_conversation(), Text("hi"), token="t")
    with pytest.raises(StopIteration) as done:
        next(request)
    assert done.value.value.url == "http://localhost:8080/v21.0/9/messages"


# --- registration ------------------------------------------------------------------------------


def test_registered_through_entry_points_as_the_cli_builds_it() -> None:
    manager = PluginManager.with_entry_points()
    adapter = manager.create_adapter("whatsapp", app_secret="s", account_id=PHONE_ID)
    assert isinstance(adapter, WhatsAppAdapter)
    body = (FIXTURES / "webhook_message.json").read_bytes()
    adapter.verify_webhook(adapter.sign_webhook(body, now=0), body, now=None)
    [event] = adapter.parse_webhook(body)
    assert json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]["id"] == (
        event.platform_message_id
    )
