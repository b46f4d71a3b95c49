"""Meta's webhook signature (WhatsApp Cloud API and Messenger), as Meta computes it.

``X-Hub-Signature-256: sha256=<hex>``: HMAC-SHA256 keyed with the app secret over the raw
request body. Kept apart from the adapters on purpose (see :mod:`.tiktok_signature`).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["HEADER", "sign"]

HEADER = "X-Hub-Signature-256"


def sign(app_secret: str, raw_body: bytes) -> str:
    """The header value for ``raw_body``."""
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
