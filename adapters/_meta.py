"""What the WhatsApp Cloud API and Messenger adapters share: both speak Meta's Graph API.

One implementation, used by :mod:`mmtkit.adapters.whatsapp` and
:mod:`mmtkit.adapters.messenger`, so a fix to Meta's scheme lands in both at once:

* **Webhook signatures.** ``X-Hub-Signature-256: sha256=<hex>`` is HMAC-SHA256 keyed with the
  *app secret* over the *raw* request body. There is no timestamp, so there is no replay
  window to check (``now`` is accepted for the common adapter interface and ignored).
* **The GET handshake.** Meta subscribes a callback URL with
  ``hub.mode=subscribe&hub.verify_token=...&hub.challenge=...``; the endpoint answers with
  the challenge only when the token is ours.
* **Graph errors.** ``{"error": {"message", "type", "code", "error_subcode", "error_data",
  "fbtrace_id"}}`` on an HTTP 4xx/5xx; :func:`classify_graph` maps every response to exactly
  one :data:`~mmtkit.adapter.Outcome` and never raises.
* **Server hints.** ``Retry-After`` (delta-seconds) and the usage headers
  ``X-Business-Use-Case-Usage`` / ``X-App-Usage`` (``estimated_time_to_regain_access`` in
  minutes), whichever asks for the longer pause.
* **Reading webhook JSON.** Small path-aware readers that turn any shape problem into
  :class:`~mmtkit.errors.MalformedWebhook` naming the JSON path, so arbitrary bytes never
  raise anything else.

Sources: ``reference/platform-apis.md`` sections 3.3, 3.5, 3.6, 4.2 and 4.3.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from attrs import define, field, frozen

from mmtkit import fastjson
from mmtkit.adapter import (
    Ambiguous,
    HttpResponse,
    Outcome,
    Rejected,
    RejectionKind,
    Retryable,
    Sent,
    Throttled,
)
from mmtkit.adapter import (
    check_base_url as adapter_base_url,
)
from mmtkit.errors import (
    ConfigError,
    HandshakeError,
    MalformedWebhook,
    SignatureError,
    UnexpectedResponse,
)

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "EPOCH",
    "SIGNATURE_HEADER",
    "GraphAdapterBase",
    "GraphError",
    "classify_graph",
    "graph_url",
    "handshake",
    "load_object",
    "parse_graph_error",
    "retry_hint",
    "sign",
    "verify_signature",
]

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v25.0"
"""A current Graph version (Meta's own examples use it in 2026). Graph versions expire about
two years after release, so applications should pin and move it with ``api_version=``."""

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_API_VERSION = re.compile(r"v\d+\.\d+")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The timestamp of an event for which the platform gives no time at all. Parsing never
reads the clock (it must be deterministic), so this fixed value marks "unknown"."""


# --- settings ---------------------------------------------------------------------------------


def check_api_version(value: str) -> str:
    """Refuse a version that would silently build wrong URLs (``21``, ``v21``)."""
    if not isinstance(value, str) or not _API_VERSION.fullmatch(value):
        raise ConfigError(f"api_version must look like 'v25.0', got {value!r}")
    return value


def check_base_url(value: str) -> str:
    return adapter_base_url(value).rstrip("/")


def graph_url(base_url: str, api_version: str, node: str | None, edge: str, *, what: str) -> str:
    """``{base}/{version}/{node}/{edge}``; ``node`` is the configured account id, which is
    required to send (``what`` names it in the error: 'phone number id', 'page id')."""
    if not node:
        raise ConfigError(f"account_id ({what}) is required to send; pass account_id=...")
    return f"{base_url}/{api_version}/{quote(node, safe='')}/{edge}"


def bearer(token: str) -> tuple[str, str]:
    """The ``Authorization`` header. Tokens go in headers, never in URLs (URLs get logged)."""
    if not token:
        raise ConfigError("an access token is required to send; pass token=...")
    return ("Authorization", f"Bearer {token}")


# --- signatures and the handshake ---------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _require_secret(app_secret: str | None) -> bytes:
    if not app_secret:
        raise ConfigError(
            "no app_secret is configured, so webhook signatures cannot be checked; pass "
            "app_secret=<your Meta app secret>"
        )
    return app_secret.encode("utf-8")


def sign(app_secret: str | None, body: bytes) -> dict[str, str]:
    """The header Meta would send with ``body``: for the sandbox and tests."""
    digest = hmac.new(_require_secret(app_secret), body, hashlib.sha256).hexdigest()
    return {SIGNATURE_HEADER: _SIGNATURE_PREFIX + digest}


def verify_signature(headers: Mapping[str, str], body: bytes, app_secret: str | None) -> None:
    """Raise :class:`SignatureError` unless ``body`` carries a valid ``X-Hub-Signature-256``.

    Works on the raw bytes: JSON that was parsed and serialised again will not match, which
    is the point. The comparison is constant-time.
    """
    key = _require_secret(app_secret)
    value = _header(headers, SIGNATURE_HEADER)
    if value is None:
        raise SignatureError(f"the {SIGNATURE_HEADER} header is missing")
    value = value.strip()
    if not value.startswith(_SIGNATURE_PREFIX):
        raise SignatureError(
            f"the {SIGNATURE_HEADER} header must start with {_SIGNATURE_PREFIX!r}"
        )
    given = value[len(_SIGNATURE_PREFIX) :]
    if not _HEX_SHA256.fullmatch(given):
        raise SignatureError(
            f"the {SIGNATURE_HEADER} header must hold 64 hex digits after {_SIGNATURE_PREFIX!r}"
        )
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise SignatureError(
            f"the {SIGNATURE_HEADER} signature does not match the body (wrong app secret, "
            "or the body was changed or re-serialised)"
        )


def handshake(query: Mapping[str, str], verify_token: str | None) -> str:
    """Answer Meta's subscription GET: the ``hub.challenge`` when ``hub.verify_token`` is ours.

    Raises :class:`HandshakeError` (answer 403) on a wrong mode, a wrong or missing token,
    a missing challenge, or when no ``verify_token`` is configured.
    """
    if not verify_token:
        raise HandshakeError(
            "no verify_token is configured, so the subscription cannot be confirmed; pass "
            "verify_token=<the token entered in the Meta app dashboard>"
        )
    mode = query.get("hub.mode")
    if mode != "subscribe":
        raise HandshakeError(f"hub.mode must be 'subscribe', got {mode!r}")
    token = query.get("hub.verify_token")
    if token is None or not hmac.compare_digest(
        token.encode("utf-8"), verify_token.encode("utf-8")
    ):
        raise HandshakeError("hub.verify_token does not match the configured verify_token")
    challenge = query.get("hub.challenge")
    if not challenge:
        raise HandshakeError("hub.challenge is missing")
    return challenge


# --- Graph errors -----------------------------------------------------------------------------


@frozen(kw_only=True)
class GraphError:
    """The parts of a Graph error object that decide what happens next."""

    code: int | None
    subcode: int | None = None
    message: str = ""
    type: str | None = None
    fbtrace_id: str | None = None

    def describe(self) -> str:
        """A one-line reason for logs: code, subcode, Meta's message (cut short; Graph
        messages name parameters, not message content) and the trace id for support."""
        text = f"Graph error {self.code}"
        if self.subcode is not None:
            text += f" (subcode {self.subcode})"
        if self.message:
            text += f": {self.message[:200]}"
        if self.fbtrace_id:
            text += f" [fbtrace_id {self.fbtrace_id}]"
        return text


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # isdecimal, not isdigit: "²" is a digit that int() refuses (a fuzzer found it).
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value)
    return None


