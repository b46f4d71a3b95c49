"""Every built-in adapter the plugin manager loads passes the conformance kit, the same
kit third-party adapters run (``mmtkit.testing.adapter_conformance``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import pytest

from mmtkit.adapter import Adapter, HttpRequest, HttpResponse, Outcome, SendPlan
from mmtkit.adapters.tiktok import TikTokAdapter
from mmtkit.capabilities import DEFAULT_CAPABILITIES
from mmtkit.conversation import Conversation
from mmtkit.messages import Channel, Content, InboundEvent
from mmtkit.plugin_manager import PluginManager
from mmtkit.testing.adapter_conformance import AdapterConformance

FIXTURES = Path(__file__).parent.parent / "fixtures"
MANAGER = PluginManager.with_entry_points(env={})
CHANNELS = sorted(MANAGER.adapter_factories())

# What each platform answers to a successful request, by request purpose (golden fixtures).
SUCCESS = {
    Channel.TIKTOK: {
        "send": "tiktok/responses/send_ok.json",
        "upload": "tiktok/responses/upload_ok.json",
    },
    Channel.WHATSAPP: {
        "send": "whatsapp/responses/sent.json",
        "upload": "whatsapp/responses/upload_ok.json",
    },
    Channel.MESSENGER: {"send": "messenger/responses/sent.json"},
}


def test_the_builtin_adapters_are_loaded() -> None:
    assert Channel.TIKTOK in CHANNELS
    assert not [i for i in MANAGER.failures if i.builtin], "a built-in adapter failed to load"


class TestBuiltinAdapters(AdapterConformance):
    @pytest.fixture(params=CHANNELS, ids=str)
    def adapter(self, request: pytest.FixtureRequest) -> Adapter:
        return MANAGER.create_adapter(
            request.param, app_secret="conformance-secret", account_id="conformance-account"
        )

    def success_response(self, adapter: Adapter, request: HttpRequest) -> HttpResponse:
        answers = SUCCESS.get(adapter.channel)
        assert answers is not None, f"add {adapter.channel} success fixtures to SUCCESS"
        fixture = json.loads((FIXTURES / answers[request.purpose]).read_text(encoding="utf-8"))
        return HttpResponse(
            status=fixture["status"],
            headers=fixture.get("headers", {}),
            body=json.dumps(fixture["body"]).encode(),
        )

    def webhook_samples(self, adapter: Adapter) -> Sequence[bytes]:
        folder = FIXTURES / adapter.channel.value
        typical = folder / "webhook_message.json"
        return [typical.read_bytes()] if typical.exists() else []


# --- the kit itself catches broken adapters ------------------------------------------------


class _TikTokKit(AdapterConformance):
    def make_adapter(self) -> Adapter:
        return TikTokAdapter(app_secret="s", account_id="biz")

    def success_response(self, adapter: Adapter, request: HttpRequest) -> HttpResponse:
        data = {"media_id": "m", "message": {"message_id": "1"}}
        body = {"code": 0, "message": "OK", "data": data}
        return HttpResponse(status=200, body=json.dumps(body).encode())


class _CrashingParser(TikTokAdapter):
    def parse_webhook(self, body: bytes) -> list[InboundEvent]:
        if body[:1] == b"{":
            raise KeyError("content")
        return super().parse_webhook(body)


class _CrashingClassifier(TikTokAdapter):
    def classify(self, response: HttpResponse) -> Outcome:
        raise ValueError("no rule for this status")


class _TrustingVerifier(TikTokAdapter):
    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> None:
        return None


def test_the_kit_passes_a_correct_adapter() -> None:
    kit = _TikTokKit()
    adapter = kit.make_adapter()
    kit.test_every_declared_kind_plans_well_formed_requests(adapter)
    kit.test_undeclared_kinds_are_refused_with_content_error(adapter)
    kit.test_classify_is_total(adapter=adapter)


def test_the_kit_catches_a_parser_that_raises_something_else() -> None:
    adapter = _CrashingParser(app_secret="s", account_id="biz")
    with pytest.raises(KeyError):
        _TikTokKit().test_arbitrary_json_raises_only_malformed_webhook_and_is_deterministic(
            adapter=adapter
        )


def test_the_kit_catches_a_classifier_that_raises() -> None:
    adapter = _CrashingClassifier(app_secret="s", account_id="biz")
    with pytest.raises(ValueError, match="no rule"):
        _TikTokKit().test_classify_is_total(adapter=adapter)


def test_the_kit_catches_a_verifier_that_accepts_tampered_bodies() -> None:
    adapter = _TrustingVerifier(app_secret="s", account_id="biz")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        _TikTokKit().test_signed_bodies_verify_and_tampered_ones_do_not(adapter=adapter)


def test_the_kit_catches_capabilities_of_another_channel() -> None:
    adapter = TikTokAdapter(app_secret="s", account_id="biz")
    adapter.capabilities = attrs.evolve(
        DEFAULT_CAPABILITIES[Channel.WHATSAPP], channel=Channel.WHATSAPP
    )
    with pytest.raises(AssertionError):
        _TikTokKit().test_capabilities_are_declared_for_the_same_channel(adapter)


def test_the_kit_catches_a_plan_that_sends_without_the_token() -> None:
    class Tokenless(TikTokAdapter):
        def plan_send(
            self, conversation: Conversation, content: Content, *, token: str,
            tag: str | None = None,
        ) -> SendPlan:
            return super().plan_send(conversation, content, token="some-other-token", tag=tag)

    with pytest.raises(AssertionError, match="access token is not sent"):
        _TikTokKit().test_every_declared_kind_plans_well_formed_requests(
            Tokenless(app_secret="s", account_id="biz")
        )
