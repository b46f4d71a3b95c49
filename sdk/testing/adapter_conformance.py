"""The adapter conformance kit: the checks every mmtkit adapter must pass, as pytest tests.

An adapter is a promise to the rest of the SDK: it declares what its channel accepts,
builds well-formed requests for exactly that, never crashes on a response or a webhook,
and signs what it verifies. This kit checks those promises the same way for the built-in
adapters and for yours. In a test module::

    from mmtkit.testing.adapter_conformance import AdapterConformance

    class TestMyAdapter(AdapterConformance):
        def make_adapter(self):
            return MyAdapter(app_secret="test-secret", account_id="acct-1")

        def success_response(self, adapter, request):
            return HttpResponse(status=200, body=b'{"id": "m1"}')

Optionally override :meth:`~AdapterConformance.webhook_samples` (realistic bodies: they
must parse, deterministically) and :meth:`~AdapterConformance.conversation`. Needs
``pytest`` and ``hypothesis`` (``pip install mmtkit[testing]``). See
``docs/writing-an-adapter.md``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mmtkit.adapter import (
    Adapter,
    Ambiguous,
    FetchMedia,
    HttpRequest,
    HttpResponse,
    Rejected,
    Retryable,
    SendPlan,
    Sent,
    Throttled,
    check_base_url,
)
from mmtkit.capabilities import Capabilities, ImageFormat, ImageRules
from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError, ContentError, MalformedWebhook, SignatureError
from mmtkit.messages import (
    Channel,
    Content,
    ContentKind,
    Image,
    InboundEvent,
    SharePost,
    Template,
    Text,
)

__all__ = ["AdapterConformance", "sample_image_bytes"]

_OUTCOMES = (Sent, Throttled, Retryable, Rejected, Ambiguous)
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_MAX_STEPS = 10
_TOKEN = "conformance-token-3f9a"
_IMAGE_URL = "https://media.example/conformance.png"
_MAGIC = {
    ImageFormat.JPEG: b"\xff\xd8\xff\xe0",
    ImageFormat.PNG: b"\x89PNG\r\n\x1a\n",
    ImageFormat.GIF: b"GIF89a",
    ImageFormat.WEBP: b"RIFF\x24\x00\x00\x00WEBP",
}
_HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # The explain phase costs seconds per failure and adds little to a minimal example.
    phases=[phase for phase in Phase if phase is not Phase.explain],
)

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)
_headers = st.dictionaries(
    st.sampled_from(["Retry-After", "Content-Type", "X-App-Usage", "X-Business-Use-Case-Usage"])
    | st.text(min_size=1, max_size=12),
    st.text(max_size=40),
    max_size=3,
)
_bodies = st.binary(max_size=200) | _json_values.map(lambda v: json.dumps(v).encode())


def sample_image_bytes(rules: ImageRules) -> bytes:
    """The smallest bytes a channel's image rules accept: its first format's magic number."""
    image_format = sorted(rules.formats)[0]
    return _MAGIC[image_format] + b"\x00" * 32


class AdapterConformance:
    """Base class of the conformance tests. Subclass it as ``Test...`` and implement
    :meth:`make_adapter` and :meth:`success_response`; every ``test_*`` below then runs
    against your adapter. To run the suite over several adapters, override the
    ``adapter`` fixture with ``params``."""

    # -- what a subclass provides ------------------------------------------------------------

    def make_adapter(self) -> Adapter:
        """A configured adapter: with a webhook secret and an account id."""
        raise NotImplementedError("override make_adapter() to return your configured adapter")

    def success_response(self, adapter: Adapter, request: HttpRequest) -> HttpResponse:
        """What the platform answers when ``request`` succeeds (a send, an upload...)."""
        raise NotImplementedError(
            "override success_response() to answer a successful request of your platform"
        )

    def webhook_samples(self, adapter: Adapter) -> Sequence[bytes]:
        """Realistic webhook bodies of the platform; each must parse into events."""
        return ()

    def conversation(self, adapter: Adapter) -> Conversation:
        """The conversation sends are planned in."""
        return Conversation(
            channel=adapter.channel,
            conversation_id="conformance-conversation",
            customer_id="conformance-customer",
            opened_at=datetime(2025, 1, 1, tzinfo=UTC),
        )

    def sample_contents(self, adapter: Adapter, kind: ContentKind) -> list[Content]:
        """Content of ``kind`` that a channel declaring it must be able to send."""
        rules = adapter.capabilities.image
        if kind is ContentKind.TEXT:
            return [Text("Hello from the conformance kit"), Text("Yes", reply_to="m-1")]
        if kind is ContentKind.IMAGE:
            data = sample_image_bytes(rules) if rules is not None else _MAGIC[ImageFormat.PNG]
            return [Image(data=data), Image(url=_IMAGE_URL)]
        if kind is ContentKind.SHARE_POST:
            return [SharePost("7300000000000000000")]
        if kind is ContentKind.TEMPLATE:
            return [Template("conformance_template", "en_US", ["one"])]
        raise NotImplementedError(f"no sample {kind.value} content: override sample_contents()")

    @pytest.fixture
    def adapter(self) -> Adapter:
        return self.make_adapter()

    # -- helpers -------------------------------------------------------------------------------

    def _drive(self, adapter: Adapter, content: Content) -> Iterator[HttpRequest | FetchMedia]:
        """Run a send plan to its end with fake answers, yielding every step and then the
        final request."""
        plan: SendPlan = adapter.plan_send(
            self.conversation(adapter), content, token=_TOKEN, tag=None
        )
        answer: HttpResponse | bytes | None = None
        for _ in range(_MAX_STEPS):
            try:
                step = next(plan) if answer is None else plan.send(answer)
            except StopIteration as done:
                final = done.value
                assert isinstance(final, HttpRequest), (
                    f"{content!r}: a plan must return an HttpRequest, got {type(final)}"
                )
                yield final
                return
            yield step
            if isinstance(step, FetchMedia):
                rules = adapter.capabilities.image
                assert rules is not None
                answer = sample_image_bytes(rules)
            else:
                assert isinstance(step, HttpRequest), f"{content!r}: unknown step {step!r}"
                answer = self.success_response(adapter, step)
        raise AssertionError(f"{content!r}: the plan did not finish in {_MAX_STEPS} steps")

    @staticmethod
    def _check_request(request: HttpRequest, where: str) -> None:
        assert request.method in _METHODS, f"{where}: method {request.method!r}"
        try:
            check_base_url(request.url)
        except ConfigError as exc:
            raise AssertionError(f"{where}: {exc}") from None
        assert not (request.json is not None and request.form is not None), (
            f"{where}: json and form are exclusive"
        )
        assert not (request.files and request.form is None), f"{where}: files need a form"
        if request.json is not None:
            json.dumps(request.json)  # the transport must be able to serialise it
        for name, value in request.headers:
            assert isinstance(name, str), f"{where}: header name {name!r} is not a str"
            assert isinstance(value, str), f"{where}: header {name} value is not a str"
            assert not {"\r", "\n"} & set(value), f"{where}: header {name} has CR/LF"
        token_used = _TOKEN in request.url or any(_TOKEN in v for _, v in request.headers)
        if request.form is not None:
            token_used = token_used or _TOKEN in request.form.values()
        assert token_used, f"{where}: the access token is not sent"

    # -- capabilities --------------------------------------------------------------------------

    def test_is_an_adapter_for_a_known_channel(self, adapter: Adapter) -> None:
        assert isinstance(adapter, Adapter)
        assert isinstance(adapter.channel, Channel)

    def test_capabilities_are_declared_for_the_same_channel(self, adapter: Adapter) -> None:
        capabilities = adapter.capabilities
        assert isinstance(capabilities, Capabilities)
        assert capabilities.channel == adapter.channel
        assert ContentKind.TEXT in capabilities.kinds, "every channel takes text"
        if ContentKind.IMAGE in capabilities.kinds:
            assert capabilities.image is not None, "images declared without image rules"
            assert capabilities.image.formats <= set(_MAGIC)

    # -- sending -------------------------------------------------------------------------------

    def test_every_declared_kind_plans_well_formed_requests(self, adapter: Adapter) -> None:
        for kind in sorted(adapter.capabilities.kinds):
            for content in self.sample_contents(adapter, kind):
                steps = list(self._drive(adapter, content))
                *intermediate, final = steps
                for step in intermediate:
                    if isinstance(step, FetchMedia):
                        assert isinstance(content, Image), f"{content!r}: unexpected fetch"
                        assert step.url == content.url, f"{content!r}: fetches {step.url}"
                        assert step.rules == adapter.capabilities.image
                    else:
                        self._check_request(step, f"{content!r} step")
                        assert step.purpose != "send", (
                            f"{content!r}: only the final request may be a send"
                        )
                assert isinstance(final, HttpRequest)
                self._check_request(final, f"{content!r} final request")
                assert final.purpose == "send"

    def test_a_successful_send_is_classified_sent(self, adapter: Adapter) -> None:
        for kind in sorted(adapter.capabilities.kinds):
            for content in self.sample_contents(adapter, kind):
                *_, final = self._drive(adapter, content)
                assert isinstance(final, HttpRequest)
                outcome = adapter.classify(self.success_response(adapter, final))
                assert isinstance(outcome, Sent), f"{content!r}: success classified {outcome!r}"

    def test_undeclared_kinds_are_refused_with_content_error(self, adapter: Adapter) -> None:
        for kind in sorted(set(ContentKind) - adapter.capabilities.kinds):
            for content in self.sample_contents(adapter, kind):
                with pytest.raises(ContentError):
                    list(self._drive(adapter, content))

    def test_text_over_the_declared_limit_is_refused(self, adapter: Adapter) -> None:
        too_long = Text("x" * (adapter.capabilities.text_limit + 1))
        with pytest.raises(ContentError):
            list(self._drive(adapter, too_long))

    # -- responses -----------------------------------------------------------------------------

    @_HYPOTHESIS
    @given(status=st.integers(100, 599), headers=_headers, body=_bodies)
    def test_classify_is_total(
        self, adapter: Adapter, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        outcome = adapter.classify(HttpResponse(status=status, headers=headers, body=body))
        assert isinstance(outcome, _OUTCOMES)

    # -- webhooks ------------------------------------------------------------------------------

    @_HYPOTHESIS
    @given(body=st.binary(max_size=400))
    def test_arbitrary_bytes_raise_only_malformed_webhook(
        self, adapter: Adapter, body: bytes
    ) -> None:
        _parse_or_malformed(adapter, body)

    @_HYPOTHESIS
    @given(document=_json_values)
    def test_arbitrary_json_raises_only_malformed_webhook_and_is_deterministic(
        self, adapter: Adapter, document: Any
    ) -> None:
        body = json.dumps(document).encode()
        assert _parse_or_malformed(adapter, body) == _parse_or_malformed(adapter, body)

    def test_json_nested_near_the_recursion_limit_raises_only_malformed_webhook(
        self, adapter: Adapter
    ) -> None:
        # The json module decodes a little deeper than Python code can then walk or
        # re-encode: the boundary is where a stray RecursionError hides.
        # Samples carry the deep value as an extra key, so the adapter's real path runs.
        samples = [
            document
            for document in (json.loads(body) for body in self.webhook_samples(adapter))
            if isinstance(document, dict)
        ]
        limit = sys.getrecursionlimit()
        for depth in range(limit - 300, limit + 5):
            arrays = "[" * depth + "]" * depth
            objects = '{"a":' * depth + "1" + "}" * depth
            bodies = [arrays, objects, f'{{"object": "x", "entry": {arrays}}}']
            bodies += [json.dumps(doc)[:-1] + f', "mmtkit_deep": {arrays}}}' for doc in samples]
            for body in bodies:
                _parse_or_malformed(adapter, body.encode())

    def test_sample_webhooks_parse_into_events_deterministically(self, adapter: Adapter) -> None:
        for body in self.webhook_samples(adapter):
            events = adapter.parse_webhook(body)
            assert events, "a sample webhook produced no event"
            for event in events:
                assert isinstance(event, InboundEvent)
                assert event.channel == adapter.channel
            assert adapter.parse_webhook(body) == events

    @_HYPOTHESIS
    @given(body=st.binary(max_size=300), now=st.integers(1_500_000_000, 2_500_000_000))
    def test_signed_bodies_verify_and_tampered_ones_do_not(
        self, adapter: Adapter, body: bytes, now: int
    ) -> None:
        headers = adapter.sign_webhook(body, now=now)
        adapter.verify_webhook(headers, body, now=now)
        with pytest.raises(SignatureError):
            adapter.verify_webhook(headers, body + b"\x00", now=now)
        with pytest.raises(SignatureError):
            adapter.verify_webhook({}, body, now=now)


def _parse_or_malformed(adapter: Adapter, body: bytes) -> list[InboundEvent] | str:
    """Events, or the MalformedWebhook message; anything else propagates and fails."""
    try:
        return adapter.parse_webhook(body)
    except MalformedWebhook as exc:
        return f"malformed: {exc}"