def parse_graph_error(document: Any) -> GraphError | None:
    """The ``error`` object of a Graph response body, or None when there is none."""
    if not isinstance(document, dict):
        return None
    error = document.get("error")
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    kind = error.get("type")
    trace = error.get("fbtrace_id")
    return GraphError(
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        message=message if isinstance(message, str) else "",
        type=kind if isinstance(kind, str) else None,
        fbtrace_id=trace if isinstance(trace, str) else None,
    )


# Graph codes, from the reference's tables (WhatsApp 3.5, Messenger 4.3). One table serves
# both platforms: the codes do not collide, and a WhatsApp code never reaches Messenger.
_THROTTLE_SCOPE: Mapping[int, str] = {
    4: "app",  # application request limit
    613: "account",  # Messenger: calls to this API exceeded the rate limit (per page)
    80007: "account",  # WhatsApp business account rate limit
    130429: "account",  # throughput of the phone number reached
    131048: "account",  # spam rate limit
    131064: "account",  # messaging limit (unique users per 24 h) reached
    133016: "account",  # too many (de)registration attempts
    131056: "recipient",  # pair rate: too many messages to this one recipient
}
_WINDOW_SUBCODES = frozenset({2018278, 2534022})
_RETRYABLE = frozenset({2, 131000, 131016})
_REJECTED: Mapping[int, RejectionKind] = {
    0: RejectionKind.TOKEN_INVALID,
    3: RejectionKind.PERMISSION,
    10: RejectionKind.PERMISSION,
    100: RejectionKind.INVALID_REQUEST,
    190: RejectionKind.TOKEN_EXPIRED,
    368: RejectionKind.BLOCKED,
    551: RejectionKind.UNREACHABLE,
    130497: RejectionKind.BLOCKED,
    131008: RejectionKind.INVALID_REQUEST,
    131009: RejectionKind.INVALID_REQUEST,
    131026: RejectionKind.UNREACHABLE,
    131031: RejectionKind.BLOCKED,
    131047: RejectionKind.WINDOW_CLOSED,
    131049: RejectionKind.OTHER,
    131050: RejectionKind.UNREACHABLE,
    131051: RejectionKind.INVALID_REQUEST,
    131052: RejectionKind.INVALID_REQUEST,
    131053: RejectionKind.INVALID_REQUEST,
    135000: RejectionKind.OTHER,
}


