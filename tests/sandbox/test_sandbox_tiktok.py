"""TikTok Business Messaging as emulated: one test per rule and per error code."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mmtkit.sandbox.config import SandboxConfig
from mmtkit.sandbox.inmemory import InMemorySandbox
from mmtkit.sandbox.rates import RateGate

BUSINESS = "sandbox-business"
TIKTOK_TOKEN = SandboxConfig().tiktok.access_tokens[BUSINESS]

SEND = "/open_api/v1.3/business/message/send/"
UPLOAD = "/open_api/v1.3/business/message/media/upload/"
CONVERSATIONS = "/open_api/v1.3/business/message/conversation/list/"
CONTENT = "/open_api/v1.3/business/message/content/list/"
AUTH = {"Access-Token": TIKTOK_TOKEN}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def text(conversation_id: str, body: str = "Hi! Your order ships today.") -> dict[str, Any]:
    # The reference's example request, with the conversation the customer opened.
    return {
        "business_id": BUSINESS,
        "recipient_type": "CONVERSATION",
        "recipient": conversation_id,
        "message_type": "TEXT",
        "text": {"body": body},
    }


def opened(client: InMemorySandbox) -> str:
    return client.emulator.customers.tiktok_message("price?").conversation_id


def code(response: httpx.Response) -> int:
    assert response.status_code == 200, "TikTok answers errors on HTTP 200"
    body = response.json()
    assert set(body) == {"code", "message", "request_id", "data"}
    return int(body["code"])


def test_a_reply_in_an_open_conversation_succeeds_with_the_real_envelope(
    client: InMemorySandbox,
) -> None:
    conversation = opened(client)
    response = client.post(SEND, headers=AUTH, json=text(conversation))
    assert code(response) == 0
    message_id = response.json()["data"]["message"]["message_id"]
    assert message_id.isdigit()
    assert int(message_id) > 2**53, "ids exceed the JS safe range"
    [entry] = client.emulator.ledger.entries(platform="tiktok", direction="outbound")
    assert (entry.platform_id, entry.conversation) == (message_id, conversation)


def test_a_quoted_reply_with_referenced_message_info_is_accepted(client: InMemorySandbox) -> None:
    body = text(opened(client)) | {"referenced_message_info": {"referenced_message_id": "m1"}}
    assert code(client.post(SEND, headers=AUTH, json=body)) == 0


def test_missing_access_token_is_40104(client: InMemorySandbox) -> None:
    assert code(client.post(SEND, json=text(opened(client)))) == 40104


def test_bearer_auth_is_not_tiktok_auth(client: InMemorySandbox) -> None:
    headers = {"Authorization": f"Bearer {TIKTOK_TOKEN}"}
    assert code(client.post(SEND, headers=headers, json=text(opened(client)))) == 40104


def test_unknown_access_token_is_40105(client: InMemorySandbox) -> None:
    headers = {"Access-Token": "not-a-token"}
    assert code(client.post(SEND, headers=headers, json=text(opened(client)))) == 40105


def test_a_business_the_token_does_not_cover_is_40001(client: InMemorySandbox) -> None:
    body = text(opened(client)) | {"business_id": "someone-else"}
    assert code(client.post(SEND, headers=AUTH, json=body)) == 40001


@pytest.mark.parametrize(
    "change",
    [
        {"business_id": None},
        {"recipient_type": "USER"},
        {"recipient": ""},
        {"message_type": "VIDEO"},
        {"text": {"body": ""}},
        {"text": None},
        {"message_type": "IMAGE", "image": {"media_id": "x"}, "referenced_message_info": {}},
        {"message_type": "SHARE_POST", "share_post": {}},
    ],
    ids=[
        "no-business",
        "recipient-type",
        "no-recipient",
        "message-type",
        "empty-text",
        "no-text",
        "quote-on-image",
        "share-post-without-item",
    ],
)
def test_parameter_errors_are_40002(client: InMemorySandbox, change: dict[str, Any]) -> None:
    body = {k: v for k, v in (text(opened(client)) | change).items() if v is not None}
    assert code(client.post(SEND, headers=AUTH, json=body)) == 40002


def test_a_body_that_is_not_json_is_40002(client: InMemorySandbox) -> None:
    assert code(client.post(SEND, headers=AUTH, content=b"not json")) == 40002


def test_text_is_limited_to_6000_characters(client: InMemorySandbox) -> None:
    conversation = opened(client)
    assert code(client.post(SEND, headers=AUTH, json=text(conversation, "é" * 6000))) == 0
    assert code(client.post(SEND, headers=AUTH, json=text(conversation, "é" * 6001))) == 40002


def test_a_path_without_its_trailing_slash_is_a_404(client: InMemorySandbox) -> None:
    response = client.post(SEND.rstrip("/"), headers=AUTH, json=text(opened(client)))
    assert response.status_code == 404


def test_a_conversation_no_customer_opened_is_blocked_by_dm_rules(client: InMemorySandbox) -> None:
    response = client.post(SEND, headers=AUTH, json=text("never-opened"))
    assert code(response) == 40064
    assert not client.emulator.ledger.entries(direction="outbound")


def test_the_window_closes_48_hours_after_the_customer_s_last_message(
    client: InMemorySandbox,
) -> None:
    conversation = opened(client)
    client.emulator.clock.advance(47.9 * 3600)
    assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 0
    client.emulator.clock.advance(0.2 * 3600)
    assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 40064


def test_ten_business_messages_per_window_then_the_customer_must_write(make_client: Any) -> None:
    client = make_client({"tiktok": {"rate": "1000/second"}})  # the window rule, not the QPS
    conversation = opened(client)
    for _ in range(10):
        assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 0
    assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 40064
    client.emulator.customers.tiktok_message("still there?", conversation_id=conversation)
    assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 0


def test_the_window_error_code_is_configurable(make_client: Any) -> None:
    client = make_client({"tiktok": {"window_error_code": 40007}})
    assert code(client.post(SEND, headers=AUTH, json=text("never-opened"))) == 40007


def test_the_app_rate_limit_answers_40100_inside_http_200(make_client: Any) -> None:
    # per minute, not per second: a slow CI machine must not turn this into a timing test
    client = make_client({"tiktok": {"rate": "5/minute"}})
    conversation = opened(client)
    codes = [code(client.post(SEND, headers=AUTH, json=text(conversation))) for _ in range(6)]
    assert codes == [0, 0, 0, 0, 0, 40100]


def test_sandbox_mode_limits_each_endpoint_separately(make_client: Any) -> None:
    client = make_client({"tiktok": {"sandbox_mode": True, "sandbox_rate": "1/minute"}})
    conversation = opened(client)
    assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 0
    listed = client.get(CONVERSATIONS, headers=AUTH, params={"business_id": BUSINESS})
    assert code(listed) == 0, "another endpoint has its own budget"
    assert code(client.post(SEND, headers=AUTH, json=text(conversation))) == 40100


def test_a_moving_window_frees_up_as_time_passes() -> None:
    gate = RateGate()
    assert [gate.allow("2/second", "app") for _ in range(3)] == [True, True, False]
    assert gate.allow("2/second", "other-app"), "each key has its own budget"
    time.sleep(1.05)
    assert gate.allow("2/second", "app")


def upload(client: InMemorySandbox, data: bytes, media_type: str = "IMAGE") -> httpx.Response:
    return client.post(
        UPLOAD,
        headers=AUTH,
        data={"business_id": BUSINESS, "media_type": media_type},
        files={"file": ("photo", data, "application/octet-stream")},
    )


@pytest.mark.parametrize("image", [PNG, JPEG], ids=["png", "jpeg"])
def test_an_uploaded_image_can_be_sent_by_media_id(client: InMemorySandbox, image: bytes) -> None:
    response = upload(client, image)
    assert code(response) == 0
    media_id = response.json()["data"]["media_id"]
    body = text(opened(client)) | {"message_type": "IMAGE", "image": {"media_id": media_id}}
    del body["text"]
    assert code(client.post(SEND, headers=AUTH, json=body)) == 0
    assert [e.kind for e in client.emulator.ledger.entries(direction="outbound")] == [
        "media",
        "message",
    ]


def test_an_image_never_uploaded_is_40007(client: InMemorySandbox) -> None:
    body = text(opened(client)) | {"message_type": "IMAGE", "image": {"media_id": "123"}}
    del body["text"]
    assert code(client.post(SEND, headers=AUTH, json=body)) == 40007


def test_an_upload_that_is_not_jpeg_or_png_is_40908(client: InMemorySandbox) -> None:
    assert code(upload(client, b"GIF89a" + b"\x00" * 32)) == 40908


def test_an_upload_over_3_mb_is_40002(client: InMemorySandbox) -> None:
    assert code(upload(client, PNG + b"\x00" * (3 * 1024 * 1024))) == 40002


def test_an_upload_with_another_media_type_is_40002(client: InMemorySandbox) -> None:
    assert code(upload(client, PNG, media_type="VIDEO")) == 40002


def test_the_conversation_list_pages_with_cursor_and_has_more(client: InMemorySandbox) -> None:
    opened_ids = {opened(client) for _ in range(3)}
    params = {"business_id": BUSINESS, "page_size": "2"}
    first = client.get(CONVERSATIONS, headers=AUTH, params=params).json()["data"]
    assert first["has_more"] is True
    assert len(first["conversations"]) == 2
    second = client.get(
        CONVERSATIONS, headers=AUTH, params=params | {"cursor": first["cursor"]}
    ).json()["data"]
    assert second["has_more"] is False
    listed = {c["conversation_id"] for c in first["conversations"] + second["conversations"]}
    assert listed == opened_ids


def test_the_content_list_returns_the_20_most_recent_messages(client: InMemorySandbox) -> None:
    conversation = opened(client)
    for i in range(24):
        client.emulator.customers.tiktok_message(f"m{i}", conversation_id=conversation)
    response = client.get(
        CONTENT, headers=AUTH, params={"business_id": BUSINESS, "conversation_id": conversation}
    )
    messages = response.json()["data"]["messages"]
    assert len(messages) == 20
    assert messages[0]["text"] == {"body": "m23"}, "newest first"


def test_the_content_list_of_an_unknown_conversation_is_40007(client: InMemorySandbox) -> None:
    params = {"business_id": BUSINESS, "conversation_id": "nope"}
    assert code(client.get(CONTENT, headers=AUTH, params=params)) == 40007
