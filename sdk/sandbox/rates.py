"""Rate limits the platform's way, on top of the ``limits`` library's moving window.

A moving window is what a platform's "N per second" means to a client that bursts: there is
no boundary at which a second burst becomes free. Keys are whatever the platform counts by
(TikTok: the app, or the app and endpoint in sandbox mode; WhatsApp: the phone number, and the
number/recipient pair; Messenger: the page).
"""

from __future__ import annotations

from limits import RateLimitItem
from limits import parse as parse_rate
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["RateGate"]


class RateGate:
    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {}

    def allow(self, rate: str, *key: str) -> bool:
        """Count one call under ``key`` against ``rate`` ('10/second'); False when over."""
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = parse_rate(rate)
        return self._limiter.hit(item, *key)

    def reset(self) -> None:
        self._storage.reset()
