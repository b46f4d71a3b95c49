"""How typed values become column values, for any SQL backend.

Times are stored as integer microseconds since the Unix epoch in UTC: exact (no float
rounding), ordered the same way as the instants they stand for (ISO text is not: ``...00+00:00``
sorts before ``...00.5+00:00`` only by luck of the ASCII table), and a plain ``BIGINT`` in
PostgreSQL. Typed values (content, conversations) use the one JSON form of
:mod:`mmtkit.wire`; headers are a JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cattrs.errors import CattrsError

from mmtkit import wire
from mmtkit.messages import utc
from mmtkit.store.errors import CorruptRow

__all__ = [
    "decode",
    "from_micros",
    "headers_from_json",
    "headers_to_json",
    "opt_from_micros",
    "opt_micros",
    "to_micros",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: datetime) -> int:
    return (utc(value) - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def opt_micros(value: datetime | None) -> int | None:
    return None if value is None else to_micros(value)


def opt_from_micros(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def headers_to_json(headers: Mapping[str, str]) -> str:
    return json.dumps({k.lower(): v for k, v in headers.items()}, sort_keys=True)


def headers_from_json(text: str) -> dict[str, str]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("headers are not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def decode(table: str, key: object, text: str, cls: Any) -> Any:
    """``wire.loads`` that turns any failure into :class:`CorruptRow` naming the row.

    Only the exception's type goes into the message: validators quote offending values, and
    those may be message content.
    """
    try:
        return wire.loads(text, cls)
    except (ValueError, TypeError, KeyError, CattrsError) as exc:
        raise CorruptRow(table, key, type(exc).__name__) from exc
