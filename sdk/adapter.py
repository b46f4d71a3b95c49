"""The contract between the core and a platform adapter. Adapters are sans-I/O.

An adapter translates and nothing more, in the spirit of h11: it turns typed content into
descriptions of HTTP requests, classifies the platform's responses into typed outcomes,
and verifies and parses webhook bytes into typed events. It never opens a socket, reads
the clock or sleeps, so one adapter serves the sync client, the async client, the gateway
and the tests, and each platform's quirks live in exactly one file.

Sending is a small *plan*: a generator that yields steps and receives their results.

* ``yield HttpRequest(...)`` -- the driver performs it (rate-limited, retried when the
  adapter's :meth:`Adapter.classify` says so) and sends back the :class:`HttpResponse`
  once it is classified :class:`Sent`; any other final outcome ends the plan.
* ``yield FetchMedia(url, rules)`` -- the driver downloads the URL, checks the bytes against
  ``rules`` (magic bytes, size) and sends back the ``bytes``.
* ``return HttpRequest(...)`` -- the request that delivers the message; its classified
  outcome is the send's result. Only this request may be retried as a *send*.

A TikTok image given by URL, for example, is ``FetchMedia`` → upload ``HttpRequest`` →
returned send request with the new ``media_id``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from attrs import field, frozen

from mmtkit.capabilities import Capabilities, ImageRules
from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError
from mmtkit.messages import Channel, Content, InboundEvent

__all__ = [
    "Adapter",
    "AdapterFactory",
    "Ambiguous",
    "FetchMedia",
    "FormFile",
    "HttpRequest",
    "HttpResponse",
    "Outcome",
    "Rejected",
    "RejectionKind",
    "Retryable",
    "SendPlan",
    "Sent",
    "Throttled",
    "TokenSet",
    "check_base_url",
]


def _headers(value: Mapping[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), str(v)) for k, v in items)


@frozen
class FormFile:
    """One file part of a multipart form."""

    field_name: str
    filename: str
    content_type: str
    data: bytes = field(repr=lambda d: f"<{len(d)} bytes>")


_SECRET_HEADERS = frozenset({"access-token", "authorization", "x-user", "cookie"})


def _redacted(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Headers as they may be shown: tokens hidden, so a logged request leaks nothing."""
    return tuple((k, "<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers)


def _files(value: Iterable[FormFile]) -> tuple[FormFile, ...]:
    return tuple(value)


@frozen(kw_only=True)
class HttpRequest:
    """A description of one HTTP request. Exactly one of ``json``, ``form`` or none is set;
    ``files`` turn ``form`` into multipart."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = field(
        default=(), converter=_headers, repr=lambda h: repr(_redacted(h))
    )
    json: Any = field(default=None, repr=lambda j: "<json>" if j is not None else "None")
    form: Mapping[str, str] | None = field(
        default=None, repr=lambda f: f"<{len(f)} form fields>" if f is not None else "None"
    )
    files: tuple[FormFile, ...] = field(default=(), converter=_files)
    purpose: str = "send"
    """``send`` for the delivering request; ``upload``, ``token`` ... for the others."""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@frozen(kw_only=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)  # case-insensitive already for httpx.Headers
        if value is not None:
            return value
        lowered = name.lower()
        for key, found in self.headers.items():
            if key.lower() == lowered:
                return found
        return None


@frozen(kw_only=True)
class FetchMedia:
    """Ask the driver to download ``url`` and check it against ``rules`` before use."""

    url: str
    rules: ImageRules


PlanStep = HttpRequest | FetchMedia
StepResult = HttpResponse | bytes
SendPlan = Generator[PlanStep, StepResult, HttpRequest]


def check_base_url(url: str) -> str:
    """Accept an API base URL only if tokens sent to it cannot cross a network in clear text:
    ``https://``, or ``http://`` to this machine (the local sandbox and tests)."""
    if not isinstance(url, str):
        raise ConfigError(f"base_url must be a string, got {type(url).__name__}")
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if not (parts.scheme == "https" and parts.hostname) and not loopback:
        raise ConfigError(
            f"base_url must be https:// (or http:// on a loopback address, for the sandbox), "
            f"got {url[:40]!r}"
        )
    return url


# --- outcomes -----------------------------------------------------------------------------


@frozen(kw_only=True)
class Sent:
    """The platform accepted the request. ``message_id`` is None for requests that create no
    message (an upload) or where the platform gives none."""

    message_id: str | None = None
    data: Any = None


@frozen(kw_only=True)
class Throttled:
    """Slow down. ``retry_after`` is the platform's hint in seconds, when it gives one.
    ``scope`` says what is throttled: ``app``, ``account`` or ``recipient``."""

    code: str | None = None
    retry_after: float | None = None
    scope: str = "app"
    reason: str = ""


@frozen(kw_only=True)
class Retryable:
    """A transient failure: the message was not taken; sending again is safe."""

    code: str | None = None
    reason: str = ""


class RejectionKind(enum.StrEnum):
    WINDOW_CLOSED = "window_closed"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
    UNREACHABLE = "unreachable"
    BLOCKED = "blocked"
    INVALID_REQUEST = "invalid_request"
    PERMISSION = "permission"
    OTHER = "other"


@frozen(kw_only=True)
class Rejected:
    """A permanent refusal; never retried (except one token refresh for ``TOKEN_EXPIRED``)."""

    code: str | None
    reason: str
    kind: RejectionKind = RejectionKind.OTHER


@frozen(kw_only=True)
class Ambiguous:
    """The platform may or may not have taken the message (e.g. a 2xx with an unreadable
    body). The delivery guarantee decides what happens next."""

    reason: str


Outcome = Sent | Throttled | Retryable | Rejected | Ambiguous


@frozen(kw_only=True)
class TokenSet:
    """Credentials as the platform issued them; ``refresh_token`` may rotate on refresh."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: float | None = None


# --- the adapter contract -----------------------------------------------------------------


@runtime_checkable
class Adapter(Protocol):
    """What every platform adapter provides. See ``docs/writing-an-adapter.md``."""

    @property
    def channel(self) -> Channel:
        """The channel this adapter serves."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What the channel accepts; read-only, so adapters may be frozen values."""
        ...

    def plan_send(
        self, conversation: Conversation, content: Content, *, token: str, tag: str | None = None
    ) -> SendPlan:
        """The steps that deliver ``content``. ``tag`` is a message tag chosen from the
        conversation state (Messenger ``HUMAN_AGENT``) or None."""
        ...

    def classify(self, response: HttpResponse) -> Outcome:
        """Map any response of this platform to exactly one outcome; never raise."""
        ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> None:
        """Raise :class:`~mmtkit.errors.SignatureError` unless ``body`` is authentic.
        Works on the raw bytes, compares in constant time. ``now`` is unix seconds."""
        ...

    def parse_webhook(self, body: bytes) -> list[InboundEvent]:
        """Typed events from verified bytes; raise only
        :class:`~mmtkit.errors.MalformedWebhook` (never anything else)."""
        ...

    def sign_webhook(self, body: bytes, *, now: float) -> dict[str, str]:
        """Headers that make ``body`` pass :meth:`verify_webhook`: for the sandbox and tests."""
        ...


AdapterFactory = Callable[..., Adapter]
"""What a plugin registers through ``mmt_register_adapters``, with its channel: a class (or
any callable) that builds a configured adapter from keyword settings.

Settings every built-in understands (all optional, so a bare adapter can parse and build):
``app_secret`` (webhook signing secret), ``account_id`` (TikTok business id, WhatsApp phone
number id, Messenger page id), ``verify_token`` (Meta GET handshake), ``base_url``,
``api_version``, ``signature_tolerance`` (seconds). Adapter-specific ones are documented in
``docs/adapters/<platform>.md``.
"""