def _rejection_kind(error: GraphError) -> RejectionKind | None:
    code = error.code
    if code is None:
        return None
    if code == 10 and error.subcode in _WINDOW_SUBCODES:
        return RejectionKind.WINDOW_CLOSED
    if code in _REJECTED:
        return _REJECTED[code]
    if 200 <= code <= 299:
        return RejectionKind.PERMISSION
    if 132000 <= code <= 132016:
        return RejectionKind.INVALID_REQUEST  # template errors
    return None


def _hint_minutes(document: Any) -> float | None:
    """The largest ``estimated_time_to_regain_access`` anywhere in a usage header's JSON."""
    found: list[float] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(node, dict):
            value = node.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and not isinstance(value, bool):
                found.append(float(value))
            for child in node.values():
                walk(child, depth + 1)
        elif isinstance(node, list):
            for child in node:
                walk(child, depth + 1)

    walk(document, 0)
    positive = [v for v in found if math.isfinite(v) and v > 0]
    return max(positive) if positive else None


def retry_hint(response: HttpResponse) -> float | None:
    """Seconds to wait before the next call, from whichever server hint asks for longest:
    ``Retry-After`` (delta-seconds; an HTTP-date is ignored, since an adapter never reads
    the clock) or the usage headers' ``estimated_time_to_regain_access`` (minutes)."""
    hints: list[float] = []
    retry_after = response.header("Retry-After")
    if retry_after is not None:
        try:
            seconds = float(retry_after.strip())
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds >= 0:
            hints.append(seconds)
    for name in ("X-Business-Use-Case-Usage", "X-App-Usage"):
        raw = response.header(name)
        if raw is None:
            continue
        try:
            minutes = _hint_minutes(json.loads(raw))
        except (ValueError, RecursionError):
            continue
        if minutes is not None:
            hints.append(minutes * 60.0)
    return max(hints) if hints else None


