"""Identifiers shaped like the platforms' own, so client code meets realistic values.

TikTok ids are numeric strings beyond the JavaScript safe-integer range and conversation ids
are base64 that may contain ``+`` (clients must percent-encode them); WhatsApp message ids
start with ``wamid.``; Messenger's with ``m_``.
"""

from __future__ import annotations

import base64
import itertools
import secrets

__all__ = [
    "fbtrace_id",
    "messenger_mid",
    "request_id",
    "tiktok_conversation_id",
    "tiktok_id",
    "wamid",
]

_counter = itertools.count(1)


def tiktok_id() -> str:
    """A 19-digit id, above 2**53 like TikTok's message and media ids."""
    return str(7_000_000_000_000_000_000 + next(_counter) * 1_000_003 + secrets.randbelow(1000))


def tiktok_conversation_id() -> str:
    # 0xfb bytes make "+" likely in base64: the encoding trap the reference warns about.
    raw = bytes([0xFB, 0xEF]) + secrets.token_bytes(16)
    return base64.b64encode(raw).decode()


def wamid() -> str:
    return "wamid." + base64.b64encode(secrets.token_bytes(24)).decode().rstrip("=")


def messenger_mid() -> str:
    return "m_" + secrets.token_urlsafe(24)


def request_id() -> str:
    return secrets.token_hex(16)


def fbtrace_id() -> str:
    return secrets.token_urlsafe(8)
