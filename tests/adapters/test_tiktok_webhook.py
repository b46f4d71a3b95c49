"""TikTok webhooks: the signature on raw bytes, and parsing every documented event."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.errors import MalformedWebhook, SignatureError, StaleWebhook
from mmtkit.messages import (
    AdReferral,
    EchoSource,
    MessageEcho,
    MessageKind,
    MessageReceived,
    ReadReport,
    UnknownEvent,
)

WEBHOOKS = Path(__file__).parent.parent / "fixtures" / "tiktok" / "webhooks"
SECRET = "app-secret-example"
BUSINESS = "7123456789012345678"
CUSTOMER = "7000000000000000001"
CONVERSATION = "Zm9vYmFy+Y29udg=="
NOW = 1723680001.0
AT = datetime(2024, 8, 15, 0, 0, 0, 123000, tzinfo=UTC)


def adapter(**settings: Any) -> TikTokAdapter:
    return TikTokAdapter(**{"app_secret": SECRET, "account_id": BUSINESS, **settings})


def webhook(name: str) -> bytes:
    return (WEBHOOKS / f"{name}.json").read_bytes()


# --- signature ---------------------------------------------------------------------------------


def header_for(body: bytes, *, now: float = NOW, secret: str = SECRET) -> str:
    return TikTokAdapter(app_secret=secret).sign_webhook(body, now=now)["Tiktok-Signature"]


def test_signature_matches_the_documented_recipe() -> None:
    import hashlib
    import hmac

    body = webhook("receive_text")
    expected = hmac.new(SECRET.encode(), b"1723680001." + body, hashlib.sha256).hexdigest()
    assert header_for(body) == f"t=1723680001,s={expected}"


def test_right_secret_verifies_with_any_header_case() -> None:
    body = webhook("receive_text")
    header = header_for(body)
    adapter().verify_webhook({"Tiktok-Signature": header}, body, now=NOW)
    adapter().verify_webhook({"tiktok-signature": header}, body, now=NOW)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda body, header: (body, header_for(body, secret="other")), "does not match"),
        (lambda body, header: (body.replace(b"price", b"prize"), header), "does not match"),
        (lambda body, header: (body + b" ", header), "does not match"),
        (
            lambda body, header: (json.dumps(json.loads(body)).encode(), header),
            "does not match",
        ),
    ],
    ids=["wrong-secret", "tampered", "trailing-byte", "re-serialised"],
)
def test_anything_but_the_signed_bytes_fails(mutate: Any, message: str) -> None:
    body = webhook("receive_text")
    new_body, header = mutate(body, header_for(body))
    with pytest.raises(SignatureError, match=message) as caught:
        adapter().verify_webhook({"Tiktok-Signature": header}, new_body, now=NOW)
    assert SECRET not in str(caught.value)
    assert type(caught.value) is SignatureError


def test_parts_match_by_name_in_any_order_with_spaces_and_unknown_parts() -> None:
    body = webhook("receive_text")
    t_part, s_part = header_for(body).split(",")
    for header in (
        f"{s_part},{t_part}",
        f" {t_part} , {s_part} ",
        f"v=2,{s_part},x=y,{t_part}",
        f"{t_part},{s_part.upper().replace('S=', 's=')}",
    ):
        adapter().verify_webhook({"Tiktok-Signature": header}, body, now=NOW)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing Tiktok-Signature"),
        ({"Tiktok-Signature": ""}, "no t= and s= part"),
        ({"Tiktok-Signature": "t=1723680001"}, "no s= part"),
        ({"Tiktok-Signature": "s=" + "0" * 64}, "no t= part"),
        ({"Tiktok-Signature": "t=soon,s=" + "0" * 64}, "t= is not a unix time"),
        ({"Tiktok-Signature": "t=1723680001,s=xyz"}, "s= is not a 64-digit hex"),
        ({"Tiktok-Signature": "t=1,t=2,s=" + "0" * 64}, "more than one t="),
        ({"Tiktok-Signature": "sha256=abc"}, "no t= and s= part"),
        ({"Tiktok-Signature": "garbage"}, "not name=value"),
    ],
)
def test_missing_or_malformed_header_says_what_is_wrong(
    headers: dict[str, str], message: str
) -> None:
    with pytest.raises(SignatureError, match=message):
        adapter().verify_webhook(headers, webhook("receive_text"), now=NOW)


@pytest.mark.parametrize(
    ("delay", "fails"),
    [(0, False), (300, False), (-300, False), (301, True), (-301, True), (86400, True)],
)
def test_default_tolerance_is_300_seconds_both_ways(delay: float, fails: bool) -> None:
    body = webhook("receive_text")
    headers = {"Tiktok-Signature": header_for(body, now=NOW)}
    if fails:
        with pytest.raises(StaleWebhook, match="old" if delay > 0 else "future"):
            adapter().verify_webhook(headers, body, now=NOW + delay)
    else:
        adapter().verify_webhook(headers, body, now=NOW + delay)


def test_tolerance_is_a_setting() -> None:
    body = webhook("receive_text")
    headers = {"Tiktok-Signature": header_for(body)}
    adapter(signature_tolerance=5).verify_webhook(headers, body, now=NOW + 5)
    with pytest.raises(StaleWebhook):
        adapter(signature_tolerance=5).verify_webhook(headers, body, now=NOW + 6)


def test_a_forged_old_request_is_reported_as_forged_not_stale() -> None:
    body = webhook("receive_text")
    headers = {"Tiktok-Signature": header_for(body, secret="attacker")}
    with pytest.raises(SignatureError) as caught:
        adapter().verify_webhook(headers, body, now=NOW + 10_000)
    assert not isinstance(caught.value, StaleWebhook)


def test_no_secret_configured_never_verifies() -> None:
    from mmtkit.errors import ConfigError

    body = webhook("receive_text")
    with pytest.raises(ConfigError, match="app_secret"):
        TikTokAdapter().verify_webhook({"Tiktok-Signature": header_for(body)}, body, now=NOW)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=300), now=st.integers(0, 2**33), flip=st.integers(0, 299))
def test_sign_verify_round_trip_and_any_flipped_byte_fails(
    body: bytes, now: int, flip: int
) -> None:
    tiktok = adapter()
    headers = tiktok.sign_webhook(body, now=now)
    tiktok.verify_webhook(headers, body, now=now)
    if body:
        index = flip % len(body)
        tampered = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
        with pytest.raises(SignatureError):
            tiktok.verify_webhook(headers, tampered, now=now)


@settings(max_examples=150, deadline=None)
@given(header=st.text(max_size=120))
def test_arbitrary_headers_only_ever_raise_signature_error(header: str) -> None:
    with pytest.raises(SignatureError):
        adapter().verify_webhook({"Tiktok-Signature": header}, b"{}", now=NOW)


# --- parsing -----------------------------------------------------------------------------------


COMMON = {
    "conversation_id": CONVERSATION,
    "customer_id": CUSTOMER,
    "account_id": BUSINESS,
    "timestamp": AT,
}

EXPECTED: dict[str, Any] = {
    "receive_text": MessageReceived(
        channel="tiktok", **COMMON, platform_message_id="m-text-1", kind=MessageKind.TEXT,
        text="Hi, what is the price? 🙂", raw_type="text",
    ),
    "receive_text_reply": MessageReceived(
        channel="tiktok", **COMMON, platform_message_id="m-text-2", kind=MessageKind.TEXT,
        text="yes please", raw_type="text", reply_to="m-biz-9",
    ),
    "receive_image": MessageReceived(
        channel="tiktok", **COMMON, platform_message_id="m-img-1", kind=MessageKind.IMAGE,
        media_id="v0f025gc0000media", raw_type="image",
    ),
    "receive_share_post": MessageReceived(
        channel="tiktok", **COMMON, platform_message_id="m-post-1",
        kind=MessageKind.SHARE_POST, post_id="7300000000000000000", raw_type="share_post",
        media_url="https://www.tiktok.com/embed/v2/7300000000000000000",
    ),
    "receive_sticker": MessageReceived(
        channel="tiktok", **COMMON, platform_message_id="m-stk-1", kind=MessageKind.OTHER,
        raw_type="sticker", media_url="https://p16.tiktokcdn.com/sticker.webp",
    ),
    "receive_unknown_type": MessageReceived(
        channel="tiktok", **COMMON, platform_message_id="m-new-1", kind=MessageKind.OTHER,
        raw_type="hologram",
    ),
    "receive_from_business": MessageEcho(
        channel="tiktok", **COMMON, platform_message_id="m-biz-2", source=EchoSource.APP,
        kind=MessageKind.TEXT, text="sent from the app", raw_type="text",
    ),
    "receive_eu": MessageReceived(
        channel="tiktok", conversation_id="", customer_id="", account_id=BUSINESS,
        timestamp=datetime(2024, 8, 15, 0, 0, 0, 456000, tzinfo=UTC), kind=MessageKind.OTHER,
        content_stripped=True,
    ),
    "send_echo_api": MessageEcho(
        channel="tiktok", **COMMON, platform_message_id="m-biz-1", source=EchoSource.API,
        kind=MessageKind.TEXT, text="Thanks! It ships today.", raw_type="text",
    ),
    "send_echo_web": MessageEcho(
        channel="tiktok", **COMMON, platform_message_id="m-biz-3", source=EchoSource.WEB,
        kind=MessageKind.IMAGE, raw_type="image",
    ),
    "send_echo_unknown_source": MessageEcho(
        channel="tiktok", **COMMON, platform_message_id="m-biz-4", source=EchoSource.OTHER,
        kind=MessageKind.TEXT, text="auto", raw_type="text",
    ),
    "referral_ad": AdReferral(
        channel="tiktok", **COMMON, source="ad", ad_id="1790000000000000001",
        advertiser_id="7100000000000000001", ad_name="Spring promo", material_id="mat-42",
    ),
    "referral_short_link": AdReferral(
        channel="tiktok", **COMMON, source="short_link", ref="spring-campaign",
    ),
    "mark_read": ReadReport(
        channel="tiktok", conversation_id=CONVERSATION, customer_id=CUSTOMER,
        account_id=BUSINESS, timestamp=datetime(2024, 8, 15, 0, 1, 40, tzinfo=UTC),
        watermark=datetime(2024, 8, 15, 0, 1, 39, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_webhooks_parse_to_the_expected_event(name: str) -> None:
    assert adapter().parse_webhook(webhook(name)) == [EXPECTED[name]]


def test_every_webhook_fixture_has_an_expectation() -> None:
    assert {p.stem for p in WEBHOOKS.glob("*.json")} == set(EXPECTED) | {"unknown_event"}


def test_unknown_events_are_kept_whole() -> None:
    body = webhook("unknown_event")
    [event] = adapter().parse_webhook(body)
    assert isinstance(event, UnknownEvent)
    assert event.raw_type == "im_auto_message_config_update"
    assert event.timestamp == datetime(2024, 8, 15, tzinfo=UTC)
    assert event.raw == json.loads(body)
    assert event.account_id == BUSINESS


def test_the_typical_message_fixture_is_an_inbound_text() -> None:
    body = (WEBHOOKS.parent / "webhook_message.json").read_bytes()
    assert adapter().parse_webhook(body) == [EXPECTED["receive_text"]]


def test_direction_falls_back_to_roles_without_a_business_id() -> None:
    envelope = json.loads(webhook("send_echo_api"))
    del envelope["user_openid"]
    [event] = TikTokAdapter().parse_webhook(json.dumps(envelope).encode())
    assert isinstance(event, MessageEcho)
    assert event.customer_id == CUSTOMER


def test_configured_account_id_is_used_when_the_envelope_has_none() -> None:
    envelope = json.loads(webhook("receive_text"))
    del envelope["user_openid"]
    content = json.loads(envelope["content"])
    for user in ("from_user", "to_user"):
        content[user].pop("role")
    envelope["content"] = json.dumps(content)
    [event] = adapter().parse_webhook(json.dumps(envelope).encode())
    assert isinstance(event, MessageReceived)
    assert event.account_id == BUSINESS


def test_content_already_decoded_as_an_object_is_accepted() -> None:
    envelope = json.loads(webhook("receive_text"))
    envelope["content"] = json.loads(envelope["content"])
    assert adapter().parse_webhook(json.dumps(envelope).encode()) == [EXPECTED["receive_text"]]


def _with(name: str, **content_changes: Any) -> bytes:
    envelope = json.loads(webhook(name))
    content = json.loads(envelope["content"])
    for key, value in content_changes.items():
        if value is ...:
            content.pop(key, None)
        else:
            content[key] = value
    envelope["content"] = json.dumps(content)
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not UTF-8 JSON"),
        (b"\xff\xfe\x00", "not UTF-8 JSON"),
        ("{}".encode("utf-16"), "not UTF-8 JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"event": "im_receive_msg"}', "create_time"),
        (b'{"event": 5, "create_time": 1}', "event must be"),
        (b'{"event": "im_receive_msg", "create_time": 1e300}', "out of range"),
        (b'{"event": "im_receive_msg", "create_time": 1, "content": "{not json"}', "not JSON"),
        (b'{"event": "im_receive_msg", "create_time": 1, "content": 7}', "content must be"),
        (b'{"event": "im_receive_msg", "create_time": 1, "content": "[1]"}', "JSON object"),
        (b"[" * 100_000, "nested too deeply"),
        (_with("receive_text", conversation_id=...), "conversation_id"),
        (_with("receive_text", message_id=""), "message_id"),
        (_with("receive_text", from_user=...), "from_user.id"),
        (_with("receive_text", text="plain"), "content.text must be a JSON object"),
        (_with("receive_text", timestamp="soon"), "content.timestamp"),
        (_with("mark_read", read=...), "content.read"),
        (_with("referral_ad", referral=[]), "content.referral"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhook, match=message):
        adapter().parse_webhook(body)


def test_nesting_just_under_the_recursion_limit_is_malformed_or_kept_never_a_crash() -> None:
    # json decodes a little deeper than it re-encodes: sweep the boundary, from two depths
    # of the caller's stack.
    def sweep() -> None:
        limit = sys.getrecursionlimit()
        for depth in range(limit - 300, limit + 5):
            deep = "[" * depth + "]" * depth
            for body in (
                f'{{"event": "x", "create_time": 1, "deep": {deep}}}',
                f'{{"event": "im_send_msg", "create_time": 1, "content": {deep}}}',
            ):
                _outcome(body.encode())

    def deeper(frames: int) -> None:
        if frames:
            deeper(frames - 1)
        else:
            sweep()

    sweep()
    deeper(30)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four, any JSON value otherwise: near misses, not noise."""
    return st.integers(0, 3).flatmap(lambda pick: json_values if pick == 0 else good)


