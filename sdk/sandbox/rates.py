"""Rate limits the platform's way: a moving window per key, answering yes or no.

A platform's "N per second" lets a burst of N through and refuses the N+1st until the oldest
call leaves the window; a moving window is exactly that (no boundary at which a second burst
becomes free). Keys are whatever the platform counts by: TikTok the app (or app and endpoint in
sandbox mode), WhatsApp the phone number and the number/customer pair, Messenger the page.

Written here rather than taken from the ``limits`` library, on purpose: its in-memory storage
starts a timer thread every 10 ms to expire entries (a sixth of the emulator's CPU per request
in a profile, and GIL contention for the code under test in-process) and its import costs
about 0.2 s of ``mmtkit sandbox`` start-up; and the emulator must not share its limiter with
the client's (:mod:`mmtkit.ratelimit`), or a shared bug would make both agree.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable

from attrs import frozen

__all__ = ["Rate", "RateGate"]

_RATE = re.compile(
    r"\s*(?P<amount>\d+)\s*(?:/|per)\s*(?P<count>\d+)?\s*(?P<unit>second|minute|hour|day)s?\s*",
    re.IGNORECASE,
)
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@frozen
class Rate:
    """``amount`` calls per ``seconds``."""

    amount: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """'80/second', '600/minute', '1 per 6 seconds', '10 per second'."""
        match = _RATE.fullmatch(text)
        if match is None:
            raise ValueError(f"not a rate: {text!r}; write e.g. '80/second' or '1 per 6 seconds'")
        count = int(match["count"] or 1)
        amount = int(match["amount"])
        if amount < 1 or count < 1:
            raise ValueError(f"a rate needs at least 1 call per at least 1 unit, got {text!r}")
        return cls(amount, count * _SECONDS[match["unit"].lower()])


class RateGate:
    """Thread-safe moving windows; memory per key is at most ``amount`` timestamps."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rates: dict[str, Rate] = {}
        self._windows: dict[tuple[str, ...], deque[float]] = {}
        self._booked: dict[tuple[str, ...], float] = {}

    def allow(self, rate: str, *key: str) -> bool:
        """Count one call under ``key`` against ``rate``; False (not counted) when over."""
        limit = self._rates.get(rate)
        if limit is None:
            limit = self._rates[rate] = Rate.parse(rate)
        now = self._clock()
        with self._lock:
            window = self._windows.get((rate, *key))
            if window is None:
                window = self._windows[(rate, *key)] = deque()
            cutoff = now - limit.seconds
            while window and window[0] <= cutoff:
                window.popleft()
            if len(window) >= limit.amount:
                return False
            window.append(now)
            return True

    def allow_burst(self, rate: str, burst: int, *key: str) -> bool:
        """Like :meth:`allow`, but ``burst`` calls may come at once and borrow from later:
        each call books one interval of ``rate``, and a call is refused while more than
        ``burst`` intervals are booked ahead (a cell-rate rule, how WhatsApp's pair rate
        behaves)."""
        limit = self._rates.get(rate)
        if limit is None:
            limit = self._rates[rate] = Rate.parse(rate)
        interval = limit.seconds / limit.amount
        now = self._clock()
        slot = ("burst", rate, *key)
        with self._lock:
            booked = max(self._booked.get(slot, now), now)
            if booked - now > interval * (burst - 1) + 1e-9:
                return False
            self._booked[slot] = booked + interval
            return True

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
            self._booked.clear()
