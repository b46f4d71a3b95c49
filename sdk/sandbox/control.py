"""The sandbox's own HTTP API under ``/_sandbox/``: ledger, customers, clock, faults, reset.

It lets tests written in any language, and benchmarks running the sandbox in another
process, do what Python tests do through :class:`~mmtkit.sandbox.Sandbox`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import asdict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mmtkit.errors import MmtkitError
from mmtkit.sandbox.config import ROUTES, FaultConfig, parse_config
from mmtkit.sandbox.customers import UnknownAction
from mmtkit.sandbox.requests import json_object

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["routes"]


def _problem(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def routes(emu: Emulator) -> list[Route]:
    async def ledger(request: Request) -> Response:
        q = request.query_params
        entries = emu.ledger.entries(
            platform=q.get("platform"),
            kind=q.get("kind"),
            direction=q.get("direction"),
            conversation=q.get("conversation"),
        )
        return JSONResponse({"count": len(entries), "entries": [e.to_json() for e in entries]})

    async def deliveries(request: Request) -> Response:
        attempts = [asdict(a) for a in emu.delivery.attempts]
        return JSONResponse({"count": len(attempts), "attempts": attempts})

    async def customer(request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            body = {}
        try:
            done = await emu.customers.perform(request.path_params["action"], **body)
        except UnknownAction as exc:
            return _problem(404, str(exc))
        except TypeError as exc:
            return _problem(400, f"bad arguments: {exc}")
        except MmtkitError as exc:
            return _problem(400, str(exc))
        return JSONResponse(done.to_json(), status_code=201)

    async def clock(request: Request) -> Response:
        body = await json_object(request) or {}
        seconds = body.get("advance_seconds", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _problem(400, "advance_seconds must be a non-negative number")
        return JSONResponse({"now": emu.clock.advance(float(seconds))})

    async def faults(request: Request) -> Response:
        route = request.path_params["route"]
        if route not in ROUTES:
            return _problem(404, f"unknown route {route!r}; known: {', '.join(ROUTES)}")
        body: dict[str, Any] = await json_object(request) or {}
        try:
            parsed = parse_config({"faults": {route: body}})
        except MmtkitError as exc:
            return _problem(400, str(exc))
        emu.faults.set(route, parsed.faults.get(route, FaultConfig()))
        return JSONResponse({"route": route, "faults": asdict(emu.faults.config(route))})

    async def reset(request: Request) -> Response:
        emu.reset()
        return JSONResponse({"reset": True})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/ledger", ledger, methods=["GET"]),
        Route("/_sandbox/deliveries", deliveries, methods=["GET"]),
        Route("/_sandbox/customers/{action}", customer, methods=["POST"]),
        Route("/_sandbox/clock", clock, methods=["POST"]),
        Route("/_sandbox/faults/{route}", faults, methods=["PUT"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
    ]
