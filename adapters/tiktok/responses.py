"""Classify TikTok API for Business answers into typed outcomes.

TikTok reports most failures as **HTTP 200** with a non-zero ``code`` in the envelope
``{"code", "message", "request_id", "data"}``, and says the code takes precedence over the
HTTP status. So the body is read first; the HTTP status decides only when there is no
envelope to read. Every input maps to exactly one outcome and nothing here raises: a
classifier that crashes would turn a platform hiccup into a lost message.

The code table follows ``reference/platform-apis.md`` §1.8; ``docs/adapters/tiktok.md``
explains each row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from attrs import frozen

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

__all__ = ["CODE_TABLE", "Envelope", "classify", "read_envelope"]

OK = 0
PARTIAL_SUCCESS = 20001
_REASON_LIMIT = 200


@frozen
class Envelope:
    """The parts of a TikTok answer that classification and plans read."""

    code: int
    message: str
    request_id: str | None
    data: Mapping[str, Any]


@frozen
class _Rule:
    outcome: type[Throttled] | type[Rejected] | type[Retryable]
    kind: RejectionKind = RejectionKind.OTHER
    scope: str = "app"
    hint: str = ""


CODE_TABLE: Mapping[int, _Rule] = {
    40001: _Rule(Rejected, RejectionKind.PERMISSION, hint="the token lacks a scope"),
    40002: _Rule(Rejected, RejectionKind.INVALID_REQUEST),
    40007: _Rule(Rejected, RejectionKind.UNREACHABLE, hint="conversation or target missing"),
    40008: _Rule(Rejected, RejectionKind.INVALID_REQUEST, hint="endpoint not in the sandbox?"),
    40014: _Rule(Rejected, RejectionKind.INVALID_REQUEST, hint="endpoint not in the sandbox?"),
    40064: _Rule(Rejected, RejectionKind.BLOCKED, hint="blocked by DM rules; do not retry"),
    40100: _Rule(Throttled, scope="app"),
    40133: _Rule(Throttled, scope="account"),
    40102: _Rule(Rejected, RejectionKind.TOKEN_EXPIRED, hint="refresh the access token"),
    40104: _Rule(Rejected, RejectionKind.TOKEN_EXPIRED, hint="no Access-Token header; refresh"),
    40105: _Rule(Rejected, RejectionKind.TOKEN_EXPIRED, hint="access token invalid; refresh"),
    40103: _Rule(Rejected, RejectionKind.TOKEN_INVALID, hint="refresh token expired; re-authorise"),
    40107: _Rule(Rejected, RejectionKind.TOKEN_INVALID, hint="refresh token invalid; re-authorise"),
    40908: _Rule(Rejected, RejectionKind.INVALID_REQUEST, hint="unsupported file type"),
}
"""Non-zero codes with a known meaning. Any other ``5xxxx`` is a TikTok system error
(retryable); any other code is a permanent refusal."""


def _id_text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def read_envelope(body: bytes) -> Envelope | None:
    """The envelope in ``body``, or None when the body is not one (HTML error pages, empty
    bodies, truncated JSON). Never raises."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    code = document.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    message = document.get("message")
    data = document.get("data")
    return Envelope(
        code=code,
        message=message if isinstance(message, str) else "",
        request_id=_id_text(document.get("request_id")),
        data=data if isinstance(data, dict) else {},
    )


def message_id_of(data: Mapping[str, Any]) -> str | None:
    """``data.message.message_id`` of a send answer (empty for sender actions)."""
    message = data.get("message")
    return _id_text(message.get("message_id")) if isinstance(message, dict) else None


def _reason(envelope: Envelope, hint: str) -> str:
    text = envelope.message[:_REASON_LIMIT]
    parts = [f"TikTok {envelope.code}: {text}" if text else f"TikTok {envelope.code}"]
    if hint:
        parts.append(f"({hint})")
    if envelope.request_id:
        parts.append(f"[request_id {envelope.request_id}]")
    return " ".join(parts)


def _from_envelope(envelope: Envelope) -> Outcome:
    code = envelope.code
    if code == OK:
        return Sent(message_id=message_id_of(envelope.data), data=dict(envelope.data))
    if code == PARTIAL_SUCCESS:
        # One message per request, so "partial" can only be trusted when TikTok names what
        # it created; otherwise we cannot tell whether the message went out.
        message_id = message_id_of(envelope.data)
        if message_id is not None or _id_text(envelope.data.get("media_id")) is not None:
            return Sent(message_id=message_id, data=dict(envelope.data))
        return Ambiguous(reason=_reason(envelope, "partial success without a message id"))
    rule = CODE_TABLE.get(code)
    reason_code = str(code)
    if rule is None:
        if 50000 <= code <= 59999:
            return Retryable(code=reason_code, reason=_reason(envelope, "TikTok system error"))
        return Rejected(code=reason_code, reason=_reason(envelope, ""), kind=RejectionKind.OTHER)
    reason = _reason(envelope, rule.hint)
    if rule.outcome is Throttled:
        # TikTok sends no Retry-After nor rate-limit headers: there is no hint to pass on.
        return Throttled(code=reason_code, retry_after=None, scope=rule.scope, reason=reason)
    if rule.outcome is Retryable:
        return Retryable(code=reason_code, reason=reason)
    return Rejected(code=reason_code, reason=reason, kind=rule.kind)


def _from_status(status: int) -> Outcome:
    code = f"http_{status}"
    if 200 <= status <= 299:
        return Ambiguous(reason=f"HTTP {status} without a readable TikTok envelope")
    if status == 429:
        return Throttled(code=code, retry_after=None, scope="app", reason="HTTP 429")
    if status >= 500:
        return Retryable(code=code, reason=f"HTTP {status} from TikTok or a proxy")
    if status in (401, 403):
        return Rejected(code=code, reason=f"HTTP {status}", kind=RejectionKind.TOKEN_INVALID)
    if status == 404:
        return Rejected(
            code=code,
            reason="HTTP 404: unknown path (TikTok paths end in '/'; check base_url)",
            kind=RejectionKind.INVALID_REQUEST,
        )
    return Rejected(
        code=code, reason=f"unexpected HTTP {status}", kind=RejectionKind.INVALID_REQUEST
    )


def classify(response: HttpResponse) -> Outcome:
    """Exactly one outcome for any response; see the module docstring for the order."""
    envelope = read_envelope(response.body)
    if envelope is not None:
        return _from_envelope(envelope)
    return _from_status(response.status)
