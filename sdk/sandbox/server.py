"""Running the emulator in-process: ``with Sandbox() as sb: ...``.

uvicorn serves the app from a background thread on a free loopback port, so the code under test
talks real HTTP (timeouts, dropped connections and all) while the test keeps a Python handle
on the same state: ledger, customers, clock, faults. Start-up takes a few tens of
milliseconds; :meth:`Sandbox.stop` shuts the server down and joins its thread.
"""

from __future__ import annotations

from typing import Any, Self

import attrs

from mmtkit.sandbox.app import build_app
from mmtkit.sandbox.config import FaultConfig, SandboxConfig, parse_config
from mmtkit.sandbox.customers import Customers
from mmtkit.sandbox.emulator import Emulator
from mmtkit.sandbox.ledger import Ledger
from mmtkit.serving import Running, ServerStartError, ThreadedServer

__all__ = ["Sandbox", "SandboxStartError"]


class SandboxStartError(ServerStartError):
    """The server thread did not come up (port taken, or it crashed while starting)."""


class SandboxAddresses:
    """Where each emulated platform lives under a sandbox's ``base_url``."""

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def tiktok_base_url(self) -> str:
        """Stands for ``https://business-api.tiktok.com/open_api/v1.3/``."""
        return f"{self.base_url}/open_api/v1.3/"

    @property
    def graph_base_url(self) -> str:
        """Stands for ``https://graph.facebook.com/``; add ``v21.0/{id}/messages``."""
        return f"{self.base_url}/"


class Sandbox(SandboxAddresses, Running):
    """A running emulator. ``config`` may be a :class:`SandboxConfig` or plain data."""

    def __init__(
        self,
        config: SandboxConfig | dict[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 5.0,
    ) -> None:
        if isinstance(config, dict):
            config = parse_config(config)
        self.emulator = Emulator(config)
        self.app = build_app(self.emulator)
        self._server = ThreadedServer(
            self.app,
            host=host,
            port=port,
            start_timeout=start_timeout,
            lifespan="off",
            name="mmtkit-sandbox",
        )

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        try:
            self._server.start()
        except ServerStartError as exc:
            raise SandboxStartError(str(exc)) from None
        return self

    def stop(self) -> None:
        self._server.stop()

    # --- where to point clients -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: Graph paths hang directly off it."""
        return self._server.url

    # --- steering from a test ---------------------------------------------------------------

    @property
    def config(self) -> SandboxConfig:
        return self.emulator.config

    @property
    def ledger(self) -> Ledger:
        return self.emulator.ledger

    @property
    def customers(self) -> Customers:
        return self.emulator.customers

    def set_gateway(self, url: str | None) -> None:
        """Send simulated webhooks to ``url`` from now on (e.g. a test's own receiver)."""
        self.emulator.config = attrs.evolve(self.emulator.config, gateway_url=url)

    def set_faults(self, route: str, **faults: Any) -> None:
        """Replace ``route``'s faults, e.g. ``set_faults("tiktok.send", sequence=["drop"])``."""
        parsed = parse_config({"faults": {route: faults}})
        self.emulator.faults.set(route, parsed.faults.get(route, FaultConfig()))

    def advance(self, *, seconds: float = 0, hours: float = 0, days: float = 0) -> float:
        """Move the emulator's clock forward (reply windows close); returns the new time."""
        return self.emulator.clock.advance(seconds + hours * 3600 + days * 86400)

    def reset(self) -> None:
        self.emulator.reset()
