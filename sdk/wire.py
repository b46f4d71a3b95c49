"""The JSON form of mmtkit's values, kept apart from the domain types.

One ``cattrs`` converter knows how every value crosses a process boundary (the store, the
outbox, the CLI, CRM webhooks): datetimes as ISO 8601 in UTC, bytes as base64, enums by
value (mmtkit's enums are ``StrEnum``: their members *are* their string values), and the
two unions tagged so they round-trip -- inbound events by ``type``
(``message_received``, ``ad_referral``...) and outbound content by ``kind``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, get_origin

import cattrs
from cattrs.strategies import configure_tagged_union

from mmtkit.messages import (
    EVENT_TYPE_NAMES,
    Content,
    ContentKind,
    InboundEvent,
    utc,
)

__all__ = ["converter", "dumps", "event_from_dict", "event_to_dict", "loads"]



def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 string, got {type(value).__name__}")
    return utc(datetime.fromisoformat(value))


def _structure_bytes(value: Any, _: type) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"expected base64 text, got {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64: {exc}") from None


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or get_origin(cls) is frozenset


def _make() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(datetime, lambda d: utc(d).isoformat())
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_structure_hook(bytes, _structure_bytes)
    # Sets are sorted so the same value always serialises to the same text.
    conv.register_unstructure_hook_func(
        _is_frozenset, lambda s: sorted(conv.unstructure(x) for x in s)
    )
    configure_tagged_union(
        InboundEvent,
        conv,
        tag_generator=lambda cls: EVENT_TYPE_NAMES[cls],
        tag_name="type",
    )
    configure_tagged_union(
        Content,
        conv,
        tag_generator=lambda cls: ContentKind(getattr(cls, "kind")).value,  # noqa: B009
        tag_name="kind",
    )
    return conv


converter = _make()


def event_to_dict(event: InboundEvent) -> dict[str, Any]:
    result: dict[str, Any] = converter.unstructure(event, unstructure_as=InboundEvent)
    return result


def event_from_dict(data: dict[str, Any]) -> InboundEvent:
    event: InboundEvent = converter.structure(data, InboundEvent)  # type: ignore[arg-type]
    return event


def dumps(value: Any, unstructure_as: Any = None) -> str:
    """JSON text for any mmtkit value (pass ``unstructure_as=InboundEvent`` or ``Content`` to
    include the union tag)."""
    data = converter.unstructure(value, unstructure_as=unstructure_as)
    return json.dumps(data, ensure_ascii=False)


def loads(text: str | bytes, cls: Any) -> Any:
    return converter.structure(json.loads(text), cls)
