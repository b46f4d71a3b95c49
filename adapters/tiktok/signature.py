"""TikTok webhook signatures: ``Tiktok-Signature: t=<unix seconds>,s=<hex>``.

The signature is HMAC-SHA256 keyed with the app secret over ``t + "." + raw_body``, so it
must be checked on the bytes exactly as received (re-serialised JSON differs) and the
timestamp it covers must be recent, or an attacker could replay a captured request. The
header's parts are matched by name, not position, because nothing promises their order.
"""

from __future__ import annotations

import hmac
import math
import re
import string
from collections.abc import Mapping
from typing import NamedTuple

from mmtkit.errors import SignatureError, StaleWebhook

__all__ = ["SIGNATURE_HEADER", "ParsedSignature", "parse_signature_header", "sign", "verify"]

SIGNATURE_HEADER = "Tiktok-Signature"
_HEX = frozenset(string.hexdigits)
_CANONICAL = re.compile(r"t=([0-9]{1,12}),s=([0-9a-f]{64})")
_DIGEST_HEX_LENGTH = 64  # SHA-256


class ParsedSignature(NamedTuple):
    timestamp: int
    timestamp_text: str
    """``t`` exactly as sent: the signed payload uses the text, not a re-rendered number."""
    signature: str
    """Lower-case hex."""


def _find_header(headers: Mapping[str, str], name: str) -> str | None:
    # Mappings such as httpx.Headers are case-insensitive already; a plain dict is not.
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if isinstance(key, str) and key.lower() == lowered:
            return item
    return None


def parse_signature_header(value: str) -> ParsedSignature:
    """Split ``t=...,s=...`` into its parts, tolerating whitespace, any order and unknown
    parts; refuse a missing, repeated or ill-formed ``t`` or ``s``."""
    canonical = _CANONICAL.fullmatch(value)
    if canonical is not None:  # what TikTok sends: skip the general parser (hot path)
        timestamp_text, signature = canonical.groups()
        return ParsedSignature(int(timestamp_text), timestamp_text, signature)
    found: dict[str, str] = {}
    for raw_part in value.split(","):
        name, sep, part_value = raw_part.partition("=")
        name = name.strip().lower()
        if not sep:
            if not name:
                continue  # tolerate a stray comma
            raise SignatureError(f"{SIGNATURE_HEADER} part {name[:20]!r} is not name=value")
        if name in found and name in ("t", "s"):
            raise SignatureError(f"{SIGNATURE_HEADER} has more than one {name[:20]}= part")
        found[name] = part_value.strip()
    timestamp_text = found.get("t")
    signature = found.get("s")
    if timestamp_text is None or signature is None:
        missing = " and ".join(f"{n}=" for n in ("t", "s") if n not in found)
        raise SignatureError(f"{SIGNATURE_HEADER} has no {missing} part")
    if not (timestamp_text.isascii() and timestamp_text.isdigit()) or len(timestamp_text) > 12:
        raise SignatureError(f"{SIGNATURE_HEADER} t= is not a unix time in seconds")
    if len(signature) != _DIGEST_HEX_LENGTH or not _HEX.issuperset(signature):
        raise SignatureError(
            f"{SIGNATURE_HEADER} s= is not a {_DIGEST_HEX_LENGTH}-digit hex HMAC-SHA256"
        )
    return ParsedSignature(int(timestamp_text), timestamp_text, signature.lower())


def _digest(secret: bytes, timestamp: str, body: bytes) -> bytes:
    # One C call over ``t.body``: hmac.digest is several times faster than hmac.new().update().
    return hmac.digest(secret, timestamp.encode("ascii") + b"." + body, "sha256")


def sign(secret: bytes, body: bytes, now: float) -> dict[str, str]:
    """Headers that make ``body`` authentic at unix time ``now`` (sandbox and tests)."""
    timestamp = str(math.floor(now))
    return {SIGNATURE_HEADER: f"t={timestamp},s={_digest(secret, timestamp, body).hex()}"}


def verify(
    secret: bytes, headers: Mapping[str, str], body: bytes, *, now: float, tolerance: float
) -> None:
    """Raise :class:`SignatureError` unless ``body`` was signed with ``secret`` within
    ``tolerance`` seconds of ``now`` (either side: a clock far ahead is as suspect as an
    old request). The signature is checked before the time, so a forged request is always
    reported as forged."""
    header = _find_header(headers, SIGNATURE_HEADER)
    if header is None:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    parsed = parse_signature_header(header)
    expected = _digest(secret, parsed.timestamp_text, body)
    if not hmac.compare_digest(expected, bytes.fromhex(parsed.signature)):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the body (wrong app secret, or the body was "
            "changed or re-serialised after signing)"
        )
    age = now - parsed.timestamp
    if age > tolerance:
        raise StaleWebhook(
            f"{SIGNATURE_HEADER} timestamp is {age:.0f} s old (tolerance {tolerance:g} s); "
            "a possible replay"
        )
    if -age > tolerance:
        raise StaleWebhook(
            f"{SIGNATURE_HEADER} timestamp is {-age:.0f} s in the future "
            f"(tolerance {tolerance:g} s); check the server clock"
        )
