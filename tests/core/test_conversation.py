from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.capabilities import DEFAULT_CAPABILITIES
from mmtkit.conversation import (
    Allowed,
    Conversation,
    Initiator,
    NeedsTag,
    NotCustomerInitiated,
    QuotaExhausted,
    WindowClosed,
    can_send,
)
from mmtkit.messages import (
    AdReferral,
    Channel,
    EchoSource,
    MessageEcho,
    MessageReceived,
    Template,
    Text,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HI = Text("hello")


def received(at: datetime, channel: str = "tiktok") -> MessageReceived:
    return MessageReceived(
        channel=channel,
        conversation_id="c1",
        customer_id="u1",
        timestamp=at,
        kind="text",
        text="hi",
    )


def opened(channel: str = "tiktok", at: datetime = T0) -> Conversation:
    return Conversation.from_event(received(at, channel))


def test_tiktok_window_is_48_hours_from_the_last_customer_message() -> None:
    conv = opened()
    assert isinstance(can_send(conv, HI, T0 + timedelta(hours=47, minutes=59)), Allowed)
    closed = can_send(conv, HI, T0 + timedelta(hours=48))
    assert isinstance(closed, WindowClosed)
    assert closed.closed_at == T0 + timedelta(hours=48)
    assert "customer message" in closed.reopened_by
    later = conv.record_customer_message(T0 + timedelta(hours=50))
    assert isinstance(can_send(later, HI, T0 + timedelta(hours=51)), Allowed)


def test_tiktok_quota_of_ten_resets_on_customer_message() -> None:
    conv = opened()
    for minute in range(10):
        permission = can_send(conv, HI, T0 + timedelta(minutes=minute))
        assert isinstance(permission, Allowed)
        assert permission.messages_left == 10 - minute
        conv = conv.record_business_message(T0 + timedelta(minutes=minute))
    exhausted = can_send(conv, HI, T0 + timedelta(minutes=11))
    assert exhausted == QuotaExhausted(limit=10, used=10, reopened_by="a new customer message")
    conv = conv.record_customer_message(T0 + timedelta(minutes=12))
    assert isinstance(can_send(conv, HI, T0 + timedelta(minutes=13)), Allowed)


def test_window_numbers_are_configurable() -> None:
    rule = evolve(
        DEFAULT_CAPABILITIES[Channel.TIKTOK].window,
        duration=timedelta(hours=24),
        max_business_messages=3,
    )
    conv = opened()
    assert isinstance(can_send(conv, HI, T0 + timedelta(hours=30), rule), WindowClosed)
    for _ in range(3):
        conv = conv.record_business_message(T0)
    assert isinstance(can_send(conv, HI, T0, rule), QuotaExhausted)


def test_business_cannot_open_a_tiktok_or_messenger_conversation() -> None:
    for channel in ("tiktok", "messenger", "whatsapp"):
        conv = Conversation(
            channel=channel,
            conversation_id="c",
            customer_id="u",
            opened_at=T0,
            initiated_by=Initiator.BUSINESS,
        )
        assert isinstance(can_send(conv, HI, T0), NotCustomerInitiated)


def test_whatsapp_template_is_allowed_outside_the_window_and_to_open() -> None:
    conv = opened("whatsapp")
    assert isinstance(can_send(conv, HI, T0 + timedelta(hours=25)), WindowClosed)
    assert isinstance(can_send(conv, Template("reminder"), T0 + timedelta(hours=25)), Allowed)
    fresh = Conversation(channel="whatsapp", conversation_id="c", customer_id="u", opened_at=T0)
    assert isinstance(can_send(fresh, Template("welcome"), T0), Allowed)
    # A template is not a way round TikTok's rules.
    assert isinstance(
        can_send(opened("tiktok"), Template("x"), T0 + timedelta(days=3)), WindowClosed
    )


def test_messenger_human_agent_tag_for_seven_days() -> None:
    conv = opened("messenger")
    assert isinstance(can_send(conv, HI, T0 + timedelta(hours=23)), Allowed)
    tagged = can_send(conv, HI, T0 + timedelta(days=3))
    assert tagged == NeedsTag(tag="HUMAN_AGENT", until=T0 + timedelta(days=7))
    assert isinstance(can_send(conv, HI, T0 + timedelta(days=7)), WindowClosed)


def test_tiktok_shop_seller_may_write_any_time() -> None:
    conv = Conversation(
        channel="tiktok_shop",
        conversation_id="c",
        customer_id="u",
        opened_at=T0,
        initiated_by="business",
    )
    assert isinstance(can_send(conv, HI, T0 + timedelta(days=30)), Allowed)


def test_first_response_time_and_attribution() -> None:
    conv = opened()
    conv = conv.record_business_message(T0 + timedelta(minutes=7))
    conv = conv.record_business_message(T0 + timedelta(minutes=9))
    assert conv.first_response_time == timedelta(minutes=7)
    referral = AdReferral(
        channel="tiktok",
        conversation_id="c1",
        customer_id="u1",
        timestamp=T0,
        source="ad",
        ad_id="17",
        advertiser_id="7",
    )
    conv = conv.apply(referral)
    assert conv.attribution is not None
    assert conv.attribution.ad_id == "17"
    other = evolve(referral, ad_id="99")
    assert conv.apply(other).attribution == conv.attribution  # first touch is kept


def test_api_echo_is_not_counted_twice_but_agent_echo_is() -> None:
    conv = opened()
    echo = MessageEcho(
        channel="tiktok",
        conversation_id="c1",
        customer_id="u1",
        timestamp=T0 + timedelta(minutes=1),
        source=EchoSource.API,
        kind="text",
    )
    assert conv.apply(echo) == conv
    agent = evolve(echo, source=EchoSource.APP)
    assert conv.apply(agent).business_messages_in_window == 1


def test_labels_and_assignee() -> None:
    conv = opened().with_label("vip").with_label("payment-intent").assigned_to("ana")
    assert conv.labels == {"vip", "payment-intent"}
    assert conv.without_label("vip").labels == {"payment-intent"}
    assert conv.assignee == "ana"
    with pytest.raises(ValueError, match="blank"):
        conv.with_label(" ")


# --- property tests -----------------------------------------------------------------------

steps = st.lists(
    st.tuples(st.sampled_from(["customer", "business"]), st.integers(0, 6000)), max_size=40
)
channels = st.sampled_from([Channel.TIKTOK, Channel.WHATSAPP, Channel.MESSENGER])


def replay(channel: Channel, events: list[tuple[str, datetime]]) -> Conversation:
    conv = Conversation(channel=channel, conversation_id="c", customer_id="u", opened_at=T0)
    for who, at in events:
        conv = (
            conv.record_customer_message(at)
            if who == "customer"
            else conv.record_business_message(at)
        )
    return conv


@settings(max_examples=300, deadline=None)
@given(channel=channels, raw=steps, probe=st.integers(0, 12000))
def test_can_send_matches_a_brute_force_model(
    channel: Channel, raw: list[tuple[str, int]], probe: int
) -> None:
    """Events in time order: the outcome is what the platform rules say, computed naively."""
    times = sorted(raw, key=lambda e: e[1])
    events = [(who, T0 + timedelta(minutes=m)) for who, m in times]
    # strictly increasing timestamps: a platform orders messages by time
    events = [(who, at + timedelta(microseconds=i)) for i, (who, at) in enumerate(events)]
    now = T0 + timedelta(minutes=probe) + timedelta(seconds=1)
    if events and now <= events[-1][1]:
        now = events[-1][1] + timedelta(seconds=1)
    conv = replay(channel, events)
    rule = DEFAULT_CAPABILITIES[channel].window
    customer_times = [at for who, at in events if who == "customer"]
    outcome = can_send(conv, HI, now)
    if not customer_times:
        assert isinstance(outcome, NotCustomerInitiated)
        return
    last = max(customer_times)
    assert rule.duration is not None
    used = sum(1 for who, at in events if who == "business" and at > last)
    if now >= last + rule.duration:
        if rule.tag_window and now < last + rule.tag_window:
            assert isinstance(outcome, NeedsTag)
        else:
            assert isinstance(outcome, WindowClosed)
    elif rule.max_business_messages is not None and used >= rule.max_business_messages:
        assert isinstance(outcome, QuotaExhausted)
    else:
        assert isinstance(outcome, Allowed)
        if rule.max_business_messages is not None:
            assert outcome.messages_left == rule.max_business_messages - used


@settings(max_examples=300, deadline=None)
@given(channel=channels, raw=steps)
def test_invariants_hold_for_events_in_any_order(
    channel: Channel, raw: list[tuple[str, int]]
) -> None:
    events = [(who, T0 + timedelta(minutes=m)) for who, m in raw]
    conv = replay(channel, events)
    customer_times = [at for who, at in events if who == "customer"]
    assert conv.business_messages_in_window >= 0
    assert conv.business_messages_in_window <= sum(1 for who, _ in events if who == "business")
    if customer_times:
        assert conv.last_customer_message_at == max(customer_times)
        assert conv.first_customer_message_at == min(customer_times)
    else:
        assert conv.last_customer_message_at is None
        assert conv.first_response_at is None
    if conv.first_response_at is not None:
        assert conv.first_customer_message_at is not None
        assert conv.first_response_at >= conv.first_customer_message_at
    # Replaying the same events gives the same state: transitions are pure.
    assert replay(channel, events) == conv
