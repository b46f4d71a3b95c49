"""The conversion APIs as emulated: TikTok Events API 2.0 and Meta's Conversions API."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mmtkit.sandbox.config import SandboxConfig
from mmtkit.sandbox.inmemory import InMemorySandbox

DEFAULTS = SandboxConfig()
TRACK = "/open_api/v1.3/event/track/"
EVENTS_AUTH = {"Access-Token": DEFAULTS.tiktok.events_access_token}
DATASET = DEFAULTS.meta_capi.datasets[0]
CAPI = f"/v21.0/{DATASET}/events"
CAPI_AUTH = {"Authorization": f"Bearer {DEFAULTS.meta_capi.access_token}"}


def tiktok_event(**change: Any) -> dict[str, Any]:
    # The reference's example, with a current event_time.
    event = {
        "event": "CompletePayment",
        "event_time": int(time.time()),
        "event_id": "order-991",
        "user": {"ttclid": "E.C.P...", "external_id": "a" * 64, "phone": "b" * 64},
        "properties": {"currency": "USD", "value": 46},
    } | change
    return {
        "event_source": "web",
        "event_source_id": "PIXEL_CODE",
        "test_event_code": "TEST123",
        "data": [{k: v for k, v in event.items() if v is not None}],
    }


def meta_event(**change: Any) -> dict[str, Any]:
    event = {
        "event_name": "Purchase",
        "event_time": int(time.time()),
        "event_id": "conv42:Purchase",
        "action_source": "business_messaging",
        "messaging_channel": "whatsapp",
        "user_data": {"whatsapp_business_account_id": "WABA_ID", "ctwa_clid": "ARAk"},
        "custom_data": {"currency": "USD", "value": 123},
    } | change
    return {"data": [{k: v for k, v in event.items() if v is not None}], "partner_agent": "x"}


def tiktok_code(response: httpx.Response) -> int:
    assert response.status_code == 200
    return int(response.json()["code"])


def test_a_tiktok_event_is_accepted_and_kept_with_its_event_id(client: InMemorySandbox) -> None:
    assert tiktok_code(client.post(TRACK, headers=EVENTS_AUTH, json=tiktok_event())) == 0
    [entry] = client.emulator.ledger.entries(platform="tiktok_events", kind="event")
    assert entry.idempotency == {"event_id": "order-991"}
    assert entry.account == "PIXEL_CODE"


def test_an_event_reported_twice_shows_as_a_duplicate(client: InMemorySandbox) -> None:
    for _ in range(2):
        client.post(TRACK, headers=EVENTS_AUTH, json=tiktok_event())
    assert client.emulator.ledger.duplicates("event_id") == {"order-991": 2}


def test_the_events_api_without_a_token_is_40104(client: InMemorySandbox) -> None:
    assert tiktok_code(client.post(TRACK, json=tiktok_event())) == 40104


def test_the_messaging_token_is_not_an_events_token(client: InMemorySandbox) -> None:
    headers = {"Access-Token": DEFAULTS.tiktok.access_tokens["sandbox-business"]}
    assert tiktok_code(client.post(TRACK, headers=headers, json=tiktok_event())) == 40105


@pytest.mark.parametrize(
    "body",
    [
        tiktok_event(event=None),
        tiktok_event(event_time=None),
        tiktok_event(event_time=int(time.time() * 1000)),
        tiktok_event() | {"event_source": "tv"},
        tiktok_event() | {"event_source_id": ""},
        tiktok_event() | {"data": []},
    ],
    ids=["no-event", "no-time", "milliseconds", "source", "source-id", "empty"],
)
def test_tiktok_event_parameter_errors_are_40002(
    client: InMemorySandbox, body: dict[str, Any]
) -> None:
    assert tiktok_code(client.post(TRACK, headers=EVENTS_AUTH, json=body)) == 40002
    assert not client.emulator.ledger.entries()


def test_the_events_rate_limit_is_40100(make_client: Any) -> None:
    client = make_client({"tiktok": {"events_rate": "2/minute"}})
    codes = [
        tiktok_code(client.post(TRACK, headers=EVENTS_AUTH, json=tiktok_event())) for _ in range(3)
    ]
    assert codes == [0, 0, 40100]


def test_a_conversions_api_batch_is_acknowledged(client: InMemorySandbox) -> None:
    response = client.post(CAPI, headers=CAPI_AUTH, json=meta_event())
    assert response.status_code == 200
    assert response.json()["events_received"] == 1
    [entry] = client.emulator.ledger.entries(platform="meta_capi")
    assert entry.idempotency == {"event_id": "conv42:Purchase"}


def test_conversions_api_data_may_be_a_json_string(client: InMemorySandbox) -> None:
    import json

    body = meta_event()
    body["data"] = json.dumps(body["data"])
    assert client.post(CAPI, headers=CAPI_AUTH, json=body).json()["events_received"] == 1


def test_a_messenger_event_needs_page_and_page_scoped_user_id(client: InMemorySandbox) -> None:
    ok = meta_event(
        messaging_channel="messenger",
        user_data={"page_id": "p", "page_scoped_user_id": "psid"},
    )
    assert client.post(CAPI, headers=CAPI_AUTH, json=ok).status_code == 200
    missing = meta_event(messaging_channel="messenger", user_data={"page_id": "p"})
    response = client.post(CAPI, headers=CAPI_AUTH, json=missing)
    assert response.json()["error"]["code"] == 100
    assert "page_scoped_user_id" in response.json()["error"]["error_user_msg"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"action_source": "website"}, "action_source"),
        ({"messaging_channel": "sms"}, "messaging_channel"),
        ({"user_data": {"whatsapp_business_account_id": "W"}}, "ctwa_clid"),
        ({"event_time": int(time.time()) - 8 * 86400}, "event_time"),
        ({"event_name": None}, "event_name"),
    ],
    ids=["action-source", "channel", "ctwa-clid", "too-old", "no-name"],
)
def test_conversions_api_errors_are_100_and_name_the_field(
    client: InMemorySandbox, change: dict[str, Any], named: str
) -> None:
    response = client.post(CAPI, headers=CAPI_AUTH, json=meta_event(**change))
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, 100)
    assert named in error["error_user_msg"]
    assert not client.emulator.ledger.entries()


def test_conversions_api_auth_and_dataset(client: InMemorySandbox) -> None:
    bad_token = client.post(CAPI, headers={"Authorization": "Bearer x"}, json=meta_event())
    assert bad_token.json()["error"]["code"] == 190
    unknown = client.post("/v21.0/42/events", headers=CAPI_AUTH, json=meta_event())
    assert unknown.json()["error"]["error_subcode"] == 33
