"""Properties of both Graph adapters: hostile bytes never crash them, parsing is
deterministic, every response gets exactly one outcome, signatures bind the exact bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmtkit.adapter import Adapter, Ambiguous, HttpResponse, Rejected, Retryable, Sent, Throttled
from mmtkit.adapters.messenger import MessengerAdapter
from mmtkit.adapters.whatsapp import WhatsAppAdapter
from mmtkit.errors import MalformedWebhook, SignatureError, WebhookError

FIXTURES = Path(__file__).parent.parent / "fixtures"
ADAPTERS: list[Adapter] = [WhatsAppAdapter(app_secret="s"), MessengerAdapter(app_secret="s")]
ADAPTER_IDS = ["whatsapp", "messenger"]
WEBHOOKS = [
    (adapter, json.loads(path.read_text()))
    for adapter, platform in zip(ADAPTERS, ADAPTER_IDS, strict=True)
    for path in sorted((FIXTURES / platform).rglob("*.json"))
    if "webhook" in path.name or path.parent.name == "webhooks"
]

fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["1749416383", "text", "image", "ad", "page", "messages", "is_echo"])
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["object", "entry", "changes", "value", "messages", "statuses", "messaging",
             "sender", "recipient", "id", "from", "timestamp", "type", "text", "message",
             "delivery", "read", "referral", "postback", "is_echo", "mids", "watermark",
             "contacts", "metadata", "errors", "field", "image", "context"]
        )
        | st.text(max_size=8),
        children,
        max_size=5,
    ),
    max_leaves=25,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(node))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return copy


def _parse_or_webhook_error(adapter: Adapter, body: bytes) -> list[Any] | None:
    try:
        return adapter.parse_webhook(body)
    except WebhookError:
        return None


@pytest.mark.parametrize("adapter", ADAPTERS, ids=ADAPTER_IDS)
@fast
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_raise_nothing_but_webhook_errors(adapter: Adapter, body: bytes) -> None:
    _parse_or_webhook_error(adapter, body)


@pytest.mark.parametrize("adapter", ADAPTERS, ids=ADAPTER_IDS)
@fast
@given(document=json_values)
def test_arbitrary_json_raises_nothing_but_webhook_errors(adapter: Adapter, document: Any) -> None:
    _parse_or_webhook_error(adapter, json.dumps(document).encode())


@fast
@given(data=st.data())
def test_mutated_real_webhooks_raise_nothing_but_webhook_errors(data: st.DataObject) -> None:
    """Valid bodies with one subtree swapped for arbitrary JSON reach deep into the parsers."""
    adapter, document = data.draw(st.sampled_from(WEBHOOKS))
    path = data.draw(st.sampled_from(_paths(document)))
    mutated = _replace(document, path, data.draw(json_values))
    body = json.dumps(mutated).encode()
    first = _parse_or_webhook_error(adapter, body)
    assert _parse_or_webhook_error(adapter, body) == first  # deterministic


def test_deeply_nested_json_is_malformed_not_a_crash() -> None:
    for adapter in ADAPTERS:
        with pytest.raises(MalformedWebhook):
            adapter.parse_webhook(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize(("adapter", "document"), WEBHOOKS)
def test_parsing_real_webhooks_is_deterministic(adapter: Adapter, document: Any) -> None:
    body = json.dumps(document).encode()
    assert adapter.parse_webhook(body) == adapter.parse_webhook(body)
    assert adapter.parse_webhook(body)  # every fixture yields at least one event


headers = st.dictionaries(
    st.sampled_from(["Retry-After", "X-Business-Use-Case-Usage", "X-App-Usage", "X-Other"]),
    st.text(max_size=30) | json_values.map(json.dumps),
    max_size=3,
)
error_bodies = st.builds(
    lambda code, subcode, message: {
        "error": {"code": code, "error_subcode": subcode, "message": message}
    },
    json_leaves,
    json_leaves,
    json_leaves,
)
bodies = st.binary(max_size=100) | (json_values | error_bodies).map(
    lambda d: json.dumps(d).encode()
)


@pytest.mark.parametrize("adapter", ADAPTERS, ids=ADAPTER_IDS)
@fast
@given(status=st.integers(100, 599), headers=headers, body=bodies)
def test_every_response_gets_exactly_one_outcome(
    adapter: Adapter, status: int, headers: dict[str, str], body: bytes
) -> None:
    outcome = adapter.classify(HttpResponse(status=status, headers=headers, body=body))
    assert isinstance(outcome, Sent | Throttled | Retryable | Rejected | Ambiguous)
    if isinstance(outcome, Throttled) and outcome.retry_after is not None:
        assert outcome.retry_after >= 0
    if isinstance(outcome, Sent):
        assert 200 <= status < 300


@pytest.mark.parametrize("adapter", ADAPTERS, ids=ADAPTER_IDS)
@fast
@given(body=st.binary(max_size=200), flip=st.integers(min_value=0))
def test_signature_binds_the_exact_bytes(adapter: Adapter, body: bytes, flip: int) -> None:
    signed = adapter.sign_webhook(body, now=0)
    adapter.verify_webhook(signed, body)
    if body:
        index = flip % len(body)
        tampered = body[:index] + bytes([body[index] ^ 1]) + body[index + 1 :]
        with pytest.raises(SignatureError):
            adapter.verify_webhook(signed, tampered)


# --- generated valid webhooks round-trip into the events they describe ---------------------------

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-=", min_size=1, max_size=24)
bodies_text = st.text(max_size=60)
seconds = st.integers(min_value=0, max_value=4_102_444_800)  # up to 2100


def _at(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@fast
@given(
    messages=st.lists(st.tuples(ids, ids, seconds, bodies_text), min_size=1, max_size=4),
    with_user_id=st.booleans(),
)
def test_generated_whatsapp_text_messages_round_trip(
    messages: list[tuple[str, str, int, str]], with_user_id: bool
) -> None:
    contacts = [
        {"profile": {"name": "x"}, "wa_id": sender, **({"user_id": "US.1"} if with_user_id else {})}
        for _, sender, _, _ in messages
    ]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": "PN"},
        "contacts": contacts,
        "messages": [
            {"from": frm, "id": mid, "timestamp": str(ts), "type": "text", "text": {"body": text}}
            for mid, frm, ts, text in messages
        ],
    }
    document = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "W", "changes": [{"field": "messages", "value": value}]}],
    }
    events = WhatsAppAdapter().parse_webhook(json.dumps(document).encode())
    assert [
        (e.platform_message_id, e.customer_id, e.conversation_id, e.timestamp, e.text)
        for e in events
    ] == [(mid, frm, frm, _at(ts), text) for mid, frm, ts, text in messages]
    assert all(e.account_id == "PN" for e in events)


@fast
@given(items=st.lists(st.tuples(ids, ids, seconds, bodies_text), min_size=1, max_size=4))
def test_generated_messenger_messages_round_trip_with_millisecond_time(
    items: list[tuple[str, str, int, str]],
) -> None:
    document = {
        "object": "page",
        "entry": [
            {
                "id": "PAGE",
                "time": 0,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": "PAGE"},
                        "timestamp": ts * 1000 + 123,
                        "message": {"mid": mid, "text": text},
                    }
                    for mid, psid, ts, text in items
                ],
            }
        ],
    }
    events = MessengerAdapter().parse_webhook(json.dumps(document).encode())
    assert [(e.platform_message_id, e.customer_id, e.timestamp, e.text) for e in events] == [
        (mid, psid, _at(ts) + timedelta(milliseconds=123), text) for mid, psid, ts, text in items
    ]
