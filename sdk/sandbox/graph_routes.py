"""The Graph paths: one ``/{version}/{id}/messages`` for both WhatsApp and Messenger.

Graph tells the two apart by the object the id names (a WhatsApp phone number or a Page), so
the sandbox does too; an id it does not know gets Graph's "object does not exist". Unversioned
paths (``/{id}/messages``) are accepted, as Graph accepts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mmtkit.sandbox import capi_api, graph, messenger_api, whatsapp_api
from mmtkit.sandbox.guard import RequestContext, guarded

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["routes"]


def routes(emu: Emulator) -> list[Route]:
    async def wa(request: Request, ctx: RequestContext) -> Response:
        return await whatsapp_api.send(emu, request, ctx, request.path_params["object_id"])

    async def ms(request: Request, ctx: RequestContext) -> Response:
        return await messenger_api.send(emu, request, ctx, request.path_params["object_id"])

    async def capi(request: Request, ctx: RequestContext) -> Response:
        return await capi_api.events(emu, request, ctx, request.path_params["object_id"])

    whatsapp = guarded(
        "whatsapp.send",
        wa,
        faults=emu.faults,
        throttled=whatsapp_api.throttled,
        deliver=emu.deliver,
    )
    messenger = guarded(
        "messenger.send",
        ms,
        faults=emu.faults,
        throttled=messenger_api.throttled,
        deliver=emu.deliver,
    )
    meta_events = guarded(
        "meta.events", capi, faults=emu.faults, throttled=capi_api.throttled, deliver=emu.deliver
    )

    async def messages(request: Request) -> Response:
        version = request.path_params.get("version")
        if version is not None and not graph.valid_version(version):
            return graph.error(2500, f"Unknown path components: /{version}")
        object_id = request.path_params["object_id"]
        if object_id in emu.config.whatsapp.phone_numbers:
            return await whatsapp(request)
        if object_id == "me" or object_id in emu.config.messenger.page_tokens:
            return await messenger(request)
        return graph.unknown_object(object_id)

    async def events(request: Request) -> Response:
        version = request.path_params.get("version")
        if version is not None and not graph.valid_version(version):
            return graph.error(2500, f"Unknown path components: /{version}")
        return await meta_events(request)

    return [
        Route("/{version}/{object_id}/messages", messages, methods=["POST"]),
        Route("/{object_id}/messages", messages, methods=["POST"]),
        Route("/{version}/{object_id}/events", events, methods=["POST"]),
        Route("/{object_id}/events", events, methods=["POST"]),
    ]
