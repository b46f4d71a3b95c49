"""Reading what a client sent, the tolerant-parser way the platforms do it."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

__all__ = ["IDEMPOTENCY_HEADERS", "idempotency_headers", "json_object"]

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
"""Headers a client may send to identify retries. No platform honours them (none documents an
idempotency key); the emulator records them in the ledger so tests can detect doubles."""


async def json_object(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    raw = await request.body()
    try:
        value = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def idempotency_headers(request: Request) -> dict[str, str]:
    for name in IDEMPOTENCY_HEADERS:
        value = request.headers.get(name)
        if value:
            return {"idempotency_key": value}
    return {}
