"""Choosing which fault, if any, hits the next request on a route.

A scripted ``sequence`` is played first, one step per request, so a test can say exactly
"the first call times out after processing, the second succeeds"; after it, each request draws
against the configured probabilities with a seeded random generator, so a benchmark run with
the same seed meets the same faults.
"""

from __future__ import annotations

import random
import threading
from collections import deque

from mmtkit.sandbox.config import FAULT_KINDS, FaultConfig

__all__ = ["FaultPicker"]

_NO_FAULTS = FaultConfig()


class FaultPicker:
    def __init__(self, faults: dict[str, FaultConfig], seed: int | None) -> None:
        self._faults = dict(faults)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._scripts = {route: deque(cfg.sequence) for route, cfg in self._faults.items()}

    def config(self, route: str) -> FaultConfig:
        return self._faults.get(route) or _NO_FAULTS

    def set(self, route: str, faults: FaultConfig) -> None:
        """Replace a route's faults (and restart its script) while the sandbox runs."""
        with self._lock:
            self._faults[route] = faults
            self._scripts[route] = deque(faults.sequence)

    def next(self, route: str) -> str | None:
        """The fault kind for this request on ``route``, or None for a normal answer."""
        with self._lock:
            script = self._scripts.get(route)
            if script:
                step = script.popleft()
                return None if step == "ok" else step
            cfg = self._faults.get(route)
            if cfg is None:
                return None
            draw = self._random.random()
            for kind in FAULT_KINDS:
                chance: float = getattr(cfg, kind)
                if draw < chance:
                    return kind
                draw -= chance
            return None

    def chance(self, probability: float) -> bool:
        """One seeded draw (used for webhook duplicates)."""
        with self._lock:
            return self._random.random() < probability
