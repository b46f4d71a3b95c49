"""Standard Webhooks signatures for the webhooks mmtkit sends (CRM hand-off).

The scheme (standardwebhooks.com, the one Svix, Clerk and others use): each request carries
``webhook-id`` (stable across retries, for the receiver's dedup), ``webhook-timestamp``
(seconds, of this attempt, so a receiver can refuse replays) and ``webhook-signature``:
``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")). Secrets are written
``whsec_`` + base64(key). During a rotation the request is signed with every configured secret,
space-separated, newest first, so receivers holding either secret accept it.

The signing is a dozen lines of the standard library; the tests check it against the
specification's published example and the reference implementation's output.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from attrs import field, frozen

from mmtkit.errors import ConfigError, SignatureError, StaleWebhook

__all__ = ["SECRET_PREFIX", "SigningSecret", "signature_headers", "verify"]

SECRET_PREFIX = "whsec_"


def _key(text: str) -> bytes:
    encoded = text.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ConfigError("a webhook secret must be whsec_ followed by base64") from None
    if len(key) < 16:
        raise ConfigError("a webhook secret must hold at least 16 bytes (24 to 64 recommended)")
    return key


@frozen
class SigningSecret:
    """One secret; its value never appears in a ``repr`` or an error message."""

    key: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> SigningSecret:
        return cls(_key(text.strip()))

    def sign(self, message_id: str, timestamp: int, body: bytes) -> str:
        signed = f"{message_id}.{timestamp}.".encode() + body
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    secrets: Sequence[SigningSecret], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers (plus the JSON content type) for one attempt."""
    if not secrets:
        raise ConfigError("an outgoing webhook needs at least one signing secret")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(s.sign(message_id, timestamp, body) for s in secrets),
        "content-type": "application/json",
    }


def verify(
    secret: SigningSecret,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
    tolerance: int = 300,
) -> None:
    """What a receiver does (for tests and for apps receiving mmtkit's webhooks): raise
    :class:`~mmtkit.errors.SignatureError` unless one signature matches ``secret`` and the
    timestamp is within ``tolerance`` seconds of ``now``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        signatures = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        raise SignatureError("missing or malformed Standard Webhooks headers") from None
    if abs(now - timestamp) > tolerance:
        raise StaleWebhook("webhook timestamp outside the tolerance")
    expected = secret.sign(message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("no webhook signature matches")
