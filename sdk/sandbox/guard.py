"""Fault injection around an emulated endpoint, the same for every platform.

Each endpoint is wrapped by :func:`guarded`: before the platform logic runs, the route's
:class:`~mmtkit.sandbox.faults.FaultPicker` decides whether this request meets a load
balancer 5xx, the platform's own throttle answer, a dropped connection or a slow answer; and
``processed_then_timeout`` lets the logic run (so the ledger keeps the message) and then holds
the answer past the client's timeout, which is the case a sender cannot tell apart from a loss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from attrs import define, field
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from mmtkit.sandbox.delivery import Webhook
from mmtkit.sandbox.faults import FaultPicker

__all__ = ["DroppedConnection", "RequestContext", "guarded"]


@define
class RequestContext:
    """What the platform logic of one request needs to know about faults and side effects."""

    late: bool = False
    webhooks: list[Webhook] = field(factory=list)
    statuses: list[Webhook] = field(factory=list)


class DroppedConnection(Response):
    """Starts a response, then stops mid-body: the server closes the connection on the client."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"code":', "more_body": True})


Handler = Callable[[Request, RequestContext], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(
    route: str,
    handler: Handler,
    *,
    faults: FaultPicker,
    throttled: Callable[[], Response],
    deliver: Callable[[RequestContext], None],
) -> Endpoint:
    """The Starlette endpoint for ``handler`` with ``route``'s faults applied."""

    async def endpoint(request: Request) -> Response:
        fault = faults.next(route)
        if fault is None:  # the common case, kept short: this path is benchmarked
            ctx = RequestContext()
            response = await handler(request, ctx)
            if ctx.webhooks or ctx.statuses:
                deliver(ctx)
            return response
        cfg = faults.config(route)
        if fault == "server_error":
            return PlainTextResponse("Service Unavailable", status_code=cfg.server_error_status)
        if fault == "throttle":
            return throttled()
        if fault == "drop":
            return DroppedConnection()
        if fault == "slow":
            await asyncio.sleep(cfg.slow_seconds)
        ctx = RequestContext(late=fault == "processed_then_timeout")
        response = await handler(request, ctx)
        if ctx.webhooks or ctx.statuses:
            deliver(ctx)
        if ctx.late:
            await asyncio.sleep(cfg.late_answer_seconds)
        return response

    return endpoint
