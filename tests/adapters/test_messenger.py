"""Messenger adapter: webhook parsing, send-plan rules, registration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mmtkit.adapters.messenger import MessengerAdapter
from mmtkit.capabilities import MB
from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError, ContentError, ImageTooLarge, MalformedWebhook
from mmtkit.messages import (
    AdReferral,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    EchoSource,
    Image,
    MessageEcho,
    MessageKind,
    MessageReceived,
    ReadReport,
    Template,
    Text,
    UnknownEvent,
)
from mmtkit.plugin_manager import PluginManager

FIXTURES = Path(__file__).parent.parent / "fixtures" / "messenger"
PAGE = "107212345678901"
PSID = "6785123409876543"
OUR_APP = "1517776481860111"


def _parse(name: str, **settings: Any) -> list[Any]:
    return MessengerAdapter(**settings).parse_webhook((FIXTURES / name).read_bytes())


def _ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


# --- customer messages --------------------------------------------------------------------------


def test_typical_text_message() -> None:
    [event] = _parse("webhook_message.json")
    assert event == MessageReceived(
        channel=Channel.MESSENGER,
        conversation_id=PSID,
        customer_id=PSID,
        timestamp=_ms(1749416383000),
        platform_message_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
        account_id=PAGE,
        kind=MessageKind.TEXT,
        text="Hi, is the blue jacket in stock?",
        raw_type="text",
    )


def test_timestamps_are_milliseconds() -> None:
    [event] = _parse("webhook_message.json")
    assert event.timestamp == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)


def test_image_attachment_keeps_its_url() -> None:
    [event] = _parse("webhooks/image.json")
    assert (event.kind, event.media_url) == (
        MessageKind.IMAGE,
        "https://scontent.xx.fbcdn.net/v/photo.jpg",
    )


def test_other_attachment_is_kind_other_with_its_type() -> None:
    [event] = _parse("webhooks/sticker_and_file.json")
    assert (event.kind, event.raw_type) == (MessageKind.OTHER, "file")


def test_reply_to_and_quick_reply() -> None:
    [reply] = _parse("webhooks/reply_to.json")
    assert reply.reply_to == "m_OUT1"
    [quick] = _parse("webhooks/quick_reply.json")
    assert (quick.kind, quick.text) == (MessageKind.TEXT, "Red")


# --- echoes -------------------------------------------------------------------------------------


def test_echo_of_our_own_send_is_api_and_belongs_to_the_recipient() -> None:
    [event] = _parse("webhooks/echo_api.json", app_id=OUR_APP)
    assert event == MessageEcho(
        channel=Channel.MESSENGER,
        conversation_id=PSID,
        customer_id=PSID,
        timestamp=_ms(1749416383000),
        platform_message_id="m_OUT1",
        account_id=PAGE,
        source=EchoSource.API,
        kind=MessageKind.TEXT,
        text="It is!",
        raw_type="text",
    )


def test_echo_sources() -> None:
    [inbox] = _parse("webhooks/echo_inbox.json", app_id=OUR_APP)
    [other] = _parse("webhooks/echo_other_app.json", app_id=OUR_APP)
    [unconfigured] = _parse("webhooks/echo_api.json")
    assert (inbox.source, other.source, unconfigured.source) == (
        EchoSource.APP,
        EchoSource.OTHER,
        EchoSource.OTHER,
    )
    assert other.kind is MessageKind.IMAGE


# --- delivery, read, referrals, postbacks ---------------------------------------------------------


def test_delivery_with_mids_gives_one_report_per_message() -> None:
    events = _parse("webhooks/delivery_mids.json")
    assert [(e.platform_message_id, e.status) for e in events] == [
        ("m_OUT1", DeliveryStatus.DELIVERED),
        ("m_OUT2", DeliveryStatus.DELIVERED),
    ]
    assert all(e.customer_id == PSID for e in events)


def test_delivery_without_mids_gives_one_watermark_report() -> None:
    [event] = _parse("webhooks/delivery_watermark.json")
    assert isinstance(event, DeliveryReport)
    assert event.platform_message_id is None
    assert event.timestamp == _ms(1749416390000)


def test_read_is_a_watermark() -> None:
    [event] = _parse("webhooks/read.json")
    assert isinstance(event, ReadReport)
    assert event.watermark == _ms(1749416395000)


def test_ad_referral() -> None:
    [event] = _parse("webhooks/referral_ads.json")
    assert event == AdReferral(
        channel=Channel.MESSENGER,
        conversation_id=PSID,
        customer_id=PSID,
        timestamp=_ms(1749416383000),
        account_id=PAGE,
        source="ADS",
        ad_id="120208765432100",
        ref="spring-promo",
        headline="Spring promo",
    )


def test_shortlink_referral() -> None:
    [event] = _parse("webhooks/referral_shortlink.json")
    assert (event.source, event.ref, event.ad_id) == ("SHORTLINK", "counter-qr", None)


def test_postback_with_referral_gives_referral_then_a_customer_action() -> None:
    referral, postback = _parse("webhooks/postback_referral.json")
    assert isinstance(referral, AdReferral)
    assert referral.ad_id == "120208765432100"
    assert isinstance(postback, MessageReceived)
    assert (postback.kind, postback.raw_type, postback.text) == (
        MessageKind.OTHER,
        "postback",
        "Get Started",
    )
    conversation = Conversation.from_event(referral).apply(postback)
    assert conversation.attribution is not None
    assert conversation.last_customer_message_at == postback.timestamp  # window opened


def test_referral_on_a_message() -> None:
    referral, message = _parse("webhooks/message_referral.json")
    assert isinstance(referral, AdReferral)
    assert referral.source == "ADS"
    assert isinstance(message, MessageReceived)
    assert message.platform_message_id == "m_MR1"


def test_unmodelled_messaging_events_are_kept() -> None:
    [reaction] = _parse("webhooks/reaction.json")
    assert isinstance(reaction, UnknownEvent)
    assert (reaction.raw_type, reaction.customer_id) == ("reaction", PSID)
    assert reaction.raw["reaction"]["emoji"] == "\u2764"
    [standby] = _parse("webhooks/standby.json")
    assert isinstance(standby, UnknownEvent)
    assert standby.raw_type == "standby"


def test_batched_entries_keep_their_order() -> None:
    events = _parse("webhooks/batch.json")
    assert [type(e) for e in events] == [MessageReceived, ReadReport]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe", "not JSON"),
        (b'{"object":"whatsapp_business_account","entry":[]}', "'page'"),
        (b'{"object":"page","entry":{}}', "entry"),
        (b'{"object":"page","entry":[{"messaging":[{"recipient":{"id":"1"}}]}]}', "sender"),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"timestamp":true}]}]}',
            "timestamp",
        ),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"timestamp":1,"delivery":{"mids":[5]}}]}]}',
            "mids",
        ),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhook, match=message):
        MessengerAdapter().parse_webhook(body)


# --- sending rules ------------------------------------------------------------------------------


def _conversation() -> Conversation:
    return Conversation(
        channel=Channel.MESSENGER, conversation_id=PSID, customer_id=PSID, opened_at=_ms(0)
    )


def _plan_error(adapter: MessengerAdapter, content: Any) -> None:
    next(adapter.plan_send(_conversation(), content, token="t"))


def test_templates_are_not_a_messenger_kind() -> None:
    with pytest.raises(ContentError):
        _plan_error(MessengerAdapter(account_id=PAGE), Template("hello_world"))


def test_image_caption_is_refused() -> None:
    with pytest.raises(ContentError, match="caption"):
        _plan_error(
            MessengerAdapter(account_id=PAGE), Image(url="https://x.test/a.png", caption="c")
        )


def test_image_size_limit_is_a_setting() -> None:
    adapter = MessengerAdapter(account_id=PAGE, image_max_bytes=1 * MB)
    assert adapter.capabilities.image is not None
    assert adapter.capabilities.image.max_bytes == MB
    with pytest.raises(ImageTooLarge):
        _plan_error(adapter, Image(data=b"\xff\xd8\xff" + b"\x00" * MB))


def test_send_without_page_id_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="page id"):
        _plan_error(MessengerAdapter(), Text("hi"))


def test_empty_token_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="token"):
        next(MessengerAdapter(account_id=PAGE).plan_send(_conversation(), Text("hi"), token=""))


def test_token_goes_in_a_header_never_the_url() -> None:
    adapter = MessengerAdapter(account_id=PAGE)
    with pytest.raises(StopIteration) as done:
        next(adapter.plan_send(_conversation(), Text("hi"), token="SECRET"))
    request = done.value.value
    assert "SECRET" not in request.url
    assert request.header("authorization") == "Bearer SECRET"


# --- registration -------------------------------------------------------------------------------


def test_registered_through_entry_points_as_the_cli_builds_it() -> None:
    manager = PluginManager.with_entry_points()
    adapter = manager.create_adapter("messenger", app_secret="s", account_id=PAGE)
    assert isinstance(adapter, MessengerAdapter)
    body = (FIXTURES / "webhook_message.json").read_bytes()
    adapter.verify_webhook(adapter.sign_webhook(body, now=0), body, now=None)
    assert [type(e) for e in adapter.parse_webhook(body)] == [MessageReceived]
