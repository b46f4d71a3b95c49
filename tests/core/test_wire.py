"""The JSON form round-trips every value exactly (hypothesis over all event types)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.conversation import Attribution, Conversation
from mmtkit.messages import (
    AdReferral,
    Channel,
    Content,
    DeliveryReport,
    DeliveryStatus,
    EchoSource,
    Image,
    InboundEvent,
    MessageEcho,
    MessageKind,
    MessageReceived,
    ReadReport,
    SharePost,
    Template,
    Text,
    UnknownEvent,
)
from mmtkit.wire import dumps, event_from_dict, event_to_dict, loads

ids = st.text(min_size=1, max_size=12)
opt_ids = st.none() | ids
texts = st.none() | st.text(max_size=50)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5, minutes=-30))]
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)
channels = st.sampled_from(list(Channel))

common = {
    "channel": channels,
    "conversation_id": ids,
    "customer_id": ids,
    "timestamp": moments,
    "platform_message_id": opt_ids,
    "account_id": opt_ids,
}
events: st.SearchStrategy[Any] = st.one_of(
    st.builds(
        MessageReceived,
        kind=st.sampled_from(list(MessageKind)),
        text=texts,
        media_id=opt_ids,
        raw_type=opt_ids,
        reply_to=opt_ids,
        content_stripped=st.booleans(),
        **common,
    ),
    st.builds(
        MessageEcho,
        source=st.sampled_from(list(EchoSource)),
        kind=st.sampled_from(list(MessageKind)),
        text=texts,
        **common,
    ),
    st.builds(ReadReport, watermark=moments, **common),
    st.builds(
        DeliveryReport,
        status=st.sampled_from(list(DeliveryStatus)),
        error_code=opt_ids,
        error_message=texts,
        **common,
    ),
    st.builds(
        AdReferral,
        source=ids,
        ad_id=opt_ids,
        advertiser_id=opt_ids,
        click_id=opt_ids,
        ref=opt_ids,
        **common,
    ),
    st.builds(
        UnknownEvent,
        channel=channels,
        raw_type=ids,
        timestamp=moments,
        raw_json=st.dictionaries(st.text(max_size=5), st.integers()).map(json.dumps),
        conversation_id=opt_ids,
    ),
)
contents: st.SearchStrategy[Any] = st.one_of(
    st.builds(Text, body=st.text(max_size=50), reply_to=opt_ids),
    st.builds(Image, url=st.just("https://cdn.test/a.png")),
    st.builds(Image, data=st.binary(min_size=1, max_size=64), caption=texts),
    st.builds(SharePost, post_id=ids),
    st.builds(
        Template, name=ids, language=ids, parameters=st.lists(st.text(max_size=5), max_size=3)
    ),
)


@settings(max_examples=200, deadline=None)
@given(events)
def test_events_round_trip_through_json(event: InboundEvent) -> None:
    text = dumps(event, InboundEvent)
    assert loads(text, InboundEvent) == event
    assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


@settings(max_examples=200, deadline=None)
@given(contents)
def test_content_round_trips_through_json(content: Content) -> None:
    assert loads(dumps(content, Content), Content) == content


@settings(max_examples=100, deadline=None)
@given(
    channel=channels,
    opened=moments,
    labels=st.frozensets(st.text(min_size=1, max_size=8), max_size=4),
    ad=opt_ids,
)
def test_conversations_round_trip(
    channel: Channel, opened: datetime, labels: frozenset[str], ad: str | None
) -> None:
    conv = Conversation(
        channel=channel,
        conversation_id="c",
        customer_id="u",
        opened_at=opened,
        labels=labels,
        attribution=Attribution(source="ad", at=opened, ad_id=ad) if ad else None,
    ).record_customer_message(opened)
    assert loads(dumps(conv), Conversation) == conv


def test_wire_form_is_plain_json_with_a_type_tag() -> None:
    event = ReadReport(
        channel="tiktok",
        conversation_id="c",
        customer_id="u",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        watermark=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
    )
    data = json.loads(dumps(event, InboundEvent))
    assert data["type"] == "read_report"
    assert data["channel"] == "tiktok"
    assert data["watermark"] == "2026-01-01T00:01:00+00:00"


def test_sets_serialise_in_a_stable_order() -> None:
    opened = datetime(2026, 1, 1, tzinfo=UTC)
    a = Conversation(
        channel="tiktok",
        conversation_id="c",
        customer_id="u",
        opened_at=opened,
        labels={"z", "a", "m"},
    )
    assert json.loads(dumps(a))["labels"] == ["a", "m", "z"]
