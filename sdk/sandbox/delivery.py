"""Posting signed webhooks to the gateway, with the platform's delivery quirks as faults.

Platforms deliver at least once, sometimes twice, sometimes late, and WhatsApp statuses in any
order. :class:`Delivery` reproduces that on demand (``webhook_faults``) and keeps a record of
every attempt so a test can see what the gateway was shown.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from attrs import field, frozen

from mmtkit.sandbox.config import WebhookFaultConfig
from mmtkit.sandbox.faults import FaultPicker

if TYPE_CHECKING:
    import httpx

__all__ = ["Attempt", "Delivery", "Webhook"]


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~50 ms; a webhook burst must not pay it per delivery.
    return ssl.create_default_context()


@frozen
class Webhook:
    """One signed webhook request, ready to post: the body is signed exactly as sent."""

    platform: str
    kind: str
    body: bytes
    headers: Mapping[str, str] = field(factory=dict)


@frozen
class Attempt:
    platform: str
    kind: str
    url: str
    status: int | None
    error: str | None = None
    duplicate: bool = False


class Delivery:
    def __init__(
        self, faults: WebhookFaultConfig, picker: FaultPicker, timeout: float = 5.0
    ) -> None:
        self._faults = faults
        self._picker = picker
        self._timeout = timeout
        self._lock = threading.Lock()
        self._attempts: list[Attempt] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    def clear(self) -> None:
        with self._lock:
            self._attempts.clear()

    async def post(
        self, url: str, hooks: Iterable[Webhook], *, delay: float = 0.0
    ) -> list[Attempt]:
        """Post ``hooks`` in order (duplicating some when configured); never raises."""
        if delay:
            await asyncio.sleep(delay)
        made: list[Attempt] = []
        import httpx  # only when webhooks are posted: keeps `mmtkit sandbox` start-up short

        async with httpx.AsyncClient(timeout=self._timeout, verify=_tls()) as client:
            for hook in hooks:
                made.append(await self._post_one(client, url, hook, duplicate=False))
                if self._picker.chance(self._faults.duplicate):
                    made.append(await self._post_one(client, url, hook, duplicate=True))
        return made

    def post_sync(self, url: str, hooks: Iterable[Webhook]) -> list[Attempt]:
        """:meth:`post` for callers outside an event loop (the Python customer API)."""
        return asyncio.run(self.post(url, list(hooks)))

    def spawn(self, url: str, hooks: list[Webhook], *, statuses: bool = False) -> None:
        """Post in the background of the running loop (echoes and statuses after a send)."""
        if statuses and self._faults.out_of_order_statuses:
            hooks = list(reversed(hooks))
        delay = 0.0 if statuses else self._faults.echo_delay_seconds
        task = asyncio.get_running_loop().create_task(self._quiet(url, hooks, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quiet(self, url: str, hooks: list[Webhook], delay: float) -> None:
        await self.post(url, hooks, delay=delay)

    async def _post_one(
        self, client: httpx.AsyncClient, url: str, hook: Webhook, *, duplicate: bool
    ) -> Attempt:
        import httpx  # already loaded by post()

        headers = {"Content-Type": "application/json", **hook.headers}
        try:
            response = await client.post(url, content=hook.body, headers=headers)
            attempt = Attempt(hook.platform, hook.kind, url, response.status_code, None, duplicate)
        except httpx.HTTPError as exc:
            attempt = Attempt(hook.platform, hook.kind, url, None, type(exc).__name__, duplicate)
        with self._lock:
            self._attempts.append(attempt)
        return attempt