def _classify_error(
    response: HttpResponse, error: GraphError, throttle_codes: frozenset[int]
) -> Outcome:
    code = None if error.code is None else str(error.code)
    reason = error.describe()
    if error.code is not None:
        scope = _THROTTLE_SCOPE.get(error.code)
        if scope is None and error.code in throttle_codes:
            scope = "account"
        if scope is not None:
            hint = retry_hint(response)
            return Throttled(code=code, retry_after=hint, scope=scope, reason=reason)
        kind = _rejection_kind(error)
        if kind is not None:
            return Rejected(code=code, reason=reason, kind=kind)
        if error.code in _RETRYABLE:
            return Retryable(code=code, reason=reason)
    return _classify_status(response, code, reason)


def _classify_status(response: HttpResponse, code: str | None, reason: str) -> Outcome:
    """What the HTTP status alone says, for an unknown or absent Graph code."""
    status = response.status
    if status == 429:
        return Throttled(code=code, retry_after=retry_hint(response), scope="app", reason=reason)
    if status >= 500:
        return Retryable(code=code, reason=reason)
    if status == 401:
        return Rejected(code=code, reason=reason, kind=RejectionKind.TOKEN_INVALID)
    if status == 403:
        return Rejected(code=code, reason=reason, kind=RejectionKind.PERMISSION)
    if 400 <= status < 500:
        return Rejected(code=code, reason=reason, kind=RejectionKind.INVALID_REQUEST)
    return Rejected(code=code, reason=reason, kind=RejectionKind.OTHER)


SuccessReader = Callable[[Any], Sent | None]
"""Reads a 2xx body into :class:`Sent`, or None when the body is not a shape it knows."""


def classify_graph(
    response: HttpResponse,
    read_success: SuccessReader,
    *,
    throttle_codes: frozenset[int] = frozenset(),
) -> Outcome:
    """Map any Graph response to exactly one outcome; never raise.

    ``read_success`` is the platform's part (WhatsApp ``messages[0].id``, Messenger
    ``message_id``, an upload's ``id``). ``throttle_codes`` adds codes to treat as an
    account-level throttle (for codes the reference marks UNCONFIRMED, e.g. Messenger 32).
    """
    try:
        document: Any = json.loads(response.body) if response.body else None
    except (ValueError, RecursionError):
        document = None
    error = parse_graph_error(document)
    if 200 <= response.status < 300:
        if error is not None:
            return _classify_error(response, error, throttle_codes)
        sent = read_success(document)
        if sent is not None:
            return sent
        return Ambiguous(
            reason=f"HTTP {response.status} without a readable message id; the platform may "
            "or may not have taken the message"
        )
    if error is not None:
        return _classify_error(response, error, throttle_codes)
    return _classify_status(response, None, f"HTTP {response.status} without a Graph error body")


def media_id_from(response: object, platform: str) -> str:
    """The ``id`` of an upload answer. The driver only sends back responses that
    :meth:`classify` called :class:`Sent`, which for an upload means one with an id."""
    if not isinstance(response, HttpResponse):
        raise UnexpectedResponse(
            f"{platform} upload step expected an HTTP response back, got {type(response).__name__}"
        )
    try:
        document = json.loads(response.body)
    except (ValueError, RecursionError):
        document = None
    media_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(media_id, str) or not media_id:
        raise UnexpectedResponse(f"{platform} upload answer has no media id")
    return media_id


# --- reading webhook JSON ----------------------------------------------------------------------


