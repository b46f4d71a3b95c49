"""The TikTok Business Messaging adapter: settings, send plans, tokens and webhooks.

Sans-I/O like every adapter: it describes requests and reads answers, and the transport
performs them. Classification lives in :mod:`.responses`, signatures in :mod:`.signature`
and webhook parsing in :mod:`.webhook`; this class ties them to one configured account.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attrs import evolve

from mmtkit.adapter import (
    FetchMedia,
    FormFile,
    HttpRequest,
    HttpResponse,
    Outcome,
    Retryable,
    SendPlan,
    Throttled,
    TokenSet,
    check_base_url,
)
from mmtkit.adapters.tiktok import responses, signature, webhook
from mmtkit.capabilities import DEFAULT_CAPABILITIES, Capabilities, ImageFormat
from mmtkit.conversation import Conversation
from mmtkit.errors import (
    ConfigError,
    ContentError,
    CredentialsError,
    ReauthorizationRequired,
    TokenRefreshFailed,
    UnexpectedResponse,
)
from mmtkit.messages import Channel, Content, Image, InboundEvent, SharePost, Text

__all__ = ["PRODUCTION_BASE_URL", "SANDBOX_BASE_URL", "TikTokAdapter"]

PRODUCTION_BASE_URL = "https://business-api.tiktok.com/open_api/{version}/"
SANDBOX_BASE_URL = "https://sandbox-ads.tiktok.com/open_api/{version}/"
DEFAULT_API_VERSION = "v1.3"
DEFAULT_SIGNATURE_TOLERANCE = 300.0

SEND_PATH = "business/message/send/"
UPLOAD_PATH = "business/message/media/upload/"
REFRESH_PATH = "tt_user/oauth2/refresh_token/"

_MIME = {ImageFormat.JPEG: ("image/jpeg", "jpg"), ImageFormat.PNG: ("image/png", "png")}
_REAUTHORISE_CODES = frozenset({40103, 40107})


def _just(request: HttpRequest) -> SendPlan:
    """A plan with no intermediate step."""
    yield from ()
    return request


class TikTokAdapter:
    """Build with keyword settings (all optional, so a bare adapter can parse and build):

    ``app_secret`` webhook signing secret; ``account_id`` default business id (the OAuth
    ``open_id``); ``client_id``/``client_secret`` for token refresh; ``base_url`` or
    ``sandbox=True``; ``api_version`` (``v1.3``); ``signature_tolerance`` seconds (300);
    ``window_hours`` and ``max_business_messages`` (sources disagree: 48 h / 10); or a whole
    ``capabilities`` value. ``verify_token`` is accepted and ignored (TikTok has no
    documented GET handshake). See ``docs/adapters/tiktok.md``.
    """

    channel = Channel.TIKTOK

    def __init__(
        self,
        *,
        app_secret: str | bytes | None = None,
        account_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        sandbox: bool = False,
        api_version: str = DEFAULT_API_VERSION,
        signature_tolerance: float = DEFAULT_SIGNATURE_TOLERANCE,
        window_hours: float | None = None,
        max_business_messages: int | None = None,
        capabilities: Capabilities | None = None,
        verify_token: str | None = None,
        **unknown: object,
    ) -> None:
        if unknown:
            raise ConfigError(
                f"TikTokAdapter does not understand setting(s) {', '.join(sorted(unknown))}; "
                "see docs/adapters/tiktok.md"
            )
        del verify_token  # accepted so hosts can pass one settings set to every adapter
        if base_url is not None and sandbox:
            raise ConfigError("give either base_url or sandbox=True, not both")
        if isinstance(signature_tolerance, bool) or not isinstance(
            signature_tolerance, int | float
        ) or not signature_tolerance > 0:
            raise ConfigError(f"signature_tolerance must be positive, got {signature_tolerance}")
        template = SANDBOX_BASE_URL if sandbox else PRODUCTION_BASE_URL
        url = base_url or template.format(version=api_version)
        check_base_url(url)
        self.base_url = url if url.endswith("/") else url + "/"
        self._secret = app_secret.encode() if isinstance(app_secret, str) else app_secret
        self.account_id = account_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.signature_tolerance = float(signature_tolerance)
        self.capabilities = _capabilities(capabilities, window_hours, max_business_messages)

    def __repr__(self) -> str:
        return f"TikTokAdapter(base_url={self.base_url!r}, account_id={self.account_id!r})"

    # -- sending ----------------------------------------------------------------------------

    def plan_send(
        self, conversation: Conversation, content: Content, *, token: str, tag: str | None = None
    ) -> SendPlan:
        """Validate now (before anything is sent), then return the plan. TikTok has no
        message tags: one is refused rather than silently dropped, since a caller passing
        one expects it to extend the window."""
        if tag is not None:
            raise ContentError(f"TikTok has no message tags (got {tag!r})")
        if Channel(conversation.channel) is not Channel.TIKTOK:
            raise ConfigError(
                f"conversation is on {conversation.channel}, this adapter sends on tiktok"
            )
        self.capabilities.validate(content)
        if not token:
            raise CredentialsError("no TikTok access token given to plan_send")
        business_id = conversation.account_id or self.account_id
        if not business_id:
            raise ConfigError(
                "no TikTok business id: set account_id on the adapter or the conversation"
            )
        send = _SendBuilder(self.base_url, token, business_id, conversation.conversation_id)
        if isinstance(content, Text):
            text: dict[str, Any] = {"message_type": "TEXT", "text": {"body": content.body}}
            if content.reply_to is not None:
                text["referenced_message_info"] = {"referenced_message_id": content.reply_to}
            return _just(send.message(text))
        if isinstance(content, SharePost):
            post = {"message_type": "SHARE_POST", "share_post": {"item_id": content.post_id}}
            return _just(send.message(post))
        if isinstance(content, Image):
            if content.caption:
                raise ContentError(
                    "tiktok images carry no caption; send the caption as a separate Text"
                )
            return self._image_plan(send, content)
        raise ContentError(f"tiktok cannot send {type(content).__name__}")  # pragma: no cover

    def _image_plan(self, send: _SendBuilder, image: Image) -> SendPlan:
        rules = self.capabilities.image
        assert rules is not None  # validate() refused images otherwise
        if image.data is not None:
            data = image.data
        else:
            assert image.url is not None  # Image guarantees exactly one source
            fetched = yield FetchMedia(url=image.url, rules=rules)
            if not isinstance(fetched, bytes):
                raise TypeError(f"FetchMedia must be answered with bytes, got {type(fetched)}")
            data = fetched
        image_format = self.capabilities.validate_image_bytes(data)
        answer = yield send.upload(data, image_format)
        if not isinstance(answer, HttpResponse):
            raise TypeError(f"an upload must be answered with HttpResponse, got {type(answer)}")
        envelope = responses.read_envelope(answer.body)
        media_id = envelope.data.get("media_id") if envelope is not None else None
        if not isinstance(media_id, str) or not media_id:
            raise UnexpectedResponse("TikTok media upload answer has no data.media_id")
        return send.message({"message_type": "IMAGE", "image": {"media_id": media_id}})

    def classify(self, response: HttpResponse) -> Outcome:
        return responses.classify(response)

    # -- tokens -----------------------------------------------------------------------------

    def plan_token_refresh(self, refresh_token: str) -> HttpRequest:
        """The request that trades ``refresh_token`` for a new token pair. TikTok rotates
        the refresh token every time: persist the answer before using it (see
        :mod:`mmtkit.credentials`)."""
        if not self.client_id or not self._client_secret:
            raise ConfigError("token refresh needs client_id and client_secret settings")
        return HttpRequest(
            method="POST",
            url=self.base_url + REFRESH_PATH,
            headers={"Content-Type": "application/json"},
            json={
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
            purpose="token",
        )

    def parse_token_response(self, response: HttpResponse) -> TokenSet:
        """The new tokens, or :class:`ReauthorizationRequired` /
        :class:`TokenRefreshFailed` saying whether trying again can help."""
        envelope = responses.read_envelope(response.body)
        if envelope is None:
            outcome = responses.classify(response)
            raise TokenRefreshFailed(
                f"token refresh answer unreadable (HTTP {response.status}); if TikTok did "
                "rotate the refresh token the new one is lost and re-authorisation is needed",
                code=f"http_{response.status}",
                retryable=isinstance(outcome, Retryable | Throttled),
            )
        if envelope.code in _REAUTHORISE_CODES:
            raise ReauthorizationRequired(
                f"TikTok {envelope.code}: the refresh token is expired or invalid; the "
                "account owner must authorise the app again"
            )
        outcome = responses.classify(response)
        if envelope.code != responses.OK:
            raise TokenRefreshFailed(
                f"token refresh refused: {getattr(outcome, 'reason', envelope.code)}",
                code=str(envelope.code),
                retryable=isinstance(outcome, Retryable | Throttled),
            )
        access = envelope.data.get("access_token")
        refresh = envelope.data.get("refresh_token")
        expires = envelope.data.get("expires_in")
        if not isinstance(access, str) or not access:
            raise UnexpectedResponse("TikTok token answer has no data.access_token")
        return TokenSet(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_in=float(expires)
            if isinstance(expires, int | float) and not isinstance(expires, bool)
            else None,
        )

    # -- webhooks ---------------------------------------------------------------------------

    def _require_secret(self) -> bytes:
        if not self._secret:
            raise ConfigError("set app_secret to verify or sign TikTok webhooks")
        return self._secret

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> None:
        """Check ``Tiktok-Signature`` on the raw bytes. ``now`` None reads the clock: the
        one exception to sans-I/O, so that forgetting it never disables replay protection."""
        signature.verify(
            self._require_secret(),
            headers,
            body,
            now=time.time() if now is None else now,
            tolerance=self.signature_tolerance,
        )

    def parse_webhook(self, body: bytes) -> list[InboundEvent]:
        return webhook.parse(body, account_id=self.account_id)

    def sign_webhook(self, body: bytes, *, now: float) -> dict[str, str]:
        return signature.sign(self._require_secret(), body, now)


class _SendBuilder:
    """The two request shapes of a send, for one token, business and conversation."""

    __slots__ = ("_base", "_business_id", "_conversation_id", "_token")

    def __init__(self, base: str, token: str, business_id: str, conversation_id: str) -> None:
        self._base = base
        self._token = token
        self._business_id = business_id
        self._conversation_id = conversation_id

    def message(self, payload: dict[str, Any]) -> HttpRequest:
        body = {
            "business_id": self._business_id,
            "recipient_type": "CONVERSATION",
            "recipient": self._conversation_id,
            **payload,
        }
        return HttpRequest(
            method="POST",
            url=self._base + SEND_PATH,
            headers=(("Access-Token", self._token), ("Content-Type", "application/json")),
            json=body,
            purpose="send",
        )

    def upload(self, data: bytes, image_format: ImageFormat) -> HttpRequest:
        mime, extension = _MIME.get(image_format, ("application/octet-stream", "bin"))
        return HttpRequest(
            method="POST",
            url=self._base + UPLOAD_PATH,
            headers=(("Access-Token", self._token),),
            form={"business_id": self._business_id, "media_type": "IMAGE"},
            files=(FormFile("file", f"image.{extension}", mime, data),),
            purpose="upload",
        )


def _capabilities(
    given: Capabilities | None, window_hours: float | None, max_messages: int | None
) -> Capabilities:
    base = given or DEFAULT_CAPABILITIES[Channel.TIKTOK]
    if base.channel is not Channel.TIKTOK:
        raise ConfigError(f"capabilities are for {base.channel}, not tiktok")
    window = base.window
    try:
        if window_hours is not None:
            window = evolve(window, duration=timedelta(hours=window_hours))
        if max_messages is not None:
            window = evolve(window, max_business_messages=max_messages)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid TikTok window setting: {exc}") from None
    return evolve(base, window=window)
