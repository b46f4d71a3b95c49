"""The ledger: every message, media and event the emulator accepted, in order.

It exists so that a test or a benchmark can prove delivery guarantees end to end: nothing lost
(every send the client believes succeeded is here) and nothing doubled (no two entries share an
idempotency key or a conversation/body pair that should have been sent once). It is an
in-memory record for assertions, never a log: it is not written anywhere.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from attrs import asdict, field, frozen

__all__ = ["Ledger", "LedgerEntry"]


@frozen
class LedgerEntry:
    """One accepted item.

    ``idempotency`` holds whatever the request carried that could identify a retry: the
    ``Idempotency-Key`` header when a client sends one, WhatsApp's ``biz_opaque_callback_data``,
    an event's ``event_id``. ``answered_late`` marks the ambiguous case: the emulator kept the
    item but answered after the client's timeout (the ``processed_then_timeout`` fault).
    """

    seq: int
    platform: str
    kind: str
    direction: str
    platform_id: str
    account: str
    conversation: str | None = None
    idempotency: Mapping[str, str] = field(factory=dict)
    payload: Mapping[str, Any] = field(factory=dict)
    at: float = 0.0
    answered_late: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Ledger:
    """Thread-safe, append-only list of :class:`LedgerEntry` (the server runs in a thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []

    def record(
        self,
        *,
        platform: str,
        kind: str,
        platform_id: str,
        account: str,
        at: float,
        direction: str = "outbound",
        conversation: str | None = None,
        idempotency: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
        answered_late: bool = False,
    ) -> LedgerEntry:
        with self._lock:
            entry = LedgerEntry(
                seq=len(self._entries) + 1,
                platform=platform,
                kind=kind,
                direction=direction,
                platform_id=platform_id,
                account=account,
                conversation=conversation,
                idempotency=dict(idempotency or {}),
                payload=dict(payload or {}),
                at=at,
                answered_late=answered_late,
            )
            self._entries.append(entry)
            return entry

    def entries(
        self,
        *,
        platform: str | None = None,
        kind: str | None = None,
        direction: str | None = None,
        conversation: str | None = None,
    ) -> list[LedgerEntry]:
        """The entries matching every given filter, oldest first."""
        with self._lock:
            snapshot = list(self._entries)
        return [
            e
            for e in snapshot
            if (platform is None or e.platform == platform)
            and (kind is None or e.kind == kind)
            and (direction is None or e.direction == direction)
            and (conversation is None or e.conversation == conversation)
        ]

    def duplicates(self, key: str) -> dict[str, int]:
        """Idempotency values under ``key`` seen more than once, with their counts."""
        counts = Counter(e.idempotency[key] for e in self.entries() if key in e.idempotency)
        return {value: n for value, n in counts.items() if n > 1}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
