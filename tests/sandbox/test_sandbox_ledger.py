"""The ledger and the control API: proving nothing was lost or sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.sandbox import Sandbox, SandboxConfig
from mmtkit.sandbox.conversations import Conversations, SendVerdict

DEFAULTS = SandboxConfig()
BUSINESS = "sandbox-business"
AUTH = {"Access-Token": DEFAULTS.tiktok.access_tokens[BUSINESS]}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def send(sb: Sandbox, http: httpx.Client, conversation: str, **headers: str) -> httpx.Response:
    body = {
        "business_id": BUSINESS,
        "recipient_type": "CONVERSATION",
        "recipient": conversation,
        "message_type": "TEXT",
        "text": {"body": "hello"},
    }
    url = sb.tiktok_base_url + "business/message/send/"
    return http.post(url, headers=AUTH | headers, json=body)


def test_the_ledger_is_readable_over_http_with_filters(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    opened = sandbox.customers.tiktok_message("hi")
    message_id = send(sandbox, http, opened.conversation_id).json()["data"]["message"]["message_id"]
    everything = http.get(f"{sandbox.base_url}/_sandbox/ledger").json()
    assert everything["count"] == 2
    outbound = http.get(
        f"{sandbox.base_url}/_sandbox/ledger", params={"direction": "outbound"}
    ).json()
    [entry] = outbound["entries"]
    assert entry["platform_id"] == message_id
    assert entry["conversation"] == opened.conversation_id
    assert entry["platform"] == "tiktok"
    assert entry["answered_late"] is False
    assert entry["seq"] == 2


def test_an_idempotency_key_is_recorded_and_doubles_are_found(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    conversation = sandbox.customers.open_conversation("tiktok").conversation_id
    send(sandbox, http, conversation, **{"Idempotency-Key": "k1"})
    send(sandbox, http, conversation, **{"Idempotency-Key": "k2"})
    send(sandbox, http, conversation, **{"Idempotency-Key": "k1"})
    assert sandbox.ledger.duplicates("idempotency_key") == {"k1": 2}


def test_the_clock_can_be_advanced_over_http(sandbox: Sandbox, http: httpx.Client) -> None:
    conversation = sandbox.customers.open_conversation("tiktok").conversation_id
    moved = http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advance_seconds": 49 * 3600})
    assert moved.status_code == 200
    assert send(sandbox, http, conversation).json()["code"] == 40064
    backwards = http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advance_seconds": -1})
    assert backwards.status_code == 400


def test_reset_forgets_conversations_and_the_ledger(sandbox: Sandbox, http: httpx.Client) -> None:
    conversation = sandbox.customers.tiktok_message("hi").conversation_id
    assert http.post(f"{sandbox.base_url}/_sandbox/reset").status_code == 200
    assert len(sandbox.ledger) == 0
    assert send(sandbox, http, conversation).json()["code"] == 40064


def test_deliveries_are_listed(receiver: Any, http: httpx.Client) -> None:
    with Sandbox({"gateway_url": receiver.url}) as sb:
        sb.customers.messenger_message("Hi")
        listed = http.get(f"{sb.base_url}/_sandbox/deliveries").json()
    assert listed["attempts"][0]["platform"] == "messenger"
    assert listed["attempts"][0]["status"] == 200


# --- the window/quota rules as a state machine, against a plain model ------------------------

ops = st.lists(
    st.tuples(st.sampled_from(["write", "send"]), st.floats(0, 100, allow_nan=False)),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(ops=ops, window=st.floats(1, 50), quota=st.integers(1, 5))
def test_try_send_matches_a_model_of_window_and_quota(
    ops: list[tuple[str, float]], window: float, quota: int
) -> None:
    conversations = Conversations()
    now = 0.0
    last_write: float | None = None
    sent = 0
    for op, step in ops:
        now += step
        if op == "write":
            conversations.customer_wrote("tiktok", "b", "c", "u", now)
            last_write, sent = now, 0
            continue
        verdict = conversations.try_send(
            "tiktok", "b", "c", now=now, window_seconds=window, quota=quota
        )
        if last_write is None:
            expected = SendVerdict.NOT_OPENED
        elif now > last_write + window:
            expected = SendVerdict.WINDOW_CLOSED
        elif sent >= quota:
            expected = SendVerdict.QUOTA_USED
        else:
            expected = SendVerdict.OK
            sent += 1
        assert verdict is expected