def load_object(body: bytes, *, platform: str) -> dict[str, Any]:
    """The webhook body as a JSON object, or :class:`MalformedWebhook` saying why not."""
    try:
        document = fastjson.loads(body)
    except RecursionError:
        raise MalformedWebhook(f"{platform} webhook body is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedWebhook(f"{platform} webhook body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MalformedWebhook(
            f"{platform} webhook body must be a JSON object, got {type(document).__name__}"
        )
    return document


def expect_object(parent: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise MalformedWebhook(f"{path}.{key} must be an object, got {_kind(value)}")
    return value


def optional_object(parent: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
    if parent.get(key) is None:
        return None
    return expect_object(parent, key, path)


def expect_list(parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = parent.get(key)
    if not isinstance(value, list):
        raise MalformedWebhook(f"{path}.{key} must be a list, got {_kind(value)}")
    return value


def optional_list(parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
    if parent.get(key) is None:
        return []
    return expect_list(parent, key, path)


def as_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedWebhook(f"{path} must be an object, got {_kind(value)}")
    return value


def expect_str(parent: Mapping[str, Any], key: str, path: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedWebhook(f"{path}.{key} must be a non-empty string, got {_kind(value)}")
    return value


def optional_str(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedWebhook(f"{path}.{key} must be a string, got {_kind(value)}")
    return value


def optional_id(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    """An id Meta documents as a string but that some payloads carry as a number."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value or None
    raise MalformedWebhook(f"{path}.{key} must be an id string, got {_kind(value)}")


_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime can hold


def timestamp(value: Any, path: str, *, unit: float) -> datetime:
    """A unix timestamp (``unit`` 1 for seconds, 1000 for milliseconds) as a UTC datetime.

    WhatsApp sends seconds as a *string*, Messenger milliseconds as a number; both forms
    are accepted. Anything else, or a time outside years 1970-9999, is malformed.
    """
    number: float
    if isinstance(value, bool):
        raise MalformedWebhook(f"{path} must be a unix timestamp, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise MalformedWebhook(
                f"{path} must be a unix timestamp, got a non-numeric string"
            ) from None
    else:
        raise MalformedWebhook(f"{path} must be a unix timestamp, got {_kind(value)}")
    seconds = number / unit
    if not math.isfinite(seconds) or not 0 <= seconds <= _MAX_SECONDS:
        raise MalformedWebhook(f"{path} is not a plausible unix timestamp")
    return datetime.fromtimestamp(seconds, UTC)


def raw_json(value: Any) -> str:
    """JSON text of a payload kept on an :class:`~mmtkit.messages.UnknownEvent`."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (ValueError, RecursionError):
        raise MalformedWebhook("webhook payload cannot be kept as JSON") from None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# --- the common adapter body ---------------------------------------------------------------------


def _optional_text(value: str | int | None) -> str | None:
    """A text setting; numeric ids (a page id typed as a number) become text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"expected a string or None, got {type(value).__name__}")
    return value or None


@define(kw_only=True)
class GraphAdapterBase:
    """Settings and behaviour both Meta adapters share; each adds how it builds requests,
    reads a success body and parses webhooks.

    ``signature_tolerance`` is accepted because every built-in adapter takes it, and ignored:
    Meta's signature carries no timestamp, so there is nothing to compare it with.

    Not frozen: the :class:`~mmtkit.adapter.Adapter` protocol declares ``capabilities`` as a
    plain (settable) attribute, which a frozen class cannot satisfy for the type checker.
    """

    app_secret: str | None = field(default=None, converter=_optional_text, repr=False)
    account_id: str | None = field(default=None, converter=_optional_text)
    verify_token: str | None = field(default=None, converter=_optional_text, repr=False)
    api_version: str = field(default=DEFAULT_API_VERSION, converter=check_api_version)
    base_url: str = field(default=DEFAULT_BASE_URL, converter=check_base_url)
    signature_tolerance: float | None = None
    throttle_codes: frozenset[int] = field(default=frozenset(), converter=frozenset)
    """Further Graph codes to treat as an account-level throttle (beyond the reference's)."""

    def handshake(self, query: Mapping[str, str]) -> str:
        """The ``hub.challenge`` to answer Meta's subscription GET with; raises
        :class:`~mmtkit.errors.HandshakeError` when the verify token is not ours."""
        return handshake(query, self.verify_token)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> None:
        """Check ``X-Hub-Signature-256`` over the raw bytes. ``now`` is ignored: Meta's
        scheme has no timestamp, hence no replay window."""
        del now
        verify_signature(headers, body, self.app_secret)

    def sign_webhook(self, body: bytes, *, now: float) -> dict[str, str]:
        del now
        return sign(self.app_secret, body)

    def classify(self, response: HttpResponse) -> Outcome:
        return classify_graph(response, self._read_success, throttle_codes=self.throttle_codes)

    def _read_success(self, document: Any) -> Sent | None:
        raise NotImplementedError
