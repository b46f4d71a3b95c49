"""Send plans of the TikTok adapter, compared with golden requests written from the
reference (docs/adapters/tiktok.md, platform-apis §1.3-1.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mmtkit.adapter import FetchMedia, HttpRequest, HttpResponse, SendPlan
from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.conversation import Conversation
from mmtkit.errors import (
    ConfigError,
    ContentError,
    CredentialsError,
    EmptyMessage,
    ImageTooLarge,
    MessageTooLong,
    UnexpectedResponse,
    UnsupportedContent,
    UnsupportedImageFormat,
)
from mmtkit.messages import Image, SharePost, Template, Text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tiktok"
BUSINESS_ID = "7123456789012345678"
TOKEN = "act.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def adapter(**settings: Any) -> TikTokAdapter:
    base: dict[str, Any] = {
        "app_secret": "app-secret-example",
        "account_id": BUSINESS_ID,
        "client_id": "aw1b2c3d4e5f",
        "client_secret": "client-secret-example",
    }
    return TikTokAdapter(**{**base, **settings})


def conversation(**changes: Any) -> Conversation:
    values: dict[str, Any] = {
        "channel": "tiktok",
        "conversation_id": "Zm9vYmFy+Y29udg==",
        "customer_id": "7000000000000000001",
        "opened_at": datetime(2024, 8, 15, tzinfo=UTC),
    }
    return Conversation(**{**values, **changes})


def load(kind: str, name: str) -> Any:
    return json.loads((FIXTURES / kind / f"{name}.json").read_text(encoding="utf-8"))

UPLOAD_OK = HttpResponse(
    status=200,
    body=json.dumps({"code": 0, "message": "OK", "data": {"media_id": "v0f025media"}}).encode(),
)


def final(plan: SendPlan) -> HttpRequest:
    try:
        step = next(plan)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError(f"expected no intermediate step, got {step!r}")


def as_golden(request: HttpRequest) -> dict[str, Any]:
    golden: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "headers": dict(request.headers),
        "purpose": request.purpose,
    }
    if request.json is not None:
        golden["json"] = request.json
    if request.form is not None:
        golden["form"] = dict(request.form)
    if request.files:
        golden["files"] = [
            {"field_name": f.field_name, "filename": f.filename, "content_type": f.content_type}
            for f in request.files
        ]
    return golden


@pytest.mark.parametrize(
    ("content", "golden"),
    [
        (Text("Hi! Your order ships today."), "text"),
        (Text("Yes, in blue too.", reply_to="m-text-1"), "text_reply"),
        (SharePost("7300000000000000000"), "share_post"),
    ],
)
def test_single_request_kinds_match_golden(content: Any, golden: str) -> None:
    request = final(adapter().plan_send(conversation(), content, token=TOKEN))
    assert as_golden(request) == load("requests", golden)
    json.dumps(request.json)  # serialisable as is


def test_conversation_id_with_plus_travels_unchanged_in_the_body() -> None:
    request = final(adapter().plan_send(conversation(), Text("hi"), token=TOKEN))
    assert request.json["recipient"] == "Zm9vYmFy+Y29udg=="


def test_image_bytes_are_uploaded_then_sent_by_media_id() -> None:
    plan = adapter().plan_send(conversation(), Image(data=PNG), token=TOKEN)
    upload = next(plan)
    assert isinstance(upload, HttpRequest)
    assert as_golden(upload) == load("requests", "image_upload")
    assert upload.files[0].data == PNG
    with pytest.raises(StopIteration) as done:
        plan.send(UPLOAD_OK)
    assert as_golden(done.value.value) == load("requests", "image_send")


def test_image_url_is_fetched_under_the_channel_rules_then_uploaded() -> None:
    tiktok = adapter()
    plan = tiktok.plan_send(
        conversation(), Image(url="https://cdn.example/shoe.jpg"), token=TOKEN
    )
    fetch = next(plan)
    assert fetch == FetchMedia(url="https://cdn.example/shoe.jpg", rules=tiktok.capabilities.image)
    upload = plan.send(JPEG)
    assert isinstance(upload, HttpRequest)
    assert upload.purpose == "upload"
    assert (upload.files[0].filename, upload.files[0].content_type) == ("image.jpg", "image/jpeg")
    with pytest.raises(StopIteration) as done:
        plan.send(UPLOAD_OK)
    assert done.value.value.json["image"] == {"media_id": "v0f025media"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"GIF89a" + b"\x00" * 10, UnsupportedImageFormat),
        (b"not an image", UnsupportedImageFormat),
        (PNG + b"\x00" * (3 * 1024 * 1024), ImageTooLarge),
    ],
)
def test_fetched_bytes_are_checked_before_upload(data: bytes, error: type[Exception]) -> None:
    plan = adapter().plan_send(conversation(), Image(url="https://cdn.example/x"), token=TOKEN)
    next(plan)
    with pytest.raises(error):
        plan.send(data)


def test_upload_answer_without_media_id_stops_the_plan_with_a_typed_error() -> None:
    plan = adapter().plan_send(conversation(), Image(data=PNG), token=TOKEN)
    next(plan)
    with pytest.raises(UnexpectedResponse, match="media_id"):
        plan.send(HttpResponse(status=200, body=b'{"code":0,"message":"OK","data":{}}'))


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (Text("x" * 6001), MessageTooLong),
        (Text("   "), EmptyMessage),
        (Template("hello_world"), UnsupportedContent),
        (Image(data=b"GIF89a" + b"\x00" * 10), UnsupportedImageFormat),
        (Image(data=PNG, caption="look"), ContentError),
    ],
)
def test_unsendable_content_is_refused_before_any_step(
    content: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        adapter().plan_send(conversation(), content, token=TOKEN)


def test_text_at_the_limit_is_accepted() -> None:
    request = final(adapter().plan_send(conversation(), Text("é" * 6000), token=TOKEN))
    assert len(request.json["text"]["body"]) == 6000


def test_business_id_comes_from_the_conversation_first_then_the_setting() -> None:
    from_setting = final(adapter().plan_send(conversation(), Text("a"), token=TOKEN))
    assert from_setting.json["business_id"] == BUSINESS_ID
    own = conversation(account_id="other-business")
    from_conversation = final(adapter().plan_send(own, Text("a"), token=TOKEN))
    assert from_conversation.json["business_id"] == "other-business"
    with pytest.raises(ConfigError, match="business id"):
        adapter(account_id=None).plan_send(conversation(), Text("a"), token=TOKEN)


def test_a_message_tag_is_refused_not_dropped() -> None:
    with pytest.raises(ContentError, match="no message tags"):
        adapter().plan_send(conversation(), Text("a"), token=TOKEN, tag="HUMAN_AGENT")


def test_missing_token_and_wrong_channel_are_refused() -> None:
    with pytest.raises(CredentialsError):
        adapter().plan_send(conversation(), Text("a"), token="")
    with pytest.raises(ConfigError, match="whatsapp"):
        adapter().plan_send(conversation(channel="whatsapp"), Text("a"), token=TOKEN)


@pytest.mark.parametrize(
    ("settings", "url"),
    [
        ({}, "https://business-api.tiktok.com/open_api/v1.3/business/message/send/"),
        ({"sandbox": True}, "https://sandbox-ads.tiktok.com/open_api/v1.3/business/message/send/"),
        ({"api_version": "v1.4"}, "https://business-api.tiktok.com/open_api/v1.4/business/message/send/"),
        ({"base_url": "https://proxy.example/tt"}, "https://proxy.example/tt/business/message/send/"),
        ({"base_url": "http://127.0.0.1:8765/v1.3"}, "http://127.0.0.1:8765/v1.3/business/message/send/"),
    ],
)
def test_base_url_is_one_setting_away(settings: dict[str, Any], url: str) -> None:
    request = final(adapter(**settings).plan_send(conversation(), Text("a"), token=TOKEN))
    assert request.url == url


@pytest.mark.parametrize(
    "settings",
    [
        {"sandbox": True, "base_url": "https://x.example/"},
        {"base_url": "http://insecure.example/"},
        {"signature_tolerance": 0},
        {"signature_tolerance": "300"},
        {"window_hours": -1},
        {"max_business_messages": 0},
        {"no_such_setting": 1},
    ],
)
def test_bad_settings_raise_config_error(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        adapter(**settings)


def test_window_settings_override_the_disputed_defaults() -> None:
    tiktok = adapter(window_hours=24, max_business_messages=3)
    assert tiktok.capabilities.window.duration == timedelta(hours=24)
    assert tiktok.capabilities.window.max_business_messages == 3
    assert adapter().capabilities.window.duration == timedelta(hours=48)


def test_repr_hides_secrets() -> None:
    text = repr(adapter())
    assert "app-secret-example" not in text
    assert "client-secret-example" not in text