_users = st.fixed_dictionaries(
    {},
    optional={
        "id": mostly(st.sampled_from([BUSINESS, CUSTOMER, "", 7])),
        "role": mostly(st.sampled_from(["business_account", "personal_account"])),
    },
)
_contents = st.fixed_dictionaries(
    {},
    optional={
        "conversation_id": mostly(st.just(CONVERSATION)),
        "message_id": mostly(st.just("m1")),
        "timestamp": mostly(st.integers(-(2**70), 2**70)),
        "type": mostly(st.sampled_from(["text", "image", "share_post", "sticker", "x"])),
        "text": mostly(st.fixed_dictionaries({}, optional={"body": mostly(st.text())})),
        "image": mostly(st.fixed_dictionaries({}, optional={"media_id": json_values})),
        "share_post": mostly(st.fixed_dictionaries({}, optional={"video_id": json_values})),
        "from_user": mostly(_users),
        "to_user": mostly(_users),
        "referenced_message_info": mostly(
            st.fixed_dictionaries({}, optional={"referenced_message_id": json_values})
        ),
        "message_tag": mostly(st.fixed_dictionaries({}, optional={"source": json_values})),
        "referral": mostly(
            st.fixed_dictionaries(
                {}, optional={"source": json_values, "ad": json_values, "short_link": json_values}
            )
        ),
        "read": mostly(
            st.fixed_dictionaries({}, optional={"last_read_timestamp": mostly(st.integers())})
        ),
    },
)
shaped_envelopes = st.fixed_dictionaries(
    {
        "event": mostly(
            st.sampled_from(
                ["im_receive_msg", "im_receive_msg_eu", "im_send_msg", "im_referral_msg",
                 "im_mark_read_msg", "im_other"]
            )
        ),
        "create_time": mostly(st.integers(0, 2**32)),
    },
    optional={
        "user_openid": mostly(st.just(BUSINESS)),
        "content": mostly(_contents.map(json.dumps) | _contents),
    },
)


