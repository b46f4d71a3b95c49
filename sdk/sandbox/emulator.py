"""The emulator's state in one object, shared by the HTTP app and the Python API.

Everything a test may want to look at or steer lives here: the configuration, the movable
clock, the ledger, the conversations customers opened, the rate limits, the fault picker and
the webhook delivery. The ASGI app (:mod:`.app`) is a thin HTTP face on top of it.
"""

from __future__ import annotations

from typing import Any

from mmtkit.sandbox.clock import Clock
from mmtkit.sandbox.config import SandboxConfig
from mmtkit.sandbox.conversations import Conversations
from mmtkit.sandbox.customers import Customers
from mmtkit.sandbox.delivery import Delivery
from mmtkit.sandbox.faults import FaultPicker
from mmtkit.sandbox.guard import RequestContext
from mmtkit.sandbox.ledger import Ledger
from mmtkit.sandbox.rates import RateGate

__all__ = ["Emulator"]


class Emulator:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = Clock()
        self.ledger = Ledger()
        self.conversations = Conversations()
        self.rates = RateGate()
        self.faults = FaultPicker(self.config.faults, self.config.seed)
        self.delivery = Delivery(self.config.webhook_faults, self.faults)
        self.customers = Customers(self)
        # (business_id, media_id) -> facts about an uploaded TikTok image (never its bytes)
        self.media: dict[tuple[str, str], dict[str, Any]] = {}

    def deliver(self, ctx: RequestContext) -> None:
        """Post a request's side-effect webhooks (echoes, statuses) in the background."""
        for hooks, statuses in ((ctx.webhooks, False), (ctx.statuses, True)):
            if not hooks:
                continue
            url = self.config.webhook_url(hooks[0].platform)
            if url:
                self.delivery.spawn(url, hooks, statuses=statuses)

    def reset(self) -> None:
        """Forget everything that happened (not the configuration): a fresh platform."""
        self.ledger.clear()
        self.conversations.clear()
        self.rates.reset()
        self.delivery.clear()
        self.media.clear()
