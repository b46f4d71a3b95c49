"""CRM webhooks: Standard Webhooks signatures, queued in the processing transaction,
delivered with retries and dead letters, message text left out unless asked for."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mmtkit.errors import ConfigError, SignatureError, StaleWebhook
from mmtkit.gateway import Gateway
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.features import register_features
from mmtkit.plugins.features.crm import RETRY_DELAYS, CrmWebhooks, parse_endpoints
from mmtkit.plugins.features.signing import SigningSecret, signature_headers, verify
from mmtkit.store import WebhookState

Deliver = Callable[..., None]
NEW = "whsec_" + "bmV3LXNlY3JldC1mb3ItdGhlLWNybS0xMjM0NQ=="
OLD = "whsec_" + "b2xkLXNlY3JldC1mb3ItdGhlLWNybS0xMjM0NQ=="


def test_signature_matches_the_specification_example() -> None:
    # The example of the Standard Webhooks specification, also what its reference library
    # (standardwebhooks 1.1.0, Webhook.sign) returns for these inputs.
    secret = SigningSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_during_a_rotation_either_secret_verifies() -> None:
    new, old = SigningSecret.parse(NEW), SigningSecret.parse(OLD)
    headers = signature_headers([new, old], "msg_1", 1_800_000_000, b"{}")
    assert len(headers["webhook-signature"].split()) == 2
    verify(new, headers, b"{}", now=1_800_000_000)
    verify(old, headers, b"{}", now=1_800_000_100)
    with pytest.raises(SignatureError):
        verify(new, headers, b'{"x": 1}', now=1_800_000_000)
    with pytest.raises(StaleWebhook):
        verify(new, headers, b"{}", now=1_800_001_000)


def test_a_bad_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        SigningSecret.parse("whsec_not base64!!")
    assert "not base64" not in str(caught.value)
    assert "whsec" in repr(caught.value)
    assert "bmV3" not in repr(SigningSecret.parse(NEW))


@pytest.mark.parametrize(
    ("endpoint", "env", "key"),
    [
        ({"url": "ftp://crm"}, {}, "features.crm.endpoints[0].url"),
        ({"url": "https://crm", "secrets_env": []}, {}, "features.crm.endpoints[0].secrets_env"),
        ({"url": "https://crm", "secrets_env": ["S"]}, {}, "features.crm.endpoints[0].secrets_env"),
        (
            {"url": "https://crm", "secrets_env": ["S"], "events": ["message.deleted"]},
            {"S": NEW},
            "features.crm.endpoints[0].events",
        ),
    ],
)
def test_endpoint_errors_name_the_key(
    endpoint: dict[str, object], env: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_endpoints({"endpoints": [endpoint]}, env)
    assert str(caught.value).startswith(key)


class Crm:
    """A CRM behind httpx.MockTransport that answers with the next status of ``answers``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.answers.pop(0) if self.answers else 204)

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(r.content) for r in self.requests]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def crm() -> Crm:
    return Crm()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_plugin(
    gateway: Gateway, crm: Crm, clock: Clock, **endpoint: object
) -> Iterator[CrmWebhooks]:
    endpoints = parse_endpoints(
        {
            "endpoints": [
                {
                    "name": "crm",
                    "url": "https://crm.test/hook",
                    "secrets_env": ["NEW", "OLD"],
                    **endpoint,
                }
            ]
        },
        {"NEW": NEW, "OLD": OLD},
    )
    plugin = CrmWebhooks(
        endpoints, gateway.store, http=httpx.Client(transport=httpx.MockTransport(crm)), now=clock
    )
    yield plugin
    plugin.close()


@pytest.fixture
def webhooks(
    plugins: PluginManager, gateway: Gateway, crm: Crm, clock: Clock
) -> Iterator[CrmWebhooks]:
    register_features(
        plugins, {"labels": {"keywords": [{"label": "complaint", "keywords": ["broken"]}]}}
    )
    for plugin in make_plugin(gateway, crm, clock):
        plugins.register(plugin, name="crm")
        yield plugin


def test_events_are_queued_while_processing_and_delivered_signed(
    webhooks: CrmWebhooks, crm: Crm, deliver: Deliver, clock: Clock
) -> None:
    deliver("my parcel arrived broken", "m1")
    deliver("hello again", "m2")
    assert crm.requests == []  # processing never waits for the CRM
    assert webhooks.deliver_pending() == 4
    assert [b["type"] for b in crm.bodies()] == [
        "conversation.started",
        "message.received",
        "label.added",
        "message.received",
    ]
    assert crm.bodies()[2]["data"] == {
        "channel": "tiktok",
        "conversation_id": "c1",
        "label": "complaint",
    }
    for request in crm.requests:
        verify(
            SigningSecret.parse(OLD),
            request.headers,
            request.content,
            now=int(clock.now.timestamp()),
        )
    assert all("text" not in b["data"] for b in crm.bodies())  # type: ignore[operator]
    assert b"broken" not in b"".join(r.content for r in crm.requests)
    assert webhooks.deliver_pending() == 0


def test_text_is_included_only_when_the_endpoint_asks(
    plugins: PluginManager, gateway: Gateway, crm: Crm, clock: Clock, deliver: Deliver
) -> None:
    for plugin in make_plugin(gateway, crm, clock, include_text=True, events=["message.received"]):
        plugins.register(plugin, name="crm")
        deliver("my parcel arrived broken", "m1")
        plugin.deliver_pending()
    [body] = crm.bodies()
    assert body["data"]["text"] == "my parcel arrived broken"  # type: ignore[index]


def test_failures_are_retried_on_schedule_then_dead_lettered(
    webhooks: CrmWebhooks, crm: Crm, deliver: Deliver, clock: Clock
) -> None:
    deliver("hello", "m1")
    queued = len(webhooks.store.webhooks.list())
    crm.answers = [503] * 100
    webhooks.deliver_pending()
    for delay in RETRY_DELAYS:
        assert webhooks.deliver_pending() == 0  # not due yet
        clock.now += delay
        assert webhooks.deliver_pending() == queued
    dead = webhooks.store.webhooks.list(state=WebhookState.DEAD)
    assert len(dead) == queued
    assert {(d.attempts, d.error) for d in dead} == {(len(RETRY_DELAYS) + 1, "HTTP 503")}
    ids = [r.headers["webhook-id"] for r in crm.requests]
    assert len(set(ids)) == queued  # the same id on every retry of one delivery
    webhooks.store.webhooks.requeue(dead[0].id, clock.now)
    crm.answers = []
    assert webhooks.deliver_pending() == 1
    assert webhooks.store.webhooks.list(state=WebhookState.DELIVERED)[0].id == dead[0].id


def test_a_network_error_is_a_failed_attempt(
    plugins: PluginManager, gateway: Gateway, clock: Clock, deliver: Deliver
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    endpoints = parse_endpoints(
        {
            "endpoints": [
                {
                    "name": "crm",
                    "url": "https://crm.test/",
                    "secrets_env": ["NEW"],
                    "events": ["message.received"],
                }
            ]
        },
        {"NEW": NEW},
    )
    plugin = CrmWebhooks(
        endpoints,
        gateway.store,
        http=httpx.Client(transport=httpx.MockTransport(refuse)),
        now=clock,
    )
    plugins.register(plugin, name="crm")
    deliver("hello", "m1")
    plugin.deliver_pending()
    [row] = gateway.store.webhooks.list()
    assert (row.state, row.attempts, row.error) == (WebhookState.PENDING, 1, "ConnectError")
    assert row.next_attempt_at == clock.now + timedelta(seconds=5)
    plugin.close()
