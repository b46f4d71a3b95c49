"""WhatsApp Cloud API and Messenger Send API as emulated: one test per rule and error code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mmtkit.sandbox.config import SandboxConfig
from mmtkit.sandbox.inmemory import InMemorySandbox

DEFAULTS = SandboxConfig()
PHONE_ID = next(iter(DEFAULTS.whatsapp.phone_numbers))
PAGE_ID = next(iter(DEFAULTS.messenger.page_tokens))
WA = f"/v21.0/{PHONE_ID}/messages"
MS = f"/v21.0/{PAGE_ID}/messages"
WA_AUTH = {"Authorization": f"Bearer {DEFAULTS.whatsapp.access_token}"}
MS_AUTH = {"Authorization": f"Bearer {DEFAULTS.messenger.page_tokens[PAGE_ID]}"}


def wa_text(to: str, body: str = "Hello") -> dict[str, Any]:
    # The reference's example request.
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body, "preview_url": False},
        "biz_opaque_callback_data": "order-991",
    }


def ms_text(psid: str, body: str = "hello", **extra: Any) -> dict[str, Any]:
    base = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": body}}
    return base | extra


def graph_error(response: httpx.Response) -> tuple[int, int | None]:
    assert response.status_code in (400, 401)
    error = response.json()["error"]
    assert {"message", "type", "code", "fbtrace_id"} <= set(error)
    return error["code"], error.get("error_subcode")


def customer(client: InMemorySandbox) -> str:
    return client.emulator.customers.whatsapp_message("Hi").customer


def psid(client: InMemorySandbox) -> str:
    return client.emulator.customers.messenger_message("Hi").customer


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_reply_in_the_window_returns_contacts_and_a_wamid(client: InMemorySandbox) -> None:
    to = customer(client)
    response = client.post(WA, headers=WA_AUTH, json=wa_text(to))
    assert response.status_code == 200
    body = response.json()
    assert body["contacts"] == [{"input": to, "wa_id": to}]
    assert body["messages"][0]["id"].startswith("wamid.")
    [entry] = client.emulator.ledger.entries(platform="whatsapp", direction="outbound")
    assert entry.idempotency["biz_opaque_callback_data"] == "order-991"


def test_whatsapp_accepts_the_token_as_a_query_parameter(client: InMemorySandbox) -> None:
    params = {"access_token": DEFAULTS.whatsapp.access_token}
    assert client.post(WA, params=params, json=wa_text(customer(client))).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}], ids=["none", "bad"])
def test_whatsapp_without_a_valid_token_is_190(
    client: InMemorySandbox, headers: dict[str, str]
) -> None:
    response = client.post(WA, headers=headers, json=wa_text(customer(client)))
    assert response.status_code == 401
    assert graph_error(response) == (190, None)


def test_an_unknown_object_id_is_100_subcode_33(client: InMemorySandbox) -> None:
    response = client.post("/v21.0/999/messages", headers=WA_AUTH, json=wa_text("1"))
    assert graph_error(response) == (100, 33)


def test_a_malformed_version_is_refused(client: InMemorySandbox) -> None:
    response = client.post(f"/21/{PHONE_ID}/messages", headers=WA_AUTH, json=wa_text("1"))
    assert graph_error(response)[0] == 2500


@pytest.mark.parametrize("missing", ["messaging_product", "to", "type", "text"])
def test_a_missing_required_parameter_is_131008(client: InMemorySandbox, missing: str) -> None:
    body = wa_text(customer(client))
    del body[missing]
    assert graph_error(client.post(WA, headers=WA_AUTH, json=body))[0] == 131008


def test_a_wrong_messaging_product_is_131009(client: InMemorySandbox) -> None:
    body = wa_text(customer(client)) | {"messaging_product": "sms"}
    assert graph_error(client.post(WA, headers=WA_AUTH, json=body))[0] == 131009


def test_whatsapp_text_is_limited_to_4096_characters(client: InMemorySandbox) -> None:
    to = customer(client)
    assert client.post(WA, headers=WA_AUTH, json=wa_text(to, "x" * 4096)).status_code == 200
    too_long = client.post(WA, headers=WA_AUTH, json=wa_text(to, "x" * 4097))
    assert graph_error(too_long)[0] == 131009


def test_an_unknown_message_type_is_131051(client: InMemorySandbox) -> None:
    body = wa_text(customer(client)) | {"type": "hologram", "hologram": {}}
    assert graph_error(client.post(WA, headers=WA_AUTH, json=body))[0] == 131051


def test_a_customer_who_never_wrote_cannot_get_free_form_text_131047(
    client: InMemorySandbox,
) -> None:
    response = client.post(WA, headers=WA_AUTH, json=wa_text("15550009999"))
    assert graph_error(response)[0] == 131047


def test_the_whatsapp_window_closes_after_24_hours(client: InMemorySandbox) -> None:
    to = customer(client)
    client.emulator.clock.advance(24 * 3600 + 1)
    assert graph_error(client.post(WA, headers=WA_AUTH, json=wa_text(to)))[0] == 131047


def test_a_template_may_be_sent_outside_the_window(client: InMemorySandbox) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "15550009999",
        "type": "template",
        "template": {"name": "order_update", "language": {"code": "en_US"}},
    }
    assert client.post(WA, headers=WA_AUTH, json=body).status_code == 200


def test_a_burst_past_the_pair_allowance_is_pair_rate_131056(
    client: InMemorySandbox,
) -> None:
    """Meta lets a burst through to one customer (default 10 here), then 1 per 6 s."""
    to = customer(client)
    for _ in range(10):
        assert client.post(WA, headers=WA_AUTH, json=wa_text(to)).status_code == 200
    assert graph_error(client.post(WA, headers=WA_AUTH, json=wa_text(to)))[0] == 131056


def test_a_strict_pair_rate_refuses_the_second_message(make_client: Any) -> None:
    client = make_client({"whatsapp": {"pair_burst": 1}})
    to = customer(client)
    assert client.post(WA, headers=WA_AUTH, json=wa_text(to)).status_code == 200
    assert graph_error(client.post(WA, headers=WA_AUTH, json=wa_text(to)))[0] == 131056


def test_the_number_s_throughput_limit_is_130429(make_client: Any) -> None:
    client = make_client({"whatsapp": {"rate": "3/minute", "pair_rate": "100/second"}})
    to = customer(client)
    statuses = [client.post(WA, headers=WA_AUTH, json=wa_text(to)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 400]
    assert graph_error(client.post(WA, headers=WA_AUTH, json=wa_text(to)))[0] == 130429


# --- Messenger ------------------------------------------------------------------------------


def test_messenger_reply_returns_recipient_and_message_id(client: InMemorySandbox) -> None:
    user = psid(client)
    response = client.post(MS, headers=MS_AUTH, json=ms_text(user))
    assert response.status_code == 200
    assert response.json()["recipient_id"] == user
    assert response.json()["message_id"].startswith("m_")


def test_messenger_me_path_and_access_token_parameter(client: InMemorySandbox) -> None:
    params = {"access_token": DEFAULTS.messenger.page_tokens[PAGE_ID]}
    response = client.post("/v21.0/me/messages", params=params, json=ms_text(psid(client)))
    assert response.status_code == 200


def test_messenger_without_a_valid_page_token_is_190(client: InMemorySandbox) -> None:
    response = client.post(MS, headers={"Authorization": "Bearer x"}, json=ms_text(psid(client)))
    assert graph_error(response) == (190, None)


def test_a_token_for_another_page_is_100_subcode_33(make_client: Any) -> None:
    client = make_client({"messenger": {"page_tokens": {"p1": "t1", "p2": "t2"}}})
    user = client.emulator.customers.messenger_message("Hi", page_id="p2").customer
    response = client.post(
        "/v21.0/p2/messages", headers={"Authorization": "Bearer t1"}, json=ms_text(user)
    )
    assert graph_error(response) == (100, 33)


@pytest.mark.parametrize(
    "change",
    [
        {"recipient": None},
        {"messaging_type": None},
        {"messaging_type": "PROMOTION"},
        {"messaging_type": "MESSAGE_TAG", "tag": "SALE"},
        {"message": None},
        {"message": {"attachment": {"type": "image", "payload": {}}}},
    ],
    ids=["no-recipient", "no-type", "bad-type", "bad-tag", "no-message", "bad-attachment"],
)
def test_messenger_parameter_errors_are_100(
    client: InMemorySandbox, change: dict[str, Any]
) -> None:
    body = {k: v for k, v in (ms_text(psid(client)) | change).items() if v is not None}
    assert graph_error(client.post(MS, headers=MS_AUTH, json=body)) == (100, None)


def test_messenger_text_is_limited_to_2000_characters(client: InMemorySandbox) -> None:
    user = psid(client)
    assert client.post(MS, headers=MS_AUTH, json=ms_text(user, "x" * 2000)).status_code == 200
    response = client.post(MS, headers=MS_AUTH, json=ms_text(user, "x" * 2001))
    assert graph_error(response) == (100, None)


def test_messenger_to_someone_who_never_wrote_is_10_subcode_2018278(
    client: InMemorySandbox,
) -> None:
    response = client.post(MS, headers=MS_AUTH, json=ms_text("1234567890"))
    assert graph_error(response) == (10, 2018278)


def test_messenger_standard_window_is_24_hours(client: InMemorySandbox) -> None:
    user = psid(client)
    client.emulator.clock.advance(24 * 3600 + 1)
    assert graph_error(client.post(MS, headers=MS_AUTH, json=ms_text(user))) == (10, 2018278)


def test_human_agent_tag_extends_the_window_to_7_days(client: InMemorySandbox) -> None:
    user = psid(client)
    tagged = ms_text(user, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    client.emulator.clock.advance(3 * 86400)
    assert client.post(MS, headers=MS_AUTH, json=tagged).status_code == 200
    client.emulator.clock.advance(4 * 86400 + 1)
    assert graph_error(client.post(MS, headers=MS_AUTH, json=tagged)) == (10, 2018278)


def test_other_tags_are_allowed_outside_the_window(client: InMemorySandbox) -> None:
    user = psid(client)
    client.emulator.clock.advance(30 * 86400)
    tagged = ms_text(user, messaging_type="MESSAGE_TAG", tag="POST_PURCHASE_UPDATE")
    assert client.post(MS, headers=MS_AUTH, json=tagged).status_code == 200


def test_a_sender_action_is_answered_without_a_message_id(client: InMemorySandbox) -> None:
    user = psid(client)
    body = {"recipient": {"id": user}, "messaging_type": "RESPONSE", "sender_action": "typing_on"}
    response = client.post(MS, headers=MS_AUTH, json=body)
    assert response.json() == {"recipient_id": user}
    assert not client.emulator.ledger.entries(platform="messenger", direction="outbound")


def test_the_page_rate_limit_is_613(make_client: Any) -> None:
    client = make_client({"messenger": {"rate": "2/minute"}})
    user = psid(client)
    for _ in range(2):
        assert client.post(MS, headers=MS_AUTH, json=ms_text(user)).status_code == 200
    assert graph_error(client.post(MS, headers=MS_AUTH, json=ms_text(user))) == (613, None)
