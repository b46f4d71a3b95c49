"""The JSON decoder for hot paths: webhook bodies, read on every request.

orjson is a maintained C decoder, about three times faster than the standard library's on
webhook-sized documents (TikTok's webhooks even nest a second JSON document inside the
first). Its errors are ``ValueError`` subclasses, like the standard library's, so callers
catch the same thing. It refuses what a platform never sends: integers beyond 64 bits, and
bytes that are not UTF-8 (RFC 8259 §8.1).
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["DecodeError", "NestedTooDeeply", "loads"]

DecodeError = orjson.JSONDecodeError


class NestedTooDeeply(RecursionError, ValueError):
    """The document nests deeper than the decoder follows (1,024 levels); a
    ``RecursionError`` like the standard library's, and a ``ValueError`` like any bad JSON."""


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise NestedTooDeeply(str(exc)) from None
        raise