_ids = st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    event=st.sampled_from(["im_receive_msg", "im_send_msg"]),
    customer=_ids,
    business_sends=st.booleans(),
    roles=st.booleans(),
    text=st.text(max_size=30),
    millis=st.integers(0, 4_102_444_800_000),
)
def test_direction_follows_the_business_id_whatever_the_event_name(
    event: str, customer: str, business_sends: bool, roles: bool, text: str, millis: int
) -> None:
    business = {"id": BUSINESS, **({"role": "business_account"} if roles else {})}
    person = {"id": customer, **({"role": "personal_account"} if roles else {})}
    content = {
        "conversation_id": "c1",
        "message_id": "m1",
        "timestamp": millis,
        "type": "text",
        "text": {"body": text},
        "from_user": business if business_sends else person,
        "to_user": person if business_sends else business,
    }
    envelope = {"event": event, "create_time": 1, "user_openid": BUSINESS,
                "content": json.dumps(content)}
    [parsed] = adapter().parse_webhook(json.dumps(envelope).encode())
    assert isinstance(parsed, MessageEcho if business_sends else MessageReceived)
    assert parsed.customer_id == customer
    assert parsed.account_id == BUSINESS
    assert parsed.text == text
    assert parsed.timestamp == datetime.fromtimestamp(millis / 1000, UTC)


def _parse_or_malformed(body: bytes) -> list[Any] | None:
    try:
        return adapter().parse_webhook(body)
    except MalformedWebhook:
        return None


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_raise_nothing_but_malformed(body: bytes) -> None:
    _parse_or_malformed(body)


@settings(max_examples=200, deadline=None)
@given(document=json_values)
def test_arbitrary_json_raises_nothing_but_malformed(document: Any) -> None:
    _parse_or_malformed(json.dumps(document).encode())


@settings(max_examples=200, deadline=None)
@given(envelope=shaped_envelopes)
def test_near_miss_envelopes_raise_only_malformed_and_parse_deterministically(
    envelope: Any,
) -> None:
    body = json.dumps(envelope).encode()
    first = _outcome(body)
    assert _outcome(body) == first
    assert isinstance(first, str) or len(first) == 1


def _outcome(body: bytes) -> list[Any] | str:
    """The events, or the MalformedWebhook message; any other exception escapes."""
    try:
        return adapter().parse_webhook(body)
    except MalformedWebhook as exc:
        return f"malformed: {exc}"
