"""Conversion events: hashing, ids, the no-text guarantee and the happening mapping."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError
from mmtkit.events import (
    ConversationStarted,
    ConversionEvent,
    EventMapping,
    InvalidIdentifier,
    LabelApplied,
    SignalsDetected,
    UserIdentifiers,
    conversion_events,
    hash_email,
    hash_phone,
    make_event_id,
)
from mmtkit.messages import AdReferral, Channel
from mmtkit.signals import Signal

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def conversation(channel: Channel = Channel.TIKTOK, **referral: str) -> Conversation:
    conv = Conversation(channel=channel, conversation_id="c-1", customer_id="u-1",
                        opened_at=T0, account_id="biz-1")
    if referral:
        conv = conv.record_referral(AdReferral(
            channel=channel, conversation_id="c-1", customer_id="u-1", timestamp=T0,
            source="ad", **referral))
    return conv


def test_email_is_trimmed_lowercased_and_hashed() -> None:
    assert hash_email("  Jane.Doe@Example.COM ") == sha("jane.doe@example.com")


def test_phone_is_hashed_in_e164_whatever_the_writing() -> None:
    expected = sha("+6281234567890")
    assert hash_phone("+62 812-3456-7890") == expected
    assert hash_phone("0812 3456 7890", region="ID") == expected


def test_digests_pass_through_unchanged() -> None:
    digest = sha("x")
    assert hash_email(digest.upper()) == digest
    assert hash_phone(digest) == digest


@pytest.mark.parametrize("raw", ["not an email", "jane@", "@example.com"])
def test_bad_email_is_refused_without_echoing_it(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        hash_email(raw)
    assert raw not in str(caught.value)


def test_bad_phone_is_refused() -> None:
    with pytest.raises(InvalidIdentifier):
        hash_phone("call me maybe")
    with pytest.raises(InvalidIdentifier):
        hash_phone("0812 3456 7890")  # national number without a region


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "I want to pay now"), ("event_id", "two words"), ("account_id", "a@b.com")],
)
def test_an_event_has_nowhere_to_put_text(field: str, value: str) -> None:
    kwargs = {"name": "Contact", "time": T0, "event_id": "e1", "channel": "tiktok"}
    kwargs[field] = value
    with pytest.raises(ValueError, match=field):
        ConversionEvent(**kwargs)  # type: ignore[arg-type]


def test_user_fields_take_digests_only() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        UserIdentifiers(email="jane@example.com")
    user = UserIdentifiers.of(email="Jane@example.com", phone="+14155550123", external_id="crm-9")
    assert user.email == sha("jane@example.com")
    assert user.phone == sha("+14155550123")
    assert user.external_id == sha("crm-9")


def test_value_and_currency_go_together() -> None:
    with pytest.raises(ValueError, match="currency"):
        ConversionEvent(name="Purchase", time=T0, event_id="e", channel="tiktok", value=5)
    event = ConversionEvent(name="Purchase", time=T0, event_id="e", channel="tiktok",
                            value="12.50", currency="USD")
    assert event.value == Decimal("12.50")
    floated = ConversionEvent(name="Purchase", time=T0, event_id="e", channel="tiktok",
                              value=0.1, currency="USD")
    assert floated.value == Decimal("0.1")
    for bad in ("twelve", -1):
        with pytest.raises(ValueError, match="value"):
            ConversionEvent(name="Purchase", time=T0, event_id="e", channel="tiktok",
                            value=bad, currency="USD")


def test_event_id_is_deterministic_and_specific() -> None:
    conv = conversation()
    same = make_event_id(conv, "Contact", "started")
    assert same == make_event_id(conversation(), "Contact", "started")
    assert same != make_event_id(conv, "Lead", "started")
    assert same != make_event_id(conv, "Contact", "signal:payment")
    other = Conversation(channel=Channel.TIKTOK, conversation_id="c-2", customer_id="u-1",
                         opened_at=T0, account_id="biz-1")
    assert same != make_event_id(other, "Contact", "started")


def test_conversation_started_from_an_ad_carries_the_ad_ids() -> None:
    conv = conversation(ad_id="ad-7", advertiser_id="adv-3", material_id="m-1")
    conv = conv.with_tracking_id("E.C.P.abcdef123")
    [event] = conversion_events(ConversationStarted(T0), conv)
    assert event.name == "Contact"
    assert event.attribution.ad_id == "ad-7"
    assert event.attribution.tracking_id == "E.C.P.abcdef123"
    assert event.user.external_id == sha("tiktok:u-1")


def test_free_text_ref_is_not_reported() -> None:
    conv = conversation(ref="hello there, I saw your ad")
    [event] = conversion_events(ConversationStarted(T0), conv)
    assert event.attribution.ref is None


def test_each_mapped_true_signal_is_one_event() -> None:
    signals = [Signal("payment"), Signal("payment", source="other"), Signal("refund"),
               Signal("price", False), Signal("tracking_id", "E.C.P.abcdef123")]
    events = conversion_events(SignalsDetected(signals, T0), conversation())
    assert [(e.name, e.signals) for e in events] == [("AddPaymentInfo", frozenset({"payment"}))]


def test_same_signal_twice_in_a_conversation_has_the_same_event_id() -> None:
    first = conversion_events(SignalsDetected([Signal("order")], T0), conversation())
    later = conversion_events(SignalsDetected([Signal("order")], T0 + timedelta(hours=1)),
                              conversation())
    assert first[0].event_id == later[0].event_id


def test_labels_map_case_and_separator_insensitively() -> None:
    [event] = conversion_events(
        LabelApplied(label="Qualified_Lead", at=T0, value=40, currency="usd"), conversation()
    )
    assert (event.name, event.value, event.currency) == ("Lead", Decimal(40), "USD")
    assert conversion_events(LabelApplied(label="vip", at=T0), conversation()) == []


def test_mapping_is_configuration() -> None:
    mapping = EventMapping.from_mapping(
        {"conversation_started": None, "signals": {"refund": "RefundAsked"},
         "require_attribution": True}
    )
    assert conversion_events(ConversationStarted(T0), conversation(ad_id="1"), mapping) == []
    assert conversion_events(SignalsDetected([Signal("refund")], T0), conversation(),
                             mapping) == []  # no attribution
    [event] = conversion_events(SignalsDetected([Signal("refund")], T0),
                                conversation(ad_id="1"), mapping)
    assert event.name == "RefundAsked"


@pytest.mark.parametrize("raw", [{"nope": 1}, {"signals": {"payment": "has space"}}])
def test_bad_mapping_is_a_config_error(raw: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        EventMapping.from_mapping(raw)


def test_scoped_user_id_only_where_a_sink_needs_it() -> None:
    [messenger] = conversion_events(ConversationStarted(T0), conversation(Channel.MESSENGER))
    [whatsapp] = conversion_events(ConversationStarted(T0), conversation(Channel.WHATSAPP))
    assert messenger.scoped_user_id == "u-1"
    assert whatsapp.scoped_user_id is None  # a WhatsApp user id is a phone number
