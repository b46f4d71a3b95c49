"""Client-side rate limits, keyed by scope, that slow down when the platform says so.

Limits are kept per *scope key*: the developer app (``app:tiktok``), the business account,
phone number or page (``account:whatsapp:<phone id>``) and one customer
(``recipient:whatsapp:<phone id>:<wa id>``, WhatsApp's pair rate). A request reserves a slot
in every scope it belongs to and waits for the latest of them.

The limiter never sleeps: :meth:`RateLimiter.reserve` answers *how long to wait*, and the
sync client sleeps while the async client awaits. That is why it is a small GCRA (generic
cell rate algorithm: one "theoretical arrival time" per key) rather than a library such as
``aiolimiter`` (async only) or ``limits`` (answers yes/no, so callers poll): a reservation
gives evenly spaced requests -- which is what lets a client sustain a platform's limit with no
throttle answers -- and the same arithmetic fits in one Redis script for a limiter shared by
several processes (the :class:`RateLimiter` protocol is the seam for that).

When the platform throttles anyway, :meth:`throttled` blocks the scope for the platform's
hint, or for an exponential backoff when it gives none, and :meth:`succeeded` lets it recover.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from attrs import frozen

from mmtkit.capabilities import RateLimit

__all__ = ["GcraLimiter", "RateLimiter", "ScopedLimit"]


@frozen
class ScopedLimit:
    """A limit applied to one concrete scope key. ``limit`` None: the scope has no rate of its
    own, but a throttle answer for it still holds requests back."""

    key: str
    limit: RateLimit | None


@runtime_checkable
class RateLimiter(Protocol):
    def reserve(self, limits: Iterable[ScopedLimit], now: float) -> float:
        """Book one request in every scope; return the seconds to wait before sending it."""
        ...

    def throttled(self, key: str, now: float, retry_after: float | None = None) -> float:
        """The platform throttled ``key``: block it; return how long it is blocked."""
        ...

    def succeeded(self, key: str) -> None:
        """A request in ``key`` went through: forget earlier throttles (recover)."""
        ...


class GcraLimiter:
    """In-process GCRA limiter with throttle backoff. Thread-safe; O(1) per scope.

    ``headroom`` scales every limit (0.97 keeps a client just under a platform's limit despite
    network jitter); ``burst`` is how many requests may go back to back after a pause.
    ``backoff_base``/``backoff_cap`` shape the backoff when a throttle answer has no hint.
    """

    def __init__(
        self,
        *,
        headroom: float = 0.97,
        burst: int = 1,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], got {headroom}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.headroom = headroom
        self.burst = burst
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._tat: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}
        self._strikes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._reservations = 0

    def _interval(self, limit: RateLimit) -> float:
        return 1.0 / (limit.rate * self.headroom)

    def reserve(self, limits: Iterable[ScopedLimit], now: float) -> float:
        with self._lock:
            wait = 0.0
            for scoped in limits:
                blocked = self._blocked_until.get(scoped.key, now)
                if scoped.limit is None:
                    wait = max(wait, blocked - now)
                    continue
                interval = self._interval(scoped.limit)
                tolerance = interval * (max(self.burst, scoped.limit.burst) - 1)
                tat = max(self._tat.get(scoped.key, now), now)
                start = max(tat - tolerance, blocked, now)
                self._tat[scoped.key] = max(tat, start) + interval
                wait = max(wait, start - now)
            self._reservations += 1
            if self._reservations % 4096 == 0:
                self._forget_idle(now)
            return wait

    def throttled(self, key: str, now: float, retry_after: float | None = None) -> float:
        with self._lock:
            strikes = self._strikes.get(key, 0)
            if retry_after is not None and retry_after >= 0:
                pause = retry_after
            else:
                pause = min(self.backoff_cap, self.backoff_base * 2**strikes)
            self._strikes[key] = strikes + 1
            until = max(self._blocked_until.get(key, now), now + pause)
            self._blocked_until[key] = until
            self._tat[key] = max(self._tat.get(key, now), until)
            return until - now

    def succeeded(self, key: str) -> None:
        if key in self._strikes:
            with self._lock:
                self._strikes.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        """Drop keys with nothing booked, so per-recipient scopes do not grow without bound."""
        idle = [k for k, tat in self._tat.items() if tat < now - 1.0]
        for key in idle:
            if self._blocked_until.get(key, 0.0) < now:
                self._tat.pop(key, None)
                self._blocked_until.pop(key, None)
                self._strikes.pop(key, None)
