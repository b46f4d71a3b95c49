"""TikTok's webhook signature, as TikTok computes it (the emulator plays the platform).

``Tiktok-Signature: t=<unix seconds>,s=<hex>`` where ``s`` is HMAC-SHA256 keyed with the app
secret over ``t + "." + raw_body``. Written from TikTok's verification page, independently of
the adapter's verifier, so a shared misreading cannot make both agree and both be wrong.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["HEADER", "sign"]

HEADER = "Tiktok-Signature"


def sign(app_secret: str, raw_body: bytes, timestamp: int) -> str:
    """The header value for ``raw_body`` signed at ``timestamp``."""
    signed_payload = str(timestamp).encode() + b"." + raw_body
    digest = hmac.new(app_secret.encode(), signed_payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={digest}"
