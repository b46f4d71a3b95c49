"""Classification of TikTok answers: golden responses for every code in the reference's
table, and totality over arbitrary responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mmtkit.adapter import (
    Ambiguous,
    HttpResponse,
    Outcome,
    Rejected,
    Retryable,
    Sent,
    Throttled,
)
from mmtkit.adapters.tiktok.responses import CODE_TABLE, classify, read_envelope

RESPONSES = Path(__file__).parent.parent / "fixtures" / "tiktok" / "responses"
OUTCOMES = {cls.__name__: cls for cls in (Sent, Throttled, Retryable, Rejected, Ambiguous)}


def response_from(fixture: dict[str, Any]) -> HttpResponse:
    if "raw_body" in fixture:
        body = fixture["raw_body"].encode()
    else:
        body = json.dumps(fixture["body"]).encode()
    return HttpResponse(status=fixture["status"], body=body)


@pytest.mark.parametrize("name", sorted(p.stem for p in RESPONSES.glob("*.json")))
def test_golden_responses_classify_as_recorded(name: str) -> None:
    fixture = json.loads((RESPONSES / f"{name}.json").read_text())
    expected = fixture["expected"]
    outcome = classify(response_from(fixture))
    assert type(outcome) is OUTCOMES[expected["outcome"]]
    for attribute in ("message_id", "code", "scope", "kind"):
        if attribute in expected:
            assert getattr(outcome, attribute) == expected[attribute], attribute


def test_every_code_of_the_reference_table_has_a_golden_response() -> None:
    recorded = set()
    for path in RESPONSES.glob("*.json"):
        body = json.loads(path.read_text()).get("body")
        if isinstance(body, dict):
            recorded.add(body.get("code"))
    reference = {0, 20001, 40001, 40002, 40007, 40064, 40100, 40133, 40102, 40105, 40104,
                 40103, 40107, 40908, 51065}
    assert reference <= recorded
    assert set(CODE_TABLE) <= recorded


def test_throttling_carries_no_retry_hint_because_tiktok_sends_none() -> None:
    body = b'{"code":40100,"message":"Too many requests","data":{}}'
    outcome = classify(HttpResponse(status=200, headers={"Retry-After": "7"}, body=body))
    assert outcome == Throttled(code="40100", retry_after=None, scope="app", reason=outcome.reason)


def test_reasons_name_the_code_and_request_id_for_support() -> None:
    body = json.dumps({"code": 40002, "message": "Invalid recipient", "request_id": "REQ1"})
    outcome = classify(HttpResponse(status=200, body=body.encode()))
    assert isinstance(outcome, Rejected)
    assert "40002" in outcome.reason
    assert "REQ1" in outcome.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
envelopes = st.fixed_dictionaries(
    {"code": st.integers(-10, 99999) | json_values},
    optional={"message": json_values, "data": json_values, "request_id": json_values},
)
bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | envelopes.map(lambda v: json.dumps(v).encode())
)


@settings(max_examples=200, deadline=None)
@given(status=st.integers(100, 599), body=bodies)
def test_classify_is_total(status: int, body: bytes) -> None:
    outcome: Outcome = classify(HttpResponse(status=status, body=body))
    assert isinstance(outcome, tuple(OUTCOMES.values()))


@settings(max_examples=100, deadline=None)
@given(code=st.integers(50000, 59999), status=st.sampled_from([200, 500, 503]))
def test_every_system_error_code_is_retryable(code: int, status: int) -> None:
    body = json.dumps({"code": code, "message": "system error"}).encode()
    assert isinstance(classify(HttpResponse(status=status, body=body)), Retryable)


@settings(max_examples=100, deadline=None)
@given(status=st.integers(200, 299), body=st.binary(max_size=50))
def test_a_success_status_without_an_envelope_is_ambiguous_never_sent(
    status: int, body: bytes
) -> None:
    assume(read_envelope(body) is None)
    outcome = classify(HttpResponse(status=status, body=body))
    assert not isinstance(outcome, Sent)
