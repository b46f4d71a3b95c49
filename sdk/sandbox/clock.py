"""The emulator's clock: wall time plus an offset a test can advance.

Reply windows last 24 h to 7 days; a test cannot wait that long, so it moves the emulator's
clock instead (``Sandbox.advance(hours=49)`` or ``POST /_sandbox/clock``). Rate limits keep
using real time, because they are about real request rates.
"""

from __future__ import annotations

import threading
import time

__all__ = ["Clock"]


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Unix seconds as the emulator sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never backward: windows only close with time)."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds} seconds")
        with self._lock:
            self._offset += seconds
        return self.now()
