"""Fault injection over real HTTP: what a client sees when the platform misbehaves."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.sandbox import Sandbox, SandboxConfig
from mmtkit.sandbox.config import FaultConfig
from mmtkit.sandbox.faults import FaultPicker
from mmtkit.sandbox.inmemory import InMemorySandbox

DEFAULTS = SandboxConfig()
BUSINESS = "sandbox-business"
AUTH = {"Access-Token": DEFAULTS.tiktok.access_tokens[BUSINESS]}
PHONE_ID = next(iter(DEFAULTS.whatsapp.phone_numbers))
WA_AUTH = {"Authorization": f"Bearer {DEFAULTS.whatsapp.access_token}"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def send(sb: Sandbox, http: httpx.Client, conversation: str, **kwargs: Any) -> httpx.Response:
    body = {
        "business_id": BUSINESS,
        "recipient_type": "CONVERSATION",
        "recipient": conversation,
        "message_type": "TEXT",
        "text": {"body": "hello"},
    }
    url = sb.tiktok_base_url + "business/message/send/"
    return http.post(url, headers=AUTH, json=body, **kwargs)


def opened(sb: Sandbox) -> str:
    return sb.customers.open_conversation("tiktok").conversation_id


def test_a_server_error_is_a_5xx_and_nothing_is_recorded(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.set_faults("tiktok.send", sequence=["server_error"], server_error_status=502)
    assert send(sandbox, http, opened(sandbox)).status_code == 502
    assert not sandbox.ledger.entries(direction="outbound")


THROTTLED = [
    ("tiktok.send", "/open_api/v1.3/business/message/send/", lambda r: r.json()["code"], 40100),
    (
        "tiktok.media_upload",
        "/open_api/v1.3/business/message/media/upload/",
        lambda r: r.json()["code"],
        40100,
    ),
    ("tiktok.events", "/open_api/v1.3/event/track/", lambda r: r.json()["code"], 40100),
    ("whatsapp.send", f"/v21.0/{PHONE_ID}/messages", lambda r: r.json()["error"]["code"], 130429),
    ("messenger.send", "/v21.0/me/messages", lambda r: r.json()["error"]["code"], 613),
    ("meta.events", "/v21.0/300000000000001/events", lambda r: r.json()["error"]["code"], 4),
]


@pytest.mark.parametrize(
    ("route", "path", "read", "expected"), THROTTLED, ids=[t[0] for t in THROTTLED]
)
def test_a_throttle_fault_answers_like_the_platform(
    route: str, path: str, read: Any, expected: int
) -> None:
    client = InMemorySandbox({"faults": {route: {"sequence": ["throttle"]}}})
    assert read(client.post(path, json={})) == expected
    assert not client.emulator.ledger.entries()


def test_a_dropped_connection_breaks_the_response(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.set_faults("tiktok.send", sequence=["drop"])
    # The connection closes without an answer; depending on timing the client sees the close
    # (RemoteProtocolError) or a reset (ReadError). Either way: no response.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        send(sandbox, http, opened(sandbox))
    assert not sandbox.ledger.entries(direction="outbound")


def test_a_slow_answer_takes_at_least_slow_seconds(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.set_faults("tiktok.send", sequence=["slow"], slow_seconds=0.3)
    started = time.perf_counter()
    assert send(sandbox, http, opened(sandbox)).json()["code"] == 0
    assert time.perf_counter() - started >= 0.3


def test_processed_then_timeout_keeps_the_message_but_the_client_times_out(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.set_faults("tiktok.send", sequence=["processed_then_timeout"], late_answer_seconds=0.5)
    conversation = opened(sandbox)
    with pytest.raises(httpx.ReadTimeout):
        send(sandbox, http, conversation, timeout=0.2)
    [entry] = sandbox.ledger.entries(direction="outbound")
    assert entry.answered_late is True
    assert entry.conversation == conversation
    time.sleep(0.4)  # let the late answer go out before the server stops


def test_a_scripted_sequence_plays_in_order_then_stops(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.set_faults("tiktok.send", sequence=["server_error", "throttle", "ok", "server_error"])
    conversation = opened(sandbox)
    seen = []
    for _ in range(5):
        response = send(sandbox, http, conversation)
        seen.append(
            response.status_code if response.status_code != 200 else response.json()["code"]
        )
    assert seen == [503, 40100, 0, 503, 0]


def test_faults_can_be_set_over_http(sandbox: Sandbox, http: httpx.Client) -> None:
    url = f"{sandbox.base_url}/_sandbox/faults/tiktok.send"
    assert http.put(url, json={"sequence": ["server_error"]}).status_code == 200
    assert send(sandbox, http, opened(sandbox)).status_code == 503
    bad = http.put(url, json={"server_error": 3})
    assert bad.status_code == 400
    assert "server_error" in bad.json()["error"]
    assert http.put(f"{sandbox.base_url}/_sandbox/faults/nope", json={}).status_code == 404


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), probability=st.floats(0.05, 0.5))
def test_the_same_seed_gives_the_same_faults(seed: int, probability: float) -> None:
    faults = {"tiktok.send": FaultConfig(server_error=probability, drop=probability / 2)}
    first, second = FaultPicker(faults, seed), FaultPicker(faults, seed)
    assert [first.next("tiktok.send") for _ in range(50)] == [
        second.next("tiktok.send") for _ in range(50)
    ]


def test_probabilities_are_honoured_roughly() -> None:
    picker = FaultPicker({"tiktok.send": FaultConfig(server_error=0.2, throttle=0.1)}, seed=7)
    drawn = [picker.next("tiktok.send") for _ in range(5000)]
    assert 0.17 < drawn.count("server_error") / 5000 < 0.23
    assert 0.08 < drawn.count("throttle") / 5000 < 0.12
    assert picker.next("whatsapp.send") is None, "routes without faults are never hit"


# --- webhook faults --------------------------------------------------------------------------


def test_duplicate_delivery_posts_the_same_webhook_twice(receiver: Any) -> None:
    config = {"gateway_url": receiver.url, "webhook_faults": {"duplicate": 1.0}}
    with Sandbox(config) as sb:
        done = sb.customers.tiktok_message("hi")
    assert [a.duplicate for a in done.attempts] == [False, True]
    first, second = receiver.wait_for(2)
    assert first.body == second.body


def test_out_of_order_statuses_deliver_delivered_before_sent(
    receiver: Any, http: httpx.Client
) -> None:
    config = {"gateway_url": receiver.url, "webhook_faults": {"out_of_order_statuses": True}}
    with Sandbox(config) as sb:
        to = sb.customers.whatsapp_message("Hi").customer
        http.post(
            f"{sb.graph_base_url}v21.0/{PHONE_ID}/messages",
            headers=WA_AUTH,
            json={"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "x"}},
        )
        hooks = receiver.wait_for(3)[1:]
    order = [
        json.loads(h.body)["entry"][0]["changes"][0]["value"]["statuses"][0]["status"]
        for h in hooks
    ]
    assert order == ["delivered", "sent"]


def test_delayed_echoes_arrive_after_the_delay(receiver: Any, http: httpx.Client) -> None:
    config = {"gateway_url": receiver.url, "webhook_faults": {"echo_delay_seconds": 0.5}}
    with Sandbox(config) as sb:
        conversation = sb.customers.tiktok_message("hi").conversation_id
        answered = time.monotonic()
        assert send(sb, http, conversation).json()["code"] == 0
        assert len(receiver.wait_for(2, timeout=0.1)) == 1, "no echo before the delay"
        receiver.wait_for(2)
        assert time.monotonic() - answered >= 0.3
