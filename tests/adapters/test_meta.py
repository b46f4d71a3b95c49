"""The Meta scheme both Graph adapters share: signatures, the GET handshake, server hints."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from mmtkit.adapter import Ambiguous, HttpResponse, Rejected, RejectionKind, Sent, Throttled
from mmtkit.adapters._meta import (
    classify_graph,
    handshake,
    parse_graph_error,
    retry_hint,
    sign,
    verify_signature,
)
from mmtkit.adapters.messenger import MessengerAdapter
from mmtkit.adapters.whatsapp import WhatsAppAdapter
from mmtkit.errors import ConfigError, HandshakeError, SignatureError

SECRET = "app-secret-123"
BODY = b'{"object":"page","entry":[]}'


def _expected(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- signatures -------------------------------------------------------------------------------


def test_sign_matches_hmac_sha256_of_raw_body() -> None:
    assert sign(SECRET, BODY) == {"X-Hub-Signature-256": _expected(SECRET, BODY)}


def test_right_secret_verifies() -> None:
    verify_signature({"X-Hub-Signature-256": _expected(SECRET, BODY)}, BODY, SECRET)


def test_header_name_is_case_insensitive_and_hex_case_does_not_matter() -> None:
    value = _expected(SECRET, BODY)
    verify_signature({"x-hub-signature-256": "sha256=" + value[7:].upper()}, BODY, SECRET)


def test_wrong_secret_fails() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature({"X-Hub-Signature-256": _expected("other", BODY)}, BODY, SECRET)


def test_tampered_body_fails() -> None:
    headers = {"X-Hub-Signature-256": _expected(SECRET, BODY)}
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(headers, BODY.replace(b"page", b"paGe"), SECRET)


def test_reserialised_json_fails() -> None:
    body = b'{"object": "page",  "entry": []}'
    headers = {"X-Hub-Signature-256": _expected(SECRET, body)}
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    with pytest.raises(SignatureError):
        verify_signature(headers, reserialised, SECRET)


def test_missing_header_fails() -> None:
    with pytest.raises(SignatureError, match="missing"):
        verify_signature({"Content-Type": "application/json"}, BODY, SECRET)


@pytest.mark.parametrize(
    "value",
    [
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no prefix
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        "sha256=" + "zz" * 32,  # not hex
        "sha256=abc123",  # too short
        "sha256=",
        "",
    ],
)
def test_malformed_header_fails(value: str) -> None:
    with pytest.raises(SignatureError):
        verify_signature({"X-Hub-Signature-256": value}, BODY, SECRET)


def test_without_a_secret_verification_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="app_secret"):
        verify_signature({"X-Hub-Signature-256": _expected(SECRET, BODY)}, BODY, None)


@pytest.mark.parametrize("factory", [WhatsAppAdapter, MessengerAdapter])
def test_adapters_sign_and_verify_round_trip_ignoring_now(factory: type) -> None:
    adapter = factory(app_secret=SECRET)
    headers = adapter.sign_webhook(BODY, now=0)
    adapter.verify_webhook(headers, BODY, now=10**9)  # no timestamp: no replay window
    with pytest.raises(SignatureError):
        factory(app_secret="other").verify_webhook(headers, BODY)


def test_secrets_stay_out_of_repr() -> None:
    adapter = WhatsAppAdapter(app_secret=SECRET, verify_token="vt-secret")
    assert SECRET not in repr(adapter)
    assert "vt-secret" not in repr(adapter)


# --- handshake --------------------------------------------------------------------------------


def _query(**overrides: str) -> dict[str, str]:
    query = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    query.update(overrides)
    return query


def test_handshake_returns_the_challenge() -> None:
    assert handshake(_query(), "tok") == "1158201444"


@pytest.mark.parametrize("factory", [WhatsAppAdapter, MessengerAdapter])
def test_adapters_answer_the_handshake(factory: type) -> None:
    assert factory(verify_token="tok").handshake(_query()) == "1158201444"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (_query(**{"hub.verify_token": "nope"}), "does not match"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "does not match"),
        (_query(**{"hub.mode": "unsubscribe"}), "hub.mode"),
        ({"hub.verify_token": "tok", "hub.challenge": "1"}, "hub.mode"),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok"}, "challenge"),
    ],
)
def test_handshake_refusals(query: dict[str, str], message: str) -> None:
    with pytest.raises(HandshakeError, match=message):
        handshake(query, "tok")


def test_handshake_without_configured_token_is_refused() -> None:
    with pytest.raises(HandshakeError, match="verify_token"):
        MessengerAdapter().handshake(_query())


# --- server hints -----------------------------------------------------------------------------


def test_retry_after_seconds() -> None:
    assert retry_hint(HttpResponse(status=429, headers={"Retry-After": "7"})) == 7.0


def test_retry_after_http_date_is_ignored() -> None:
    response = HttpResponse(status=429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})
    assert retry_hint(response) is None


def test_usage_header_minutes_become_seconds_and_the_longest_hint_wins() -> None:
    usage = {
        "1": [{"estimated_time_to_regain_access": 3}],
        "2": [{"estimated_time_to_regain_access": 1}],
    }
    response = HttpResponse(
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(usage), "Retry-After": "60"},
    )
    assert retry_hint(response) == 180.0


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Business-Use-Case-Usage": "not json"},
        {"X-App-Usage": json.dumps({"call_count": 100})},
        {"X-Business-Use-Case-Usage": json.dumps({"1": [{"estimated_time_to_regain_access": 0}]})},
        {"Retry-After": "-5"},
    ],
)
def test_unusable_hints_give_none(headers: dict[str, str]) -> None:
    assert retry_hint(HttpResponse(status=400, headers=headers)) is None


# --- classification details shared by both platforms -------------------------------------------


def _never_sent(_: object) -> Sent | None:
    return None


def test_error_object_wins_over_a_2xx_status() -> None:
    body = json.dumps({"error": {"code": 131047, "message": "Re-engagement message"}}).encode()
    outcome = classify_graph(HttpResponse(status=200, body=body), _never_sent)
    assert outcome == Rejected(
        code="131047",
        reason="Graph error 131047: Re-engagement message",
        kind=RejectionKind.WINDOW_CLOSED,
    )


def test_a_2xx_nobody_can_read_is_ambiguous_not_sent() -> None:
    outcome = classify_graph(HttpResponse(status=201, body=b"{}"), _never_sent)
    assert isinstance(outcome, Ambiguous)


def test_reason_names_code_subcode_and_trace_but_is_bounded() -> None:
    body = json.dumps(
        {"error": {"code": 10, "error_subcode": 2018278, "message": "x" * 1000, "fbtrace_id": "T1"}}
    ).encode()
    outcome = classify_graph(HttpResponse(status=400, body=body), _never_sent)
    assert isinstance(outcome, Rejected)
    assert outcome.kind is RejectionKind.WINDOW_CLOSED
    assert "subcode 2018278" in outcome.reason
    assert "fbtrace_id T1" in outcome.reason
    assert len(outcome.reason) < 300


def test_extra_throttle_codes_are_account_scoped() -> None:
    body = json.dumps({"error": {"code": 17, "message": "User request limit reached"}}).encode()
    response = HttpResponse(status=400, body=body)
    assert isinstance(classify_graph(response, _never_sent), Rejected)
    throttled = classify_graph(response, _never_sent, throttle_codes=frozenset({17}))
    assert throttled == Throttled(
        code="17", scope="account", reason="Graph error 17: User request limit reached"
    )


def test_a_unicode_digit_in_an_error_code_is_not_a_code() -> None:
    # "²" passes str.isdigit() but int() refuses it: it must not crash the classifier.
    found = parse_graph_error(
        {"error": {"message": "x", "type": "OAuthException", "code": 190, "error_subcode": "²"}}
    )
    assert found is not None
    assert found.code == 190
    assert found.subcode is None
