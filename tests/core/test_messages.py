from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mmtkit.messages import (
    AdReferral,
    Channel,
    Image,
    MessageReceived,
    SharePost,
    Template,
    Text,
    UnknownEvent,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_channel_values_are_the_wire_names() -> None:
    assert [c.value for c in Channel] == ["tiktok", "tiktok_shop", "whatsapp", "messenger"]
    assert Channel("whatsapp") is Channel.WHATSAPP


def test_event_timestamps_are_normalised_to_utc() -> None:
    jakarta = timezone(timedelta(hours=7))
    event = MessageReceived(
        channel="tiktok",
        conversation_id="c",
        customer_id="u",
        kind="text",
        text="hi",
        timestamp=datetime(2026, 1, 2, 10, 4, 5, tzinfo=jakarta),
    )
    assert event.timestamp == NOW
    assert event.timestamp.tzinfo is UTC


def test_naive_timestamp_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        MessageReceived(
            channel="tiktok",
            conversation_id="c",
            customer_id="u",
            kind="text",
            timestamp=datetime(2026, 1, 2),
        )


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="telegram"):
        MessageReceived(
            channel="telegram", conversation_id="c", customer_id="u", kind="text", timestamp=NOW
        )


def test_image_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Image()
    with pytest.raises(ValueError, match="exactly one"):
        Image(url="https://x.test/a.png", data=b"\x89PNG")
    with pytest.raises(ValueError, match="http"):
        Image(url="file:///etc/passwd")
    assert Image(data=b"abc").data == b"abc"


def test_image_repr_does_not_dump_bytes() -> None:
    assert "3 bytes" in repr(Image(data=b"abc"))


def test_text_body_is_not_in_repr_of_inbound_events() -> None:
    event = MessageReceived(
        channel="tiktok",
        conversation_id="c",
        customer_id="u",
        kind="text",
        text="my card is 4111",
        timestamp=NOW,
    )
    assert "4111" not in repr(event)


def test_share_post_and_template_validate() -> None:
    with pytest.raises(ValueError, match="post_id"):
        SharePost("")
    assert Template("order_update", parameters=["A1"]).parameters == ("A1",)
    with pytest.raises(ValueError, match="name"):
        Template("")


def test_text_reply_to_must_not_be_blank() -> None:
    with pytest.raises(ValueError, match="reply_to"):
        Text("hi", reply_to="")


def test_unknown_event_keeps_the_raw_payload() -> None:
    event = UnknownEvent(
        channel="tiktok", raw_type="im_new_thing", timestamp=NOW, raw_json='{"a": 1}'
    )
    assert event.raw == {"a": 1}
    with pytest.raises(ValueError, match="JSON"):
        UnknownEvent(channel="tiktok", raw_type="x", timestamp=NOW, raw_json="{not json")


def test_ad_referral_fields() -> None:
    referral = AdReferral(
        channel="whatsapp",
        conversation_id="c",
        customer_id="u",
        timestamp=NOW,
        source="ad",
        ad_id="120",
        click_id="ARAk",
    )
    assert referral.click_id == "ARAk"
    assert referral.advertiser_id is None
