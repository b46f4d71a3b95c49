"""Golden fixtures for both Graph adapters: the exact requests each content kind produces,
and the outcome every documented error class maps to.

The fixtures in ``tests/fixtures/{whatsapp,messenger}/`` were written by hand from the
reference (``platform-apis.md`` 3.1, 3.5, 3.6, 4.1, 4.3), not generated from this code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mmtkit.adapter import (
    Adapter,
    Ambiguous,
    HttpRequest,
    HttpResponse,
    Outcome,
    Rejected,
    Retryable,
    Sent,
    Throttled,
)
from mmtkit.adapters.messenger import MessengerAdapter
from mmtkit.adapters.whatsapp import WhatsAppAdapter
from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, Content, Image, Template, Text

FIXTURES = Path(__file__).parent.parent / "fixtures"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

WA_PHONE_ID = "106540352242922"
WA_CUSTOMER = "16505551234"
PAGE_ID = "107212345678901"
PSID = "6785123409876543"


def _whatsapp() -> WhatsAppAdapter:
    return WhatsAppAdapter(account_id=WA_PHONE_ID)


def _messenger() -> MessengerAdapter:
    return MessengerAdapter(account_id=PAGE_ID)


def _conversation(channel: Channel, customer: str) -> Conversation:
    return Conversation(
        channel=channel,
        conversation_id=customer,
        customer_id=customer,
        opened_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _as_fixture(request: HttpRequest) -> dict[str, Any]:
    """The request in the fixture's form (file bytes are checked separately)."""
    shape: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "headers": dict(request.headers),
    }
    if request.json is not None:
        shape["json"] = request.json
    if request.form is not None:
        shape["form"] = dict(request.form)
    if request.files:
        shape["files"] = [
            {"field_name": f.field_name, "filename": f.filename, "content_type": f.content_type}
            for f in request.files
        ]
    return shape


def _load(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return loaded


def _steps(
    adapter: Adapter, conversation: Conversation, content: Content, token: str, tag: str | None
) -> list[HttpRequest]:
    """Drive a send plan like a transport would, answering uploads with a media id."""
    plan = adapter.plan_send(conversation, content, token=token, tag=tag)
    steps: list[HttpRequest] = []
    try:
        step = next(plan)
        while True:
            assert isinstance(step, HttpRequest)
            steps.append(step)
            step = plan.send(HttpResponse(status=200, body=b'{"id":"1037543291543636"}'))
    except StopIteration as done:
        steps.append(done.value)
    return steps


WA = (_whatsapp, Channel.WHATSAPP, WA_CUSTOMER, "EAAtest")
MS = (_messenger, Channel.MESSENGER, PSID, "EAApage")

REQUEST_CASES: list[tuple[tuple[Any, ...], Content, str | None, list[str]]] = [
    (WA, Text("Hello"), None, ["whatsapp/requests/text.json"]),
    (WA, Text("Hello", reply_to="wamid.IN1"), None, ["whatsapp/requests/text_reply.json"]),
    (
        WA,
        Image(url="https://example.com/jacket.jpg", caption="Blue jacket"),
        None,
        ["whatsapp/requests/image_link.json"],
    ),
    (
        WA,
        Image(data=PNG),
        None,
        ["whatsapp/requests/image_upload.json", "whatsapp/requests/image_by_id.json"],
    ),
    (
        WA,
        Template("order_update", "en_US", ["Ana", "#991"]),
        None,
        ["whatsapp/requests/template.json"],
    ),
    (WA, Template("hello_world"), None, ["whatsapp/requests/template_no_parameters.json"]),
    (MS, Text("Hello"), None, ["messenger/requests/text.json"]),
    (MS, Text("Hello"), "HUMAN_AGENT", ["messenger/requests/text_human_agent.json"]),
    (
        MS,
        Image(url="https://example.com/jacket.jpg"),
        None,
        ["messenger/requests/image_url.json"],
    ),
    (MS, Image(data=JPEG), "HUMAN_AGENT", ["messenger/requests/image_upload.json"]),
]


@pytest.mark.parametrize(
    ("platform", "content", "tag", "expected"),
    REQUEST_CASES,
    ids=[f"{p[1].value}/{Path(expected[-1]).stem}" for p, _, _, expected in REQUEST_CASES],
)
def test_request_matches_golden_fixture(
    platform: tuple[Callable[[], Adapter], Channel, str, str],
    content: Content,
    tag: str | None,
    expected: list[str],
) -> None:
    factory, channel, customer, token = platform
    steps = _steps(factory(), _conversation(channel, customer), content, token, tag)
    assert [_as_fixture(step) for step in steps] == [_load(path) for path in expected]
    assert steps[-1].purpose == "send"
    if isinstance(content, Image) and content.data is not None:
        assert steps[0].files[0].data == content.data


def _response_cases(platform: str, adapter: Adapter) -> list[Any]:
    return [
        pytest.param(adapter, path, id=f"{platform}/{path.stem}")
        for path in sorted((FIXTURES / platform / "responses").glob("*.json"))
    ]


def _check(outcome: Outcome, expect: dict[str, Any]) -> None:
    kinds: dict[str, type[Any]] = {
        "Sent": Sent,
        "Throttled": Throttled,
        "Retryable": Retryable,
        "Rejected": Rejected,
        "Ambiguous": Ambiguous,
    }
    assert type(outcome) is kinds[expect["outcome"]], outcome
    for key, value in expect.items():
        if key == "outcome":
            continue
        actual = getattr(outcome, key)
        assert (actual.value if hasattr(actual, "value") else actual) == value, (key, outcome)


@pytest.mark.parametrize(
    ("adapter", "path"),
    _response_cases("whatsapp", _whatsapp()) + _response_cases("messenger", _messenger()),
)
def test_response_classification_matches_golden_fixture(adapter: Adapter, path: Any) -> None:
    case = json.loads(path.read_text())
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = HttpResponse(status=case["status"], headers=case["headers"], body=raw)
    _check(adapter.classify(response), case["expect"])


def test_every_documented_error_class_has_a_fixture() -> None:
    """The reference's tables (3.5, 4.3) are mapped completely: one fixture per code."""
    codes = set()
    for platform in ("whatsapp", "messenger"):
        for path in (FIXTURES / platform / "responses").glob("*.json"):
            body = json.loads(path.read_text())["body"]
            if isinstance(body, dict) and "error" in body:
                codes.add(body["error"]["code"])
    documented = {
        4, 80007, 130429, 131048, 131056, 131064, 133016,  # throttling
        0, 3, 10, 190, 200, 299,  # auth
        368, 131031, 130497,  # integrity
        131047, 131026, 131049, 131050, 131000, 131016, 131008, 131009,
        131051, 131052, 131053, 132000, 132016, 135000,  # send
        613, 551, 2, 32,  # Messenger
    }  # fmt: skip
    assert documented <= codes, sorted(documented - codes)
