"""The emulator without a socket: a synchronous client that calls the ASGI app in memory.

For tests of request/answer rules this is the quickest way in (no port, no thread, no server
start-up); tests of what only a real connection shows (timeouts, dropped connections,
webhooks posted in the background) use :class:`~mmtkit.sandbox.Sandbox` instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from mmtkit.sandbox.app import build_app
from mmtkit.sandbox.config import SandboxConfig, parse_config
from mmtkit.sandbox.emulator import Emulator

__all__ = ["InMemorySandbox"]


class InMemorySandbox:
    """``emulator`` holds the state; ``request``/``get``/``post`` take httpx's arguments."""

    def __init__(self, config: SandboxConfig | dict[str, Any] | None = None) -> None:
        if isinstance(config, dict):
            config = parse_config(config)
        self.emulator = Emulator(config)
        self.app = build_app(self.emulator)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)
