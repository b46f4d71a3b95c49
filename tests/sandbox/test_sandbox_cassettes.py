"""Cassettes: recorded against the sandbox, replayed in CI, and never holding a secret.

``make cassettes`` re-records (``MMTKIT_RECORD_CASSETTES=1``); otherwise the test replays the
committed cassette with ``record_mode="none"`` and fails if a request is missing from it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.sandbox import Sandbox, SandboxConfig
from mmtkit.testing.pytest_plugin import make_vcr
from mmtkit.testing.scrub import (
    PHONE_KEYS,
    SECRET_KEYS,
    USER_ID_KEYS,
    find_secrets,
    scrub_body,
    scrub_json,
)

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
DEFAULTS = SandboxConfig()
BUSINESS = "sandbox-business"
PHONE = "15557654321"
PSID = "7712345678901234"
TIKTOK_USER = "u-private-user"
PAGE_ID = next(iter(DEFAULTS.messenger.page_tokens))
PHONE_ID = next(iter(DEFAULTS.whatsapp.phone_numbers))
KNOWN_SECRETS = [
    *DEFAULTS.tiktok.access_tokens.values(),
    DEFAULTS.tiktok.app_secret,
    DEFAULTS.tiktok.events_access_token,
    DEFAULTS.whatsapp.access_token,
    DEFAULTS.whatsapp.app_secret,
    *DEFAULTS.messenger.page_tokens.values(),
    DEFAULTS.messenger.app_secret,
    DEFAULTS.meta_capi.access_token,
]
PERSONAL = [PHONE, PSID, TIKTOK_USER]


def record_traffic(sb: Sandbox) -> list[httpx.Response]:
    """One call of each kind that carries a secret, a phone number or a user id."""
    conversation = "conv-fixed-for-cassette"
    sb.customers.open_conversation("tiktok", conversation_id=conversation, customer=TIKTOK_USER)
    sb.customers.open_conversation("whatsapp", customer=PHONE)
    sb.customers.open_conversation("messenger", customer=PSID)
    graph = sb.graph_base_url
    with httpx.Client(timeout=5) as http:
        return [
            http.post(
                sb.tiktok_base_url + "business/message/send/",
                headers={"Access-Token": DEFAULTS.tiktok.access_tokens[BUSINESS]},
                json={
                    "business_id": BUSINESS,
                    "recipient_type": "CONVERSATION",
                    "recipient": conversation,
                    "message_type": "TEXT",
                    "text": {"body": "Your order ships today."},
                },
            ),
            http.post(
                sb.tiktok_base_url + "event/track/",
                headers={"Access-Token": DEFAULTS.tiktok.events_access_token},
                json={
                    "event_source": "web",
                    "event_source_id": "PIXEL",
                    "data": [
                        {
                            "event": "CompletePayment",
                            "event_time": int(time.time()),
                            "user": {"external_id": TIKTOK_USER, "ttclid": "E.C.P.secret"},
                        }
                    ],
                },
            ),
            http.post(
                f"{graph}v21.0/{PHONE_ID}/messages",
                headers={"Authorization": f"Bearer {DEFAULTS.whatsapp.access_token}"},
                json={
                    "messaging_product": "whatsapp",
                    "to": PHONE,
                    "type": "text",
                    "text": {"body": "Hello"},
                },
            ),
            http.post(
                f"{graph}v21.0/{PAGE_ID}/messages",
                params={
                    "access_token": DEFAULTS.messenger.page_tokens[PAGE_ID],
                    "appsecret_proof": "f" * 64,
                },
                json={
                    "recipient": {"id": PSID},
                    "messaging_type": "RESPONSE",
                    "message": {"text": "Hello"},
                },
            ),
            http.post(
                f"{graph}v21.0/{DEFAULTS.meta_capi.datasets[0]}/events",
                json={
                    "access_token": DEFAULTS.meta_capi.access_token,
                    "data": [
                        {
                            "event_name": "Purchase",
                            "event_time": int(time.time()),
                            "action_source": "business_messaging",
                            "messaging_channel": "messenger",
                            "user_data": {"page_id": PAGE_ID, "page_scoped_user_id": PSID},
                        }
                    ],
                },
            ),
        ]


def test_recorded_traffic_replays_and_is_scrubbed(mmtkit_sandbox: Sandbox, mmtkit_vcr: Any) -> None:
    with mmtkit_vcr.use_cassette("sandbox_scrubbing.yaml") as cassette:
        responses = record_traffic(mmtkit_sandbox)
    assert [r.status_code for r in responses] == [200] * 5
    assert responses[0].json()["code"] == 0
    assert responses[1].json()["code"] == 0
    assert len(cassette) == 5
    text = (CASSETTES / "sandbox_scrubbing.yaml").read_text()
    assert find_secrets(text, known=KNOWN_SECRETS + PERSONAL) == []
    assert "<scrubbed>" in text
    assert "<phone:" in text
    assert "<user:" in text


def test_no_cassette_holds_a_secret() -> None:
    files = sorted(p for p in CASSETTES.rglob("*") if p.is_file())
    assert files, "tests/cassettes/ should hold at least the sandbox's own cassette"
    leaks = {p.name: find_secrets(p.read_text(errors="replace"), KNOWN_SECRETS) for p in files}
    assert {name: found for name, found in leaks.items() if found} == {}


@pytest.mark.parametrize(
    "leak",
    [
        "Authorization:\n    - Bearer EAAGm0PX4ZCpsBAKZCZBZA12345678",
        '{"access_token": "abc123def456"}',
        "https://graph.facebook.com/v21.0/me/messages?access_token=abcdef123456",
        "    Access-Token:\n    - 8c2f0e7d6a5b4c3d",
        '{"to":"15551234567"}',
        "Tiktok-Signature: t=1633174587,s=0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    ],
)
def test_the_scanner_finds_typical_leaks(leak: str) -> None:
    assert find_secrets(leak) != []


json_leaves = st.text(alphabet="abc xyz", min_size=1, max_size=12) | st.integers() | st.booleans()
sensitive_keys = st.sampled_from(
    ["to", "wa_id", "access_token", "app_secret", "psid", "user_openid", "ctwa_clid", "INPUT"]
)
payloads = st.recursive(
    st.dictionaries(sensitive_keys | st.text(max_size=6), json_leaves, max_size=4),
    lambda inner: (
        st.dictionaries(st.text(max_size=6), inner, max_size=3) | st.lists(inner, max_size=3)
    ),
    max_leaves=10,
)
SENSITIVE = SECRET_KEYS | PHONE_KEYS | USER_ID_KEYS
PEOPLE = {"sender", "recipient", "from_user", "to_user", "user", "contacts"}


def assert_scrubbed(before: Any, after: Any, parent: str | None = None) -> None:
    """Same shape; every scalar under a sensitive key became a placeholder, nothing else moved."""
    if isinstance(before, dict):
        assert set(before) == set(after)
        for key, value in before.items():
            lowered = key.lower()
            scalar = isinstance(value, str | int) and not isinstance(value, bool)
            sensitive = lowered in SENSITIVE or (lowered == "id" and parent in PEOPLE)
            if sensitive and scalar:
                assert str(after[key]).startswith("<"), (key, value, after[key])
            else:
                assert_scrubbed(value, after[key], lowered)
    elif isinstance(before, list):
        assert len(before) == len(after)
        for b, a in zip(before, after, strict=True):
            assert_scrubbed(b, a, parent)
    else:
        assert before == after, "values under other keys are left alone"


@settings(max_examples=100, deadline=None)
@given(payload=payloads, secret=st.text(alphabet="QRSTUVW", min_size=8, max_size=20))
def test_values_under_sensitive_keys_never_survive_scrubbing(payload: Any, secret: str) -> None:
    planted = {"nest": payload, "access_token": secret, "recipient": {"id": secret + "Q"}}
    scrubbed = scrub_json(planted)
    assert secret not in str(scrubbed)
    assert_scrubbed(payload, scrubbed["nest"])
    assert scrub_json(scrubbed) == scrubbed, "scrubbing twice changes nothing more"


def test_tiktok_content_strings_are_scrubbed_inside() -> None:
    body = b'{"content":"{\\"from_user\\":{\\"id\\":\\"u1-private\\"},\\"from\\":\\"alice\\"}"}'
    scrubbed = scrub_body(body)
    assert isinstance(scrubbed, bytes)
    assert b"u1-private" not in scrubbed
    assert b"alice" not in scrubbed


def test_the_vcr_fixture_fails_clearly_without_vcrpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vcr", None)  # what an environment without vcrpy shows
    with pytest.raises(pytest.fail.Exception, match="needs vcrpy"):
        make_vcr({})


def test_the_sandbox_fixture_serves(mmtkit_sandbox: Sandbox) -> None:
    health = httpx.get(f"{mmtkit_sandbox.base_url}/_sandbox/health", timeout=5)
    assert health.json() == {"ok": True}
