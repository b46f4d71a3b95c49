"""The one ASGI app that plays every platform, built on Starlette.

TikTok paths live under ``/open_api/v1.3/`` and Graph paths at the root, as on the real hosts,
so a client needs only its base URL changed. Slashes are not redirected: TikTok answers a
path without its trailing ``/`` with a 404, and so does the sandbox.
"""

from __future__ import annotations

from starlette.applications import Starlette

from mmtkit.sandbox import control, graph_routes, tiktok_api, tiktok_events
from mmtkit.sandbox.config import SandboxConfig
from mmtkit.sandbox.emulator import Emulator

__all__ = ["build_app"]


def build_app(emulator: Emulator | SandboxConfig | None = None) -> Starlette:
    emu = emulator if isinstance(emulator, Emulator) else Emulator(emulator)
    routes = [  # the platforms first: they carry the load
        *tiktok_api.routes(emu),
        *tiktok_events.routes(emu),
        *control.routes(emu),
        *graph_routes.routes(emu),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    app.state.emulator = emu
    return app
