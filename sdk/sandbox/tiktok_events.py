"""TikTok Events API 2.0 (``/open_api/v1.3/event/track/``) as the sandbox plays it.

Same envelope and codes as Business Messaging, its own token (the events token), its own rate
(1000 QPS at every tier). Each accepted event enters the ledger with its ``event_id``, so a
test can prove a conversion was reported once; events carry no message content by design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mmtkit.sandbox import ids
from mmtkit.sandbox.guard import RequestContext, guarded
from mmtkit.sandbox.requests import idempotency_headers, json_object
from mmtkit.sandbox.tiktok_api import BASE, answer, throttled

if TYPE_CHECKING:
    from mmtkit.sandbox.emulator import Emulator

__all__ = ["EVENT_SOURCES", "routes"]

EVENT_SOURCES = ("web", "app", "offline", "crm")
"""Only ``web`` is confirmed by TikTok's own code; the others follow TikTok's wording
(UNCONFIRMED)."""


def _event_problem(index: int, event: Any) -> str | None:
    where = f"data[{index}]"
    if not isinstance(event, dict):
        return f"{where}: Must be an object."
    name = event.get("event")
    if not isinstance(name, str) or not name:
        return f"{where}.event: Missing data for required field."
    when = event.get("event_time")
    if isinstance(when, bool) or not isinstance(when, int):
        return f"{where}.event_time: Missing data for required field (unix seconds, integer)."
    if when > 10**11:
        return f"{where}.event_time: Must be unix seconds, not milliseconds."
    if "user" in event and not isinstance(event["user"], dict):
        return f"{where}.user: Must be an object."
    return None


def routes(emu: Emulator) -> list[Route]:
    cfg = emu.config.tiktok

    async def track(request: Request, ctx: RequestContext) -> Response:
        token = request.headers.get("Access-Token")
        if not token:
            return answer(
                40104,
                "Access token is null, you should set it in http header with key Access-Token.",
            )
        if token != cfg.events_access_token:
            return answer(40105, "Access token is incorrect or has been revoked.")
        if not emu.rates.allow(cfg.events_rate, "tiktok-events", cfg.app_id):
            return throttled()
        body = await json_object(request)
        if body is None:
            return answer(40002, "Request body must be a JSON object.")
        if body.get("event_source") not in EVENT_SOURCES:
            return answer(40002, f"event_source: Must be one of: {', '.join(EVENT_SOURCES)}.")
        source_id = body.get("event_source_id")
        if not isinstance(source_id, str) or not source_id:
            return answer(40002, "event_source_id: Missing data for required field.")
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return answer(40002, "data: Missing data for required field.")
        for index, event in enumerate(data):
            problem = _event_problem(index, event)
            if problem:
                return answer(40002, problem)
        now = emu.clock.now()
        headers = idempotency_headers(request)
        for event in data:
            keys = dict(headers)
            if isinstance(event.get("event_id"), str):
                keys["event_id"] = event["event_id"]
            emu.ledger.record(
                platform="tiktok_events",
                kind="event",
                platform_id=ids.request_id(),
                account=source_id,
                idempotency=keys,
                payload=event,
                at=now,
                answered_late=ctx.late,
            )
        return answer()

    endpoint = guarded(
        "tiktok.events", track, faults=emu.faults, throttled=throttled, deliver=emu.deliver
    )
    return [Route(f"{BASE}/event/track/", endpoint, methods=["POST"], name="tiktok.events")]
